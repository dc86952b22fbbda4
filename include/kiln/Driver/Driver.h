//===- Driver.h - The compilation pipeline, stage by stage ------*- C++ -*-===//
//
// The one place where kiln's stages are put in order. The tools ask for a
// stage (to print it) or for a product (an executable, an embeddable
// library); both go through the same pipeline.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DRIVER_DRIVER_H
#define KILN_DRIVER_DRIVER_H

#include "kiln/Codegen/Codegen.h"
#include "kiln/Conversion/Pipeline.h"
#include "kiln/Transforms/Pipeline.h"
#include "kiln/Frontend/AST.h"
#include "kiln/Frontend/OnnxImport.h"
#include "llvm/Support/SourceMgr.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <optional>
#include <set>
#include <string>

namespace kiln {

/// The stages of the pipeline, in order; each can be printed.
enum class Stage {
  AST,        // the parsed spec
  NN,         // the forward graph as the frontend emits it
  Grad,       // + eval_step and predict in inference mode, and train_step
              //   with the gradient of every parameter
  Train,      // + the optimizer's update, inside train_step
  Fused,      // + activation, normalization and optimizer fusion
  Predict,    // + batch norms folded into predict's dense layers, weights
              //   transposed for it, and predict for every row block
  Linalg,     // linalg, tensor, arith and math on tensors
  Bufferized, // buffers with the C ABI, kernels, the workspace plan
  LLVM,       // the LLVM dialect
  LLVMIR,     // LLVM IR, optimized for the target, with the descriptor
  Asm,        // target assembly
};

std::optional<Stage> parseStage(llvm::StringRef name);
llvm::StringRef stageName(Stage stage);
/// "ast | nn | grad | ...", for help texts and errors.
std::string stageNames();

/// Prints "kiln: error: <message>" to stderr; returns failure.
mlir::LogicalResult error(const llvm::Twine &message);

struct DriverOptions {
  bool fuseActivation = true;
  bool fuseNorm = true;
  bool fuseOptimizer = true;
  bool fold = true;
  bool vectorizeMatmul = true;
  /// Large kernels split over OpenMP threads; the executable links libomp.
  bool threads = true;
  int64_t minParallelWork = LoweringOptions().minParallelWork;
  bool printIRAfterAll = false;
  TargetOptions target;
  /// A checkpoint to compile into the module, folded (`build --weights`).
  std::string weights;
  /// Only @prepare and the @predict functions: no training code.
  bool predictOnly = false;
  /// The row blocks of @predict to compile besides the batch size's (one
  /// row is always among them); empty: kPredictRowBlocks, and
  /// kSkinnyRowBlocks when the weights are large enough.
  std::vector<int64_t> predictRows;
  /// The input is the IR of this stage (NN to Predict), as `kiln emit`
  /// printed it, instead of a spec: the pipeline goes on from there.
  std::optional<Stage> from;
  /// Data-parallel training (kiln build --distributed): the rank counts
  /// to compile a gradient block for each shard of; empty: none.
  std::vector<int64_t> distributedRanks;
};

/// Moves @`name` of `variant` (the spec translated again, with other rows)
/// into `module` after `insertAfter`, as @`newName`, and makes it the new
/// `insertAfter`; an internal error when it reads or writes a state that
/// `module` does not declare with that type.
mlir::LogicalResult adoptBlock(mlir::ModuleOp module, mlir::ModuleOp variant,
                               llvm::StringRef name, llvm::StringRef newName,
                               mlir::Operation *&insertAfter);

/// The rows of the gradient blocks that split a batch of `batchSize` rows
/// over each of `ranks` ranks (counts outside 2..batchSize give none),
/// most rows first: rank r of n takes rows [r B / n, (r + 1) B / n).
std::set<int64_t, std::greater<int64_t>>
gradBlockRows(int64_t batchSize, llvm::ArrayRef<int64_t> ranks);


class Driver {
public:
  explicit Driver(DriverOptions options);

  /// Parses, checks and translates a spec, or imports an ONNX model, to
  /// the nn dialect (or, with options.from, reads the IR of that stage);
  /// prints every diagnostic and returns null on error.
  mlir::OwningOpRef<mlir::ModuleOp> load(llvm::StringRef specPath);

  /// Prints `stage` of the spec at `specPath`.
  mlir::LogicalResult emit(llvm::StringRef specPath, Stage stage,
                           llvm::raw_ostream &os);

  /// A standalone executable: the model linked with the runtime.
  mlir::LogicalResult buildExecutable(llvm::StringRef specPath,
                                      llvm::StringRef output);

  /// An object, its C header, and the runtime, in `directory`.
  mlir::LogicalResult buildLibrary(llvm::StringRef specPath,
                                   llvm::StringRef directory);

  /// lib<model>.so (the model and the runtime) and <model>.py, a Python
  /// module over it, in `directory`.
  mlir::LogicalResult buildPython(llvm::StringRef specPath,
                                  llvm::StringRef directory);

  /// The trained model's inference graph as ONNX, with its weights
  /// (options.weights, folded) as initializers, to `output`.
  mlir::LogicalResult buildOnnx(llvm::StringRef specPath,
                                llvm::StringRef output);

  mlir::MLIRContext &getContext() { return context; }

private:
  mlir::LogicalResult
  runPasses(mlir::ModuleOp module,
            llvm::function_ref<void(mlir::OpPassManager &)> build);
  /// The switches of the nn-level phases, from the options.
  NNPipelineOptions nnOptions() const {
    return {options.fuseNorm, options.fuseActivation, options.fuseOptimizer,
            options.fold, !options.distributedRanks.empty()};
  }
  /// The passes that take the module from the stage before `stage` to it
  /// (nothing for those the input went through already, options.from);
  /// `lowering` is set at the bufferized stage, `info` filled on the way.
  mlir::LogicalResult runPhase(Stage stage, mlir::ModuleOp module,
                               ModelInfo &info,
                               std::optional<LoweringOptions> &lowering);
  /// Adds @predict_<rows> for each row block (options.predictRows, or the
  /// defaults, and one row) that is not the batch size: @predict, built
  /// from the spec with that many rows.
  mlir::LogicalResult addPredictRowBlocks(mlir::ModuleOp module);
  /// Adds @grad_<rows> for each shard size of options.distributedRanks:
  /// @forward built from the spec with that many rows, as one shard's
  /// gradient (GradBlocks.cpp).
  mlir::LogicalResult addGradBlocks(mlir::ModuleOp module);
  /// Runs the nn and lowering pipelines on `module` through `stage`
  /// (NN to LLVM), after options.from if given, filling `info` once the
  /// layout is known.
  mlir::LogicalResult lower(mlir::ModuleOp module, Stage stage,
                            ModelInfo &info);
  /// LLVM IR for a module in the LLVM dialect, with the descriptor, O3.
  std::unique_ptr<llvm::Module> translate(mlir::ModuleOp module,
                                          const ModelInfo &info,
                                          llvm::LLVMContext &llvmContext,
                                          llvm::TargetMachine &tm,
                                          bool withMain);
  /// Reads IR of stage options.from, and the spec it names when the row
  /// blocks of @predict are still to be built.
  mlir::OwningOpRef<mlir::ModuleOp> loadIR(llvm::StringRef path);
  /// Whether the input already went through `stage`'s passes.
  bool reached(Stage stage) const {
    return options.from && stage <= *options.from;
  }
  /// Creates `directory` and loads the spec; `name` is the model's.
  mlir::OwningOpRef<mlir::ModuleOp> loadForDirectory(llvm::StringRef specPath,
                                                     llvm::StringRef directory,
                                                     std::string &name);
  /// Folds the weights to compile in (options.weights, or an imported
  /// model's) with the module's @prepare into info.weights; nothing when
  /// there are none. `module` is in the LLVM dialect.
  mlir::LogicalResult addWeights(mlir::ModuleOp module, ModelInfo &info);
  /// Lowers a loaded module and writes its object file to `objectPath`.
  mlir::LogicalResult compileObject(mlir::ModuleOp module,
                                    llvm::StringRef objectPath,
                                    bool withMain, ModelInfo &info);

  DriverOptions options;
  mlir::MLIRContext context;
  /// Reads the model at `path`, a spec or an ONNX graph (by its
  /// extension), into `spec` or `onnx`; false after reporting an error.
  bool readSource(llvm::StringRef path);
  /// The model read last, checked and translated with batches of `rows`
  /// rows (its own batch size when unset); its errors are printed only
  /// when `report`.
  std::optional<Model> translateSource(std::optional<int64_t> rows,
                                       bool report);
  /// An imported model has no training code: its weights are its own.
  bool predictOnly() const { return options.predictOnly || onnx; }

  /// The spec that load() read last, and its source, or the ONNX model:
  /// the row blocks of @predict are translated from it again.
  std::unique_ptr<llvm::SourceMgr> sourceMgr;
  std::unique_ptr<ast::Module> spec;
  std::unique_ptr<OnnxModel> onnx;
};

} // namespace kiln

#endif // KILN_DRIVER_DRIVER_H
