//===- ctx_test.cpp - The embedding API -----------------------------------===//

#include "test_util.h"

#include <cmath>
#include <cstring>

using namespace kiln_test;

namespace {

const kiln_model *cls = &fake_classifier_model;

struct Ctx {
  kiln_ctx *ctx = nullptr;
  explicit Ctx(const kiln_model *m) {
    kiln_error err{};
    EXPECT_EQ(kiln_ctx_create(m, &ctx, &err), KILN_OK) << err.message;
  }
  ~Ctx() { kiln_ctx_destroy(ctx); }
};

std::vector<float> inputs(int64_t rows) {
  std::vector<float> x(rows * 4);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = std::sin(float(i));
  return x;
}

TEST(Ctx, PredictNeedsWeightsFirst) {
  Ctx c(cls);
  std::vector<float> x = inputs(2), out(6);
  EXPECT_EQ(kiln_ctx_predict(c.ctx, x.data(), 2, out.data()), KILN_ERR_STATE);
  EXPECT_TRUE(contains(kiln_ctx_last_error(c.ctx), "call kiln_ctx_init or kiln_ctx_load"));
  EXPECT_EQ(kiln_ctx_save(c.ctx, "/nonexistent/x"), KILN_ERR_STATE);
  EXPECT_EQ(kiln_ctx_init(c.ctx, 1), KILN_OK);
  EXPECT_STREQ(kiln_ctx_last_error(c.ctx), "");
  EXPECT_EQ(kiln_ctx_predict(c.ctx, x.data(), 2, out.data()), KILN_OK);
  EXPECT_EQ(kiln_ctx_model(c.ctx), cls);
}

// Any number of rows, including fewer than a batch and a partial last one,
// gives what predict gives row by row.
TEST(Ctx, PredictAnyNumberOfRows) {
  Ctx c(cls);
  ASSERT_EQ(kiln_ctx_init(c.ctx, 5), KILN_OK);
  State s(cls);
  kiln_error err{};
  ASSERT_EQ(kiln_init_state(cls, s.data, 5, &err), KILN_OK);
  for (int64_t rows : {0, 1, 7, 8, 13, 24}) {
    std::vector<float> x = inputs(rows), out(rows * 3 + 1, -1);
    ASSERT_EQ(kiln_ctx_predict(c.ctx, x.data(), rows, out.data()), KILN_OK);
    EXPECT_EQ(out[rows * 3], -1) << "nothing written past rows * output_dim";
    for (int64_t r = 0; r < rows; ++r) {
      float one[8 * 4] = {0}, want[8 * 3];
      std::memcpy(one, x.data() + r * 4, 4 * sizeof(float));
      cls->predict(s.data, nullptr, one, want);
      for (int k = 0; k < 3; ++k)
        ASSERT_EQ(out[r * 3 + k], want[k]) << rows << " rows, row " << r;
    }
  }
}

// Blocks that write their own row count into each output row, and the
// input's first feature into the second column.
template <int Rows>
void markRows(const float *, uint8_t *, const float *x, float *out) {
  for (int r = 0; r < Rows; ++r) {
    out[r * 3] = Rows;
    out[r * 3 + 1] = x[r * 4];
    out[r * 3 + 2] = 0;
  }
}

// The largest block that fits, in order, on the caller's rows in place.
TEST(Ctx, PredictTakesTheLargestBlockFirst) {
  static const kiln_predict_block blocks[] = {
      {8, markRows<8>}, {3, markRows<3>}, {1, markRows<1>}};
  kiln_model m = fake_classifier_model;
  m.predict_blocks = blocks;
  m.num_predict_blocks = 3;
  Ctx c(&m);
  ASSERT_EQ(kiln_ctx_init(c.ctx, 5), KILN_OK);
  std::vector<float> x = inputs(21), out(21 * 3);
  ASSERT_EQ(kiln_ctx_predict(c.ctx, x.data(), 21, out.data()), KILN_OK);
  const float want[21] = {8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
                          3, 3, 3, 1, 1};
  for (int r = 0; r < 21; ++r) {
    EXPECT_EQ(out[r * 3], want[r]) << "row " << r;
    EXPECT_EQ(out[r * 3 + 1], x[r * 4]) << "row " << r;
  }
}

TEST(Ctx, CreateRejectsBadPredictBlocks) {
  static const kiln_predict_block noOneRow[] = {{8, markRows<8>},
                                                {3, markRows<3>}};
  static const kiln_predict_block unsorted[] = {
      {3, markRows<3>}, {8, markRows<8>}, {1, markRows<1>}};
  static const kiln_predict_block missing[] = {{8, markRows<8>}, {1, nullptr}};
  for (auto [blocks, n] : {std::pair{noOneRow, 2}, {unsorted, 3}, {missing, 2},
                           {noOneRow, 0}}) {
    kiln_model m = fake_classifier_model;
    m.predict_blocks = blocks;
    m.num_predict_blocks = n;
    kiln_ctx *ctx = nullptr;
    kiln_error err{};
    EXPECT_EQ(kiln_ctx_create(&m, &ctx, &err), KILN_ERR_ABI);
    EXPECT_TRUE(contains(err.message, "prediction function")) << err.message;
  }
}

TEST(Ctx, SaveLoadRoundTripAndFailedLoadKeepsWeights) {
  TempDir dir;
  Ctx a(cls), b(cls);
  ASSERT_EQ(kiln_ctx_init(a.ctx, 1), KILN_OK);
  ASSERT_EQ(kiln_ctx_init(b.ctx, 2), KILN_OK);
  std::string p = dir.path("w.safetensors");
  ASSERT_EQ(kiln_ctx_save(a.ctx, p.c_str()), KILN_OK) << kiln_ctx_last_error(a.ctx);
  std::vector<float> x = inputs(5), ya(15), yb(15), yb2(15);
  ASSERT_EQ(kiln_ctx_predict(a.ctx, x.data(), 5, ya.data()), KILN_OK);
  ASSERT_EQ(kiln_ctx_predict(b.ctx, x.data(), 5, yb.data()), KILN_OK);
  EXPECT_NE(ya, yb);
  // A bad checkpoint leaves b as it was.
  std::string bad = dir.write("bad.safetensors", "garbage!garbage!");
  EXPECT_EQ(kiln_ctx_load(b.ctx, bad.c_str()), KILN_ERR_FORMAT);
  EXPECT_TRUE(contains(kiln_ctx_last_error(b.ctx), "bad.safetensors"));
  ASSERT_EQ(kiln_ctx_predict(b.ctx, x.data(), 5, yb2.data()), KILN_OK);
  EXPECT_EQ(yb, yb2);
  EXPECT_EQ(kiln_ctx_load(b.ctx, dir.path("missing").c_str()), KILN_ERR_IO);
  ASSERT_EQ(kiln_ctx_load(b.ctx, p.c_str()), KILN_OK);
  ASSERT_EQ(kiln_ctx_predict(b.ctx, x.data(), 5, yb.data()), KILN_OK);
  EXPECT_EQ(ya, yb);
}

// kiln_ctx_load goes through the checkpoint reader, which refuses NaN and
// infinite weights; the weights loaded before stay.
TEST(Ctx, LoadRefusesNonFiniteWeights) {
  TempDir dir;
  Ctx c(cls);
  ASSERT_EQ(kiln_ctx_init(c.ctx, 1), KILN_OK);
  std::vector<float> x = inputs(3), before(9), after(9);
  ASSERT_EQ(kiln_ctx_predict(c.ctx, x.data(), 3, before.data()), KILN_OK);
  State s(cls);
  s.data[13] = INFINITY; // linear.bias[1]
  std::string p = dir.path("inf.safetensors");
  kiln_error err{};
  ASSERT_EQ(kiln_safetensors_save(cls, s.data, p.c_str(), &err), KILN_OK);
  EXPECT_EQ(kiln_ctx_load(c.ctx, p.c_str()), KILN_ERR_VALUE);
  EXPECT_TRUE(contains(kiln_ctx_last_error(c.ctx),
                       "inf.safetensors: tensor \"linear.bias\": element [1] is inf"))
      << kiln_ctx_last_error(c.ctx);
  ASSERT_EQ(kiln_ctx_predict(c.ctx, x.data(), 3, after.data()), KILN_OK);
  EXPECT_EQ(before, after);
}

TEST(Ctx, PrepareRunsOnceAfterInitAndLoad) {
  TempDir dir;
  Ctx c(&fake_prepared_model);
  ASSERT_EQ(kiln_ctx_init(c.ctx, 3), KILN_OK);
  std::vector<float> x = inputs(3), out(9);
  ASSERT_EQ(kiln_ctx_predict(c.ctx, x.data(), 3, out.data()), KILN_OK);
  for (float v : out)
    EXPECT_TRUE(std::isfinite(v)) << "predict saw the prepared state";
  std::string p = dir.path("p.safetensors");
  ASSERT_EQ(kiln_ctx_save(c.ctx, p.c_str()), KILN_OK);
  Ctx d(&fake_prepared_model);
  ASSERT_EQ(kiln_ctx_load(d.ctx, p.c_str()), KILN_OK);
  std::vector<float> out2(9);
  ASSERT_EQ(kiln_ctx_predict(d.ctx, x.data(), 3, out2.data()), KILN_OK);
  EXPECT_EQ(out, out2);
}

// Weights compiled in (kiln build --weights): a new context predicts with
// them as they are, already folded; running prepare again would break this
// model's predict, which reads pstate[16] == 1 only from the compiled-in
// prediction state.
TEST(Ctx, CompiledInWeightsPredictWithoutALoad) {
  Ctx plain(&fake_prepared_model);
  ASSERT_EQ(kiln_ctx_init(plain.ctx, 3), KILN_OK);
  std::vector<float> x = inputs(3), want(9), got(9);
  ASSERT_EQ(kiln_ctx_predict(plain.ctx, x.data(), 3, want.data()), KILN_OK);

  std::vector<float> weights(17);
  kiln_error err{};
  ASSERT_EQ(kiln_init_state(&fake_prepared_model, weights.data(), 3, &err),
            KILN_OK);
  weights[16] = 1.0f;
  kiln_model m = fake_prepared_model;
  m.weights = weights.data();
  m.prepare = [](const float *, uint8_t *, float *pstate) { pstate[16] = 0; };
  Ctx c(&m);
  ASSERT_EQ(kiln_ctx_predict(c.ctx, x.data(), 3, got.data()), KILN_OK)
      << kiln_ctx_last_error(c.ctx);
  EXPECT_EQ(got, want);

  std::vector<float> state(16, -1.0f);
  EXPECT_EQ(kiln_model_embedded_weights(&fake_prepared_model, state.data(),
                                        nullptr, &err),
            KILN_ERR_STATE);
  EXPECT_TRUE(contains(err.message, "compiled without weights")) << err.message;
  EXPECT_EQ(state, std::vector<float>(16, -1.0f)) << "nothing written";
}

TEST(Ctx, CreateRejectsBadDescriptors) {
  kiln_model m = fake_classifier_model;
  m.abi_version = KILN_ABI_VERSION + 1;
  kiln_ctx *ctx = reinterpret_cast<kiln_ctx *>(1);
  kiln_error err{};
  EXPECT_EQ(kiln_ctx_create(&m, &ctx, &err), KILN_ERR_ABI);
  EXPECT_EQ(ctx, nullptr);
  EXPECT_TRUE(contains(err.message, "runtime ABI version " +
                                        std::to_string(KILN_ABI_VERSION + 1)))
      << err.message;
  m = fake_classifier_model;
  m.predict = nullptr;
  EXPECT_EQ(kiln_ctx_create(&m, &ctx, &err), KILN_ERR_ABI);
  m = fake_classifier_model;
  m.output_dim = 2;
  EXPECT_EQ(kiln_ctx_create(&m, &ctx, &err), KILN_ERR_ABI);
  EXPECT_TRUE(contains(err.message, "do not fit its target kind")) << err.message;
  EXPECT_EQ(kiln_ctx_create(nullptr, &ctx, &err), KILN_ERR_ARGUMENT);
  // NULL contexts are refused, never dereferenced.
  EXPECT_EQ(kiln_ctx_init(nullptr, 1), KILN_ERR_ARGUMENT);
  EXPECT_EQ(kiln_ctx_predict(nullptr, nullptr, 0, nullptr), KILN_ERR_ARGUMENT);
  kiln_ctx_destroy(nullptr);
}

TEST(Ctx, PredictArgumentErrors) {
  Ctx c(cls);
  ASSERT_EQ(kiln_ctx_init(c.ctx, 1), KILN_OK);
  float out[3];
  EXPECT_EQ(kiln_ctx_predict(c.ctx, nullptr, 1, out), KILN_ERR_ARGUMENT);
  EXPECT_EQ(kiln_ctx_predict(c.ctx, out, -1, out), KILN_ERR_ARGUMENT);
  EXPECT_STRNE(kiln_ctx_last_error(c.ctx), "");
}

} // namespace
