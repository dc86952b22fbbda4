//===- NNOps.cpp - Operations of the nn dialect ---------------------------===//

#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Dialect/NN/ActivationMath.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace kiln::nn;

#include "kiln/Dialect/NN/NNInterfaces.cpp.inc"

#define GET_OP_CLASSES
#include "kiln/Dialect/NN/NNOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>> kiln::nn::broadcastShapes(ArrayRef<int64_t> lhs,
                                                          ArrayRef<int64_t> rhs) {
  size_t rank = std::max(lhs.size(), rhs.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t l = i < lhs.size() ? lhs[lhs.size() - 1 - i] : 1;
    int64_t r = i < rhs.size() ? rhs[rhs.size() - 1 - i] : 1;
    if (l != r && l != 1 && r != 1)
      return failure();
    result[rank - 1 - i] = l == 1 ? r : l;
  }
  return result;
}

static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string s = "[";
  llvm::raw_string_ostream os(s);
  llvm::interleave(shape, os, ", ");
  os << "]";
  return s;
}

/// Checks that `v` has rank `rank`; `what` names it in the message.
static LogicalResult checkRank(Operation *op, Value v, unsigned rank,
                               StringRef what) {
  if (shapeOf(v).size() == rank)
    return success();
  return op->emitOpError() << "expects " << what << " of rank " << rank
                           << ", got " << formatShape(shapeOf(v));
}

static LogicalResult checkShape(Operation *op, Value v,
                                ArrayRef<int64_t> expected, StringRef what) {
  if (shapeOf(v) == expected)
    return success();
  return op->emitOpError() << "expects " << what << " of shape "
                           << formatShape(expected) << ", got "
                           << formatShape(shapeOf(v));
}

//===----------------------------------------------------------------------===//
// State
//===----------------------------------------------------------------------===//

static FailureOr<StateOp> lookupState(Operation *op, FlatSymbolRefAttr sym,
                                      SymbolTableCollection &symbolTable) {
  auto state = symbolTable.lookupNearestSymbolFrom<StateOp>(op, sym);
  if (!state)
    return op->emitOpError() << "refers to unknown state " << sym;
  return state;
}

LogicalResult LoadOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  FailureOr<StateOp> state =
      lookupState(getOperation(), getStateAttr(), symbolTable);
  if (failed(state))
    return failure();
  if (state->getType() != getType())
    return emitOpError() << "result type " << getType()
                         << " differs from the state's " << state->getType();
  return success();
}

LogicalResult StoreOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  FailureOr<StateOp> state =
      lookupState(getOperation(), getStateAttr(), symbolTable);
  if (failed(state))
    return failure();
  if (state->getType() != getValue().getType())
    return emitOpError() << "stores " << getValue().getType()
                         << " into a state of type " << state->getType();
  return success();
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

LogicalResult DenseOp::verify() {
  if (failed(checkRank(*this, getInput(), 2, "an input")) ||
      failed(checkRank(*this, getWeight(), 2, "a weight")))
    return failure();
  int64_t batch = shapeOf(getInput())[0], in = shapeOf(getInput())[1];
  ArrayRef<int64_t> w = shapeOf(getWeight());
  int64_t out = getTransposedWeight() ? w[1] : w[0];
  if ((getTransposedWeight() ? w[0] : w[1]) != in)
    return emitOpError() << "weight " << formatShape(shapeOf(getWeight()))
                         << " does not take " << in << " inputs";
  if (getBias() && failed(checkShape(*this, getBias(), {out}, "a bias")))
    return failure();
  return checkShape(*this, getResult(), {batch, out}, "a result");
}

LogicalResult TransposeOp::verify() {
  if (failed(checkRank(*this, getInput(), 2, "an input")))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput());
  return checkShape(*this, getResult(), {in[1], in[0]}, "a result");
}

LogicalResult MatMulOp::verify() {
  if (failed(checkRank(*this, getLhs(), 2, "a lhs")) ||
      failed(checkRank(*this, getRhs(), 2, "a rhs")))
    return failure();
  ArrayRef<int64_t> a = shapeOf(getLhs()), b = shapeOf(getRhs());
  int64_t m = getTransposeLhs() ? a[1] : a[0];
  int64_t ka = getTransposeLhs() ? a[0] : a[1];
  int64_t kb = getTransposeRhs() ? b[1] : b[0];
  int64_t n = getTransposeRhs() ? b[0] : b[1];
  if (ka != kb)
    return emitOpError() << "contracts " << ka << " with " << kb
                         << " elements";
  if (static_cast<bool>(getEpilogueInput()) !=
      static_cast<bool>(getEpilogueAttr()))
    return emitOpError("needs both an epilogue activation and its input, "
                       "or neither");
  if (getEpilogueInput() &&
      failed(checkShape(*this, getEpilogueInput(), {m, n},
                        "an epilogue input")))
    return failure();
  if (getEpilogueFromOutput() && getEpilogueAttr() &&
      !kiln::hasDerivativeFromOutput(getEpilogueAttr().getKind()))
    return emitOpError() << stringifyActivationKind(getEpilogueAttr().getKind())
                         << "'s derivative is no function of its output";
  return checkShape(*this, getResult(), {m, n}, "a result");
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

static LogicalResult verifyBroadcast(Operation *op) {
  ArrayRef<int64_t> lhs = shapeOf(op->getOperand(0));
  ArrayRef<int64_t> rhs = shapeOf(op->getOperand(1));
  FailureOr<SmallVector<int64_t>> shape = broadcastShapes(lhs, rhs);
  if (failed(shape))
    return op->emitOpError() << "cannot broadcast " << formatShape(lhs)
                             << " with " << formatShape(rhs);
  return checkShape(op, op->getResult(0), *shape, "a result");
}

/// Folds `lhs op rhs` of two splat constants, and `x op identity` (x + 0,
/// x - 0, x * 1, x / 1) where x already has the result's type: the constant
/// subgraphs that specs and the derivative rules leave (e.g. 1 * 1/n).
template <typename OpT, typename Fn>
static OpFoldResult foldBinary(OpT op, Attribute lhs, Attribute rhs, Fn fn,
                               std::optional<float> rightIdentity,
                               std::optional<float> leftIdentity) {
  auto l = llvm::dyn_cast_if_present<SplatElementsAttr>(lhs);
  auto r = llvm::dyn_cast_if_present<SplatElementsAttr>(rhs);
  if (l && r)
    return DenseElementsAttr::get(
        op.getType(), fn(l.getSplatValue<float>(), r.getSplatValue<float>()));
  if (r && rightIdentity && r.getSplatValue<float>() == *rightIdentity &&
      op.getLhs().getType() == op.getType())
    return op.getLhs();
  if (l && leftIdentity && l.getSplatValue<float>() == *leftIdentity &&
      op.getRhs().getType() == op.getType())
    return op.getRhs();
  return {};
}

OpFoldResult AddOp::fold(FoldAdaptor a) {
  return foldBinary(*this, a.getLhs(), a.getRhs(),
                    [](float x, float y) { return x + y; }, 0.0f, 0.0f);
}
OpFoldResult SubOp::fold(FoldAdaptor a) {
  return foldBinary(*this, a.getLhs(), a.getRhs(),
                    [](float x, float y) { return x - y; }, 0.0f,
                    std::nullopt);
}
OpFoldResult MulOp::fold(FoldAdaptor a) {
  return foldBinary(*this, a.getLhs(), a.getRhs(),
                    [](float x, float y) { return x * y; }, 1.0f, 1.0f);
}
OpFoldResult DivOp::fold(FoldAdaptor a) {
  return foldBinary(*this, a.getLhs(), a.getRhs(),
                    [](float x, float y) { return x / y; }, 1.0f,
                    std::nullopt);
}

LogicalResult AddOp::verify() { return verifyBroadcast(*this); }
LogicalResult SubOp::verify() { return verifyBroadcast(*this); }
LogicalResult MulOp::verify() { return verifyBroadcast(*this); }
LogicalResult DivOp::verify() { return verifyBroadcast(*this); }

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

static ActivationAttr activation(Operation *op, ActivationKind kind,
                                 double param = 0.0) {
  return ActivationAttr::get(op->getContext(), kind, param);
}

ActivationAttr SigmoidOp::getActivation() {
  return activation(*this, ActivationKind::sigmoid);
}
ActivationAttr TanhOp::getActivation() {
  return activation(*this, ActivationKind::tanh);
}
ActivationAttr ReluOp::getActivation() {
  return activation(*this, ActivationKind::relu);
}
ActivationAttr LeakyReluOp::getActivation() {
  return activation(*this, ActivationKind::leaky_relu,
                    getAlpha().convertToDouble());
}
ActivationAttr EluOp::getActivation() {
  return activation(*this, ActivationKind::elu, getAlpha().convertToDouble());
}
ActivationAttr GeluOp::getActivation() {
  return activation(*this, getApproximate() ? ActivationKind::gelu_sigmoid
                                            : ActivationKind::gelu);
}
ActivationAttr SoftplusOp::getActivation() {
  return activation(*this, ActivationKind::softplus,
                    getBeta().convertToDouble());
}
ActivationAttr SwishOp::getActivation() {
  return activation(*this, ActivationKind::swish, getBeta().convertToDouble());
}

LogicalResult ActivationGradOp::verify() {
  if (getFromOutput() && !kiln::hasDerivativeFromOutput(getActivation().getKind()))
    return emitOpError() << stringifyActivationKind(getActivation().getKind())
                         << "'s derivative is no function of its output";
  return success();
}

LogicalResult SoftplusOp::verify() {
  if (getBeta().convertToDouble() > 0)
    return success();
  return emitOpError() << "expects beta > 0";
}

LogicalResult EluOp::verify() {
  if (getAlpha().convertToDouble() >= 0)
    return success();
  return emitOpError() << "expects alpha >= 0";
}

LogicalResult SwishOp::verify() {
  if (getBeta().convertToDouble() > 0)
    return success();
  return emitOpError() << "expects beta > 0";
}

/// Softmax and its gradient work over the last axis: there must be one.
static LogicalResult verifyLastAxis(Operation *op, Value v) {
  if (cast<RankedTensorType>(v.getType()).getRank() >= 1)
    return success();
  return op->emitOpError() << "needs a tensor of rank 1 or more (it works "
                              "over the last axis)";
}

LogicalResult SoftmaxOp::verify() { return verifyLastAxis(*this, getInput()); }

LogicalResult SoftmaxGradOp::verify() {
  return verifyLastAxis(*this, getOutput());
}

//===----------------------------------------------------------------------===//
// Regularization and normalization
//===----------------------------------------------------------------------===//

LogicalResult DropoutOp::verify() {
  double p = getP().convertToDouble();
  if (p >= 0 && p < 1)
    return success();
  return emitOpError() << "expects p in [0, 1), got " << p;
}

/// Batch and layer norm share their interface: x [B, F], gamma and beta [F].
static LogicalResult verifyNormOperands(Operation *op, Value x, Value gamma,
                                        Value beta, double eps) {
  if (failed(checkRank(op, x, 2, "an input")))
    return failure();
  int64_t features = shapeOf(x)[1];
  if (failed(checkShape(op, gamma, {features}, "a gamma")) ||
      failed(checkShape(op, beta, {features}, "a beta")))
    return failure();
  if (!(eps > 0))
    return op->emitOpError() << "expects eps > 0, got " << eps;
  return checkShape(op, op->getResult(0), shapeOf(x), "a result");
}

LogicalResult BatchNormOp::verify() {
  if (failed(verifyNormOperands(*this, getInput(), getGamma(), getBeta(),
                                getEps().convertToDouble())))
    return failure();
  int64_t features = shapeOf(getInput())[1];
  if (failed(checkShape(*this, getRunningMean(), {features},
                        "a running mean")) ||
      failed(checkShape(*this, getRunningVar(), {features},
                        "a running variance")) ||
      failed(checkShape(*this, getNewRunningMean(), {features},
                        "a new running mean")) ||
      failed(checkShape(*this, getNewRunningVar(), {features},
                        "a new running variance")))
    return failure();
  double momentum = getMomentum().convertToDouble();
  if (momentum < 0 || momentum > 1)
    return emitOpError() << "expects momentum in [0, 1], got " << momentum;
  if (getTraining() && shapeOf(getInput())[0] < 2)
    return emitOpError() << "needs at least 2 rows per batch in training";
  return success();
}

LogicalResult LayerNormOp::verify() {
  return verifyNormOperands(*this, getInput(), getGamma(), getBeta(),
                            getEps().convertToDouble());
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

/// prediction [B, K], target [B, K] (or [B] of labels), result [B].
static LogicalResult verifyLoss(Operation *op, bool labels) {
  Value prediction = op->getOperand(0), target = op->getOperand(1);
  if (failed(checkRank(op, prediction, 2, "a prediction")))
    return failure();
  int64_t batch = shapeOf(prediction)[0];
  if (labels) {
    if (failed(checkShape(op, target, {batch}, "labels")))
      return failure();
  } else if (failed(checkShape(op, target, shapeOf(prediction),
                               "a target"))) {
    return failure();
  }
  return checkShape(op, op->getResult(0), {batch}, "a result");
}

LogicalResult CrossEntropyOp::verify() {
  double alpha = getLabelSmoothing().convertToDouble();
  if (alpha < 0 || alpha > 1)
    return emitOpError() << "expects label_smoothing in [0, 1], got "
                         << alpha;
  return verifyLoss(*this, /*labels=*/true);
}
LogicalResult BCEOp::verify() { return verifyLoss(*this, false); }
LogicalResult MSEOp::verify() { return verifyLoss(*this, false); }
LogicalResult MAEOp::verify() { return verifyLoss(*this, false); }
LogicalResult HuberOp::verify() {
  if (!(getDelta().convertToDouble() > 0))
    return emitOpError() << "expects delta > 0";
  return verifyLoss(*this, false);
}

//===----------------------------------------------------------------------===//
// Reductions and broadcasts
//===----------------------------------------------------------------------===//

/// `small` broadcasts to `large`.
static LogicalResult verifyBroadcastsTo(Operation *op, ArrayRef<int64_t> small,
                                        ArrayRef<int64_t> large) {
  FailureOr<SmallVector<int64_t>> shape = broadcastShapes(small, large);
  if (succeeded(shape) && ArrayRef<int64_t>(*shape) == large)
    return success();
  return op->emitOpError() << formatShape(small) << " does not broadcast to "
                           << formatShape(large);
}

LogicalResult SumToOp::verify() {
  return verifyBroadcastsTo(*this, shapeOf(getResult()), shapeOf(getInput()));
}

OpFoldResult SumToOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

LogicalResult BroadcastToOp::verify() {
  return verifyBroadcastsTo(*this, shapeOf(getInput()), shapeOf(getResult()));
}

OpFoldResult BroadcastToOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// Gradients
//===----------------------------------------------------------------------===//

template <typename OpT> static LogicalResult verifyNormGrad(OpT op) {
  Value x = op.getInput(), gamma = op.getGamma(), dy = op.getResultGrad();
  if (static_cast<bool>(op.getActivationAttr()) !=
      static_cast<bool>(op.getBeta()))
    return op.emitOpError("with an activation needs beta, and only then");
  if (failed(checkRank(op, x, 2, "an input")))
    return failure();
  int64_t features = shapeOf(x)[1];
  if (failed(checkShape(op, gamma, {features}, "a gamma")) ||
      failed(checkShape(op, dy, shapeOf(x), "a result gradient")) ||
      failed(checkShape(op, op->getResult(0), shapeOf(x), "an input gradient")) ||
      failed(checkShape(op, op->getResult(1), {features}, "a gamma gradient")) ||
      failed(checkShape(op, op->getResult(2), {features}, "a beta gradient")))
    return failure();
  if (op.getBeta() && failed(checkShape(op, op.getBeta(), {features}, "a beta")))
    return failure();
  return success();
}

LogicalResult BatchNormGradOp::verify() { return verifyNormGrad(*this); }
LogicalResult LayerNormGradOp::verify() { return verifyNormGrad(*this); }

LogicalResult ReshapeOp::verify() {
  if (getInput().getType().getNumElements() == getType().getNumElements())
    return success();
  return emitOpError() << "cannot reshape " << formatShape(shapeOf(getInput()))
                       << " to " << formatShape(shapeOf(getResult()));
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto dense = llvm::dyn_cast_if_present<DenseElementsAttr>(adaptor.getInput()))
    return dense.reshape(getType());
  return {};
}
