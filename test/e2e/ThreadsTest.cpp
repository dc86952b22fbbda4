//===- ThreadsTest.cpp - Results are bit-identical for any thread count ---===//
//
// Kernels split only over independent outputs, each reduction in its
// serial order inside one iteration (kiln-parallelize-loops), so the team
// size must not change a single bit. Each spec is compiled three ways: as
// by default, with --min-parallel-work=1 (every splittable loop nest runs
// on the threads, however small: the most code paths and partitions), and
// with --no-threads (serial code, no OpenMP: the baseline). For each
// threaded build and 1, 2 and 3 threads (3 divides none of the shapes),
// a trajectory of train_steps from one state on the same batches, then
// eval_step and predict, must equal the serial build's bit for bit: the
// loss of every step, and every state tensor after the last.
//
// The specs' shapes are no multiple of any tile or thread count, and
// together they cover every kind of kernel that splits: matmuls with and
// without packed panels (forward, both gradients, an output layer of 7),
// norms and their gradients, dropout, gelu, softmax cross-entropy, and
// the fused Adam and momentum updates.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include <cstring>

using namespace kiln;
using namespace kiln::e2e;

namespace {

constexpr int kSteps = 3;
constexpr int64_t kSeed = 7;

const char *kMlpSpec = R"(model threads_mlp
input x: [300]
target y: class(7)
logits = x -> dense(130) -> batchnorm -> gelu -> dropout(0.2) -> dense(70) -> layernorm -> relu -> dense(7)
loss cross_entropy(logits, y, label_smoothing = 0.1)
train { optimizer = adam(lr = 0.01); weight_decay = 0.01; batch_size = 50 }
)";

const char *kWideSpec = R"(model threads_wide
input x: [97]
target y: real(33)
y_hat = x -> dense(1000) -> relu -> dense(33)
loss mse(y_hat, y)
train { optimizer = momentum(lr = 0.01, momentum = 0.9); batch_size = 37 }
)";

struct Outcome {
  std::vector<float> losses;
  State state;
  std::vector<float> evalLoss, evalOut, predicted;
};

/// The first index at which two float arrays differ in any bit, or -1.
template <typename A, typename B>
int64_t firstDifference(const A &a, const B &b) {
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0)
      return int64_t(i);
  return a.size() == b.size() ? -1 : int64_t(std::min(a.size(), b.size()));
}

Outcome run(const CompiledModel &cm, int threads) {
  kiln_set_threads(threads);
  const Model &model = cm.model();
  const kiln_model &m = cm.abi();
  Outcome o;
  o.state = cm.randomState(3);
  std::mt19937_64 rng(11);
  cm.poisonWorkspace();
  for (int step = 1; step <= kSteps; ++step) {
    std::vector<float> x =
        toFloat(uniformVector(rng, m.batch_size * m.input_dim, -1, 1));
    std::vector<float> y = toFloat(randomTargets(model, rng, m.batch_size));
    o.losses.push_back(cm.trainStep(o.state, x, y, step, 0, kSeed));
  }
  std::vector<float> x =
      toFloat(uniformVector(rng, m.batch_size * m.input_dim, -1, 1));
  std::vector<float> y = toFloat(randomTargets(model, rng, m.batch_size));
  cm.evalStep(o.state, x, y, o.evalLoss, o.evalOut);
  o.predicted = cm.predict(o.state, x);
  kiln_set_threads(1);
  return o;
}

struct ThreadsCase {
  const char *name;
  const char *spec;
};

class Threads : public ::testing::TestWithParam<ThreadsCase> {};

TEST_P(Threads, EveryThreadCountGivesTheSerialBits) {
  const CompiledModel &serial =
      CompiledModel::fromText(GetParam().spec, {"--no-threads"});
  Outcome expected = run(serial, 1);
  for (const std::vector<std::string> &flags :
       {std::vector<std::string>{}, {"--min-parallel-work=1"}}) {
    const CompiledModel &cm = CompiledModel::fromText(GetParam().spec, flags);
    for (int threads : {1, 2, 3}) {
      SCOPED_TRACE(std::to_string(threads) + " threads, flags: " +
                   (flags.empty() ? "(none)" : flags[0]));
      Outcome got = run(cm, threads);
      EXPECT_EQ(firstDifference(got.losses, expected.losses), -1);
      EXPECT_EQ(firstDifference(got.state, expected.state), -1);
      EXPECT_EQ(firstDifference(got.evalLoss, expected.evalLoss), -1);
      EXPECT_EQ(firstDifference(got.evalOut, expected.evalOut), -1);
      EXPECT_EQ(firstDifference(got.predicted, expected.predicted), -1);
      // Not vacuous: the steps moved the weights and the loss is finite.
      EXPECT_NE(firstDifference(got.state, cm.randomState(3)), -1);
      EXPECT_TRUE(std::isfinite(got.losses.back()));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Specs, Threads,
                         ::testing::Values(ThreadsCase{"mlp", kMlpSpec},
                                           ThreadsCase{"wide", kWideSpec}),
                         [](const ::testing::TestParamInfo<ThreadsCase> &i) {
                           return std::string(i.param.name);
                         });

} // namespace
