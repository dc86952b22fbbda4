//===- FusionTest.cpp - Fused and folded code agrees with unfused code ----===//
//
// The fusion passes (activation, normalization, optimizer) and inference
// folding change how a model is computed, never what: each spec here is
// compiled with the default flags and with each of --no-fuse-activation,
// --no-fuse-norm, --no-fuse-optimizer and --no-fold that changes its IR
// (and with all of them), and the variants are run side by side:
//  - train_step: from one initial state, kSteps steps on the same random
//    batches; after each step the loss and EVERY state tensor (parameters,
//    optimizer state, running statistics), by name;
//  - eval_step (per-sample losses and outputs) and predict on one random
//    state (random weights, noisy gammas and betas, non-trivial running
//    statistics).
// Together the specs use every activation (both gelu forms), both norms
// with and without a following activation (training and inference), batch
// norm folded into dense layers with and without bias and activation, and
// every optimizer.
//
// Tolerance: |default - variant| <= kFusionTol * max(1, |variant|), with
// kFusionTol = 1e-5, for eval_step, predict and the first train_step; after
// step n of a trajectory, n * kFusionTol. Fused and unfused code compute the
// same formulas in float32 and differ only by reassociation: the one-pass
// shifted-sum statistics of a norm instead of two passes, and its gradient
// through the activation recomputed from xhat instead of read back. Each
// step adds its own such differences, and the earlier ones, now in the
// weights, carry into the later gradients. Measured (KILN_E2E_VERBOSE=1
// prints every comparison's worst error): activation and optimizer fusion
// give bit-identical results (the same scalar operations in the same
// order); norm fusion differs by at most 6e-7 in eval_step/predict and by
// 8e-7, 2.1e-6, 2.1e-6, 5.8e-6 after steps 1 to 4 (momentum buffers of the
// first layer, batch of 8), a margin of 7 or more at every step. A fusion
// that changes the math (a wrong derivative, activation parameter or
// statistic, a dropped bias) is off by 1e-2 or more from the first step.
//
// Folding: predict with batch norm folded into the dense layer before it
// (W' = W s, b' = (b - mean) s + beta, computed by `prepare`) must equal the
// unfolded inference-mode forward: predict compiled with --no-fold, the
// same model's eval_step output, and the float64 reference, on random
// states and on a state after a few training steps. Tolerance kFoldTol =
// 1e-5 relative: W' and b' reassociate (x W + b - mean) s (measured:
// 5.4e-7 at most); against the float64 reference, kForwardTol (2e-5, the
// forward's own float32 rounding, see Checks.h). And the prediction state
// follows the state whether or not something folds (the transposed
// weights are in it).
//
// Time: 28 builds of small specs, ~40 s in all on 2 cores (compiling is
// nearly all of it); a spec is compiled once per set of flags.
//
//===----------------------------------------------------------------------===//

#include "Checks.h"
#include "TestUtil.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace kiln;
using namespace kiln::e2e;

namespace {

constexpr double kFusionTol = 1e-5;
constexpr double kFoldTol = 1e-5;
constexpr int kSteps = 4;

/// A set of extra `kiln build` flags.
struct Variant {
  const char *name;
  std::vector<std::string> flags;
};

const Variant kDefault{"default", {kOneRowBlock}};
const Variant kNoAct{"no_fuse_activation",
                     {"--no-fuse-activation", kOneRowBlock}};
const Variant kNoNorm{"no_fuse_norm", {"--no-fuse-norm", kOneRowBlock}};
const Variant kNoOpt{"no_fuse_optimizer", {"--no-fuse-optimizer", kOneRowBlock}};
const Variant kNoFold{"no_fold", {"--no-fold", kOneRowBlock}};
const Variant kAllOff{"all_off",
                      {"--no-fuse-activation", "--no-fuse-norm",
                       "--no-fuse-optimizer", "--no-fold", kOneRowBlock}};

struct FusionCase {
  const char *name;
  std::string spec;
  /// The variants compared with the default: the flags that change this
  /// spec's IR, and all of them.
  std::vector<Variant> variants;
};

/// Every activation between two dense layers, so that each one's gradient
/// comes from its own matmul: relu, leaky_relu, elu, sigmoid and tanh fuse
/// both ways (their gradients read their output); gelu, approximate gelu,
/// softplus and swish need their input for the gradient, so only the
/// backward fusion fires in training (and the forward one in eval_step and
/// predict). One dense layer has no bias.
const char *kActivationSpec = R"(model fuse_act
input x: [4]
target y: real(2)
a = (x -> dense(4) -> relu -> dense(2)) + (x -> dense(4) -> leaky_relu(alpha = 0.2) -> dense(2)) + (x -> dense(4) -> sigmoid -> dense(2)) + (x -> dense(4) -> tanh -> dense(2)) + (x -> dense(4) -> elu(alpha = 0.7) -> dense(2))
b = (x -> dense(4) -> gelu -> dense(2)) + (x -> dense(4) -> gelu(approximate = true) -> dense(2)) + (x -> dense(4) -> softplus(beta = 2) -> dense(2)) + (x -> dense(4, bias = false) -> swish(beta = 1.5) -> dense(2))
loss mse(a + b, y)
train { optimizer = sgd(lr = 0.1); batch_size = 4 }
)";

/// Batch norm with a following activation (relu: its gradient reads its
/// output) and without; layer norm with one (gelu: its gradient reads its
/// input) and without. Both batch norms follow a dense layer and fold in
/// predict: one without bias and with an activation, one with bias and
/// without. Momentum SGD, linear in the gradient (the bias before a batch
/// norm has an analytically zero gradient, which adam's g / sqrt(v) would
/// turn into lr-sized noise).
const char *kNormSpec = R"(model fuse_norm
input x: [5]
target y: real(3)
h = x -> dense(6, bias = false) -> batchnorm(momentum = 0.2) -> relu
g = h -> dense(6) -> batchnorm(eps = 1e-3)
a = g -> dense(4) -> layernorm -> gelu
b = g -> layernorm(eps = 1e-4) -> dense(4)
loss mse((a + b) -> dense(3), y)
train { optimizer = momentum(lr = 0.02, momentum = 0.9); batch_size = 8 }
)";

/// Each optimizer on a small model (a param and a dense layer), with
/// weight decay and a schedule here and there: only its update kernel
/// differs between the builds.
std::string optimizerSpec(const std::string &name, const std::string &train) {
  return "model fuse_" + name +
         "\ninput x: [5]\ntarget y: real(2)\nparam w: [5] = uniform(-1, 1)\n"
         "loss mse((x * w) -> dense(2), y)\ntrain { " +
         train + "; batch_size = 4 }\n";
}

/// A batch norm that must not fold: after a dense layer whose result is
/// also used elsewhere, and followed by an activation (so not into the
/// next layer either).
const char *kUnfoldableSpec = R"(model fuse_unfoldable
input x: [5]
target y: real(2)
h = x -> dense(6)
loss mse(((h -> batchnorm -> relu) + h) -> dense(2), y)
train { optimizer = sgd(lr = 0.1); batch_size = 4 }
)";

/// A batch norm on the inputs folds into the dense layer after it
/// (W' = W diag(s), b' = b + W t), which keeps its tanh.
const char *kInputNormSpec = R"(model fuse_input_norm
input x: [5]
target y: class(3)
loss cross_entropy(x -> batchnorm -> dense(6) -> tanh -> dense(3), y)
train { optimizer = nesterov(lr = 0.05, momentum = 0.8); batch_size = 4 }
)";

/// The specs and, for each, the variants compared with its default build:
/// the flags that change its IR (a flag whose pass has nothing to do in a
/// spec gives the same code and is left out), and all of them.
std::vector<FusionCase> fusionCases() {
  return {
      {"activations", kActivationSpec, {kNoAct, kNoOpt, kAllOff}},
      {"norms", kNormSpec, {kNoNorm, kNoOpt, kNoFold, kAllOff}},
      {"sgd",
       optimizerSpec("sgd", "optimizer = sgd(lr = 0.1); schedule = "
                            "step_decay(step_size = 2, gamma = 0.5); "
                            "weight_decay = 0.05"),
       {kNoOpt}},
      {"momentum",
       optimizerSpec("momentum", "optimizer = momentum(lr = 0.05, momentum = "
                                 "0.8); weight_decay = 0.05"),
       {kNoOpt}},
      {"nesterov",
       optimizerSpec("nesterov", "optimizer = nesterov(lr = 0.05)"),
       {kNoOpt}},
      {"adagrad",
       optimizerSpec("adagrad",
                     "optimizer = adagrad(lr = 0.1); weight_decay = 0.02"),
       {kNoOpt}},
      {"rmsprop",
       optimizerSpec("rmsprop", "optimizer = rmsprop(lr = 0.01); schedule = "
                                "exponential_decay(gamma = 0.9)"),
       {kNoOpt}},
      {"adam",
       optimizerSpec("adam", "optimizer = adam(lr = 0.01); weight_decay = 0.01"),
       {kNoOpt}},
      {"unfoldable_norm", kUnfoldableSpec, {kNoNorm, kNoOpt}},
      {"input_norm", kInputNormSpec, {kNoAct, kNoNorm, kNoOpt, kNoFold}},
  };
}

/// One spec and one variant of it, compared with the default build.
struct VariantCase {
  FusionCase spec;
  Variant variant;
};

std::ostream &operator<<(std::ostream &os, const VariantCase &c) {
  return os << c.spec.name << "/" << c.variant.name;
}

std::vector<VariantCase> variantCases() {
  std::vector<VariantCase> cases;
  for (const FusionCase &c : fusionCases())
    for (const Variant &v : c.variants)
      cases.push_back({c, v});
  return cases;
}

std::vector<float> readFloats(const CompiledModel &cm, const State &state,
                              const std::string &name) {
  const kiln_tensor_info &ti = cm.tensor(name);
  return std::vector<float>(state.begin() + ti.offset,
                            state.begin() + ti.offset + ti.numel);
}

std::vector<std::string> tensorNames(const CompiledModel &cm) {
  std::vector<std::string> names;
  for (int32_t t = 0; t < cm.abi().num_tensors; ++t)
    names.push_back(cm.abi().tensors[t].name);
  return names;
}

/// `state` of `from` as a state of `to`, tensor by tensor (the two builds
/// of one spec have the same tensors; their offsets need not agree).
State transfer(const CompiledModel &from, const State &state,
               const CompiledModel &to) {
  State out(to.abi().state_size, 0.0f);
  for (const std::string &name : tensorNames(to)) {
    const kiln_tensor_info &dst = to.tensor(name);
    std::vector<float> v = readFloats(from, state, name);
    std::copy(v.begin(), v.end(), out.begin() + dst.offset);
  }
  return out;
}

class FusionVariant : public ::testing::TestWithParam<VariantCase> {
protected:
  const CompiledModel &base() const {
    return CompiledModel::fromText(GetParam().spec.spec, kDefault.flags);
  }
  const CompiledModel &variant() const {
    return CompiledModel::fromText(GetParam().spec.spec,
                                   GetParam().variant.flags);
  }
};

// Two builds, two sets of functions (the shared objects of one model name
// are loaded side by side; a mix-up would make every comparison vacuous),
// with the same tensors.
TEST_P(FusionVariant, IsAnotherBuildWithTheSameTensors) {
  const CompiledModel &a = base(), &b = variant();
  EXPECT_NE(a.abi().train_step, b.abi().train_step);
  EXPECT_NE(a.abi().predict, b.abi().predict);
  EXPECT_EQ(tensorNames(a), tensorNames(b));
  EXPECT_EQ(a.abi().state_size, b.abi().state_size);
}

TEST_P(FusionVariant, TrainStepTrajectoriesAgree) {
  const CompiledModel &a = base(), &b = variant();
  State sa = a.initState(21);
  State sb = transfer(a, sa, b);
  std::mt19937_64 rng(31);
  const int64_t rows = a.reference().batchSize();
  for (int64_t step = 1; step <= kSteps; ++step) {
    int64_t epoch = (step - 1) / 2;
    SCOPED_TRACE("step " + std::to_string(step));
    std::vector<float> x =
        toFloat(uniformVector(rng, rows * a.reference().inputDim(), -1, 1));
    std::vector<float> y = toFloat(randomTargets(a.model(), rng, rows));
    a.poisonWorkspace();
    b.poisonWorkspace();
    float la = a.trainStep(sa, x, y, step, epoch, /*seed=*/5);
    float lb = b.trainStep(sb, x, y, step, epoch, /*seed=*/5);
    // Differences from earlier steps carry over (see the tolerances above).
    const double tol = kFusionTol * step;
    EXPECT_TRUE(allClose(std::vector<float>{la}, std::vector<float>{lb}, tol,
                         "loss"))
        << "loss";
    for (const std::string &name : tensorNames(a))
      EXPECT_TRUE(allClose(readFloats(a, sa, name), readFloats(b, sb, name),
                          tol, "step " + std::to_string(step) + " " + name))
          << name;
  }
}

TEST_P(FusionVariant, EvalStepAndPredictAgree) {
  const CompiledModel &a = base(), &b = variant();
  std::mt19937_64 rng(41);
  const int64_t rows = a.reference().batchSize();
  for (int trial = 0; trial < 2; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    State sa = a.randomState(60 + trial);
    State sb = transfer(a, sa, b);
    std::vector<float> x =
        toFloat(uniformVector(rng, rows * a.reference().inputDim(), -1.5, 1.5));
    std::vector<float> y = toFloat(randomTargets(a.model(), rng, rows));
    std::vector<float> lossA, outA, lossB, outB;
    a.poisonWorkspace();
    a.evalStep(sa, x, y, lossA, outA);
    b.poisonWorkspace();
    b.evalStep(sb, x, y, lossB, outB);
    EXPECT_TRUE(allClose(lossA, lossB, kFusionTol, "eval_step loss"))
        << "eval_step loss";
    EXPECT_TRUE(allClose(outA, outB, kFusionTol, "eval_step output"))
        << "eval_step output";
    a.poisonWorkspace();
    b.poisonWorkspace();
    EXPECT_TRUE(
        allClose(a.predict(sa, x), b.predict(sb, x), kFusionTol, "predict"))
        << "predict";
  }
}

// Every spec here has dense layers, whose weights @prepare lays out
// transposed for prediction, folded or not: a prediction state beyond the
// state. (What folds is the lit tests' and the Folding tests'.)
TEST_P(FusionVariant, PredictionStateFollowsTheState) {
  for (const CompiledModel *cm : {&base(), &variant()}) {
    EXPECT_NE(cm->abi().prepare, nullptr);
    EXPECT_GT(cm->abi().predict_state_size, cm->abi().state_size);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Fusion, FusionVariant, ::testing::ValuesIn(variantCases()),
    [](const ::testing::TestParamInfo<VariantCase> &i) {
      return std::string(i.param.spec.name) + "_" + i.param.variant.name;
    });

/// The spec of fusionCases() named `name`.
const FusionCase &fusionCase(const std::string &name) {
  static const std::vector<FusionCase> cases = fusionCases();
  for (const FusionCase &c : cases)
    if (name == c.name)
      return c;
  throw std::runtime_error("no fusion case " + name);
}

// predict with batch norm folded into the dense layers before it equals the
// unfolded eval-mode forward: predict built with --no-fold, eval_step's
// outputs, and the float64 reference, on random states (random weights,
// noisy gammas and betas, running means in [-1, 1] and variances in
// [0.5, 2]) and on one after training steps, with inputs in [-2, 2].
TEST(Folding, FoldedPredictEqualsTheUnfoldedForward) {
  const FusionCase &c = fusionCase("norms");
  const CompiledModel &folded = CompiledModel::fromText(c.spec, kDefault.flags);
  const CompiledModel &unfolded =
      CompiledModel::fromText(c.spec, kNoFold.flags);
  ASSERT_NE(folded.abi().prepare, nullptr);
  const Reference &ref = folded.reference();
  const int64_t rows = ref.batchSize();
  std::mt19937_64 rng(77);

  std::vector<State> states;
  for (uint64_t seed : {3, 4, 5})
    states.push_back(folded.randomState(seed));
  // Trained: running statistics and weights moved by the training itself.
  State trained = folded.randomState(6);
  for (int64_t step = 1; step <= 6; ++step) {
    std::vector<float> x =
        toFloat(uniformVector(rng, rows * ref.inputDim(), -2, 2));
    std::vector<float> y = toFloat(randomTargets(folded.model(), rng, rows));
    folded.trainStep(trained, x, y, step, 0, 1);
  }
  states.push_back(trained);

  for (size_t i = 0; i < states.size(); ++i) {
    SCOPED_TRACE(i + 1 < states.size() ? "random state " + std::to_string(i)
                                       : std::string("trained state"));
    const State &state = states[i];
    std::vector<double> xd = uniformVector(rng, rows * ref.inputDim(), -2, 2);
    std::vector<double> yd = randomTargets(folded.model(), rng, rows);
    std::vector<float> x = toFloat(xd), y = toFloat(yd);

    const State copy = state;
    folded.poisonWorkspace();
    std::vector<float> foldedOut = folded.predict(state, x);
    EXPECT_TRUE(state == copy) << "prepare or predict wrote to the state";
    unfolded.poisonWorkspace();
    std::vector<float> unfoldedOut =
        unfolded.predict(transfer(folded, state, unfolded), x);
    std::vector<float> loss, evalOut;
    folded.poisonWorkspace();
    folded.evalStep(state, x, y, loss, evalOut);
    RefResult r = ref.run(folded.toRef(state), xd, yd, Mode::Inference);

    EXPECT_TRUE(allClose(foldedOut, unfoldedOut, kFoldTol, "vs --no-fold"))
        << "folded predict vs predict --no-fold";
    EXPECT_TRUE(allClose(foldedOut, evalOut, kFoldTol, "vs eval_step"))
        << "folded predict vs eval_step";
    EXPECT_TRUE(allClose(foldedOut, r.output, kForwardTol))
        << "folded predict vs the float64 reference";
    EXPECT_TRUE(allClose(unfoldedOut, r.output, kForwardTol))
        << "predict --no-fold vs the float64 reference";
  }
}

// The runtime's context runs prepare after loading weights and predicts
// from the prepared state, on any number of rows.
TEST(Folding, ContextPredictUsesThePreparedState) {
  const CompiledModel &folded = CompiledModel::fromText(fusionCase("norms").spec);
  ASSERT_NE(folded.abi().prepare, nullptr);
  checkContextPredict(folded, -2, 2);
}

} // namespace

