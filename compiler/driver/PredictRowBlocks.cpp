//===- PredictRowBlocks.cpp - @predict for every row block ----------------===//
//
// Training keeps its static batch; prediction and evaluation take any number
// of rows as a sum of row blocks (docs/runtime.md). Each block is @predict
// (and @eval_step) translated from the spec with that many rows, through
// the same inference passes, so that every kernel of it has static shapes
// sized for its rows.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Codegen.h"
#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Driver/Driver.h"
#include "kiln/Frontend/Frontend.h"
#include "kiln/Frontend/MLIRGen.h"
#include "kiln/Transforms/Passes.h"
#include "kiln/Transforms/Pipeline.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

#include <set>

using namespace mlir;
using namespace kiln;

LogicalResult kiln::adoptBlock(ModuleOp module, ModuleOp variant,
                               StringRef name, StringRef newName,
                               Operation *&insertAfter) {
  auto block = variant.lookupSymbol<func::FuncOp>(name);
  // Its states are the module's: the same spec declares them.
  WalkResult consistent = block.walk([&](Operation *op) {
    FlatSymbolRefAttr state;
    Type type;
    if (auto load = dyn_cast<nn::LoadOp>(op))
      std::tie(state, type) = std::make_pair(load.getStateAttr(), load.getType());
    else if (auto store = dyn_cast<nn::StoreOp>(op))
      std::tie(state, type) =
          std::make_pair(store.getStateAttr(), store.getValue().getType());
    else
      return WalkResult::advance();
    auto ours = module.lookupSymbol<nn::StateOp>(state.getAttr());
    return ours && ours.getType() == type ? WalkResult::advance()
                                          : WalkResult::interrupt();
  });
  if (!block || consistent.wasInterrupted())
    return error("internal error: @" + newName +
                 " uses states that the module does not declare");
  block->remove();
  block.setSymName(newName);
  module.getBody()->getOperations().insertAfter(insertAfter->getIterator(),
                                                block);
  insertAfter = block;
  return success();
}

LogicalResult Driver::addPredictRowBlocks(ModuleOp module) {
  FailureOr<nn::ModelAttr> config = nn::ModelAttr::of(module);
  auto predict = module.lookupSymbol<func::FuncOp>("predict");
  if ((!spec && !onnx) || failed(config) || !predict)
    return error("internal error: no spec or @predict to build the "
                 "prediction row blocks from");
  // The workspace grows with the rows of the largest block.
  constexpr int64_t kMaxRows = 4096;
  for (int64_t rows : options.predictRows)
    if (rows < 1 || rows > kMaxRows)
      return error("--predict-rows: " + Twine(rows) + " rows; expected 1 to " +
                   Twine(kMaxRows));
  // Most rows first, as the descriptor lists them.
  std::set<int64_t, std::greater<int64_t>> blocks(options.predictRows.begin(),
                                                  options.predictRows.end());
  if (blocks.empty()) {
    blocks.insert(std::begin(kPredictRowBlocks), std::end(kPredictRowBlocks));
    int64_t bytes = 0;
    predict.walk([&](nn::LoadOp load) {
      bytes += load.getType().getNumElements() * 4;
    });
    if (bytes >= kSkinnyBlockMinBytes)
      blocks.insert(std::begin(kSkinnyRowBlocks), std::end(kSkinnyRowBlocks));
  }
  blocks.insert(1);
  int64_t batch = config->getBatchSize();
  blocks.erase(batch);
  // Evaluation covers the rows after the last whole batch with blocks as
  // well, but only with the evenly spaced ones: the skinny blocks would
  // double the code for one call per evaluation.
  std::set<int64_t> evalBlocks;
  if (!predictOnly())
    for (int64_t rows : blocks)
      if (rows < batch &&
          (!options.predictRows.empty() ||
           llvm::is_contained(kPredictRowBlocks, rows)))
        evalBlocks.insert(rows);
  Operation *insertAfter = predict;
  for (int64_t rows : blocks) {
    // The spec's warnings were printed when it was loaded.
    std::optional<Model> model = translateSource(rows, /*report=*/false);
    if (!model) {
      (void)translateSource(rows, /*report=*/true);
      return error("the model cannot predict " + Twine(rows) +
                   " rows at a time: its graph depends on the batch size");
    }
    OwningOpRef<ModuleOp> variant = buildModule(context, *model);
    // Only its inference functions are wanted, and a batch norm on fewer
    // than 2 rows exists only in inference.
    variant->walk([](nn::BatchNormOp bn) { bn.setTraining(false); });
    // The same passes that made @predict, on the inference function alone.
    if (failed(runPasses(*variant, [&](OpPassManager &pm) {
          pm.addPass(createDeriveInference());
          addCleanup(pm);
          addFusedPipeline(pm, nnOptions());
          addPredictPipeline(pm, nnOptions());
        })))
      return failure();
    if (failed(adoptBlock(module, *variant, "predict",
                          nn::predictBlockName(rows), insertAfter)) ||
        (evalBlocks.count(rows) &&
         failed(adoptBlock(module, *variant, "eval_step",
                           nn::evalBlockName(rows), insertAfter))))
      return failure();
  }
  return success();
}
