//===- Pipeline.h - From nn functions to the LLVM dialect -------*- C++ -*-===//

#ifndef KILN_CONVERSION_PIPELINE_H
#define KILN_CONVERSION_PIPELINE_H

#include "mlir/Pass/PassManager.h"

namespace kiln {

struct LoweringOptions {
  /// Tile and vectorize matmuls into a register-blocked kernel; off, they
  /// become plain loops that LLVM vectorizes as it can.
  bool vectorizeMatmul = true;
};

/// nn → linalg, tensor, arith and math on tensors, with the state layout
/// assigned.
void addLinalgPipeline(mlir::OpPassManager &pm);
/// → buffers: the C ABI, one-shot bufferization, the matmul kernels and
/// the workspace plan.
void addBufferizePipeline(mlir::OpPassManager &pm,
                          const LoweringOptions &options);
/// → the LLVM dialect: loops, and the conversions to LLVM.
void addLLVMPipeline(mlir::OpPassManager &pm);

/// kiln-lower-to-linalg, kiln-bufferize and kiln-lower-to-llvm for
/// kiln-opt.
void registerLoweringPipelines();

} // namespace kiln

#endif // KILN_CONVERSION_PIPELINE_H
