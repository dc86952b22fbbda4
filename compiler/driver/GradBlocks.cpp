//===- GradBlocks.cpp - @grad_<rows> for each rank count ------------------===//
//
// A data-parallel build (kiln build --distributed; docs/distributed.md)
// splits every batch of the spec's batch_size rows over the ranks. Each
// rank's shard is one call of a gradient block translated from the spec
// with the shard's rows, through ShardForward and Autodiff, so that its
// kernels have static shapes as @train_step's do. The update is
// @apply_update's, after the allreduce.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Driver/Driver.h"
#include "kiln/Frontend/Frontend.h"
#include "kiln/Frontend/MLIRGen.h"
#include "kiln/Transforms/Pipeline.h"

#include "llvm/Support/raw_ostream.h"

#include <set>

using namespace mlir;
using namespace kiln;

std::set<int64_t, std::greater<int64_t>>
kiln::gradBlockRows(int64_t batchSize, llvm::ArrayRef<int64_t> ranks) {
  std::set<int64_t, std::greater<int64_t>> rows;
  for (int64_t n : ranks) {
    if (n < 2 || n > batchSize)
      continue;
    // Rank r takes rows [r B / n, (r + 1) B / n): floor or ceil of B / n.
    rows.insert(batchSize / n);
    rows.insert((batchSize + n - 1) / n);
  }
  return rows;
}

LogicalResult Driver::addGradBlocks(ModuleOp module) {
  FailureOr<nn::ModelAttr> config = nn::ModelAttr::of(module);
  if ((!spec && !onnx) || failed(config) || !module.lookupSymbol("apply_update"))
    return error("internal error: no spec or @apply_update to build the "
                 "gradient blocks for");
  int64_t batch = config->getBatchSize();
  for (int64_t n : options.distributedRanks)
    if (n < 2 || n > batch)
      return error("--distributed: " + Twine(n) + " ranks; a batch of " +
                   Twine(batch) + " rows splits over 2 to " + Twine(batch) +
                   " ranks");
  bool batchNorm = false;
  module.walk([&](nn::BatchNormOp) { batchNorm = true; });
  Operation *insertAfter = module.lookupSymbol("apply_update");
  for (int64_t rows : gradBlockRows(batch, options.distributedRanks)) {
    if (rows < 2 && batchNorm)
      return error("--distributed: a shard of 1 row cannot train a batch "
                   "norm; use fewer ranks than " +
                   Twine(batch) + " / 2 or a larger batch_size");
    std::optional<Model> model = translateSource(rows, /*report=*/false);
    if (!model)
      return error("the model cannot train on shards of " + Twine(rows) +
                   " rows: its graph depends on the batch size");
    OwningOpRef<ModuleOp> variant = buildModule(context, *model);
    if (failed(runPasses(*variant, [&](OpPassManager &pm) {
          addGradBlockPipeline(pm, nnOptions(), batch);
        })))
      return failure();
    if (failed(adoptBlock(module, *variant, "grad_step",
                          nn::gradBlockName(rows), insertAfter)))
      return failure();
  }
  return success();
}
