//===- Pipeline.cpp - The nn-level phases, one pipeline each --------------===//

#include "kiln/Transforms/Pipeline.h"
#include "kiln/Transforms/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace kiln;

void kiln::addCleanup(OpPassManager &pm) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void kiln::addGradPipeline(OpPassManager &pm) {
  // Inference functions first: they clone @forward, which then becomes
  // @train_step.
  pm.addPass(createDeriveInference());
  pm.addPass(createAutodiff());
  addCleanup(pm);
}

void kiln::addTrainPipeline(OpPassManager &pm, const NNPipelineOptions &o) {
  if (o.dataParallel)
    pm.addPass(createBuildApplyUpdate());
  pm.addPass(createLowerOptimizer());
  addCleanup(pm);
}

void kiln::addGradBlockPipeline(OpPassManager &pm, const NNPipelineOptions &o,
                                int64_t globalBatch) {
  pm.addPass(createShardForward(ShardForwardOptions{globalBatch}));
  pm.addPass(createAutodiff());
  pm.addPass(createStoreGradients());
  addCleanup(pm);
  addFusedPipeline(pm, o);
}

void kiln::addFusedPipeline(OpPassManager &pm, const NNPipelineOptions &o) {
  // Norms first: an activation after a norm is the norm's to fuse.
  if (o.fuseNorm)
    pm.addPass(createFuseNorm());
  if (o.fuseActivation)
    pm.addPass(createFuseActivation());
  if (o.fuseOptimizer)
    pm.addPass(createFuseOptimizer());
  addCleanup(pm);
}

void kiln::addPredictPipeline(OpPassManager &pm, const NNPipelineOptions &o) {
  if (o.fold)
    pm.addPass(createFoldInference());
  pm.addPass(createTransposeInferenceWeights());
  addCleanup(pm);
}

namespace {

struct NNPipelineCLOptions : PassPipelineOptions<NNPipelineCLOptions> {
  Option<bool> fuseNorm{*this, "fuse-norm", llvm::cl::init(true),
                        llvm::cl::desc("Fuse norms and their activation")};
  Option<bool> fuseActivation{*this, "fuse-activation", llvm::cl::init(true),
                              llvm::cl::desc("Fuse activations into dense "
                                             "layers and matmuls")};
  Option<bool> fuseOptimizer{*this, "fuse-optimizer", llvm::cl::init(true),
                             llvm::cl::desc("One kernel per parameter update")};
  Option<bool> fold{*this, "fold", llvm::cl::init(true),
                    llvm::cl::desc("Fold batch norms into predict's dense "
                                   "layers")};
  Option<bool> dataParallel{*this, "data-parallel", llvm::cl::init(false),
                            llvm::cl::desc("Add @apply_update (kiln build "
                                           "--distributed)")};
  NNPipelineOptions get() const {
    return {fuseNorm, fuseActivation, fuseOptimizer, fold, dataParallel};
  }
};

} // namespace

void kiln::registerNNPipelines() {
  PassPipelineRegistration<>("nn-to-grad",
                             "nn: inference functions and the gradients",
                             addGradPipeline);
  PassPipelineRegistration<NNPipelineCLOptions>(
      "nn-to-train", "grad: the optimizer's update in @train_step",
      [](OpPassManager &pm, const NNPipelineCLOptions &o) {
        addTrainPipeline(pm, o.get());
      });
  PassPipelineRegistration<NNPipelineCLOptions>(
      "nn-to-fused", "train: norm, activation and optimizer fusion",
      [](OpPassManager &pm, const NNPipelineCLOptions &o) {
        addFusedPipeline(pm, o.get());
      });
  PassPipelineRegistration<NNPipelineCLOptions>(
      "nn-to-predict",
      "fused: norms folded into @predict, weights transposed for it",
      [](OpPassManager &pm, const NNPipelineCLOptions &o) {
        addPredictPipeline(pm, o.get());
      });
}
