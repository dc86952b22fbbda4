//===- Pipeline.h - From nn functions to the LLVM dialect -------*- C++ -*-===//

#ifndef KILN_CONVERSION_PIPELINE_H
#define KILN_CONVERSION_PIPELINE_H

#include "kiln/Conversion/Passes.h"

#include "mlir/Pass/PassManager.h"

namespace kiln {

struct LoweringOptions {
  /// Tile and vectorize matmuls into a register-blocked kernel; off, they
  /// become plain loops that LLVM vectorizes as it can.
  bool vectorizeMatmul = true;
  /// Vectorize the elementwise and reduction kernels along their last
  /// dimension, `lanes` floats at a time.
  bool vectorizeElementwise = true;
  /// The defaults are forVectorWidth(512)'s.
  int64_t lanes = 16;
  /// The kernel's register tile, rows x columns of the output.
  int64_t tileM = 8;
  int64_t tileN = 32;
  /// Split large loop nests over OpenMP threads (kiln-parallelize-loops);
  /// off, the code is serial and needs no OpenMP runtime.
  bool threads = true;
  /// The serial work, in vector operations, from which a loop nest is
  /// split over the threads.
  int64_t minParallelWork = ParallelizeLoopsOptions().minWork;

  /// The tile that fills, without spilling, the vector registers of a
  /// target whose widest vectors have `bits` bits: 8 x 32 floats in 16 of
  /// AVX-512's 32 zmm, 6 x 16 in 12 of AVX2's 16 ymm, 4 x 8 with SSE.
  static LoweringOptions forVectorWidth(unsigned bits);
};

/// nn → linalg, tensor, arith and math on tensors, with the state layout
/// assigned.
void addLinalgPipeline(mlir::OpPassManager &pm);
/// → buffers: the C ABI, one-shot bufferization, the matmul kernels and
/// the workspace plan.
void addBufferizePipeline(mlir::OpPassManager &pm,
                          const LoweringOptions &options);
/// → the LLVM dialect: loops (the large ones split over OpenMP threads),
/// and the conversions to LLVM.
void addLLVMPipeline(mlir::OpPassManager &pm, const LoweringOptions &options);

/// kiln-lower-to-linalg, kiln-bufferize and kiln-lower-to-llvm for
/// kiln-opt.
void registerLoweringPipelines();

} // namespace kiln

#endif // KILN_CONVERSION_PIPELINE_H
