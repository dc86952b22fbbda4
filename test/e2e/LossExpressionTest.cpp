//===- LossExpressionTest.cpp - A builtin loss written by hand ------------===//
//
// A loss written as a block of the spec is differentiated like any other
// graph; written as the formula of a builtin, it must train exactly like
// the builtin's fused kernel. Each pair below shares its network and state
// names (so one initial state serves both); kSteps train_steps on the same
// random batches must agree in the loss and in every parameter after every
// step, and eval_step (per-row losses, outputs) and predict after them.
//
// Tolerance: |builtin - by hand| <= n * 1e-5 * max(1, |by hand|) after step
// n, as for fused against unfused code (FusionTest.cpp): both compute the
// same float32 formula, reassociated (the builtin sums a row's terms times
// 1/K in its reduction; the block sums them, then scales). A different
// formula (sum instead of mean, a wrong sign) is off by 1e-2 or more.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

using namespace kiln;
using namespace kiln::e2e;

namespace {

constexpr int kSteps = 4;
constexpr double kTol = 1e-5;

struct LossPair {
  const char *name;
  const char *target;  // the target declaration
  const char *builtin; // `loss` of the builtin, on `net`
  const char *block;   // the block and its `loss` line, on `net`
};

std::ostream &operator<<(std::ostream &os, const LossPair &p) {
  return os << p.name;
}

std::string spec(const LossPair &p, const std::string &name,
                 const std::string &loss) {
  return "model " + name + "\ninput x: [5]\ntarget y: " + p.target +
         "\nnet = x -> dense(6) -> tanh -> dense(3)\n" + loss +
         "\ntrain { optimizer = adam(lr = 0.05); batch_size = 4 }\n";
}

class ByHand : public ::testing::TestWithParam<LossPair> {};

TEST_P(ByHand, TrainsLikeTheBuiltin) {
  const LossPair &p = GetParam();
  const CompiledModel &builtin = CompiledModel::fromText(
      spec(p, std::string(p.name) + "_builtin", p.builtin), {kOneRowBlock});
  const CompiledModel &byHand = CompiledModel::fromText(
      spec(p, std::string(p.name) + "_by_hand", p.block), {kOneRowBlock});
  State a = builtin.initState(3), b = byHand.initState(3);
  ASSERT_EQ(a.size(), b.size());
  const Model &model = builtin.model();
  std::mt19937_64 rng(11);
  const int64_t B = model.training.batchSize;
  for (int64_t step = 1; step <= kSteps; ++step) {
    SCOPED_TRACE("step " + std::to_string(step));
    std::vector<float> x = toFloat(uniformVector(rng, B * 5, -2, 2));
    std::vector<float> y = toFloat(randomTargets(model, rng, B));
    float la = builtin.trainStep(a, x, y, step, 0, 0);
    float lb = byHand.trainStep(b, x, y, step, 0, 0);
    double tol = step * kTol;
    EXPECT_NEAR(la, lb, tol * std::max(1.0, (double)std::fabs(lb)));
    for (const StateTensor &s : model.states)
      EXPECT_TRUE(allClose(toFloat(builtin.read(a, s.name)),
                           byHand.read(b, s.name), tol))
          << s.name;
  }
  std::vector<float> x = toFloat(uniformVector(rng, B * 5, -2, 2));
  std::vector<float> y = toFloat(randomTargets(model, rng, B));
  std::vector<float> lossA(B), lossB(B), outA(B * 3), outB(B * 3);
  builtin.evalStep(a, x, y, lossA, outA);
  byHand.evalStep(b, x, y, lossB, outB);
  double tol = (kSteps + 1) * kTol;
  auto asDouble = [](const std::vector<float> &v) {
    return toDouble(v.data(), v.size());
  };
  EXPECT_TRUE(allClose(lossA, asDouble(lossB), tol)) << "per-row losses";
  EXPECT_TRUE(allClose(outA, asDouble(outB), tol)) << "eval outputs";
  EXPECT_TRUE(allClose(builtin.predict(a, x), asDouble(byHand.predict(b, x)),
                       tol))
      << "predict";
}

// Outputs that the builtins post-process (softmax, sigmoid) are compared
// on losses whose prediction is returned as is: mse, mae, and multilabel
// BCE on probabilities.
const LossPair kPairs[] = {
    {"mse", "real(3)", "loss mse(net, y)",
     "block f(p, t) {\n  d = p - t\n  return mean(d * d)\n}\nloss f(net, y)"},
    {"mse_sum", "real(3)", "loss mse(net, y, reduction = sum)",
     "block f(p, t) {\n  d = p - t\n  return mean(sum(d * d, axis = 1), "
     "axis = 0)\n}\nloss f(net, y)"},
    {"mae", "real(3)", "loss mae(net, y)",
     "block f(p, t) { return mean(abs(p - t)) }\nloss f(net, y)"},
    {"mlbce", "multilabel(3)", "loss multilabel_bce(net -> sigmoid, y)",
     "block f(p, t) {\n  l = t * log(p) + (1 - t) * log(1 - p)\n  return "
     "-mean(sum(l, axis = -1))\n}\nloss f(net -> sigmoid, y)"},
};

INSTANTIATE_TEST_SUITE_P(
    Losses, ByHand, ::testing::ValuesIn(kPairs),
    [](const ::testing::TestParamInfo<LossPair> &i) {
      return std::string(i.param.name);
    });

} // namespace
