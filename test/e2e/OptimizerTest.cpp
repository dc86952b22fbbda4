//===- OptimizerTest.cpp - Optimizer and schedule trajectories ------------===//
//
// pred = x * w + x @ v with params w: [K] and v: [K, K] and mse against
// real(K) targets, so the gradient is known in closed form (r = pred - y):
//   L = 1/(B K) sum_b sum_k r_bk^2
//   dL/dw_k = 2/(B K) sum_b r_bk x_bk,  dL/dv_jk = 2/(B K) sum_b x_bj r_bk.
// K = 19 gives the fused update kernels a vector body and a tail, for a
// vector and a matrix param. For each optimizer (defaults and other
// hyperparameters), each schedule per epoch and per step, with a warmup,
// with weight decay in both scopes (w has rank 1: it decays only in scope
// `all`; v always does), AdamW and clip_norm, 8 train_steps on fresh random
// batches (epochs 0,0,1,1,2,2,3,3, so step_decay boundaries are crossed) are
// compared after every step with a float64 trajectory computed from the
// formulas (reference/Optimizer.cpp): both params, every optimizer state
// tensor, and the loss.
//
// Tolerance: |compiled - ref| <= 1e-5 * max(1, |ref|). Each step is a few
// float32 operations per element (relative error ~1e-7 each); over 8 steps
// the float32 trajectory drifts from the float64 one by ~1e-6 (measured:
// every case passes at 1e-6), while a wrong formula (a missing bias
// correction, a wrong decay exponent, a schedule applied to the wrong
// epoch) moves w by ~lr.
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "reference/Optimizer.h"

using namespace kiln;
using namespace kiln::e2e;

namespace {

constexpr double kTrajectoryTol = 1e-5;
constexpr int kSteps = 8;
constexpr int64_t kBatch = 2, K = 19;

struct OptimizerCase {
  const char *name; // also the model's name
  const char *optimizer;
  const char *schedule = "constant";
  double weightDecay = 0;
  const char *extra = ""; // more train settings
};

std::ostream &operator<<(std::ostream &os, const OptimizerCase &c) {
  return os << c.name;
}

std::string specFor(const OptimizerCase &c) {
  std::string k = std::to_string(K);
  return std::string("model ") + c.name + "\ninput x: [" + k +
         "]\ntarget y: real(" + k + ")\nparam w: [" + k +
         "] = uniform(-1, 1)\nparam v: [" + k + ", " + k +
         "]\nloss mse(x * w + x @ v, y)\ntrain {\n  optimizer = " +
         c.optimizer + "\n  schedule = " + c.schedule +
         "\n  weight_decay = " + std::to_string(c.weightDecay) +
         "\n  batch_size = " + std::to_string(kBatch) + "\n  " + c.extra +
         "\n}\n";
}

/// The params by name, in float64.
struct Params {
  std::vector<double> w, v;
};

/// The residuals r = x * w + x @ v - y of a batch, [B, K].
std::vector<double> residuals(const Params &p, const std::vector<double> &x,
                              const std::vector<double> &y) {
  std::vector<double> r(kBatch * K);
  for (int64_t b = 0; b < kBatch; ++b)
    for (int64_t k = 0; k < K; ++k) {
      double pred = x[b * K + k] * p.w[k];
      for (int64_t j = 0; j < K; ++j)
        pred += x[b * K + j] * p.v[j * K + k];
      r[b * K + k] = pred - y[b * K + k];
    }
  return r;
}

double closedFormLoss(const Params &p, const std::vector<double> &x,
                      const std::vector<double> &y) {
  double l = 0;
  for (double r : residuals(p, x, y))
    l += r * r / (kBatch * K);
  return l;
}

Params closedFormGradient(const Params &p, const std::vector<double> &x,
                          const std::vector<double> &y) {
  std::vector<double> r = residuals(p, x, y);
  Params g{std::vector<double>(K, 0.0), std::vector<double>(K * K, 0.0)};
  const double c = 2.0 / (kBatch * K);
  for (int64_t b = 0; b < kBatch; ++b)
    for (int64_t k = 0; k < K; ++k) {
      g.w[k] += c * r[b * K + k] * x[b * K + k];
      for (int64_t j = 0; j < K; ++j)
        g.v[j * K + k] += c * x[b * K + j] * r[b * K + k];
    }
  return g;
}

class Trajectory : public ::testing::TestWithParam<OptimizerCase> {};

TEST_P(Trajectory, EveryStepMatchesTheFormulas) {
  const CompiledModel &cm =
      CompiledModel::fromText(specFor(GetParam()), {kOneRowBlock});
  const Training &training = cm.model().training;
  State state = cm.initState(5);
  Params p{cm.read(state, "w"), cm.read(state, "v")};
  RefOptimizer optW(training, p.w.size(), 1), optV(training, p.v.size(), 2);
  const std::pair<const char *, RefOptimizer *> opts[] = {{"w", &optW},
                                                          {"v", &optV}};
  for (const auto &[param, opt] : opts)
    for (const auto &[suffix, values] : opt->stateTensors())
      EXPECT_EQ(cm.tensor(std::string(param) + "." + suffix).role,
                KILN_ROLE_OPTIMIZER)
          << param << "." << suffix;

  std::mt19937_64 rng(77);
  for (int64_t step = 1; step <= kSteps; ++step) {
    int64_t epoch = (step - 1) / 2;
    SCOPED_TRACE("step " + std::to_string(step) + ", epoch " +
                 std::to_string(epoch) + ", lr " +
                 std::to_string(scheduledLR(training, step, epoch)));
    std::vector<double> x = uniformVector(rng, kBatch * K, -1.5, 1.5);
    std::vector<double> y = uniformVector(rng, kBatch * K, -1, 1);
    float loss = cm.trainStep(state, toFloat(x), toFloat(y), step, epoch,
                              /*seed=*/0);
    double refLoss = closedFormLoss(p, x, y);
    EXPECT_NEAR(loss, refLoss, kTrajectoryTol * std::max(1.0, refLoss));
    Params g = closedFormGradient(p, x, y);
    double clip = clipFactor(training, {&g.w, &g.v});
    for (std::vector<double> *grad : {&g.w, &g.v})
      for (double &e : *grad)
        e *= clip;
    optW.update(p.w, g.w, step, epoch);
    optV.update(p.v, g.v, step, epoch);
    EXPECT_TRUE(allClose(toFloat(cm.read(state, "w")), p.w, kTrajectoryTol))
        << "w";
    EXPECT_TRUE(allClose(toFloat(cm.read(state, "v")), p.v, kTrajectoryTol))
        << "v";
    for (const auto &[param, opt] : opts)
      for (const auto &[suffix, values] : opt->stateTensors()) {
        std::string name = std::string(param) + "." + suffix;
        EXPECT_TRUE(allClose(toFloat(cm.read(state, name)), *values,
                             kTrajectoryTol))
            << name;
      }
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
    {"weight_decay_all", "momentum(lr = 0.1)", "constant", 0.05,
     "weight_decay_scope = all"},
    {"adamw_default", "adamw(lr = 0.05)"},
    {"adamw_all", "adamw(lr = 0.05, weight_decay = 0.2, beta2 = 0.99)",
     "exponential_decay(gamma = 0.7, per = step)", 0,
     "weight_decay_scope = all"},
    {"step_decay_per_step", "sgd(lr = 0.2)",
     "step_decay(step_size = 3, gamma = 0.5, per = step)"},
    {"linear_decay_epoch", "sgd(lr = 0.2)",
     "linear_decay(iters = 3, end_factor = 0.2, start_factor = 0.9)"},
    {"linear_decay_step", "rmsprop(lr = 0.02)",
     "linear_decay(iters = 5, per = step)"},
    {"cosine_epoch", "momentum(lr = 0.1)", "cosine(min_lr = 0.01)"},
    {"cosine_step", "adam(lr = 0.05)", "cosine(t_max = 6, per = step)"},
    {"warmup_cosine_step", "adamw(lr = 0.05)",
     "cosine(t_max = 5, min_lr = 0.001, per = step)", 0,
     "warmup(iters = 3, start_factor = 0.1)"},
    {"warmup_epoch", "sgd(lr = 0.2)", "step_decay(step_size = 1, gamma = 0.5)",
     0, "warmup(iters = 2)"},
    {"clip_sgd", "sgd(lr = 0.3)", "constant", 0, "clip_norm = 0.5"},
    {"clip_adam_decay", "adam(lr = 0.05)", "constant", 0.1,
     "clip_norm = 1.0"},
};

INSTANTIATE_TEST_SUITE_P(
    Optimizers, Trajectory, ::testing::ValuesIn(kCases),
    [](const ::testing::TestParamInfo<OptimizerCase> &i) {
      return std::string(i.param.name);
    });

// Adam's bias correction at t = 1: m_hat = g and v_hat = g^2, so every
// element with a nonzero gradient moves by lr |g| / (|g| + eps), i.e. lr up
// to eps / |g|.
TEST(Adam, BiasCorrectionMakesTheFirstStepLr) {
  const double lr = 0.1, eps = 1e-8;
  const CompiledModel &cm = CompiledModel::fromText(
      specFor({"adam_first_step", "adam(lr = 0.1)"}), {kOneRowBlock});
  State state = cm.initState(9);
  Params p0{cm.read(state, "w"), cm.read(state, "v")};
  std::mt19937_64 rng(8);
  std::vector<double> x = uniformVector(rng, kBatch * K, -1.5, 1.5);
  std::vector<double> y = uniformVector(rng, kBatch * K, -1, 1);
  Params g = closedFormGradient(p0, x, y);
  cm.trainStep(state, toFloat(x), toFloat(y), /*step=*/1, /*epoch=*/0, 0);
  Params p1{cm.read(state, "w"), cm.read(state, "v")};
  auto check = [&](const char *name, const std::vector<double> &w0,
                   const std::vector<double> &w1,
                   const std::vector<double> &grad) {
    for (size_t i = 0; i < w0.size(); ++i) {
      ASSERT_GT(std::fabs(grad[i]), 1e-6) << "pick inputs with a gradient";
      double expected = lr * std::fabs(grad[i]) / (std::fabs(grad[i]) + eps);
      // Against the float32 rounding of w - lr (|w| <= 1: ulp 1.2e-7).
      EXPECT_NEAR(std::fabs(w1[i] - w0[i]), expected, 1e-6)
          << name << "[" << i << "]";
      EXPECT_EQ(w1[i] < w0[i], grad[i] > 0)
          << name << "[" << i << "] moves downhill";
    }
  };
  check("w", p0.w, p1.w, g.w);
  check("v", p0.v, p1.v, g.v);
}

} // namespace
