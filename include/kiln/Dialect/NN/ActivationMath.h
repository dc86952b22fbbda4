//===- ActivationMath.h - Each activation and its derivative ----*- C++ -*-===//
//
// Each activation and its derivative, written once as scalar arith/math
// code: the activation ops, their gradient op, fused dense epilogues and
// fused elementwise kernels all build their bodies with these, so a
// formula cannot drift between them.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_NN_ACTIVATIONMATH_H
#define KILN_DIALECT_NN_ACTIVATIONMATH_H

#include "kiln/Dialect/NN/NNDialect.h"

#include "mlir/IR/Builders.h"

namespace kiln {

/// act(x) for an f32 scalar (or vector).
mlir::Value emitActivation(mlir::OpBuilder &b, mlir::Location loc,
                           nn::ActivationAttr act, mlir::Value x);

/// d act / dx at x, with PyTorch's conventions at the kinks: relu'(0) = 0,
/// leaky_relu'(0) = alpha, elu'(0) = alpha.
mlir::Value emitActivationDerivative(mlir::OpBuilder &b, mlir::Location loc,
                                     nn::ActivationAttr act, mlir::Value x);

/// Whether act'(x) is a function of y = act(x): true for relu, leaky_relu,
/// elu, sigmoid and tanh.
bool hasDerivativeFromOutput(nn::ActivationKind kind);

/// act'(x) from y = act(x), for the kinds of hasDerivativeFromOutput.
mlir::Value emitActivationDerivativeFromOutput(mlir::OpBuilder &b,
                                               mlir::Location loc,
                                               nn::ActivationAttr act,
                                               mlir::Value y);

/// dy * act'(x): the gradient through the activation, from its input x, or
/// with `fromOutput` from its output y = act(x) (see
/// emitActivationDerivativeFromOutput), passed as `value`.
mlir::Value emitActivationGrad(mlir::OpBuilder &b, mlir::Location loc,
                               nn::ActivationAttr act, bool fromOutput,
                               mlir::Value value, mlir::Value dy);

/// 1 / (1 + e^-x).
mlir::Value emitSigmoid(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x);

} // namespace kiln

#endif // KILN_DIALECT_NN_ACTIVATIONMATH_H
