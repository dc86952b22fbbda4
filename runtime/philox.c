/*===- philox.c - Philox4x32-10 and the streams drawn from it -------------===*
 *
 * A counter-based generator: a value is a pure function of (key, counter),
 * so any element of any stream can be computed on its own, in any order, on
 * any thread. The compiled dropout uses the same function.
 *
 *===----------------------------------------------------------------------===*/

#include "rt_internal.h"

#include <math.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u /* golden ratio */
#define PHILOX_W1 0xBB67AE85u /* sqrt(3) - 1 */

void kiln_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2],
                        uint32_t out[4]) {
  uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
  uint32_t k0 = key[0], k1 = key[1];
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
    uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
    uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
    uint32_t n1 = (uint32_t)p1;
    uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
    uint32_t n3 = (uint32_t)p0;
    c0 = n0;
    c1 = n1;
    c2 = n2;
    c3 = n3;
    k0 += PHILOX_W0;
    k1 += PHILOX_W1;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

float kiln_uniform_float(uint32_t u) {
  return (float)(u >> 8) * (1.0f / 16777216.0f);
}

void kiln_box_muller(uint32_t u0, uint32_t u1, float *z0, float *z1) {
  /* In (0, 1]: log(0) would give an infinite radius. */
  double r1 = ((double)(u0 >> 8) + 1.0) * (1.0 / 16777216.0);
  double theta = (double)(u1 >> 8) * (1.0 / 16777216.0) * 6.283185307179586;
  double radius = sqrt(-2.0 * log(r1));
  *z0 = (float)(radius * cos(theta));
  *z1 = (float)(radius * sin(theta));
}

int kiln_dropout_keep(uint64_t seed, uint32_t op, int64_t step, uint32_t i,
                      float p) {
  uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
  uint64_t s = (uint64_t)step;
  uint32_t ctr[4] = {i, op, (uint32_t)s, (uint32_t)(s >> 32)};
  uint32_t out[4];
  kiln_philox4x32_10(ctr, key, out);
  return kiln_uniform_float(out[0]) >= p;
}

void kiln_stream_key(uint64_t seed, uint32_t stream, uint64_t index,
                     uint32_t key[2]) {
  /* Hashing (stream, index) under the seed gives keys that are unrelated
   * to each other and to the raw seed key dropout uses. */
  uint32_t base[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
  uint32_t ctr[4] = {stream, (uint32_t)index, (uint32_t)(index >> 32),
                     0x6b696c6eu /* "kiln" */};
  uint32_t out[4];
  kiln_philox4x32_10(ctr, base, out);
  key[0] = out[0];
  key[1] = out[1];
}

void kiln_permutation(uint64_t seed, uint32_t stream, uint64_t index,
                      int64_t n, int64_t *perm) {
  uint32_t key[2];
  kiln_stream_key(seed, stream, index, key);
  for (int64_t i = 0; i < n; ++i)
    perm[i] = i;
  for (int64_t i = n - 1; i > 0; --i) {
    uint64_t u = (uint64_t)i;
    uint32_t ctr[4] = {(uint32_t)u, (uint32_t)(u >> 32), 0, 0};
    uint32_t out[4];
    kiln_philox4x32_10(ctr, key, out);
    /* 64 random bits: the modulo bias is below 2^-30 for any real n. */
    uint64_t r = ((uint64_t)out[1] << 32) | out[0];
    int64_t j = (int64_t)(r % (u + 1));
    int64_t t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
}
