//===- ForwardTest.cpp - Compiled inference agrees with the reference -----===//
//
// eval_step (per-sample losses and outputs) and predict of every op-family
// spec, on random weights (batch-norm running statistics included) and
// random inputs, against the float64 reference in inference mode.
//
// Tolerance: |compiled - ref| <= 1e-4 * max(1, |ref|). The compiled code is
// float32 throughout (epsilon 6e-8) and the specs are a few layers deep with
// sums of at most ~64 terms, so honest rounding stays near 1e-6; 1e-4 leaves
// room for the approximations of exp/erf/tanh in the generated code, and is
// still far below what any wrong formula (a missing term, a wrong constant,
// a transposed weight) produces.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include <cstdio>

using namespace kiln;
using namespace kiln::e2e;

namespace {

constexpr double kForwardTol = 1e-4;

class Forward : public ::testing::TestWithParam<SpecCase> {
protected:
  const CompiledModel &compiled() const {
    return CompiledModel::get(specPath(GetParam().file));
  }
  std::vector<double> randomInputs(std::mt19937_64 &rng, int64_t rows) const {
    const Model &m = compiled().model();
    return uniformVector(rng, rows * m.input.size, GetParam().xLow,
                         GetParam().xHigh);
  }
};

TEST_P(Forward, DescriptorDescribesTheSpec) {
  const CompiledModel &cm = compiled();
  const kiln_model &abi = cm.abi();
  const Reference &ref = cm.reference();
  EXPECT_EQ(abi.name, cm.model().name);
  EXPECT_EQ(abi.batch_size, ref.batchSize());
  EXPECT_EQ(abi.input_dim, ref.inputDim());
  EXPECT_EQ(abi.target_dim, ref.targetDim());
  EXPECT_EQ(abi.output_dim, ref.outputDim());
  EXPECT_EQ(abi.target_kind, (int32_t)cm.model().target.kind);
  // Every state of the spec is in the table, with its shape and role.
  for (const StateTensor &st : cm.model().states) {
    const kiln_tensor_info &ti = cm.tensor(st.name);
    EXPECT_EQ(std::vector<int64_t>(ti.shape, ti.shape + ti.rank), st.shape)
        << st.name;
    EXPECT_EQ(ti.role, (int32_t)st.role) << st.name;
  }
}

TEST_P(Forward, EvalStepAndPredictAgreeWithTheReference) {
  const CompiledModel &cm = compiled();
  const Reference &ref = cm.reference();
  std::mt19937_64 rng(1234);
  for (int trial = 0; trial < 3; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    State state = cm.randomState(100 + trial);
    std::vector<double> x = randomInputs(rng, ref.batchSize());
    std::vector<double> y = randomTargets(cm.model(), rng, ref.batchSize());
    RefResult r = ref.run(cm.toRef(state), x, y, Mode::Inference);

    std::vector<float> loss, out;
    cm.evalStep(state, toFloat(x), toFloat(y), loss, out);
    EXPECT_TRUE(allClose(loss, r.sampleLoss, kForwardTol)) << "eval_step loss";
    EXPECT_TRUE(allClose(out, r.output, kForwardTol)) << "eval_step output";
    EXPECT_TRUE(allClose(cm.predict(state, toFloat(x)), r.output, kForwardTol))
        << "predict";
  }
}

// kiln_ctx_predict on a number of rows that is no multiple of the batch
// size: the runtime pads the last batch, and the padding must not leak into
// the real rows (inference is row-independent, batch norm included).
TEST_P(Forward, ContextPredictPadsTheLastBatch) {
  const CompiledModel &cm = compiled();
  const Reference &ref = cm.reference();
  State state = cm.randomState(7);
  std::string weights = makeScratchDir("ctx") + "/w.safetensors";
  cm.saveCheckpoint(state, weights);

  kiln_ctx *ctx = nullptr;
  kiln_error err;
  ASSERT_EQ(kiln_ctx_create(&cm.abi(), &ctx, &err), KILN_OK) << err.message;
  ASSERT_EQ(kiln_ctx_load(ctx, weights.c_str()), KILN_OK)
      << kiln_ctx_last_error(ctx);
  std::mt19937_64 rng(99);
  int64_t rows = 2 * ref.batchSize() + ref.batchSize() / 2 + 1;
  std::vector<double> x = randomInputs(rng, rows);
  std::vector<float> out(rows * ref.outputDim());
  ASSERT_EQ(kiln_ctx_predict(ctx, toFloat(x).data(), rows, out.data()),
            KILN_OK)
      << kiln_ctx_last_error(ctx);
  kiln_ctx_destroy(ctx);
  EXPECT_TRUE(allClose(out, ref.predictRows(cm.toRef(state), x, rows),
                       kForwardTol));
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
