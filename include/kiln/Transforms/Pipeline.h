//===- Pipeline.h - The nn-level phases, one pipeline each ------*- C++ -*-===//
//
// Each phase takes the module from one `kiln emit --stage` to the next
// (docs/ir.md); the driver runs them in order, and kiln-opt by name.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TRANSFORMS_PIPELINE_H
#define KILN_TRANSFORMS_PIPELINE_H

#include "mlir/Pass/PassManager.h"

namespace kiln {

/// The switches of the nn-level phases (kiln build --no-fuse-*, --no-fold).
struct NNPipelineOptions {
  bool fuseNorm = true;
  bool fuseActivation = true;
  bool fuseOptimizer = true;
  bool fold = true;
  /// @apply_update beside @train_step (kiln build --distributed).
  bool dataParallel = false;
};

/// Canonicalization and CSE, after each phase.
void addCleanup(mlir::OpPassManager &pm);
/// nn → grad: @eval_step and @predict in inference mode, then @train_step
/// with the gradient of every parameter.
void addGradPipeline(mlir::OpPassManager &pm);
/// grad → train: the optimizer's update inside @train_step (and, data
/// parallel, in @apply_update from the stored gradients).
void addTrainPipeline(mlir::OpPassManager &pm, const NNPipelineOptions &o);
/// The pipeline of a data-parallel gradient block (docs/distributed.md):
/// @forward on a shard of `globalBatch` rows to @grad_step, fused.
void addGradBlockPipeline(mlir::OpPassManager &pm, const NNPipelineOptions &o,
                          int64_t globalBatch);
/// train → fused: norm, activation and optimizer fusion.
void addFusedPipeline(mlir::OpPassManager &pm, const NNPipelineOptions &o);
/// fused → predict's passes: norms folded into @predict's dense layers and
/// the weights transposed for it (the row blocks are the driver's).
void addPredictPipeline(mlir::OpPassManager &pm, const NNPipelineOptions &o);

/// nn-to-grad, nn-to-train, nn-to-fused and nn-to-predict for kiln-opt.
void registerNNPipelines();

} // namespace kiln

#endif // KILN_TRANSFORMS_PIPELINE_H
