/* The compiled dense layer's predict against OpenBLAS's sgemm on the same
 * operands, side by side in one process, single-threaded. Prints the best of
 * several timed rounds of each and the largest difference of the results. */
#include "dense.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../bench_util.h"

enum { M = 256, K = 1024, N = 1024, ROUNDS = 7, REPS = 20 };

int main(void) {
  const kiln_model *m = &dense_model;
  float *state = bench_random_floats(m->state_size);
  unsigned char *ws = aligned_alloc(64, (m->workspace_size + 63) / 64 * 64);
  float *x = bench_random_floats((size_t)M * K), *y = bench_random_floats((size_t)M * N),
        *ref = bench_random_floats((size_t)M * N);
  const float *w = state + m->tensors[0].offset; /* [N, K] */

  double best = INFINITY, bestBlas = INFINITY;
  for (int round = 0; round < ROUNDS; ++round) {
    double t0 = bench_now();
    for (int r = 0; r < REPS; ++r)
      m->predict(state, ws, x, y);
    double t1 = bench_now();
    for (int r = 0; r < REPS; ++r)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, x, K,
                  w, K, 0.0f, ref, N);
    double t2 = bench_now();
    if (round == 0)
      continue; /* warm-up */
    best = fmin(best, (t1 - t0) / REPS);
    bestBlas = fmin(bestBlas, (t2 - t1) / REPS);
  }
  double maxDiff = 0;
  for (size_t i = 0; i < (size_t)M * N; ++i)
    maxDiff = fmax(maxDiff, fabs((double)y[i] - ref[i]));
  double flops = 2.0 * M * N * K;
  printf("dense %dx%d by %dx%d (W stored [out, in]), 1 thread\n", M, K, K, N);
  printf("  kiln      %8.3f ms  %6.1f GFLOP/s\n", best * 1e3, flops / best / 1e9);
  printf("  openblas  %8.3f ms  %6.1f GFLOP/s\n", bestBlas * 1e3,
         flops / bestBlas / 1e9);
  printf("  kiln / openblas throughput: %.2f   max |difference|: %.2g\n",
         bestBlas / best, maxDiff);
  return maxDiff < 1e-3 ? 0 : 1;
}
