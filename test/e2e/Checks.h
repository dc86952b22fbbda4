//===- Checks.h - Compiled model vs float64 reference checks -----*- C++ -*-===//
//
// The comparisons every spec goes through, shared by the op-family specs
// (ForwardTest, GradientTest) and the generated shape sweep (ShapeTest).
// Each reports through GoogleTest's EXPECT_* macros. Inputs are drawn
// uniformly in [xLow, xHigh].
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TEST_E2E_CHECKS_H
#define KILN_TEST_E2E_CHECKS_H

#include "CompiledModel.h"

namespace kiln::e2e {

/// Forward tolerance: |compiled - ref| <= kForwardTol * max(1, |ref|).
/// The compiled code is float32 throughout (epsilon 6e-8) and the specs are
/// a few layers deep with sums of at most ~100 terms, so honest rounding
/// stays near 1e-6: measured, every spec and shape passes at 1e-6 but for
/// a few outputs of the 64-wide shapes (1.1e-6). 2e-5 leaves a factor of
/// ~20 for the generated code's exp/erf/tanh approximations; a wrong formula
/// (a missing term, a wrong constant, eps or alpha, a transposed weight) is
/// off by far more.
constexpr double kForwardTol = 2e-5;

/// The descriptor's sizes, target kind and tensor table match the spec.
void checkDescriptor(const CompiledModel &cm);

/// eval_step (per-sample losses and outputs) and predict on random states
/// (batch-norm running statistics included) against the reference in
/// inference mode.
void checkForward(const CompiledModel &cm, double xLow, double xHigh);

/// kiln_ctx_predict on every row count from 1 to 300 against the reference
/// on the same rows: the runtime covers each count with the compiled row
/// blocks (kiln_model::predict_blocks), one row to 256 rows at a time;
/// and, unless the model is predict-only, kiln_ctx_evaluate's mean loss on
/// every row count from 1 to 300 against the reference's per-row losses
/// (kiln_model::eval_blocks after the whole batches).
void checkContextPredict(const CompiledModel &cm, double xLow, double xHigh);

/// The model must use sgd(lr = 1.0) without weight decay, so that one
/// train_step turns w into w - g. Compares g with central differences of
/// the reference's training-mode loss, the reported loss with the
/// reference's, and batch norm's running statistics with the update rule.
void checkGradients(const CompiledModel &cm, double xLow, double xHigh);

} // namespace kiln::e2e

#endif // KILN_TEST_E2E_CHECKS_H
