//===- TrainingTest.cpp - Several train_steps of a full network -----------===//
//
// The other tests check one step of every op (sgd) and many steps of every
// optimizer (on a closed-form model). Here they meet: six train_steps of a
// network with batch norm, dropout and layer norm under Adam with weight
// decay and a step-decay schedule, on fresh batches, against a float64
// run: gradients by central differences of the reference loss (masks of the
// same seed and step), the optimizer formulas of reference/Optimizer.cpp,
// and batch norm's running-statistics update. After every step the whole
// state (params, running statistics, Adam's buffers) is compared.
//
// Tolerance: 1e-4 * max(1, |ref|). The finite differences are exact to
// ~1e-9, the compiled float32 gradients to ~1e-6 relative; Adam divides by
// sqrt(v), so elements with small gradients carry that relative error into
// their step (lr 0.01: ~1e-8), and six steps add up to well below 1e-5. A
// wrong piece (masks of the wrong step, statistics not updated, the
// schedule or weight decay missing) moves some element by ~lr = 1e-2.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "reference/Optimizer.h"

#include <numeric>

using namespace kiln;
using namespace kiln::e2e;

namespace {

constexpr double kTol = 1e-4;
constexpr int64_t kSteps = 6, kSeed = 13;

TEST(Training, SixAdamStepsThroughNormsAndDropout) {
  const CompiledModel &cm = CompiledModel::get(specPath("training.kiln"));
  const Model &model = cm.model();
  const Reference &ref = cm.reference();
  State state = cm.randomState(21);
  RefStates states = cm.toRef(state);
  std::vector<RefOptimizer> opts;
  for (const StateTensor &st : model.states)
    opts.emplace_back(model.training, Tensor::numel(st.shape), st.shape.size());

  std::mt19937_64 rng(5);
  for (int64_t step = 1; step <= kSteps; ++step) {
    int64_t epoch = (step - 1) / 2;
    SCOPED_TRACE("step " + std::to_string(step));
    std::vector<double> x =
        uniformVector(rng, ref.batchSize() * ref.inputDim(), -1, 1);
    std::vector<double> y = randomTargets(model, rng, ref.batchSize());
    float loss =
        cm.trainStep(state, toFloat(x), toFloat(y), step, epoch, kSeed);

    RefResult r = ref.run(states, x, y, Mode::Training, kSeed, step);
    EXPECT_NEAR(loss, r.meanLoss, kTol * std::max(1.0, r.meanLoss));
    // All gradients first (at the old weights), then the updates.
    std::vector<std::vector<double>> grads(model.states.size());
    for (size_t t = 0; t < model.states.size(); ++t) {
      if (model.states[t].role != StateRole::Parameter)
        continue;
      std::vector<size_t> all(states[t].size());
      std::iota(all.begin(), all.end(), 0);
      grads[t] = finiteDifferences(ref, states, t, all, x, y, kSeed, step);
    }
    for (size_t t = 0; t < model.states.size(); ++t)
      if (model.states[t].role == StateRole::Parameter)
        opts[t].update(states[t], grads[t], step, epoch);
    updateRunningStats(model, r, states);

    for (size_t t = 0; t < model.states.size(); ++t) {
      const std::string &name = model.states[t].name;
      EXPECT_TRUE(allClose(toFloat(cm.read(state, name)), states[t], kTol))
          << name;
      if (model.states[t].role != StateRole::Parameter)
        continue;
      for (const auto &[suffix, values] : opts[t].stateTensors())
        EXPECT_TRUE(allClose(toFloat(cm.read(state, name + "." + suffix)),
                             *values, kTol))
            << name << "." << suffix;
    }
  }
}

} // namespace
