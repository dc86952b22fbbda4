//===- GradientTest.cpp - Compiled gradients against finite differences ---===//
//
// Each op-family spec is compiled with sgd(lr = 1.0) and no weight decay,
// so one train_step turns every parameter w into w - g: the compiled
// gradient is g = w_before - w_after. It is compared with central finite
// differences of the float64 reference's training-mode loss (the same
// dropout masks for the same seed and step, batch statistics for batch
// norm), with h = 1e-6.
//
// Tolerance: |g - g_fd| <= 1e-3 * max(1e-2, |g_fd|) + 1e-5.
//  - g_fd: float64 with h = 1e-6 has truncation error ~h^2 |f'''| (~1e-12)
//    and rounding error ~1e-16 / h (~1e-10): exact for our purpose.
//  - g: the compiled forward and backward run in float32 (relative error a
//    few 1e-7 per op), and reading g back as w_before - w_after costs the
//    rounding of w - g, half an ulp of |w| <= ~2, i.e. <= 1.2e-7 absolute.
//  So honest float32 results sit near 1e-6 relative + 1e-7 absolute; the
//  bound leaves an order of magnitude for the generated code's exp/erf/tanh
//  approximations, while a wrong derivative rule is off by O(|g|).
// Inputs are redrawn until no relu/leaky_relu/abs/mae/huber argument lies
// within 1e-3 of its kink, where neither side's number is meaningful.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include <algorithm>
#include <numeric>

using namespace kiln;
using namespace kiln::e2e;

namespace {

constexpr double kFDStep = 1e-6;
constexpr double kRelTol = 1e-3, kAbsTol = 1e-5;
constexpr double kKinkMargin = 1e-3;
/// Tensors with more elements are checked on a random sample this large.
constexpr size_t kMaxCheckedElements = 48;
constexpr int64_t kStep = 3, kSeed = 11;

class Gradient : public ::testing::TestWithParam<SpecCase> {};

/// The elements of a tensor to check: all of a small one, a fixed random
/// sample of a big one.
std::vector<size_t> elementsToCheck(size_t numel, std::mt19937_64 &rng) {
  std::vector<size_t> idx(numel);
  std::iota(idx.begin(), idx.end(), 0);
  if (numel > kMaxCheckedElements) {
    std::shuffle(idx.begin(), idx.end(), rng);
    idx.resize(kMaxCheckedElements);
    std::sort(idx.begin(), idx.end());
  }
  return idx;
}

TEST_P(Gradient, SgdStepMatchesFiniteDifferences) {
  const CompiledModel &cm = CompiledModel::get(specPath(GetParam().file));
  const Model &model = cm.model();
  const Reference &ref = cm.reference();
  ASSERT_EQ(model.training.optimizer.kind, OptimizerKind::SGD);
  ASSERT_EQ(model.training.optimizer.lr, 1.0);
  ASSERT_EQ(model.training.weightDecay, 0.0);
  ASSERT_EQ(model.training.schedule.kind, ScheduleKind::Constant);

  // Weights and a batch that keep every kink at a distance.
  std::mt19937_64 rng(4321);
  State before;
  std::vector<double> x, y;
  RefResult r;
  for (int attempt = 0;; ++attempt) {
    ASSERT_LT(attempt, 50) << "no inputs away from the kinks";
    before = cm.randomState(500 + attempt);
    x = uniformVector(rng, ref.batchSize() * ref.inputDim(), GetParam().xLow,
                      GetParam().xHigh);
    y = randomTargets(model, rng, ref.batchSize());
    r = ref.run(cm.toRef(before), x, y, Mode::Training, kSeed, kStep);
    if (r.kinkDistance > kKinkMargin)
      break;
  }

  State after = before;
  float loss = cm.trainStep(after, toFloat(x), toFloat(y), kStep, 0, kSeed);
  EXPECT_NEAR(loss, r.meanLoss, 1e-4 * std::max(1.0, std::fabs(r.meanLoss)))
      << "train_step's loss (training mode, before the update)";

  RefStates states = cm.toRef(before);
  auto lossAt = [&](RefStates &s) {
    return ref.run(s, x, y, Mode::Training, kSeed, kStep).meanLoss;
  };
  for (size_t t = 0; t < model.states.size(); ++t) {
    const StateTensor &st = model.states[t];
    if (st.role != StateRole::Parameter)
      continue;
    std::vector<double> w0 = cm.read(before, st.name);
    std::vector<double> w1 = cm.read(after, st.name);
    int bad = 0;
    for (size_t i : elementsToCheck(w0.size(), rng)) {
      double saved = states[t][i];
      states[t][i] = saved + kFDStep;
      double up = lossAt(states);
      states[t][i] = saved - kFDStep;
      double down = lossAt(states);
      states[t][i] = saved;
      double fd = (up - down) / (2 * kFDStep), g = w0[i] - w1[i];
      double tol = kRelTol * std::max(1e-2, std::fabs(fd)) + kAbsTol;
      if (std::fabs(g - fd) > tol && bad++ < 6)
        ADD_FAILURE() << st.name << "[" << i << "]: compiled gradient " << g
                      << ", finite difference " << fd << " (error "
                      << std::fabs(g - fd) << " > " << tol << ")";
    }
    EXPECT_EQ(bad, 0) << bad << " elements of " << st.name << " disagree";
  }

  // Batch norm's running statistics move towards the batch's: mean and
  // unbiased variance, with PyTorch's momentum convention.
  for (const BatchStats &stats : r.batchStats) {
    const Node &n = model.nodes[stats.node];
    const std::string &meanName = model.states[n.states[2]].name;
    const std::string &varName = model.states[n.states[3]].name;
    std::vector<double> m0 = cm.read(before, meanName);
    std::vector<double> v0 = cm.read(before, varName);
    std::vector<double> m1(m0.size()), v1(v0.size());
    for (size_t j = 0; j < m0.size(); ++j) {
      m1[j] = (1 - n.momentum) * m0[j] + n.momentum * stats.mean[j];
      v1[j] = (1 - n.momentum) * v0[j] + n.momentum * stats.unbiasedVar[j];
    }
    std::vector<double> got = cm.read(after, meanName);
    EXPECT_TRUE(allClose(toFloat(got), m1, 1e-5)) << meanName;
    got = cm.read(after, varName);
    EXPECT_TRUE(allClose(toFloat(got), v1, 1e-5)) << varName;
  }
}

INSTANTIATE_TEST_SUITE_P(Specs, Gradient, ::testing::ValuesIn(opFamilySpecs()),
                         specCaseName);

} // namespace
