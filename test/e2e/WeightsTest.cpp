//===- WeightsTest.cpp - Checkpoints compiled into the module -------------===//
//
// `kiln build --weights W`: the module carries W, folded at compile time
// when the model folds (batch norm into the dense layer before it). A
// context of that module must predict, without a load, what a context of
// the plain module predicts after loading W (tolerance kFoldTol: both fold
// with the same compiled `prepare`, once JIT-compiled for the host and
// once ahead of time, so they differ at most by FMA contraction), and what
// the float64 reference predicts (kForwardTol). The weights' first
// state_size floats are W's tensors, bit for bit, and the optimizer's are 0.
//
//===----------------------------------------------------------------------===//

#include "Checks.h"
#include "TestUtil.h"

#include <cmath>

using namespace kiln;
using namespace kiln::e2e;

namespace {

constexpr double kFoldTol = 1e-5;

std::vector<float> contextPredict(const kiln_model &m, const char *load,
                                  const std::vector<double> &x, int64_t rows) {
  kiln_ctx *ctx = nullptr;
  kiln_error err;
  std::vector<float> out(rows * m.output_dim);
  if (kiln_ctx_create(&m, &ctx, &err) != KILN_OK) {
    ADD_FAILURE() << err.message;
    return out;
  }
  if (load && kiln_ctx_load(ctx, load) != KILN_OK)
    ADD_FAILURE() << kiln_ctx_last_error(ctx);
  if (kiln_ctx_predict(ctx, toFloat(x).data(), rows, out.data()) != KILN_OK)
    ADD_FAILURE() << kiln_ctx_last_error(ctx);
  kiln_ctx_destroy(ctx);
  return out;
}

class CompiledWeights : public ::testing::TestWithParam<const char *> {};

TEST_P(CompiledWeights, PredictWithoutALoadAsWithOne) {
  const CompiledModel &plain = CompiledModel::get(specPath(GetParam()));
  State state = plain.randomState(11);
  std::string weights = makeScratchDir("weights") + "/w.safetensors";
  plain.saveCheckpoint(state, weights);
  const CompiledModel &compiled =
      CompiledModel::get(specPath(GetParam()), {"--weights", weights});
  const kiln_model &m = compiled.abi();
  ASSERT_NE(m.weights, nullptr);
  ASSERT_EQ(m.prepare != nullptr, plain.abi().prepare != nullptr);

  for (int32_t t = 0; t < m.num_tensors; ++t) {
    const kiln_tensor_info &ti = m.tensors[t];
    std::vector<float> got(m.weights + ti.offset,
                           m.weights + ti.offset + ti.numel);
    std::vector<float> want(ti.numel, 0.0f);
    if (ti.role != KILN_ROLE_OPTIMIZER)
      want.assign(state.begin() + ti.offset,
                  state.begin() + ti.offset + ti.numel);
    EXPECT_EQ(got, want) << ti.name;
  }

  const Reference &ref = plain.reference();
  std::mt19937_64 rng(5);
  int64_t rows = 2 * ref.batchSize() + 3;
  std::vector<double> x = uniformVector(rng, rows * ref.inputDim(), -2, 2);
  std::vector<float> embedded = contextPredict(m, nullptr, x, rows);
  std::vector<float> loaded =
      contextPredict(plain.abi(), weights.c_str(), x, rows);
  EXPECT_TRUE(allClose(embedded, loaded, kFoldTol));
  EXPECT_TRUE(allClose(embedded,
                       ref.predictRows(plain.toRef(state), x, rows),
                       kForwardTol));
}

// batchnorm folds (a prediction state); dense does not (the state itself);
// training folds and has optimizer state (Adam's moments, which must be 0).
INSTANTIATE_TEST_SUITE_P(Specs, CompiledWeights,
                         ::testing::Values("batchnorm.kiln", "dense.kiln",
                                           "training.kiln"),
                         [](const auto &info) {
                           std::string name = info.param;
                           return name.substr(0, name.find('.'));
                         });

TEST(CompiledWeights, ACheckpointOfAnotherModelIsRefusedByName) {
  const CompiledModel &other = CompiledModel::get(specPath("dense.kiln"));
  std::string dir = makeScratchDir("weights-other");
  other.saveCheckpoint(other.initState(1), dir + "/other.safetensors");
  CommandResult r = runCommand({KILN_BIN, "build", specPath("batchnorm.kiln"),
                                "--weights", "other.safetensors", "-o", "bn"},
                               dir);
  ASSERT_FALSE(r.signaled) << r.describe();
  EXPECT_EQ(r.exitCode, 1) << r.describe();
  EXPECT_NE(r.err.find("other.safetensors"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("tensor \""), std::string::npos) << r.err;
  EXPECT_FALSE(fileExists(dir + "/bn")) << "no executable on failure";
}

// A NaN in a checkpoint would make every prediction of the shipped model
// NaN: kiln build refuses it and names the tensor.
TEST(CompiledWeights, ANonFiniteWeightIsRefusedByName) {
  const CompiledModel &cm = CompiledModel::get(specPath("dense.kiln"));
  std::string dir = makeScratchDir("weights-nan");
  State state = cm.initState(1);
  state[cm.tensor("dense1.bias").offset + 2] = NAN;
  cm.saveCheckpoint(state, dir + "/nan.safetensors");
  CommandResult r = runCommand({KILN_BIN, "build", specPath("dense.kiln"),
                                "--weights", "nan.safetensors", "-o", "m"},
                               dir);
  ASSERT_FALSE(r.signaled) << r.describe();
  EXPECT_EQ(r.exitCode, 1) << r.describe();
  EXPECT_NE(r.err.find("nan.safetensors: tensor \"dense1.bias\": element [2] "
                       "is nan"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fileExists(dir + "/m")) << "no executable on failure";
}

} // namespace
