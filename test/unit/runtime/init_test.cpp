//===- init_test.cpp - Initialization: distributions, streams, seeds ------===//

#include "test_util.h"

#include <cmath>
#include <cstring>

using namespace kiln_test;

namespace {

void noTrain(float *, uint8_t *, const float *, const float *, int64_t,
             int64_t, int64_t, float *) {}
void noEval(const float *, uint8_t *, const float *, const float *, float *,
            float *) {}
void noPredict(const float *, uint8_t *, const float *, float *) {}
const kiln_predict_block kOneRow[] = {{1, noPredict}};
const kiln_eval_block kOneEvalRow[] = {{1, noEval}};

// A model made only of tensors, laid out back to back.
struct TensorModel {
  std::vector<kiln_tensor_info> tensors;
  kiln_model m{};
  explicit TensorModel(std::vector<kiln_tensor_info> ts) : tensors(std::move(ts)) {
    int64_t off = 0;
    for (auto &t : tensors) {
      t.numel = 1;
      for (int d = 0; d < t.rank; ++d)
        t.numel *= t.shape[d];
      t.offset = off;
      off += t.numel;
    }
    m.abi_version = KILN_ABI_VERSION;
    m.target_kind = KILN_TARGET_REAL;
    m.name = "tensors";
    m.batch_size = m.input_dim = m.target_dim = m.output_dim = 1;
    m.state_size = off;
    m.num_tensors = (int32_t)tensors.size();
    m.tensors = tensors.data();
    m.train_step = noTrain;
    m.eval_step = noEval;
    m.predict = noPredict;
    m.num_predict_blocks = 1;
    m.predict_blocks = kOneRow;
    m.num_eval_blocks = 1;
    m.eval_blocks = kOneEvalRow;
  }
};

kiln_tensor_info tensor(const char *name, int32_t init, int64_t rows,
                        int64_t cols, double a = 0, double b = 0,
                        int64_t fan_in = 1, int64_t fan_out = 1,
                        int32_t role = KILN_ROLE_PARAM) {
  kiln_tensor_info t{};
  t.name = name;
  t.role = role;
  t.init = init;
  t.rank = 2;
  t.shape[0] = rows;
  t.shape[1] = cols;
  t.init_a = a;
  t.init_b = b;
  t.fan_in = fan_in;
  t.fan_out = fan_out;
  return t;
}

struct Stats {
  double mean, std, min, max;
};

Stats stats(const float *v, int64_t n) {
  double s = 0, s2 = 0, mn = v[0], mx = v[0];
  for (int64_t i = 0; i < n; ++i) {
    s += v[i];
    s2 += (double)v[i] * v[i];
    mn = std::fmin(mn, v[i]);
    mx = std::fmax(mx, v[i]);
  }
  double mean = s / n;
  return {mean, std::sqrt(s2 / n - mean * mean), mn, mx};
}

TEST(Init, EveryKindHasItsDistribution) {
  const int64_t R = 500, C = 400; // 200k values: stats within ~1%
  TensorModel tm({
      tensor("zeros", KILN_INIT_ZEROS, 3, 3),
      tensor("ones", KILN_INIT_ONES, 3, 3),
      tensor("normal", KILN_INIT_NORMAL, R, C, 2.0, 3.0),
      tensor("uniform", KILN_INIT_UNIFORM, R, C, -1.0, 3.0),
      tensor("xu", KILN_INIT_XAVIER_UNIFORM, R, C, 0, 0, 100, 50),
      tensor("xn", KILN_INIT_XAVIER_NORMAL, R, C, 0, 0, 100, 50),
      tensor("hn", KILN_INIT_HE_NORMAL, R, C, 0, 0, 100, 50),
      tensor("hu", KILN_INIT_HE_UNIFORM, R, C, 0, 0, 100, 50),
      tensor("adam.m", KILN_INIT_ONES, 3, 3, 0, 0, 1, 1, KILN_ROLE_OPTIMIZER),
  });
  State s(&tm.m);
  for (int64_t i = 0; i < s.size; ++i)
    s.data[i] = NAN;
  kiln_error err{};
  ASSERT_EQ(kiln_init_state(&tm.m, s.data, 1234, &err), KILN_OK) << err.message;
  auto at = [&](int t) { return s.data + tm.tensors[t].offset; };
  for (int i = 0; i < 9; ++i) {
    EXPECT_EQ(at(0)[i], 0.0f);
    EXPECT_EQ(at(1)[i], 1.0f);
    EXPECT_EQ(at(8)[i], 0.0f) << "optimizer state is zero whatever its init";
  }
  const int64_t n = R * C;
  Stats normal = stats(at(2), n);
  EXPECT_NEAR(normal.mean, 2.0, 0.03);
  EXPECT_NEAR(normal.std, 3.0, 0.03);
  Stats uni = stats(at(3), n);
  EXPECT_NEAR(uni.mean, 1.0, 0.02);
  EXPECT_NEAR(uni.std, 4.0 / std::sqrt(12.0), 0.01);
  EXPECT_GE(uni.min, -1.0);
  EXPECT_LT(uni.max, 3.0);
  EXPECT_LT(uni.min, -0.99);
  EXPECT_GT(uni.max, 2.99);
  double xa = std::sqrt(6.0 / 150);
  Stats xu = stats(at(4), n);
  EXPECT_GE(xu.min, -xa);
  EXPECT_LT(xu.max, xa);
  EXPECT_NEAR(xu.std, xa / std::sqrt(3.0), 0.003);
  EXPECT_NEAR(xu.mean, 0.0, 0.003);
  Stats xn = stats(at(5), n);
  EXPECT_NEAR(xn.std, std::sqrt(2.0 / 150), 0.002);
  EXPECT_NEAR(xn.mean, 0.0, 0.002);
  Stats hn = stats(at(6), n);
  EXPECT_NEAR(hn.std, std::sqrt(2.0 / 100), 0.002);
  double ha = std::sqrt(6.0 / 100);
  Stats hu = stats(at(7), n);
  EXPECT_GE(hu.min, -ha);
  EXPECT_LT(hu.max, ha);
  EXPECT_NEAR(hu.std, ha / std::sqrt(3.0), 0.003);
}

TEST(Init, SameSeedSameBytesOtherSeedOtherBytes) {
  TensorModel tm({tensor("a", KILN_INIT_NORMAL, 10, 7, 0, 1),
                  tensor("b", KILN_INIT_UNIFORM, 3, 5, 0, 1)});
  State s1(&tm.m), s2(&tm.m), s3(&tm.m);
  kiln_error err{};
  ASSERT_EQ(kiln_init_state(&tm.m, s1.data, 7, &err), KILN_OK);
  ASSERT_EQ(kiln_init_state(&tm.m, s2.data, 7, &err), KILN_OK);
  ASSERT_EQ(kiln_init_state(&tm.m, s3.data, 8, &err), KILN_OK);
  size_t bytes = (size_t)s1.size * sizeof(float);
  EXPECT_EQ(std::memcmp(s1.data, s2.data, bytes), 0);
  for (int64_t i = 0; i < s1.size; ++i)
    EXPECT_NE(s1.data[i], s3.data[i]) << i;
  // Two tensors with the same init differ: each has its own stream.
  TensorModel twin({tensor("a", KILN_INIT_NORMAL, 4, 4, 0, 1),
                    tensor("b", KILN_INIT_NORMAL, 4, 4, 0, 1)});
  State t(&twin.m);
  ASSERT_EQ(kiln_init_state(&twin.m, t.data, 7, &err), KILN_OK);
  EXPECT_NE(std::memcmp(t.data, t.data + 16, 16 * sizeof(float)), 0);
}

// A tensor's values depend on (seed, its index, its own shape) only: not on
// the size of the tensors before it, and a prefix of a longer tensor of the
// same index is the same.
TEST(Init, StreamsAreIndependentOfOtherTensors) {
  TensorModel small({tensor("x", KILN_INIT_ZEROS, 1, 3),
                     tensor("w", KILN_INIT_UNIFORM, 5, 5, -1, 1)});
  TensorModel big({tensor("x", KILN_INIT_NORMAL, 100, 30, 0, 1),
                   tensor("w", KILN_INIT_UNIFORM, 5, 7, -1, 1)});
  State a(&small.m), b(&big.m);
  kiln_error err{};
  ASSERT_EQ(kiln_init_state(&small.m, a.data, 3, &err), KILN_OK);
  ASSERT_EQ(kiln_init_state(&big.m, b.data, 3, &err), KILN_OK);
  EXPECT_EQ(std::memcmp(a.data + 3, b.data + 3000, 25 * sizeof(float)), 0);
}

TEST(Init, NormalValuesFollowTheDocumentedStream) {
  TensorModel tm({tensor("n", KILN_INIT_NORMAL, 1, 6, 0.5, 2.0)});
  State s(&tm.m);
  kiln_error err{};
  ASSERT_EQ(kiln_init_state(&tm.m, s.data, 99, &err), KILN_OK);
  uint32_t key[2];
  kiln_stream_key(99, KILN_STREAM_INIT, 0, key);
  for (uint32_t block = 0; block < 2; ++block) {
    uint32_t ctr[4] = {block, 0, 0, 0}, out[4];
    kiln_philox4x32_10(ctr, key, out);
    float z[4];
    kiln_box_muller(out[0], out[1], &z[0], &z[1]);
    kiln_box_muller(out[2], out[3], &z[2], &z[3]);
    for (int k = 0; k < 4 && block * 4 + k < 6; ++k)
      EXPECT_EQ(s.data[block * 4 + k], (float)(0.5 + 2.0 * z[k]));
  }
}

TEST(Init, RejectsBadFansAndBadDescriptors) {
  TensorModel tm({tensor("l1.weight", KILN_INIT_HE_NORMAL, 2, 2, 0, 0, 0, 2)});
  State s(&tm.m);
  kiln_error err{};
  EXPECT_EQ(kiln_init_state(&tm.m, s.data, 1, &err), KILN_ERR_ABI);
  EXPECT_TRUE(contains(err.message, "tensor \"l1.weight\": fan_in 0"))
      << err.message;
  TensorModel bad({tensor("t", 42, 2, 2)});
  EXPECT_EQ(kiln_init_state(&bad.m, s.data, 1, &err), KILN_ERR_ABI);
  EXPECT_TRUE(contains(err.message, "unknown init kind 42")) << err.message;
  TensorModel old({tensor("t", KILN_INIT_ZEROS, 2, 2)});
  old.m.abi_version = 99;
  EXPECT_EQ(kiln_init_state(&old.m, s.data, 1, &err), KILN_ERR_ABI);
  EXPECT_TRUE(contains(err.message, "ABI version 99")) << err.message;
  TensorModel outside({tensor("t", KILN_INIT_ZEROS, 2, 2)});
  outside.m.state_size = 3;
  EXPECT_EQ(kiln_init_state(&outside.m, s.data, 1, &err), KILN_ERR_ABI);
  EXPECT_TRUE(contains(err.message, "outside the state buffer")) << err.message;
}

} // namespace
