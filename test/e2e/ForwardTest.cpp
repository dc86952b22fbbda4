//===- ForwardTest.cpp - Compiled inference agrees with the reference -----===//
//
// eval_step (per-sample losses and outputs), predict and kiln_ctx_predict of
// every op-family spec, on random weights (batch-norm running statistics
// included) and random inputs, against the float64 reference in inference
// mode; see Checks.h for the tolerance.
//
//===----------------------------------------------------------------------===//

#include "Checks.h"
#include "TestUtil.h"

using namespace kiln;
using namespace kiln::e2e;

namespace {

class Forward : public ::testing::TestWithParam<SpecCase> {
protected:
  const CompiledModel &compiled() const {
    return CompiledModel::get(specPath(GetParam().file));
  }
};

TEST_P(Forward, DescriptorDescribesTheSpec) { checkDescriptor(compiled()); }

TEST_P(Forward, EvalStepAndPredictAgreeWithTheReference) {
  checkForward(compiled(), GetParam().xLow, GetParam().xHigh);
}

TEST_P(Forward, ContextPredictsAndEvaluatesEveryRowCountFrom1To300) {
  checkContextPredict(compiled(), GetParam().xLow, GetParam().xHigh);
}

INSTANTIATE_TEST_SUITE_P(Specs, Forward, ::testing::ValuesIn(opFamilySpecs()),
                         specCaseName);

// Initialization is the runtime's (its unit tests check the streams); here
// only that a compiled model's table carries the spec's initializer and
// fan-in through: he_uniform draws lie in +-sqrt(6 / fan_in) and fill it.
TEST(Init, HeUniformWeightsOfACompiledModelHaveTheirBounds) {
  const CompiledModel &cm = CompiledModel::get(specPath("classifier.kiln"));
  for (const char *name : {"l1.dense0.weight", "l2.dense0.weight"}) {
    SCOPED_TRACE(name);
    const kiln_tensor_info &ti = cm.tensor(name);
    EXPECT_EQ(ti.init, KILN_INIT_HE_UNIFORM);
    EXPECT_EQ(ti.fan_in, ti.shape[1]); // dense weights are [out, in]
    double bound = std::sqrt(6.0 / (double)ti.shape[1]);
    std::vector<double> w = cm.read(cm.initState(3), name);
    double lo = 0, hi = 0, sum = 0, sumSq = 0;
    for (double v : w) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      sum += v;
      sumSq += v * v;
    }
    double n = (double)w.size(), mean = sum / n;
    EXPECT_GE(lo, -bound);
    EXPECT_LE(hi, bound);
    EXPECT_LT(lo, -0.9 * bound); // the whole range is used
    EXPECT_GT(hi, 0.9 * bound);
    // U(-a, a): mean 0, variance a^2 / 3; n >= 855, so 5 standard errors.
    EXPECT_NEAR(mean, 0.0, 5 * bound / std::sqrt(3 * n));
    EXPECT_NEAR(sumSq / n - mean * mean, bound * bound / 3,
                0.15 * bound * bound / 3);
  }
}

} // namespace
