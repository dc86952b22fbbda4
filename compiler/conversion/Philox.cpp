//===- Philox.cpp - Counter-based random numbers in IR ---------------------===//

#include "Philox.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace kiln;

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
