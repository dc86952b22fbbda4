//===- ScalarMath.h - Scalar formulas shared by the lowerings ---*- C++ -*-===//
//
// Each activation and its derivative, and the Philox generator, written
// once as scalar arith/math code, for the bodies of linalg.generic ops:
// the activation ops, the gradient ops and the fused dense epilogues all
// call these, so a formula cannot drift between them.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CONVERSION_SCALARMATH_H
#define KILN_CONVERSION_SCALARMATH_H

#include "kiln/Dialect/NN/NNDialect.h"

#include "mlir/IR/Builders.h"

#include <array>

namespace kiln {

/// act(x) for an f32 scalar.
mlir::Value emitActivation(mlir::OpBuilder &b, mlir::Location loc,
                           nn::ActivationAttr act, mlir::Value x);

/// d act / dx at x, with PyTorch's conventions at the kinks: relu'(0) = 0,
/// leaky_relu'(0) = alpha.
mlir::Value emitActivationDerivative(mlir::OpBuilder &b, mlir::Location loc,
                                     nn::ActivationAttr act, mlir::Value x);

/// 1 / (1 + e^-x).
mlir::Value emitSigmoid(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x);

/// Philox4x32-10 on i32 scalars: counter (4 words) and key (2 words).
std::array<mlir::Value, 4> emitPhilox(mlir::OpBuilder &b, mlir::Location loc,
                                      std::array<mlir::Value, 4> counter,
                                      std::array<mlir::Value, 2> key);

/// Whether dropout keeps element `linearIndex` (i32) of stream `stream`
/// (i32) at `step` (i64) with `seed` (i64): the runtime's
/// kiln_dropout_keep(seed, stream, step, index, p), as an i1.
mlir::Value emitDropoutKeep(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value seed, mlir::Value step,
                            mlir::Value stream, mlir::Value linearIndex,
                            double p);

} // namespace kiln

#endif // KILN_CONVERSION_SCALARMATH_H
