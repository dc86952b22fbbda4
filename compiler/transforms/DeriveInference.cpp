//===- DeriveInference.cpp - eval_step and predict from forward -----------===//

#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Transforms/Passes.h"

#include "llvm/ADT/BitVector.h"

namespace kiln {
#define GEN_PASS_DEF_DERIVEINFERENCE
#include "kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// Switches a cloned forward function to inference mode.
void toInferenceMode(func::FuncOp func) {
  func.walk([](Operation *op) {
    if (auto dropout = dyn_cast<nn::DropoutOp>(op)) {
      dropout.replaceAllUsesWith(dropout.getInput());
      dropout.erase();
    } else if (auto bn = dyn_cast<nn::BatchNormOp>(op)) {
      bn.setTraining(false);
      bn.getNewRunningMean().replaceAllUsesWith(bn.getRunningMean());
      bn.getNewRunningVar().replaceAllUsesWith(bn.getRunningVar());
    } else if (isa<nn::StoreOp>(op)) {
      op->erase();
    }
  });
}

/// What a caller gets as the prediction: probabilities where the loss
/// reads logits, the prediction itself otherwise (and for a loss written as
/// an expression, the value it marks).
Value buildOutput(OpBuilder &b, Operation *loss) {
  if (auto marker = dyn_cast<nn::PredictionOp>(loss))
    return marker.getInput();
  Value pred = loss->getOperand(0);
  if (isa<nn::CrossEntropyOp>(loss))
    return b.create<nn::SoftmaxOp>(loss->getLoc(), pred);
  if (auto bce = dyn_cast<nn::BCEOp>(loss); bce && bce.getFromLogits())
    return b.create<nn::SigmoidOp>(loss->getLoc(), pred);
  return pred;
}

/// The op that says what the prediction is: the per-sample loss op whose
/// mean `forward` returns, or, for a loss written as an expression (a mean
/// of any per-sample value), the one nn.prediction marker.
FailureOr<Operation *> findLoss(func::FuncOp forward) {
  auto ret = cast<func::ReturnOp>(forward.getBody().front().getTerminator());
  auto mean = ret.getNumOperands() == 1
                  ? ret.getOperand(0).getDefiningOp<nn::MeanOp>()
                  : nn::MeanOp();
  Operation *loss = mean ? mean.getInput().getDefiningOp() : nullptr;
  if (loss && isa<nn::CrossEntropyOp, nn::BCEOp, nn::MSEOp, nn::MAEOp,
                  nn::HuberOp>(loss))
    return loss;
  auto markers = llvm::to_vector(forward.getOps<nn::PredictionOp>());
  if (mean && cast<RankedTensorType>(mean.getInput().getType()).getRank() ==
                  1 &&
      markers.size() == 1)
    return markers.front().getOperation();
  return forward.emitError("@forward must return the mean of per-sample "
                           "losses, from a loss op or with one "
                           "nn.prediction marking the prediction");
}

/// The marker has done its work once the prediction is known.
void eraseMarkers(func::FuncOp func) {
  for (auto marker : llvm::make_early_inc_range(func.getOps<nn::PredictionOp>())) {
    marker.replaceAllUsesWith(marker.getInput());
    marker.erase();
  }
}

/// Clones `forward` as `name` in inference mode, returning the per-sample
/// losses (when `withLoss`) and the output; arguments that end up unused
/// are dropped.
LogicalResult derive(func::FuncOp forward, StringRef name, bool withLoss) {
  auto func = cast<func::FuncOp>(forward->clone());
  func.setSymName(name);
  OpBuilder b(forward);
  b.setInsertionPointAfter(forward);
  b.insert(func);

  FailureOr<Operation *> loss = findLoss(func);
  if (failed(loss))
    return failure();
  toInferenceMode(func);

  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  Operation *mean = ret.getOperand(0).getDefiningOp();
  b.setInsertionPoint(ret);
  SmallVector<Value> results;
  bool marked = isa<nn::PredictionOp>(*loss);
  if (withLoss)
    results.push_back(marked ? mean->getOperand(0) : (*loss)->getResult(0));
  results.push_back(buildOutput(b, *loss));
  b.create<func::ReturnOp>(ret.getLoc(), results);
  ret.erase();
  mean->erase();
  if (!withLoss && !marked)
    (*loss)->erase();
  eraseMarkers(func);

  // Drop what inference no longer reads (loads of running statistics that
  // only fed stores, the target in predict, step and seed).
  Block &body = func.getBody().front();
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
    if (isOpTriviallyDead(&op))
      op.erase();
  llvm::BitVector unused(func.getNumArguments());
  for (BlockArgument arg : func.getArguments())
    if (arg.use_empty() && arg.getArgNumber() > 0)
      unused.set(arg.getArgNumber());
  func.eraseArguments(unused);
  func.setType(FunctionType::get(func.getContext(), func.getArgumentTypes(),
                                 ValueRange(results).getTypes()));
  return success();
}

struct DeriveInferencePass
    : kiln::impl::DeriveInferenceBase<DeriveInferencePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto forward = module.lookupSymbol<func::FuncOp>("forward");
    if (!forward) {
      module.emitError("no @forward function to derive inference from");
      return signalPassFailure();
    }
    if (failed(derive(forward, "eval_step", /*withLoss=*/true)) ||
        failed(derive(forward, "predict", /*withLoss=*/false)))
      return signalPassFailure();
    eraseMarkers(forward);
  }
};

} // namespace
