/* The wide model's matmuls alone: kiln's kernels (bench/threads/matmul.sh,
 * lowered by kiln-opt) or OpenBLAS's cblas_sgemm on the same operands, in
 * GFLOP/s, best of 5 rounds of 5 calls after a warm-up round; the two
 * results are compared once. One library per process: an idle pool of
 * spinning threads would steal the other's cores.
 * Usage: bench_matmul kiln|openblas THREADS */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../bench_util.h"

void omp_set_num_threads(int n);
void openblas_set_num_threads(int n);
void fwd_predict(const float *w, void *ws, const float *x, float *out);
void dx_predict(const float *w, void *ws, const float *x, float *out);
void dw_predict(const float *w, void *ws, const float *x, float *out);

typedef void (*kernel)(const float *, void *, const float *, float *);

/* C[M, N] as kernel `kind` computes it (f: forward, x: input gradient,
 * w: weight gradient); `a` is the kernel's input, `b` its weight. */
static void sgemm(char kind, int m, int n, int k, const float *a,
                  const float *b, float *c) {
  if (kind == 'f') /* x Wᵀ, W [n, k] */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, a, k, b,
                k, 0, c, n);
  else if (kind == 'x') /* dY W */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k,
                b, n, 0, c, n);
  else /* dYᵀ X, dY [k, m] */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m, n, k, 1, a, m, b,
                n, 0, c, n);
}

int main(int argc, char **argv) {
  if (argc != 3 || (strcmp(argv[1], "kiln") && strcmp(argv[1], "openblas"))) {
    fprintf(stderr, "usage: %s kiln|openblas THREADS\n", argv[0]);
    return 2;
  }
  int use_kiln = strcmp(argv[1], "kiln") == 0, threads = atoi(argv[2]);
  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);
  struct {
    const char *name;
    int m, n, k;
    char kind;
    kernel f;
  } cases[] = {{"forward x Wt  ", 256, 2048, 1024, 'f', fwd_predict},
               {"input grad dY W", 256, 1024, 2048, 'x', dx_predict},
               {"weight grad dYt X", 2048, 1024, 256, 'w', dw_predict}};
  void *ws = aligned_alloc(64, 64 << 20);
  for (int i = 0; i < 3; ++i) {
    int m = cases[i].m, n = cases[i].n, k = cases[i].k;
    float *a = bench_random_floats((size_t)m * k), *b = bench_random_floats((size_t)n * k);
    float *c = bench_random_floats((size_t)m * n), *ref = bench_random_floats((size_t)m * n);
    double best = INFINITY;
    for (int round = 0; round < 6; ++round) {
      double t0 = bench_now();
      for (int r = 0; r < 5; ++r) {
        if (use_kiln)
          cases[i].f(b, ws, a, c);
        else
          sgemm(cases[i].kind, m, n, k, a, b, c);
      }
      if (round > 0)
        best = fmin(best, (bench_now() - t0) / 5);
    }
    /* The other library's result, once, untimed. */
    if (use_kiln)
      sgemm(cases[i].kind, m, n, k, a, b, ref);
    else
      cases[i].f(b, ws, a, ref);
    double diff = 0;
    for (size_t j = 0; j < (size_t)m * n; ++j)
      diff = fmax(diff, fabs(c[j] - ref[j]));
    printf("%-8s %d thread%s  %s %4dx%4dx%4d: %6.1f GFLOP/s  (max |diff| %.1e)\n",
           argv[1], threads, threads > 1 ? "s" : " ", cases[i].name, m, n, k,
           2.0 * m * n * k / best * 1e-9, diff);
    free(a), free(b), free(c), free(ref);
  }
  return 0;
}
