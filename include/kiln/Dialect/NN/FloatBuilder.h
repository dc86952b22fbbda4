//===- FloatBuilder.h - f32 arithmetic that reads like formulas -*- C++ -*-===//
//
// The scalar bodies of kiln's kernels (activations, losses, their
// derivatives) are formulas; this builder lets the code that emits them
// read as the formula does. It works on f32 scalars or on vectors of f32:
// constants take the shape of `type`.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_NN_FLOATBUILDER_H
#define KILN_DIALECT_NN_FLOATBUILDER_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace kiln {

struct FloatBuilder {
  mlir::OpBuilder &b;
  mlir::Location loc;
  mlir::Type type;

  FloatBuilder(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type)
      : b(b), loc(loc), type(type) {}
  FloatBuilder(mlir::OpBuilder &b, mlir::Location loc)
      : b(b), loc(loc), type(b.getF32Type()) {}

  mlir::Value c(double v) {
    if (auto vec = llvm::dyn_cast<mlir::VectorType>(type))
      return b.create<mlir::arith::ConstantOp>(
          loc, vec, mlir::DenseElementsAttr::get(vec, static_cast<float>(v)));
    return b.create<mlir::arith::ConstantOp>(loc, b.getF32FloatAttr(v));
  }
  mlir::Value add(mlir::Value x, mlir::Value y) {
    return b.create<mlir::arith::AddFOp>(loc, x, y);
  }
  mlir::Value sub(mlir::Value x, mlir::Value y) {
    return b.create<mlir::arith::SubFOp>(loc, x, y);
  }
  mlir::Value mul(mlir::Value x, mlir::Value y) {
    return b.create<mlir::arith::MulFOp>(loc, x, y);
  }
  mlir::Value div(mlir::Value x, mlir::Value y) {
    return b.create<mlir::arith::DivFOp>(loc, x, y);
  }
  mlir::Value neg(mlir::Value x) { return b.create<mlir::arith::NegFOp>(loc, x); }
  mlir::Value max(mlir::Value x, mlir::Value y) {
    return b.create<mlir::arith::MaximumFOp>(loc, x, y);
  }
  mlir::Value exp(mlir::Value x) { return b.create<mlir::math::ExpOp>(loc, x); }
  mlir::Value log(mlir::Value x) { return b.create<mlir::math::LogOp>(loc, x); }
  mlir::Value log1p(mlir::Value x) {
    return b.create<mlir::math::Log1pOp>(loc, x);
  }
  mlir::Value abs(mlir::Value x) { return b.create<mlir::math::AbsFOp>(loc, x); }
  mlir::Value compare(mlir::arith::CmpFPredicate p, mlir::Value x,
                      mlir::Value y) {
    return b.create<mlir::arith::CmpFOp>(loc, p, x, y);
  }
  mlir::Value gt(mlir::Value x, mlir::Value y) {
    return compare(mlir::arith::CmpFPredicate::OGT, x, y);
  }
  mlir::Value ge(mlir::Value x, mlir::Value y) {
    return compare(mlir::arith::CmpFPredicate::OGE, x, y);
  }
  mlir::Value le(mlir::Value x, mlir::Value y) {
    return compare(mlir::arith::CmpFPredicate::OLE, x, y);
  }
  mlir::Value select(mlir::Value cond, mlir::Value x, mlir::Value y) {
    return b.create<mlir::arith::SelectOp>(loc, cond, x, y);
  }
  /// -1, 0 or 1 (0 at 0, as torch.sign).
  mlir::Value sign(mlir::Value x) {
    mlir::Value zero = c(0.0);
    mlir::Value isZero = compare(mlir::arith::CmpFPredicate::OEQ, x, zero);
    mlir::Value sign = b.create<mlir::math::CopySignOp>(loc, c(1.0), x);
    return select(isZero, zero, sign);
  }
  mlir::Value sigmoid(mlir::Value x) {
    return div(c(1.0), add(c(1.0), exp(neg(x))));
  }
};

} // namespace kiln

#endif // KILN_DIALECT_NN_FLOATBUILDER_H
