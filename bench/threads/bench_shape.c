/* One matmul kernel of kiln's alone (bench/threads/matmul.sh, lowered by
 * kiln-opt), in GFLOP/s at one thread: best of 5 rounds after a warm-up,
 * each round about 0.2 s, its result checked against a float64 product.
 * Build with -DKERNEL=<name>_predict -DM=.. -DN=.. -DK=.. -DA_SIZE=..
 * -DW_SIZE=.. (the sizes of its input and weight) and -DKIND='f', 'x' or
 * 'w' (the forward x Wᵀ, the input gradient dY W, the weight gradient
 * dYᵀ X: matmul.sh's nt, nn and tn, bench_matmul.c's kinds). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../bench_util.h"

#define STR_(x) #x
#define STR(x) STR_(x)

void omp_set_num_threads(int n);
void KERNEL(const float *w, void *ws, const float *x, float *out);

int main(void) {
  omp_set_num_threads(1);
  float *x = bench_random_floats(A_SIZE), *w = bench_random_floats(W_SIZE);
  float *out = bench_random_floats((size_t)M * N);
  void *ws = aligned_alloc(64, 64 << 20);
  double flops = 2.0 * M * N * K;
  int calls = (int)fmax(1, 0.2e9 * 100 / flops);
  double best = INFINITY;
  for (int round = 0; round < 6; ++round) {
    double t0 = bench_now();
    for (int c = 0; c < calls; ++c)
      KERNEL(w, ws, x, out);
    if (round > 0)
      best = fmin(best, (bench_now() - t0) / calls);
  }
  double worst = 0;
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      double ref = 0, scale = 0;
      for (int k = 0; k < K; ++k) {
        double a = KIND == 'w' ? x[(size_t)k * M + i] : x[(size_t)i * K + k];
        double b = KIND == 'f' ? w[(size_t)j * K + k] : w[(size_t)k * N + j];
        ref += a * b;
        scale += fabs(a * b);
      }
      worst = fmax(worst, fabs(out[(size_t)i * N + j] - ref) / (scale + 1e-30));
    }
  printf("%s %d x %d x %d: %.1f GFLOP/s (max relative error %.1e)\n",
         STR(KERNEL), M, N, K, flops / best * 1e-9, worst);
  if (worst > 1e-5) {
    fprintf(stderr, "%s: wrong result\n", STR(KERNEL));
    return 1;
  }
  return 0;
}
