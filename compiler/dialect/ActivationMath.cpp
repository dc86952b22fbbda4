//===- ActivationMath.cpp - Each activation and its derivative ------------===//

#include "kiln/Dialect/NN/ActivationMath.h"
#include "kiln/Dialect/NN/FloatBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using nn::ActivationKind;

using F32 = FloatBuilder;

Value kiln::emitSigmoid(OpBuilder &b, Location loc, Value x) {
  return F32{b, loc, x.getType()}.sigmoid(x);
}

Value kiln::emitActivation(OpBuilder &b, Location loc, nn::ActivationAttr act,
                           Value x) {
  F32 f{b, loc, x.getType()};
  double param = act.getParamValue();
  switch (act.getKind()) {
  case ActivationKind::sigmoid:
    return f.sigmoid(x);
  case ActivationKind::tanh:
    return b.create<math::TanhOp>(loc, x);
  case ActivationKind::relu:
    return f.max(x, f.c(0.0));
  case ActivationKind::leaky_relu:
    return f.select(f.ge(x, f.c(0.0)), x, f.mul(f.c(param), x));
  case ActivationKind::elu:
    // e^x - 1 rather than expm1: math.exp is vectorized (kiln-approximate-
    // math), expm1 would be a libm call; near 0 the absolute error stays
    // an ulp of 1.
    return f.select(f.gt(x, f.c(0.0)), x,
                    f.mul(f.c(param), f.sub(f.exp(x), f.c(1.0))));
  case ActivationKind::gelu: {
    // x * Phi(x) = x/2 * (1 + erf(x / sqrt(2)))
    Value erf = b.create<math::ErfOp>(loc, f.mul(x, f.c(M_SQRT1_2)));
    return f.mul(f.mul(f.c(0.5), x), f.add(f.c(1.0), erf));
  }
  case ActivationKind::gelu_sigmoid:
    return f.mul(x, f.sigmoid(f.mul(f.c(1.702), x)));
  case ActivationKind::softplus: {
    // log(1 + e^(bx)) / b, in the form that cannot overflow:
    // (max(bx, 0) + log1p(e^-|bx|)) / b.
    Value bx = f.mul(f.c(param), x);
    Value sp = f.add(f.max(bx, f.c(0.0)), f.log1p(f.exp(f.neg(f.abs(bx)))));
    return f.div(sp, f.c(param));
  }
  case ActivationKind::swish:
    return f.mul(x, f.sigmoid(f.mul(f.c(param), x)));
  }
  llvm_unreachable("unknown activation");
}

Value kiln::emitActivationDerivative(OpBuilder &b, Location loc,
                                     nn::ActivationAttr act, Value x) {
  F32 f{b, loc, x.getType()};
  double param = act.getParamValue();
  Value zero = f.c(0.0), one = f.c(1.0);
  // x sigmoid(kx) has the derivative s + kx s (1 - s), s = sigmoid(kx).
  auto xSigmoidDerivative = [&](double k) {
    Value kx = f.mul(f.c(k), x);
    Value s = f.sigmoid(kx);
    return f.add(s, f.mul(kx, f.mul(s, f.sub(one, s))));
  };
  switch (act.getKind()) {
  case ActivationKind::sigmoid: {
    Value s = f.sigmoid(x);
    return f.mul(s, f.sub(one, s));
  }
  case ActivationKind::tanh: {
    Value t = b.create<math::TanhOp>(loc, x);
    return f.sub(one, f.mul(t, t));
  }
  case ActivationKind::relu:
    return f.select(f.gt(x, zero), one, zero);
  case ActivationKind::leaky_relu:
    return f.select(f.gt(x, zero), one, f.c(param));
  case ActivationKind::elu: // alpha e^x, so alpha at 0 (PyTorch's)
    return f.select(f.gt(x, zero), one, f.mul(f.c(param), f.exp(x)));
  case ActivationKind::gelu: {
    // Phi(x) + x phi(x)
    Value erf = b.create<math::ErfOp>(loc, f.mul(x, f.c(M_SQRT1_2)));
    Value cdf = f.mul(f.c(0.5), f.add(one, erf));
    Value pdf = f.mul(f.c(0.5 * M_2_SQRTPI * M_SQRT1_2),
                      f.exp(f.mul(f.c(-0.5), f.mul(x, x))));
    return f.add(cdf, f.mul(x, pdf));
  }
  case ActivationKind::gelu_sigmoid:
    return xSigmoidDerivative(1.702);
  case ActivationKind::softplus:
    return f.sigmoid(f.mul(f.c(param), x));
  case ActivationKind::swish:
    return xSigmoidDerivative(param);
  }
  llvm_unreachable("unknown activation");
}

bool kiln::hasDerivativeFromOutput(ActivationKind kind) {
  return kind == ActivationKind::relu || kind == ActivationKind::leaky_relu ||
         kind == ActivationKind::elu || kind == ActivationKind::sigmoid ||
         kind == ActivationKind::tanh;
}

Value kiln::emitActivationDerivativeFromOutput(OpBuilder &b, Location loc,
                                               nn::ActivationAttr act,
                                               Value y) {
  F32 f{b, loc, y.getType()};
  Value zero = f.c(0.0), one = f.c(1.0);
  switch (act.getKind()) {
  case ActivationKind::relu: // y > 0 exactly where x > 0
    return f.select(f.gt(y, zero), one, zero);
  case ActivationKind::leaky_relu: // alpha >= 0: y > 0 exactly where x > 0
    return f.select(f.gt(y, zero), one, f.c(act.getParamValue()));
  case ActivationKind::elu: // likewise; alpha e^x = y + alpha for x <= 0
    return f.select(f.gt(y, zero), one, f.add(y, f.c(act.getParamValue())));
  case ActivationKind::sigmoid:
    return f.mul(y, f.sub(one, y));
  case ActivationKind::tanh:
    return f.sub(one, f.mul(y, y));
  default:
    llvm_unreachable("the derivative needs the activation's argument");
  }
}

Value kiln::emitActivationGrad(OpBuilder &b, Location loc,
                               nn::ActivationAttr act, bool fromOutput,
                               Value value, Value dy) {
  Value derivative =
      fromOutput ? emitActivationDerivativeFromOutput(b, loc, act, value)
                 : emitActivationDerivative(b, loc, act, value);
  return b.create<arith::MulFOp>(loc, dy, derivative);
}
