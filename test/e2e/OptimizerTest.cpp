//===- OptimizerTest.cpp - Optimizer and schedule trajectories ------------===//
//
// pred = x * w with a param w: [3] and mse against real(3) targets, so the
// gradient is known in closed form:
//   L = 1/B sum_b 1/3 sum_k (x_bk w_k - y_bk)^2
//   dL/dw_k = 2 / (3 B) sum_b (x_bk w_k - y_bk) x_bk.
// For each optimizer (defaults and other hyperparameters), each schedule and
// with weight decay, 8 train_steps on fresh random batches (epochs 0,0,1,1,
// 2,2,3,3, so step_decay boundaries are crossed) are compared after every
// step with a float64 trajectory computed from the formulas
// (reference/Optimizer.cpp): w, every optimizer state tensor, and the loss.
//
// Tolerance: |compiled - ref| <= 2e-5 * max(1, |ref|). Each step is a few
// float32 operations per element (relative error ~1e-7 each); over 8 steps
// the float32 trajectory drifts from the float64 one by ~1e-6, while a
// wrong formula (a missing bias correction, a wrong decay exponent, a
// schedule applied to the wrong epoch) moves w by ~lr.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "reference/Optimizer.h"

using namespace kiln;
using namespace kiln::e2e;

namespace {

constexpr double kTrajectoryTol = 2e-5;
constexpr int kSteps = 8;
constexpr int64_t kBatch = 2;

struct OptimizerCase {
  const char *name; // also the model's name
  const char *optimizer;
  const char *schedule = "constant";
  double weightDecay = 0;
};

std::ostream &operator<<(std::ostream &os, const OptimizerCase &c) {
  return os << c.name;
}

std::string specFor(const OptimizerCase &c) {
  return std::string("model ") + c.name +
         "\n"
         "input x: [3]\n"
         "target y: real(3)\n"
         "param w: [3] = uniform(-1, 1)\n"
         "loss mse(x * w, y)\n"
         "train {\n"
         "  optimizer = " +
         c.optimizer + "\n  schedule = " + c.schedule +
         "\n  weight_decay = " + std::to_string(c.weightDecay) +
         "\n  batch_size = " + std::to_string(kBatch) + "\n}\n";
}

std::vector<double> closedFormGradient(const std::vector<double> &w,
                                       const std::vector<double> &x,
                                       const std::vector<double> &y) {
  std::vector<double> g(3, 0.0);
  for (int64_t b = 0; b < kBatch; ++b)
    for (int k = 0; k < 3; ++k)
      g[k] += 2.0 / (3 * kBatch) * (x[b * 3 + k] * w[k] - y[b * 3 + k]) *
              x[b * 3 + k];
  return g;
}

double closedFormLoss(const std::vector<double> &w,
                      const std::vector<double> &x,
                      const std::vector<double> &y) {
  double l = 0;
  for (int64_t b = 0; b < kBatch; ++b)
    for (int k = 0; k < 3; ++k) {
      double d = x[b * 3 + k] * w[k] - y[b * 3 + k];
      l += d * d / (3 * kBatch);
    }
  return l;
}

class Trajectory : public ::testing::TestWithParam<OptimizerCase> {};

TEST_P(Trajectory, EveryStepMatchesTheFormulas) {
  const CompiledModel &cm = CompiledModel::fromText(specFor(GetParam()));
  const Training &training = cm.model().training;
  State state = cm.initState(5);
  std::vector<double> w = cm.read(state, "w");
  RefOptimizer opt(training, w.size());
  for (const auto &[suffix, values] : opt.stateTensors())
    EXPECT_EQ(cm.tensor("w." + suffix).role, KILN_ROLE_OPTIMIZER) << suffix;

  std::mt19937_64 rng(77);
  for (int64_t step = 1; step <= kSteps; ++step) {
    int64_t epoch = (step - 1) / 2;
    SCOPED_TRACE("step " + std::to_string(step) + ", epoch " +
                 std::to_string(epoch) + ", lr " +
                 std::to_string(scheduledLR(training, epoch)));
    std::vector<double> x = uniformVector(rng, kBatch * 3, -1.5, 1.5);
    std::vector<double> y = uniformVector(rng, kBatch * 3, -1, 1);
    float loss = cm.trainStep(state, toFloat(x), toFloat(y), step, epoch,
                              /*seed=*/0);
    double refLoss = closedFormLoss(w, x, y);
    EXPECT_NEAR(loss, refLoss, kTrajectoryTol * std::max(1.0, refLoss));
    opt.update(w, closedFormGradient(w, x, y), step, epoch);
    EXPECT_TRUE(allClose(toFloat(cm.read(state, "w")), w, kTrajectoryTol))
        << "w";
    for (const auto &[suffix, values] : opt.stateTensors())
      EXPECT_TRUE(allClose(toFloat(cm.read(state, "w." + suffix)), *values,
                           kTrajectoryTol))
          << "w." << suffix;
  }
}

// The default hyperparameters (bare names and empty argument lists), other
// hyperparameters, every schedule with several optimizers, weight decay.
const OptimizerCase kCases[] = {
    {"sgd_default", "sgd"},
    {"sgd_lr", "sgd(lr = 0.3)"},
    {"momentum_default", "momentum"},
    {"momentum_custom", "momentum(lr = 0.05, momentum = 0.5)"},
    {"nesterov_default", "nesterov()"},
    {"nesterov_custom", "nesterov(lr = 0.05, momentum = 0.7)"},
    {"adagrad_default", "adagrad"},
    {"adagrad_custom", "adagrad(lr = 0.1, eps = 1e-3)"},
    {"rmsprop_default", "rmsprop"},
    {"rmsprop_custom", "rmsprop(lr = 0.02, rho = 0.9, eps = 1e-4)"},
    {"adam_default", "adam"},
    {"adam_custom", "adam(lr = 0.05, beta1 = 0.8, beta2 = 0.99, eps = 1e-3)"},
    {"step_decay_sgd", "sgd(lr = 0.2)", "step_decay(step_size = 2, gamma = 0.5)"},
    {"step_decay_default_gamma", "momentum(lr = 0.1)", "step_decay(step_size = 3)"},
    {"step_decay_adam", "adam(lr = 0.05)", "step_decay(step_size = 2, gamma = 0.3)"},
    {"exp_decay_gamma", "sgd(lr = 0.2)", "exponential_decay(gamma = 0.8)"},
    {"exp_decay_k", "nesterov(lr = 0.1)", "exponential_decay(k = 0.3)"},
    {"exp_decay_rmsprop", "rmsprop(lr = 0.02)", "exponential_decay(k = 0.5)"},
    {"weight_decay_sgd", "sgd(lr = 0.2)", "constant", 0.1},
    {"weight_decay_momentum", "momentum(lr = 0.1)", "constant", 0.05},
    {"weight_decay_adagrad", "adagrad(lr = 0.1)", "constant", 0.2},
    {"weight_decay_adam", "adam(lr = 0.05)", "step_decay(step_size = 2)", 0.3},
};

INSTANTIATE_TEST_SUITE_P(
    Optimizers, Trajectory, ::testing::ValuesIn(kCases),
    [](const ::testing::TestParamInfo<OptimizerCase> &i) {
      return std::string(i.param.name);
    });

// Adam's bias correction at t = 1: m_hat = g and v_hat = g^2, so every
// element with a nonzero gradient moves by lr exactly (up to eps / |g|).
TEST(Adam, BiasCorrectionMakesTheFirstStepLr) {
  const double lr = 0.1;
  const CompiledModel &cm = CompiledModel::fromText(
      specFor({"adam_first_step", "adam(lr = 0.1)"}));
  State state = cm.initState(9);
  std::vector<double> w0 = cm.read(state, "w");
  std::vector<double> x = {0.5, -1.0, 1.5, 1.0, 0.25, -0.75};
  std::vector<double> y = {0.3, 0.1, -0.2, -0.4, 0.9, 0.0};
  std::vector<double> g = closedFormGradient(w0, x, y);
  cm.trainStep(state, toFloat(x), toFloat(y), /*step=*/1, /*epoch=*/0, 0);
  std::vector<double> w1 = cm.read(state, "w");
  for (int k = 0; k < 3; ++k) {
    ASSERT_GT(std::fabs(g[k]), 1e-3) << "pick inputs with a gradient";
    // Against the float32 rounding of w - lr (|w| <= 1: ulp 1.2e-7).
    EXPECT_NEAR(std::fabs(w1[k] - w0[k]), lr, 1e-6) << "element " << k;
    EXPECT_EQ(w1[k] < w0[k], g[k] > 0) << "element " << k << " moves downhill";
  }
}

} // namespace
