/* The machine's measured FP32 peak: independent FMA chains on the widest
 * vectors the compiler targets (-march=native), per core and on every
 * thread of an OpenMP team. Prints GFLOP/s; the benchmark tables state
 * kiln's throughput as a fraction of it. Build: clang-19 -O2 -march=native
 * -fopenmp peak.c. */
#include <omp.h>
#include <stdio.h>
#include <time.h>

#include "../bench_util.h"

#define LANES BENCH_LANES
typedef bench_vec vec;
enum { CHAINS = 12 }; /* enough independent FMAs to cover the latency */

/* GFLOP/s of `iters` steps of CHAINS FMAs on one thread. */
static float run(long iters, float seed) {
  vec acc[CHAINS], a, b;
  for (int i = 0; i < LANES; ++i) {
    a[i] = 0.999999f;
    b[i] = seed * 1e-7f;
  }
  for (int c = 0; c < CHAINS; ++c)
    acc[c] = b + (float)c;
  for (long i = 0; i < iters; ++i)
    for (int c = 0; c < CHAINS; ++c) {
      acc[c] = acc[c] * a + b; /* contracted to one FMA at -O2 */
      __asm__ volatile("" : "+x"(acc[c]));
    }
  float s = 0;
  for (int c = 0; c < CHAINS; ++c)
    s += acc[c][0];
  return s;
}

int main(void) {
  const long iters = 100000000;
  float sink = 0;
  int max = omp_get_max_threads();
  for (int threads = 1; threads <= max; ++threads) {
    double best = 0;
    for (int round = 0; round < 3; ++round) {
      double t0 = bench_now();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
      sink += run(iters, (float)omp_get_thread_num());
      double t = bench_now() - t0;
      double gflops = 2.0 * LANES * CHAINS * iters * threads / t * 1e-9;
      best = gflops > best ? gflops : best;
    }
    printf("FP32 FMA peak, %d thread%s, %d-lane vectors: %.1f GFLOP/s\n",
           threads, threads > 1 ? "s" : "", LANES, best);
  }
  return sink == 12345.0f; /* keeps the work */
}
