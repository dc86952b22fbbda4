/* The memory side of a prediction's physical bound: every call reads each
 * dense layer's weights and bias once, so it takes at least their bytes
 * divided by the rate one core reads a buffer of that size from its caches
 * (or memory) when it is read over and over, as a predictor's weights are.
 * Sums the dense weights and biases of the model's descriptor (its PARAM
 * tensors named *.weight and *.bias), then sums a float array of that size
 * with the widest vectors -march=native gives, repeatedly, best of 5
 * rounds of about 0.2 s; one thread. Prints
 *   bound <TAB> model <TAB> weight_bytes <TAB> read_GB/s
 * bench/predict/summarize.py adds the FLOPs side (2 x weights x rows at
 * bench/threads/peak.c's FMA peak). Build with -O3 -march=native
 * -DMODEL=<name>_model, linked like bench_predict.c. */
#include "kiln_rt.h"

#include <stdio.h>
#include <string.h>

#include "../bench_util.h"

extern const kiln_model MODEL;

#define LANES BENCH_LANES
typedef bench_vec vec;
enum { CHAINS = 8 }; /* independent adds: loads, not add latency, limit */

static int ends_with(const char *s, const char *tail) {
  size_t n = strlen(s), k = strlen(tail);
  return n >= k && !strcmp(s + n - k, tail);
}

/* The sum of n vectors (a multiple of CHAINS). */
static vec sweep(const vec *a, size_t n) {
  vec acc[CHAINS] = {0};
  for (size_t i = 0; i < n; i += CHAINS)
    for (int c = 0; c < CHAINS; ++c)
      acc[c] += a[i + c];
  for (int c = 1; c < CHAINS; ++c)
    acc[0] += acc[c];
  return acc[0];
}

int main(void) {
  const kiln_model *m = &MODEL;
  size_t floats = 0;
  for (int i = 0; i < m->num_tensors; ++i) {
    const kiln_tensor_info *t = &m->tensors[i];
    if (t->role == KILN_ROLE_PARAM &&
        (ends_with(t->name, ".weight") || ends_with(t->name, ".bias")))
      floats += (size_t)t->numel;
  }
  size_t n = (floats + LANES * CHAINS - 1) / (LANES * CHAINS) * CHAINS;
  vec *a = (vec *)bench_random_floats(n * LANES);
  vec sink = {0};
  long reps = 0; /* a warm-up of 0.05 s sizes the rounds */
  for (double t0 = bench_now(); bench_now() - t0 < 0.05; ++reps)
    sink += sweep(a, n);
  reps *= 4;
  double best = 0;
  for (int round = 0; round < 5; ++round) {
    double t0 = bench_now();
    for (long r = 0; r < reps; ++r) {
      __asm__ volatile("" : : "r"(a) : "memory"); /* no hoisting the sweep */
      sink += sweep(a, n);
    }
    double rate = n * sizeof(vec) * reps / (bench_now() - t0);
    best = rate > best ? rate : best;
  }
  printf("bound\t%s\t%zu\t%.1f\n", m->name, floats * 4, best * 1e-9);
  return sink[0] == 12345.0f; /* keeps the sums */
}
