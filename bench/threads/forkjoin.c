/* What one OpenMP parallel region costs on this machine, as kiln's
 * generated code opens one per split kernel: the median of 1e5 empty
 * work-sharing loops over 2 iterations, each timed alone. Run under
 * different OMP_WAIT_POLICY / OMP_NUM_THREADS settings. Build: clang-19
 * -O2 -fopenmp forkjoin.c. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../bench_util.h"

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(void) {
  enum { N = 100000 };
  static double t[N];
  volatile int sink = 0;
  for (int i = 0; i < N; ++i) {
    double t0 = bench_now();
#pragma omp parallel for schedule(static)
    for (int j = 0; j < 2; ++j)
      sink += j;
    t[i] = bench_now() - t0;
  }
  qsort(t, N, sizeof t[0], cmp);
  printf("parallel region, %d threads: median %.2f us, p90 %.2f us, p99 %.2f us\n",
         omp_get_max_threads(), t[N / 2] * 1e6, t[N * 9 / 10] * 1e6,
         t[N * 99 / 100] * 1e6);
  return 0;
}
