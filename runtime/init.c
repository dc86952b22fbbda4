/*===- init.c - Initial values of the state buffer ------------------------===*/

#include "rt_internal.h"

#include <math.h>
#include <string.h>

/* Element e of a tensor uses word e % 4 of block e / 4: uniforms take the
 * word itself, normals the Box-Muller pair (words 0,1 or 2,3) it belongs
 * to. Each value depends on its index only. */
static void block_bits(const uint32_t key[2], int64_t b, uint32_t out[4]) {
  uint64_t block = (uint64_t)b;
  uint32_t ctr[4] = {(uint32_t)block, (uint32_t)(block >> 32), 0, 0};
  kiln_philox4x32_10(ctr, key, out);
}

static void fill_uniform(float *dst, int64_t n, const uint32_t key[2],
                         double low, double high) {
  for (int64_t b = 0; b * 4 < n; ++b) {
    uint32_t out[4];
    block_bits(key, b, out);
    for (int64_t k = 0; k < 4 && b * 4 + k < n; ++k) {
      double u = kiln_uniform_float(out[k]);
      dst[b * 4 + k] = (float)(low + (high - low) * u);
    }
  }
}

static void fill_normal(float *dst, int64_t n, const uint32_t key[2],
                        double mean, double std) {
  for (int64_t b = 0; b * 4 < n; ++b) {
    uint32_t out[4];
    float z[4];
    block_bits(key, b, out);
    kiln_box_muller(out[0], out[1], &z[0], &z[1]);
    kiln_box_muller(out[2], out[3], &z[2], &z[3]);
    for (int64_t k = 0; k < 4 && b * 4 + k < n; ++k)
      dst[b * 4 + k] = (float)(mean + std * (double)z[k]);
  }
}

static void fill_const(float *dst, int64_t n, float v) {
  for (int64_t i = 0; i < n; ++i)
    dst[i] = v;
}

kiln_status kiln_init_state(const kiln_model *m, float *state, uint64_t seed,
                            kiln_error *err) {
  kiln_status st = kiln_model_check(m, err);
  if (st)
    return st;
  for (int32_t t = 0; t < m->num_tensors; ++t) {
    const kiln_tensor_info *ti = &m->tensors[t];
    float *dst = state + ti->offset;
    int64_t n = ti->numel;
    uint32_t key[2];
    kiln_stream_key(seed, KILN_STREAM_INIT, (uint64_t)t, key);
    double fan_in = (double)ti->fan_in, fan_out = (double)ti->fan_out;
    int needs_fans = ti->init >= KILN_INIT_XAVIER_UNIFORM &&
                     ti->init <= KILN_INIT_HE_UNIFORM &&
                     kiln_role_saved(ti->role);
    if (needs_fans && (ti->fan_in <= 0 || ti->fan_out <= 0))
      return kiln_fail(err, KILN_ERR_ABI,
                       "tensor \"%s\": fan_in %lld / fan_out %lld must be "
                       "positive for its init",
                       ti->name, (long long)ti->fan_in,
                       (long long)ti->fan_out);
    if (!kiln_role_saved(ti->role)) {
      memset(dst, 0, (size_t)n * sizeof *dst);
      continue;
    }
    switch (ti->init) {
    case KILN_INIT_ZEROS:
      memset(dst, 0, (size_t)n * sizeof *dst);
      break;
    case KILN_INIT_ONES:
      fill_const(dst, n, 1.0f);
      break;
    case KILN_INIT_NORMAL:
      fill_normal(dst, n, key, ti->init_a, ti->init_b);
      break;
    case KILN_INIT_UNIFORM:
      fill_uniform(dst, n, key, ti->init_a, ti->init_b);
      break;
    case KILN_INIT_XAVIER_UNIFORM: {
      double a = sqrt(6.0 / (fan_in + fan_out));
      fill_uniform(dst, n, key, -a, a);
      break;
    }
    case KILN_INIT_XAVIER_NORMAL:
      fill_normal(dst, n, key, 0.0, sqrt(2.0 / (fan_in + fan_out)));
      break;
    case KILN_INIT_HE_NORMAL:
      fill_normal(dst, n, key, 0.0, sqrt(2.0 / fan_in));
      break;
    case KILN_INIT_HE_UNIFORM: {
      double a = sqrt(6.0 / fan_in);
      fill_uniform(dst, n, key, -a, a);
      break;
    }
    default:
      return kiln_fail(err, KILN_ERR_ABI, "tensor \"%s\": unknown init kind %d",
                       ti->name, (int)ti->init);
    }
  }
  return KILN_OK;
}
