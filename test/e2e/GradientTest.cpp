//===- GradientTest.cpp - Compiled gradients against finite differences ---===//
//
// Each op-family spec is compiled with sgd(lr = 1.0) and no weight decay,
// so one train_step turns every parameter w into w - g: the compiled
// gradient is g = w_before - w_after. It is compared with central finite
// differences of the float64 reference's training-mode loss (the same
// dropout masks for the same seed and step, batch statistics for batch
// norm), with h = 1e-6; see Checks.cpp for the tolerance.
//
//===----------------------------------------------------------------------===//

#include "Checks.h"
#include "TestUtil.h"

using namespace kiln::e2e;

namespace {

class Gradient : public ::testing::TestWithParam<SpecCase> {};

TEST_P(Gradient, SgdStepMatchesFiniteDifferences) {
  checkGradients(CompiledModel::get(specPath(GetParam().file)),
                 GetParam().xLow, GetParam().xHigh);
}

INSTANTIATE_TEST_SUITE_P(Specs, Gradient, ::testing::ValuesIn(opFamilySpecs()),
                         specCaseName);

} // namespace
