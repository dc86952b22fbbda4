//===- Codegen.h - LLVM IR, the descriptor, and object code -----*- C++ -*-===//

#ifndef KILN_CODEGEN_CODEGEN_H
#define KILN_CODEGEN_CODEGEN_H

#include "kiln/Codegen/ModelInfo.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>
#include <string>

struct kiln_model; // kiln_rt.h

namespace kiln {

struct TargetOptions {
  std::string cpu;      // empty: the host's
  std::string features; // empty: the host's when the CPU is the host's
};

/// A TargetMachine for the host's triple and the chosen CPU, producing
/// position-independent code (executables are PIE, and the object may end
/// up in a shared library of the embedding application).
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const TargetOptions &options);

/// The width in bits of the widest vectors of the target: 512 with
/// AVX-512, 256 with AVX, 128 otherwise.
unsigned vectorWidthBits(llvm::TargetMachine &tm);

/// The linker flag that brings in the OpenMP runtime which code compiled
/// with threads calls (docs/threads.md).
constexpr llvm::StringLiteral kOpenMPLinkFlag = KILN_OPENMP_LINK_FLAG;

/// The row counts of the compiled prediction functions besides the batch
/// size's (kiln_model::predict_blocks), unless `kiln build --predict-rows`
/// says otherwise. kiln_predict_rows takes the largest block that fits
/// until no row is left, each call streaming the weights once: any count
/// in at most rows / 256 + 7 calls. Each block is code of its own, so the
/// powers of 4 keep the calls few at a third of the code of every power of
/// 2.
constexpr int64_t kPredictRowBlocks[] = {256, 64, 16, 4, 1};
/// Added when @predict reads at least kSkinnyBlockMinBytes of weights:
/// then reading them again costs more than a call, and up to 8 rows take
/// one call of a kernel shaped for exactly those rows. Below that (weights
/// that stay in L1), they would only add code.
constexpr int64_t kSkinnyRowBlocks[] = {8, 7, 6, 5, 3, 2};
constexpr int64_t kSkinnyBlockMinBytes = 32 * 1024;

/// Adds the `<model>_model` descriptor constant (kiln_rt.h's kiln_model),
/// `<model>_init`, and with `withMain` a `main` that hands over to the
/// runtime's kiln_main (kiln_mpi_main for a data-parallel build).
void emitDescriptor(llvm::Module &module, const ModelInfo &info,
                    bool withMain);

/// The names of kiln_model's fields in the order emitDescriptor lays them
/// out (its one table of fields), for the layout test. Adds the constants
/// the table refers to to `module`.
std::vector<std::string> descriptorFieldNames(llvm::Module &module,
                                              const ModelInfo &info);

/// Writes trained weights into a zeroed state laid out as `model` says;
/// an error names the tensor.
using StateLoader =
    llvm::function_ref<llvm::Error(const kiln_model &model, float *state)>;

/// The weights that `load` gives (from `origin`, a checkpoint or an
/// imported model) as kiln_model::weights lays them out: the state, or the
/// prediction state that the module's `prepare` folds from it. `module` is
/// in the LLVM dialect; it is JIT-compiled for the host to run `prepare`.
llvm::Expected<std::vector<float>> foldWeights(mlir::ModuleOp module,
                                               const ModelInfo &info,
                                               StateLoader load,
                                               llvm::StringRef origin);

/// Writes @predict of `graph`, an nn module at the predict stage built
/// without activation and norm fusion, as an ONNX model to `os`, with
/// `weights` (kiln_model::weights, laid out as `info` says) as its
/// initializers. An op without an ONNX counterpart is an error at its
/// location.
mlir::LogicalResult exportOnnx(mlir::ModuleOp graph, const ModelInfo &info,
                               llvm::ArrayRef<float> weights,
                               llvm::raw_ostream &os);

/// Runs LLVM's O3 pipeline for the target machine.
void optimizeModule(llvm::Module &module, llvm::TargetMachine &tm);

/// Writes an object file or assembly.
llvm::Error emitMachineCode(llvm::Module &module, llvm::TargetMachine &tm,
                            llvm::raw_pwrite_stream &os, bool assembly);

/// The C header of an embeddable model: its descriptor, its sizes, and
/// thin wrappers over the runtime's context API.
std::string generateHeader(const ModelInfo &info);

/// The Python module of `kiln build --emit=python`: a `Model` class over
/// lib<model>.so through ctypes (docs/runtime.md, "Python").
std::string generatePythonModule(const ModelInfo &info);

} // namespace kiln

#endif // KILN_CODEGEN_CODEGEN_H
