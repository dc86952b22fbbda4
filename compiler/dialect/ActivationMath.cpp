//===- ScalarMath.cpp - Scalar formulas shared by the lowerings -----------===//

#include "ScalarMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using nn::ActivationKind;

namespace {

/// Scalar f32 arithmetic that reads like the formulas it implements.
struct F32 {
  OpBuilder &b;
  Location loc;

  Value c(double v) { return b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(v)); }
  Value add(Value x, Value y) { return b.create<arith::AddFOp>(loc, x, y); }
  Value sub(Value x, Value y) { return b.create<arith::SubFOp>(loc, x, y); }
  Value mul(Value x, Value y) { return b.create<arith::MulFOp>(loc, x, y); }
  Value div(Value x, Value y) { return b.create<arith::DivFOp>(loc, x, y); }
  Value neg(Value x) { return b.create<arith::NegFOp>(loc, x); }
  Value exp(Value x) { return b.create<math::ExpOp>(loc, x); }
  Value log1p(Value x) { return b.create<math::Log1pOp>(loc, x); }
  Value abs(Value x) { return b.create<math::AbsFOp>(loc, x); }
  Value max(Value x, Value y) { return b.create<arith::MaximumFOp>(loc, x, y); }
  Value gt(Value x, Value y) {
    return b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, x, y);
  }
  Value ge(Value x, Value y) {
    return b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGE, x, y);
  }
  Value select(Value cond, Value x, Value y) {
    return b.create<arith::SelectOp>(loc, cond, x, y);
  }
  Value sigmoid(Value x) { return div(c(1.0), add(c(1.0), exp(neg(x)))); }
};

} // namespace

Value kiln::emitSigmoid(OpBuilder &b, Location loc, Value x) {
  return F32{b, loc}.sigmoid(x);
}

Value kiln::emitActivation(OpBuilder &b, Location loc, nn::ActivationAttr act,
                           Value x) {
  F32 f{b, loc};
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
  F32 f{b, loc};
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

std::array<Value, 4> kiln::emitPhilox(OpBuilder &b, Location loc,
                                      std::array<Value, 4> ctr,
                                      std::array<Value, 2> key) {
  auto i32 = [&](uint32_t v) {
    return b.create<arith::ConstantOp>(
        loc, b.getI32IntegerAttr(static_cast<int32_t>(v)));
  };
  Value m0 = i32(0xD2511F53), m1 = i32(0xCD9E8D57);
  Value w0 = i32(0x9E3779B9), w1 = i32(0xBB67AE85);
  for (int round = 0; round < 10; ++round) {
    auto p0 = b.create<arith::MulUIExtendedOp>(loc, m0, ctr[0]);
    auto p1 = b.create<arith::MulUIExtendedOp>(loc, m1, ctr[2]);
    Value x0 = b.create<arith::XOrIOp>(
        loc, b.create<arith::XOrIOp>(loc, p1.getHigh(), ctr[1]), key[0]);
    Value x2 = b.create<arith::XOrIOp>(
        loc, b.create<arith::XOrIOp>(loc, p0.getHigh(), ctr[3]), key[1]);
    ctr = {x0, p1.getLow(), x2, p0.getLow()};
    if (round < 9) {
      key[0] = b.create<arith::AddIOp>(loc, key[0], w0);
      key[1] = b.create<arith::AddIOp>(loc, key[1], w1);
    }
  }
  return ctr;
}

Value kiln::emitDropoutKeep(OpBuilder &b, Location loc, Value seed, Value step,
                            Value stream, Value linearIndex, double p) {
  Type i32 = b.getI32Type();
  auto lo = [&](Value v) { return b.create<arith::TruncIOp>(loc, i32, v); };
  auto hi = [&](Value v) {
    Value shift = b.create<arith::ConstantOp>(loc, b.getI64IntegerAttr(32));
    return b.create<arith::TruncIOp>(
        loc, i32, b.create<arith::ShRUIOp>(loc, v, shift));
  };
  std::array<Value, 4> out = emitPhilox(
      b, loc, {linearIndex, stream, lo(step), hi(step)}, {lo(seed), hi(seed)});
  // The top 24 bits as a float in [0, 1), exactly as the runtime does.
  Value shift8 = b.create<arith::ConstantOp>(loc, b.getI32IntegerAttr(8));
  Value bits = b.create<arith::ShRUIOp>(loc, out[0], shift8);
  Value u = b.create<arith::UIToFPOp>(loc, b.getF32Type(), bits);
  Value scale = b.create<arith::ConstantOp>(
      loc, b.getF32FloatAttr(1.0f / 16777216.0f));
  Value uniform = b.create<arith::MulFOp>(loc, u, scale);
  Value threshold = b.create<arith::ConstantOp>(
      loc, b.getF32FloatAttr(static_cast<float>(p)));
  return b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGE, uniform,
                                 threshold);
}
