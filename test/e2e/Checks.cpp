//===- Checks.cpp - Compiled model vs float64 reference checks ------------===//
//
// Gradient tolerance: |g - g_fd| <= 2e-4 * max(1e-2, |g_fd|) + 2e-6.
//  - g_fd: float64 with h = 1e-6 has truncation error ~h^2 |f'''| (~1e-12)
//    and rounding error ~1e-16 / h (~1e-10): exact for our purpose.
//  - g: the compiled forward and backward run in float32 (relative error a
//    few 1e-7 per op), and reading g back as w_before - w_after costs the
//    rounding of w - g, half an ulp of |w| <= ~2, i.e. <= 1.2e-7 absolute.
//  Measured: every spec and shape passes at 1e-5 relative + 1e-7 absolute.
//  The bound leaves a factor of ~20 on both terms for the generated code's
//  math approximations, while a wrong derivative rule is off by O(|g|).
// Inputs are redrawn until no relu/leaky_relu/abs/mae/huber argument lies
// within 1e-3 of its kink, where neither side's number is meaningful.
//
//===----------------------------------------------------------------------===//

#include "Checks.h"
#include "TestUtil.h"

#include <algorithm>
#include <numeric>

using namespace kiln;
using namespace kiln::e2e;

namespace {

constexpr double kFDStep = 1e-6;
constexpr double kRelTol = 2e-4, kAbsTol = 2e-6;
constexpr double kKinkMargin = 1e-3;
/// Tensors with more elements are checked on a random sample this large.
constexpr size_t kMaxCheckedElements = 48;
/// train_step's step and seed: any values; the reference uses the same.
constexpr int64_t kStep = 3, kSeed = 11;

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

} // namespace

void kiln::e2e::checkDescriptor(const CompiledModel &cm) {
  const kiln_model &abi = cm.abi();
  const Reference &ref = cm.reference();
  EXPECT_EQ(abi.name, cm.model().name);
  EXPECT_EQ(abi.batch_size, ref.batchSize());
  EXPECT_EQ(abi.input_dim, ref.inputDim());
  EXPECT_EQ(abi.target_dim, ref.targetDim());
  EXPECT_EQ(abi.output_dim, ref.outputDim());
  EXPECT_EQ(abi.target_kind, (int32_t)cm.model().target.kind);
  for (const StateTensor &st : cm.model().states) {
    const kiln_tensor_info &ti = cm.tensor(st.name);
    EXPECT_EQ(std::vector<int64_t>(ti.shape, ti.shape + ti.rank), st.shape)
        << st.name;
    EXPECT_EQ(ti.role, (int32_t)st.role) << st.name;
  }
}

void kiln::e2e::checkForward(const CompiledModel &cm, double xLow,
                             double xHigh) {
  const Reference &ref = cm.reference();
  std::mt19937_64 rng(1234);
  for (int trial = 0; trial < 3; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    State state = cm.randomState(100 + trial);
    std::vector<double> x =
        uniformVector(rng, ref.batchSize() * ref.inputDim(), xLow, xHigh);
    std::vector<double> y = randomTargets(cm.model(), rng, ref.batchSize());
    RefResult r = ref.run(cm.toRef(state), x, y, Mode::Inference);

    std::vector<float> loss, out;
    const State copy = state;
    cm.poisonWorkspace();
    cm.evalStep(state, toFloat(x), toFloat(y), loss, out);
    EXPECT_TRUE(allClose(loss, r.sampleLoss, kForwardTol)) << "eval_step loss";
    EXPECT_TRUE(allClose(out, r.output, kForwardTol)) << "eval_step output";
    cm.poisonWorkspace();
    EXPECT_TRUE(allClose(cm.predict(state, toFloat(x)), r.output, kForwardTol))
        << "predict";
    EXPECT_TRUE(state == copy) << "eval_step or predict wrote to the state";
  }
}

/// The reference's inference-mode loss of each of `rows` rows, run batch
/// by batch (the rows are independent in inference mode), the last batch
/// padded with zero rows that are dropped.
static std::vector<double>
referenceRowLosses(const CompiledModel &cm, const State &state,
                   const std::vector<double> &x, const std::vector<double> &y,
                   int64_t rows) {
  const Reference &ref = cm.reference();
  int64_t bs = ref.batchSize(), in = ref.inputDim(), td = ref.targetDim();
  std::vector<double> losses;
  for (int64_t first = 0; first < rows; first += bs) {
    int64_t real = std::min(bs, rows - first);
    std::vector<double> bx(bs * in, 0.0), by(bs * td, 0.0);
    std::copy_n(x.begin() + first * in, real * in, bx.begin());
    std::copy_n(y.begin() + first * td, real * td, by.begin());
    RefResult r = ref.run(cm.toRef(state), bx, by, Mode::Inference);
    losses.insert(losses.end(), r.sampleLoss.begin(),
                  r.sampleLoss.begin() + real);
  }
  return losses;
}

void kiln::e2e::checkContextPredict(const CompiledModel &cm, double xLow,
                                    double xHigh) {
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
  constexpr int64_t kMaxRows = 300;
  std::vector<double> x =
      uniformVector(rng, kMaxRows * ref.inputDim(), xLow, xHigh);
  std::vector<float> xf = toFloat(x);
  std::vector<double> want = ref.predictRows(cm.toRef(state), x, kMaxRows);
  for (int64_t rows = 1; rows <= kMaxRows; ++rows) {
    // One float past the rows must stay untouched.
    std::vector<float> out(rows * ref.outputDim() + 1, -7.0f);
    kiln_status st = kiln_ctx_predict(ctx, xf.data(), rows, out.data());
    ASSERT_EQ(st, KILN_OK) << kiln_ctx_last_error(ctx);
    ASSERT_EQ(out.back(), -7.0f) << rows << " rows: written past the output";
    out.pop_back();
    std::vector<double> expected(want.begin(),
                                want.begin() + rows * ref.outputDim());
    ASSERT_TRUE(allClose(out, expected, kForwardTol)) << rows << " rows";
  }
  if (cm.abi().eval_step) {
    // Evaluation covers the rows after the last whole batch with the
    // evaluation blocks: the mean loss of every row count is the mean of
    // the reference's per-row losses, no padded row among them.
    std::vector<double> y = randomTargets(cm.model(), rng, kMaxRows);
    std::vector<float> yf = toFloat(y);
    std::vector<double> rowLoss = referenceRowLosses(cm, state, x, y, kMaxRows);
    double sum = 0;
    for (int64_t rows = 1; rows <= kMaxRows; ++rows) {
      sum += rowLoss[rows - 1];
      kiln_eval_result r;
      ASSERT_EQ(kiln_ctx_evaluate(ctx, xf.data(), yf.data(), rows, &r),
                KILN_OK)
          << kiln_ctx_last_error(ctx);
      EXPECT_EQ(r.rows, rows);
      double want = sum / (double)rows;
      ASSERT_NEAR(r.loss, want, kForwardTol * std::max(1.0, std::fabs(want)))
          << rows << " rows evaluated";
    }
  }
  kiln_ctx_destroy(ctx);
}

void kiln::e2e::checkGradients(const CompiledModel &cm, double xLow,
                               double xHigh) {
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
    x = uniformVector(rng, ref.batchSize() * ref.inputDim(), xLow, xHigh);
    y = randomTargets(model, rng, ref.batchSize());
    r = ref.run(cm.toRef(before), x, y, Mode::Training, kSeed, kStep);
    if (r.kinkDistance > kKinkMargin)
      break;
  }

  State after = before;
  cm.poisonWorkspace();
  float loss = cm.trainStep(after, toFloat(x), toFloat(y), kStep, 0, kSeed);
  EXPECT_NEAR(loss, r.meanLoss,
              kForwardTol * std::max(1.0, std::fabs(r.meanLoss)))
      << "train_step's loss (training mode, before the update)";
  // The same step again, from the same state but another workspace content:
  // bit for bit the same result (nothing depends on leftovers or timing).
  State again = before;
  cm.poisonWorkspace(0x00);
  float loss2 = cm.trainStep(again, toFloat(x), toFloat(y), kStep, 0, kSeed);
  EXPECT_EQ(loss2, loss) << "train_step is not deterministic";
  EXPECT_TRUE(again == after) << "train_step is not deterministic";

  RefStates states = cm.toRef(before);
  for (size_t t = 0; t < model.states.size(); ++t) {
    const StateTensor &st = model.states[t];
    if (st.role != StateRole::Parameter)
      continue;
    std::vector<double> w0 = cm.read(before, st.name);
    std::vector<double> w1 = cm.read(after, st.name);
    std::vector<size_t> elements = elementsToCheck(w0.size(), rng);
    std::vector<double> fd = finiteDifferences(ref, states, t, elements, x, y,
                                               kSeed, kStep, kFDStep);
    int bad = 0;
    for (size_t e = 0; e < elements.size(); ++e) {
      size_t i = elements[e];
      double g = w0[i] - w1[i];
      double tol = kRelTol * std::max(1e-2, std::fabs(fd[e])) + kAbsTol;
      if (std::fabs(g - fd[e]) > tol && bad++ < 6)
        ADD_FAILURE() << st.name << "[" << i << "]: compiled gradient " << g
                      << ", finite difference " << fd[e] << " (error "
                      << std::fabs(g - fd[e]) << " > " << tol << ")";
    }
    EXPECT_EQ(bad, 0) << bad << " elements of " << st.name << " disagree";
  }

  // Batch norm's running statistics move towards the batch's.
  RefStates expected = cm.toRef(before);
  updateRunningStats(model, r, expected);
  for (size_t t = 0; t < model.states.size(); ++t)
    if (model.states[t].role != StateRole::Parameter)
      EXPECT_TRUE(allClose(toFloat(cm.read(after, model.states[t].name)),
                           expected[t], 1e-5))
          << model.states[t].name;
}
