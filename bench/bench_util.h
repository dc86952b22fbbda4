/* What every C benchmark here times with and feeds its kernels: a monotonic
 * clock in seconds, 64-byte aligned floats uniform in [-0.5, 0.5), and the
 * target's widest float vector. */
#ifndef KILN_BENCH_UTIL_H
#define KILN_BENCH_UTIL_H

#include <stdlib.h>
#include <time.h>

static inline double bench_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static inline float *bench_random_floats(size_t n) {
  float *p = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
  for (size_t i = 0; p && i < n; ++i)
    p[i] = (float)(rand() / (double)RAND_MAX) - 0.5f;
  return p;
}

/* The widest float vector -march=native gives, for the probes of the
 * machine's peak (bench/threads/peak.c) and bandwidth (bench/predict). */
#if defined(__AVX512F__)
#define BENCH_LANES 16
#elif defined(__AVX__)
#define BENCH_LANES 8
#else
#define BENCH_LANES 4
#endif
typedef float bench_vec __attribute__((vector_size(BENCH_LANES * 4)));

#endif /* KILN_BENCH_UTIL_H */
