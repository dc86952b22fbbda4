//===- philox_test.cpp - Philox4x32-10, uniforms, normals, dropout --------===//

#include "test_util.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <set>

namespace {

void expectPhilox(std::array<uint32_t, 4> ctr, std::array<uint32_t, 2> key,
                  std::array<uint32_t, 4> want) {
  uint32_t out[4];
  kiln_philox4x32_10(ctr.data(), key.data(), out);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(out[i], want[i]) << "word " << i;
}

// Random123's kat_vectors for philox4x32_10.
TEST(Philox, KnownAnswers) {
  expectPhilox({0, 0, 0, 0}, {0, 0},
               {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
  expectPhilox({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
               {0xffffffff, 0xffffffff},
               {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
  expectPhilox({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
               {0xa4093822, 0x299f31d0},
               {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
}

TEST(Philox, UniformUsesTop24Bits) {
  EXPECT_EQ(kiln_uniform_float(0), 0.0f);
  EXPECT_EQ(kiln_uniform_float(0xff), 0.0f);
  EXPECT_EQ(kiln_uniform_float(0x100), 1.0f / 16777216.0f);
  EXPECT_EQ(kiln_uniform_float(0x80000000u), 0.5f);
  EXPECT_LT(kiln_uniform_float(0xffffffffu), 1.0f);
  EXPECT_EQ(kiln_uniform_float(0xffffffffu), 1.0f - 1.0f / 16777216.0f);
}

TEST(Philox, BoxMullerIsFiniteAtTheEdges) {
  float a, b;
  kiln_box_muller(0, 0, &a, &b);
  EXPECT_TRUE(std::isfinite(a) && std::isfinite(b));
  kiln_box_muller(0xffffffffu, 0xffffffffu, &a, &b);
  EXPECT_TRUE(std::isfinite(a) && std::isfinite(b));
  // u0 = max gives radius sqrt(-2 log 1) = 0.
  EXPECT_EQ(a, 0.0f);
}

TEST(Philox, DropoutKeepFollowsTheDocumentedCounter) {
  const uint64_t seed = 0x123456789abcdefull;
  const uint32_t op = 3;
  const int64_t step = (int64_t(5) << 32) + 17;
  int kept = 0;
  const int n = 20000;
  for (uint32_t i = 0; i < (uint32_t)n; ++i) {
    uint32_t key[2] = {0x89abcdefu, 0x01234567u};
    uint32_t ctr[4] = {i, op, 17, 5};
    uint32_t out[4];
    kiln_philox4x32_10(ctr, key, out);
    int want = kiln_uniform_float(out[0]) >= 0.3f;
    ASSERT_EQ(kiln_dropout_keep(seed, op, step, i, 0.3f), want) << i;
    kept += want;
  }
  EXPECT_NEAR(kept / double(n), 0.7, 0.01);
  EXPECT_EQ(kiln_dropout_keep(seed, op, step, 0, 0.0f), 1);
  for (uint32_t i = 0; i < 100; ++i)
    EXPECT_EQ(kiln_dropout_keep(seed, op, step, i, 1.0f), 0);
}

TEST(Philox, PermutationIsAPermutationAndDependsOnItsInputs) {
  const int64_t n = 1000;
  std::vector<int64_t> a(n), b(n), c(n), d(n);
  kiln_permutation(42, KILN_STREAM_SHUFFLE, 0, n, a.data());
  kiln_permutation(42, KILN_STREAM_SHUFFLE, 0, n, b.data());
  kiln_permutation(42, KILN_STREAM_SHUFFLE, 1, n, c.data());
  kiln_permutation(43, KILN_STREAM_SHUFFLE, 0, n, d.data());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a, d);
  std::vector<int64_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(sorted[i], i);
  // Roughly uniform: element 0 lands in each half about equally often.
  int first_half = 0;
  for (uint64_t s = 0; s < 400; ++s) {
    std::vector<int64_t> p(10);
    kiln_permutation(s, KILN_STREAM_SPLIT, 0, 10, p.data());
    first_half += std::find(p.begin(), p.end(), 0) - p.begin() < 5;
  }
  EXPECT_NEAR(first_half / 400.0, 0.5, 0.1);
}

TEST(Philox, StreamKeysDifferByStreamAndIndex) {
  std::set<std::pair<uint32_t, uint32_t>> keys;
  for (uint32_t stream : {KILN_STREAM_INIT, KILN_STREAM_SPLIT,
                          KILN_STREAM_SHUFFLE})
    for (uint64_t i = 0; i < 50; ++i) {
      uint32_t k[2];
      kiln_stream_key(7, stream, i, k);
      keys.insert({k[0], k[1]});
    }
  EXPECT_EQ(keys.size(), 150u);
}

} // namespace
