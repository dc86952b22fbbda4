//===- NNDerivatives.cpp - The reverse-mode rule of every nn op -----------===//
//
// Each op's buildVJP builds the gradients of its operands from those of its
// results, out of nn ops. Conventions at non-differentiable points follow
// PyTorch (see docs/autodiff.md): relu'(0) = 0, |x|'(0) = 0, and the
// gradient of dropout reuses the forward mask.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/NN/ActivationMath.h"
#include "kiln/Dialect/NN/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace kiln::nn;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// nn ops by name, for writing rules as formulas.
struct Grad {
  OpBuilder &b;
  Location loc;

  Value scalar(double v) {
    auto type = RankedTensorType::get({}, b.getF32Type());
    return b.create<arith::ConstantOp>(
        loc, type, DenseElementsAttr::get(type, static_cast<float>(v)));
  }
  RankedTensorType broadcast(Value x, Value y) {
    auto shape = broadcastShapes(typeOf(x).getShape(), typeOf(y).getShape());
    return RankedTensorType::get(*shape, b.getF32Type());
  }
  Value add(Value x, Value y) { return b.create<AddOp>(loc, broadcast(x, y), x, y); }
  Value sub(Value x, Value y) { return b.create<SubOp>(loc, broadcast(x, y), x, y); }
  Value mul(Value x, Value y) { return b.create<MulOp>(loc, broadcast(x, y), x, y); }
  Value div(Value x, Value y) { return b.create<DivOp>(loc, broadcast(x, y), x, y); }
  Value neg(Value x) { return b.create<NegOp>(loc, x); }
  /// The adjoint of broadcasting `x` to `like`'s shape.
  Value sumTo(Value x, Value like) {
    if (typeOf(x) == typeOf(like))
      return x;
    return b.create<SumToOp>(loc, typeOf(like), x);
  }
  Value broadcastTo(Value x, Value like) {
    if (typeOf(x) == typeOf(like))
      return x;
    return b.create<BroadcastToOp>(loc, typeOf(like), x);
  }
  Value matmul(Value lhs, Value rhs, bool transposeLhs, bool transposeRhs) {
    ArrayRef<int64_t> a = typeOf(lhs).getShape(), c = typeOf(rhs).getShape();
    int64_t m = transposeLhs ? a[1] : a[0];
    int64_t n = transposeRhs ? c[0] : c[1];
    auto type = RankedTensorType::get({m, n}, b.getF32Type());
    return b.create<MatMulOp>(loc, type, lhs, rhs, transposeLhs,
                              transposeRhs);
  }
};

/// Sets operandGrads to one null value per operand.
void reset(Operation *op, SmallVectorImpl<Value> &operandGrads) {
  operandGrads.assign(op->getNumOperands(), Value());
}

} // namespace

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

LogicalResult DenseOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                                ArrayRef<bool> needed,
                                SmallVectorImpl<Value> &operandGrads) {
  if (getActivationAttr())
    return emitOpError("with a fused activation has no derivative rule; "
                       "differentiate before fusing");
  reset(*this, operandGrads);
  Value dy = resultGrads[0];
  if (!dy)
    return success();
  Grad g{builder, getLoc()};
  if (needed[0]) // dx = dy W
    operandGrads[0] = g.matmul(dy, getWeight(), false, false);
  if (needed[1]) // dW = dy^T x, [out, in] like W
    operandGrads[1] = g.matmul(dy, getInput(), true, false);
  if (getBias() && needed[2])
    operandGrads[2] = g.sumTo(dy, getBias());
  return success();
}

LogicalResult MatMulOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                                 ArrayRef<bool> needed,
                                 SmallVectorImpl<Value> &operandGrads) {
  if (getEpilogueAttr())
    return emitOpError("with a fused epilogue has no derivative rule; "
                       "differentiate before fusing");
  reset(*this, operandGrads);
  Value dc = resultGrads[0];
  if (!dc)
    return success();
  Grad g{builder, getLoc()};
  bool ta = getTransposeLhs(), tb = getTransposeRhs();
  Value a = getLhs(), b = getRhs();
  // C = A' B' with A' = op(A), B' = op(B): dA' = dC B'^T, dB' = A'^T dC,
  // transposed back where the operand is stored transposed.
  if (needed[0])
    operandGrads[0] = ta ? g.matmul(b, dc, tb, true) : g.matmul(dc, b, false, !tb);
  if (needed[1])
    operandGrads[1] = tb ? g.matmul(dc, a, true, ta) : g.matmul(a, dc, !ta, false);
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

LogicalResult AddOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                              ArrayRef<bool> needed,
                              SmallVectorImpl<Value> &operandGrads) {
  reset(*this, operandGrads);
  Value dy = resultGrads[0];
  Grad g{builder, getLoc()};
  if (dy && needed[0])
    operandGrads[0] = g.sumTo(dy, getLhs());
  if (dy && needed[1])
    operandGrads[1] = g.sumTo(dy, getRhs());
  return success();
}

LogicalResult SubOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                              ArrayRef<bool> needed,
                              SmallVectorImpl<Value> &operandGrads) {
  reset(*this, operandGrads);
  Value dy = resultGrads[0];
  Grad g{builder, getLoc()};
  if (dy && needed[0])
    operandGrads[0] = g.sumTo(dy, getLhs());
  if (dy && needed[1])
    operandGrads[1] = g.sumTo(g.neg(dy), getRhs());
  return success();
}

LogicalResult MulOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                              ArrayRef<bool> needed,
                              SmallVectorImpl<Value> &operandGrads) {
  reset(*this, operandGrads);
  Value dy = resultGrads[0];
  Grad g{builder, getLoc()};
  if (dy && needed[0])
    operandGrads[0] = g.sumTo(g.mul(dy, getRhs()), getLhs());
  if (dy && needed[1])
    operandGrads[1] = g.sumTo(g.mul(dy, getLhs()), getRhs());
  return success();
}

LogicalResult DivOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                              ArrayRef<bool> needed,
                              SmallVectorImpl<Value> &operandGrads) {
  reset(*this, operandGrads);
  Value dy = resultGrads[0];
  Grad g{builder, getLoc()};
  if (dy && needed[0])
    operandGrads[0] = g.sumTo(g.div(dy, getRhs()), getLhs());
  if (dy && needed[1]) // d(a/b)/db = -(a/b) / b
    operandGrads[1] =
        g.sumTo(g.neg(g.div(g.mul(dy, getResult()), getRhs())), getRhs());
  return success();
}

/// The rules of the unary ops, given the input x, the result y and dy.
template <typename OpT, typename Rule>
static LogicalResult unaryVJP(OpT op, OpBuilder &builder,
                              ValueRange resultGrads, ArrayRef<bool> needed,
                              SmallVectorImpl<Value> &operandGrads,
                              Rule rule) {
  reset(op, operandGrads);
  Value dy = resultGrads[0];
  if (dy && needed[0]) {
    Grad g{builder, op.getLoc()};
    operandGrads[0] = rule(g, op.getInput(), op.getResult(), dy);
  }
  return success();
}

LogicalResult NegOp::buildVJP(OpBuilder &b, ValueRange rg, ArrayRef<bool> n,
                              SmallVectorImpl<Value> &og) {
  return unaryVJP(*this, b, rg, n, og, [](Grad &g, Value, Value, Value dy) {
    return g.neg(dy);
  });
}

LogicalResult ExpOp::buildVJP(OpBuilder &b, ValueRange rg, ArrayRef<bool> n,
                              SmallVectorImpl<Value> &og) {
  return unaryVJP(*this, b, rg, n, og, [](Grad &g, Value, Value y, Value dy) {
    return g.mul(dy, y);
  });
}

LogicalResult LogOp::buildVJP(OpBuilder &b, ValueRange rg, ArrayRef<bool> n,
                              SmallVectorImpl<Value> &og) {
  return unaryVJP(*this, b, rg, n, og, [](Grad &g, Value x, Value, Value dy) {
    return g.div(dy, x);
  });
}

LogicalResult SqrtOp::buildVJP(OpBuilder &b, ValueRange rg, ArrayRef<bool> n,
                               SmallVectorImpl<Value> &og) {
  return unaryVJP(*this, b, rg, n, og, [](Grad &g, Value, Value y, Value dy) {
    return g.div(g.mul(dy, g.scalar(0.5)), y);
  });
}

LogicalResult AbsOp::buildVJP(OpBuilder &b, ValueRange rg, ArrayRef<bool> n,
                              SmallVectorImpl<Value> &og) {
  return unaryVJP(*this, b, rg, n, og, [](Grad &g, Value x, Value, Value dy) {
    return g.mul(dy, g.b.create<SignOp>(g.loc, x).getResult());
  });
}

LogicalResult SignOp::buildVJP(OpBuilder &, ValueRange, ArrayRef<bool>,
                               SmallVectorImpl<Value> &og) {
  // Zero almost everywhere: nothing flows back.
  reset(*this, og);
  return success();
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

/// Every activation: dx = dy act'(x), one op whatever the activation.
/// Where act' is a function of the output, the rule reads the output, so
/// that the forward pass need not keep the activation's argument (which
/// lets the activation fuse into the layer before it).
template <typename OpT>
static LogicalResult activationVJP(OpT op, OpBuilder &b, ValueRange rg,
                                   ArrayRef<bool> n,
                                   SmallVectorImpl<Value> &og) {
  return unaryVJP(op, b, rg, n, og, [&](Grad &g, Value x, Value y, Value dy) {
    ActivationAttr act = cast<ActivationOpInterface>(*op).getActivation();
    bool fromOutput = kiln::hasDerivativeFromOutput(act.getKind());
    return g.b
        .create<ActivationGradOp>(g.loc, fromOutput ? y : x, dy, act,
                                  fromOutput)
        .getResult();
  });
}

#define KILN_ACTIVATION_VJP(OP)                                                \
  LogicalResult OP::buildVJP(OpBuilder &b, ValueRange rg, ArrayRef<bool> n,    \
                             SmallVectorImpl<Value> &og) {                     \
    return activationVJP(*this, b, rg, n, og);                                 \
  }
KILN_ACTIVATION_VJP(SigmoidOp)
KILN_ACTIVATION_VJP(TanhOp)
KILN_ACTIVATION_VJP(ReluOp)
KILN_ACTIVATION_VJP(LeakyReluOp)
KILN_ACTIVATION_VJP(EluOp)
KILN_ACTIVATION_VJP(GeluOp)
KILN_ACTIVATION_VJP(SoftplusOp)
KILN_ACTIVATION_VJP(SwishOp)
#undef KILN_ACTIVATION_VJP

LogicalResult SoftmaxOp::buildVJP(OpBuilder &b, ValueRange rg,
                                  ArrayRef<bool> n,
                                  SmallVectorImpl<Value> &og) {
  return unaryVJP(*this, b, rg, n, og, [](Grad &g, Value, Value y, Value dy) {
    return g.b.create<SoftmaxGradOp>(g.loc, y, dy).getResult();
  });
}

//===----------------------------------------------------------------------===//
// Regularization and normalization
//===----------------------------------------------------------------------===//

LogicalResult DropoutOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                                  ArrayRef<bool> needed,
                                  SmallVectorImpl<Value> &operandGrads) {
  reset(*this, operandGrads);
  Value dy = resultGrads[0];
  if (dy && needed[0]) // the same mask and scale, from the same key
    operandGrads[0] = builder.create<DropoutOp>(
        getLoc(), dy, getSeed(), getStep(), getRowOffset(), getPAttr(),
        getStreamAttr());
  return success();
}

LogicalResult BatchNormOp::buildVJP(OpBuilder &builder,
                                    ValueRange resultGrads,
                                    ArrayRef<bool> needed,
                                    SmallVectorImpl<Value> &operandGrads) {
  reset(*this, operandGrads);
  Value dy = resultGrads[0];
  if (!dy || !(needed[0] || needed[1] || needed[2]))
    return success();
  if (!getTraining())
    return emitOpError("in inference mode is not differentiated; training "
                       "graphs use batch statistics");
  if (getActivationAttr())
    return emitOpError("with a fused activation has no derivative rule; "
                       "differentiate before fusing");
  auto grads = builder.create<BatchNormGradOp>(
      getLoc(), TypeRange{getInput().getType(), getGamma().getType(),
                          getBeta().getType()},
      getInput(), getGamma(), dy, Value(), getEpsAttr(), ActivationAttr(),
      UnitAttr());
  for (int i = 0; i < 3; ++i)
    if (needed[i])
      operandGrads[i] = grads->getResult(i);
  return success();
}

LogicalResult LayerNormOp::buildVJP(OpBuilder &builder,
                                    ValueRange resultGrads,
                                    ArrayRef<bool> needed,
                                    SmallVectorImpl<Value> &operandGrads) {
  reset(*this, operandGrads);
  Value dy = resultGrads[0];
  if (!dy || !(needed[0] || needed[1] || needed[2]))
    return success();
  if (getActivationAttr())
    return emitOpError("with a fused activation has no derivative rule; "
                       "differentiate before fusing");
  auto grads = builder.create<LayerNormGradOp>(
      getLoc(), TypeRange{getInput().getType(), getGamma().getType(),
                          getBeta().getType()},
      getInput(), getGamma(), dy, Value(), getEpsAttr(), ActivationAttr(),
      UnitAttr());
  for (int i = 0; i < 3; ++i)
    if (needed[i])
      operandGrads[i] = grads->getResult(i);
  return success();
}

//===----------------------------------------------------------------------===//
// Losses: the prediction gets a gradient, the target never does
//===----------------------------------------------------------------------===//

template <typename GradOpT, typename OpT, typename... Attrs>
static LogicalResult lossVJP(OpT op, OpBuilder &b, ValueRange resultGrads,
                             ArrayRef<bool> needed,
                             SmallVectorImpl<Value> &operandGrads,
                             Attrs... attrs) {
  reset(op, operandGrads);
  Value dl = resultGrads[0];
  if (dl && needed[0])
    operandGrads[0] = b.create<GradOpT>(op.getLoc(), op.getPrediction().getType(),
                                        op.getPrediction(), op.getTarget(), dl,
                                        attrs...);
  return success();
}

LogicalResult CrossEntropyOp::buildVJP(OpBuilder &b, ValueRange rg,
                                       ArrayRef<bool> n,
                                       SmallVectorImpl<Value> &og) {
  return lossVJP<CrossEntropyGradOp>(*this, b, rg, n, og,
                                     getLabelSmoothingAttr());
}
LogicalResult BCEOp::buildVJP(OpBuilder &b, ValueRange rg, ArrayRef<bool> n,
                              SmallVectorImpl<Value> &og) {
  return lossVJP<BCEGradOp>(*this, b, rg, n, og, getFromLogitsAttr(),
                            getReductionAttr());
}
LogicalResult MSEOp::buildVJP(OpBuilder &b, ValueRange rg, ArrayRef<bool> n,
                              SmallVectorImpl<Value> &og) {
  return lossVJP<MSEGradOp>(*this, b, rg, n, og, getReductionAttr());
}
LogicalResult MAEOp::buildVJP(OpBuilder &b, ValueRange rg, ArrayRef<bool> n,
                              SmallVectorImpl<Value> &og) {
  return lossVJP<MAEGradOp>(*this, b, rg, n, og, getReductionAttr());
}
LogicalResult HuberOp::buildVJP(OpBuilder &b, ValueRange rg, ArrayRef<bool> n,
                                SmallVectorImpl<Value> &og) {
  return lossVJP<HuberGradOp>(*this, b, rg, n, og, getDeltaAttr(),
                              getReductionAttr());
}

//===----------------------------------------------------------------------===//
// Reductions and broadcasts
//===----------------------------------------------------------------------===//

LogicalResult MeanOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                               ArrayRef<bool> needed,
                               SmallVectorImpl<Value> &operandGrads) {
  reset(*this, operandGrads);
  Value dy = resultGrads[0];
  if (dy && needed[0]) {
    Grad g{builder, getLoc()};
    double n = static_cast<double>(typeOf(getInput()).getNumElements());
    operandGrads[0] =
        g.broadcastTo(g.mul(dy, g.scalar(1.0 / n)), getInput());
  }
  return success();
}

LogicalResult SumToOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                                ArrayRef<bool> needed,
                                SmallVectorImpl<Value> &operandGrads) {
  reset(*this, operandGrads);
  if (resultGrads[0] && needed[0])
    operandGrads[0] = Grad{builder, getLoc()}.broadcastTo(resultGrads[0],
                                                          getInput());
  return success();
}

LogicalResult BroadcastToOp::buildVJP(OpBuilder &builder,
                                      ValueRange resultGrads,
                                      ArrayRef<bool> needed,
                                      SmallVectorImpl<Value> &operandGrads) {
  reset(*this, operandGrads);
  if (resultGrads[0] && needed[0])
    operandGrads[0] =
        Grad{builder, getLoc()}.sumTo(resultGrads[0], getInput());
  return success();
}

LogicalResult ReshapeOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                                  ArrayRef<bool> needed,
                                  SmallVectorImpl<Value> &operandGrads) {
  reset(*this, operandGrads);
  if (resultGrads[0] && needed[0])
    operandGrads[0] = builder.create<ReshapeOp>(getLoc(), getInput().getType(),
                                                resultGrads[0]);
  return success();
}
