//===- NNElementwise.cpp - What each elementwise op computes per element --===//

#include "kiln/Dialect/NN/ActivationMath.h"
#include "kiln/Dialect/NN/FloatBuilder.h"
#include "kiln/Dialect/NN/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::nn;


Value AddOp::buildScalar(OpBuilder &b, Location loc, ValueRange x) {
  return b.create<arith::AddFOp>(loc, x[0], x[1]);
}
Value SubOp::buildScalar(OpBuilder &b, Location loc, ValueRange x) {
  return b.create<arith::SubFOp>(loc, x[0], x[1]);
}
Value MulOp::buildScalar(OpBuilder &b, Location loc, ValueRange x) {
  return b.create<arith::MulFOp>(loc, x[0], x[1]);
}
Value DivOp::buildScalar(OpBuilder &b, Location loc, ValueRange x) {
  return b.create<arith::DivFOp>(loc, x[0], x[1]);
}
Value NegOp::buildScalar(OpBuilder &b, Location loc, ValueRange x) {
  return b.create<arith::NegFOp>(loc, x[0]);
}
Value ExpOp::buildScalar(OpBuilder &b, Location loc, ValueRange x) {
  return b.create<math::ExpOp>(loc, x[0]);
}
Value LogOp::buildScalar(OpBuilder &b, Location loc, ValueRange x) {
  return b.create<math::LogOp>(loc, x[0]);
}
Value SqrtOp::buildScalar(OpBuilder &b, Location loc, ValueRange x) {
  return b.create<math::SqrtOp>(loc, x[0]);
}
Value AbsOp::buildScalar(OpBuilder &b, Location loc, ValueRange x) {
  return b.create<math::AbsFOp>(loc, x[0]);
}
Value SignOp::buildScalar(OpBuilder &b, Location loc, ValueRange x) {
  return FloatBuilder(b, loc, x[0].getType()).sign(x[0]);
}

#define KILN_ACTIVATION_SCALAR(OP)                                             \
  Value OP::buildScalar(OpBuilder &b, Location loc, ValueRange x) {            \
    return emitActivation(b, loc, getActivation(), x[0]);                      \
  }
KILN_ACTIVATION_SCALAR(SigmoidOp)
KILN_ACTIVATION_SCALAR(TanhOp)
KILN_ACTIVATION_SCALAR(ReluOp)
KILN_ACTIVATION_SCALAR(LeakyReluOp)
KILN_ACTIVATION_SCALAR(EluOp)
KILN_ACTIVATION_SCALAR(GeluOp)
KILN_ACTIVATION_SCALAR(SoftplusOp)
KILN_ACTIVATION_SCALAR(SwishOp)
#undef KILN_ACTIVATION_SCALAR

Value ActivationGradOp::buildScalar(OpBuilder &b, Location loc, ValueRange x) {
  return emitActivationGrad(b, loc, getActivation(), getFromOutput(), x[0],
                            x[1]);
}

//===----------------------------------------------------------------------===//
// nn.elementwise
//===----------------------------------------------------------------------===//

LogicalResult ElementwiseOp::verify() {
  if (getResults().empty())
    return emitOpError("needs at least one result");
  auto shape = cast<RankedTensorType>(getResult(0).getType()).getShape();
  for (Value r : getResults())
    if (cast<RankedTensorType>(r.getType()).getShape() != shape)
      return emitOpError("results must all have one shape");
  for (Value in : getInputs()) {
    auto s = cast<RankedTensorType>(in.getType()).getShape();
    FailureOr<SmallVector<int64_t>> b = broadcastShapes(s, shape);
    if (failed(b) || ArrayRef<int64_t>(*b) != shape)
      return emitOpError("an input does not broadcast to the results' shape");
  }
  return success();
}

LogicalResult ElementwiseOp::verifyRegions() {
  Block &body = getBody().front();
  if (body.getNumArguments() != getInputs().size())
    return emitOpError("needs one block argument per input");
  for (BlockArgument arg : body.getArguments())
    if (!arg.getType().isF32())
      return emitOpError("block arguments must be f32 scalars");
  auto yield = cast<YieldOp>(body.getTerminator());
  if (yield.getValues().size() != getResults().size())
    return emitOpError("must yield one value per result");
  return success();
}
