/*===- threads.c - How many threads the compiled kernels use --------------===*/
/*
 * A model compiled with threads splits its large kernels over LLVM's OpenMP
 * runtime (docs/threads.md); its team size is the calling thread's OpenMP
 * setting, which the runtime sets before it calls the compiled code. The
 * OpenMP entry points are weak: a program whose model is serial does not
 * link the OpenMP runtime, and then there is nothing to set.
 */

#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "rt_internal.h"

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

extern void omp_set_num_threads(int n) __attribute__((weak));

int kiln_num_cores(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0)
      return n;
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

kiln_status kiln_parse_threads(const char *text, const char *what, int *out,
                               kiln_error *err) {
  char *end;
  errno = 0;
  long n = text ? strtol(text, &end, 10) : 0;
  if (!text || !*text || *end || errno || n < 1 || n > KILN_MAX_THREADS)
    return kiln_fail(err, KILN_ERR_ARGUMENT,
                     "%s: expected a thread count from 1 to %d, got \"%s\"",
                     what, KILN_MAX_THREADS, text ? text : "");
  *out = (int)n;
  return KILN_OK;
}

kiln_status kiln_default_threads(int *out, kiln_error *err) {
  const char *env = getenv("KILN_NUM_THREADS");
  if (env)
    return kiln_parse_threads(env, "KILN_NUM_THREADS", out, err);
  *out = kiln_num_cores();
  return KILN_OK;
}

/* What this thread last asked the OpenMP runtime for: setting it costs
 * about as much as a small prediction, and most calls ask for the same. */
static _Thread_local int current_threads;

void kiln_set_threads(int threads) {
  if (omp_set_num_threads && threads > 0 && threads != current_threads) {
    omp_set_num_threads(threads);
    current_threads = threads;
  }
}

/* Compiled-code calls in flight through contexts, in the whole process. */
static atomic_int calls_in_flight;

/* The cores, read once: a system call per prediction would cost more than
 * a one-row predict does. */
static atomic_int cached_cores;

int kiln_threads_enter(int wanted) {
  int others = atomic_fetch_add(&calls_in_flight, 1);
  int cores = atomic_load(&cached_cores);
  if (cores == 0) {
    cores = kiln_num_cores();
    atomic_store(&cached_cores, cores);
  }
  /* Callers that already run on their own threads (an application's pool)
   * share the cores instead of each starting a full team. */
  int share = cores / (others + 1);
  int n = wanted < share ? wanted : share;
  n = n > 0 ? n : 1;
  kiln_set_threads(n);
  return n;
}

void kiln_threads_leave(void) { atomic_fetch_sub(&calls_in_flight, 1); }
