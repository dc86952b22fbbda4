/* Training steps per second of a compiled model on random data (no data
 * loading in the timed loop). Build with -DMODEL=<name>_model and link the
 * model's object and libkiln_rt.a (and libomp, for a model with parallel
 * kernels). Usage: bench_train [STEPS [THREADS]]; one thread by default. */
#include "kiln_rt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../bench_util.h"

extern const kiln_model MODEL;

int main(int argc, char **argv) {
  const kiln_model *m = &MODEL;
  int steps = argc > 1 ? atoi(argv[1]) : 2000;
  int threads = argc > 2 ? atoi(argv[2]) : 1;
  kiln_set_threads(threads);
  enum { BATCHES = 16 };
  int64_t b = m->batch_size;
  float *state = aligned_alloc(64, (m->state_size * 4 + 63) / 64 * 64);
  unsigned char *ws = aligned_alloc(64, (m->workspace_size + 63) / 64 * 64);
  float *x = malloc(sizeof(float) * BATCHES * b * m->input_dim);
  int64_t ydim = m->target_dim;
  float *y = malloc(sizeof(float) * BATCHES * b * ydim);
  kiln_error err;
  if (kiln_init_state(m, state, 1, &err) != KILN_OK) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  for (int64_t i = 0; i < BATCHES * b * m->input_dim; ++i)
    x[i] = (float)rand() / RAND_MAX;
  for (int64_t i = 0; i < BATCHES * b * ydim; ++i)
    y[i] = m->num_classes > 0 ? (float)(rand() % m->num_classes)
                              : (float)rand() / RAND_MAX;

  float loss = 0;
  double best = INFINITY;
  for (int round = 0; round < 4; ++round) {
    double t0 = bench_now();
    for (int s = 0; s < steps; ++s) {
      int k = s % BATCHES;
      m->train_step(state, ws, x + k * b * m->input_dim, y + k * b * ydim,
                    round * steps + s + 1, 0, 1, &loss);
    }
    double t = bench_now() - t0;
    if (round > 0) /* the first round warms up */
      best = fmin(best, t);
  }
  printf("%s: %.0f samples/s (%.1f us/step, batch %lld, %d thread%s, loss "
         "%.4f)\n",
         m->name, steps * b / best, best / steps * 1e6, (long long)b, threads,
         threads > 1 ? "s" : "", loss);
  return isfinite(loss) ? 0 : 1;
}
