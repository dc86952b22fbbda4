/* One matmul kernel of kiln's alone (bench/threads/matmul.sh, lowered by
 * kiln-opt), in GFLOP/s at one thread: best of 5 rounds after a warm-up,
 * each round about 0.2 s. Build with -DKERNEL=<name>_predict -DM=.. -DN=..
 * -DK=.. -DA_SIZE=.. -DW_SIZE=.. (the sizes of its input and weight). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define STR_(x) #x
#define STR(x) STR_(x)

void omp_set_num_threads(int n);
void KERNEL(const float *w, void *ws, const float *x, float *out);

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *random_floats(size_t n) {
  float *p = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
  for (size_t i = 0; i < n; ++i)
    p[i] = (float)rand() / RAND_MAX - 0.5f;
  return p;
}

int main(void) {
  omp_set_num_threads(1);
  float *x = random_floats(A_SIZE), *w = random_floats(W_SIZE);
  float *out = random_floats((size_t)M * N);
  void *ws = aligned_alloc(64, 64 << 20);
  double flops = 2.0 * M * N * K;
  int calls = (int)fmax(1, 0.2e9 * 100 / flops);
  double best = INFINITY;
  for (int round = 0; round < 6; ++round) {
    double t0 = now();
    for (int c = 0; c < calls; ++c)
      KERNEL(w, ws, x, out);
    if (round > 0)
      best = fmin(best, (now() - t0) / calls);
  }
  printf("%s %d x %d x %d: %.1f GFLOP/s\n", STR(KERNEL), M, N, K,
         flops / best * 1e-9);
  return 0;
}
