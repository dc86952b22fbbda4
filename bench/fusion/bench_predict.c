/* Prediction latency of a compiled model: one batch, after its prepare
 * (if any) ran once. Build with -DMODEL=<name>_model. */
#include "kiln_rt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../bench_util.h"

extern const kiln_model MODEL;

int main(int argc, char **argv) {
  const kiln_model *m = &MODEL;
  int reps = argc > 1 ? atoi(argv[1]) : 2000;
  float *state = aligned_alloc(64, (m->state_size * 4 + 63) / 64 * 64);
  int64_t psize = m->prepare ? m->predict_state_size : m->state_size;
  float *pstate = aligned_alloc(64, (psize * 4 + 63) / 64 * 64);
  unsigned char *ws = aligned_alloc(64, (m->workspace_size + 63) / 64 * 64);
  float *x = malloc(sizeof(float) * m->batch_size * m->input_dim);
  float *y = malloc(sizeof(float) * m->batch_size * m->output_dim);
  kiln_error err;
  if (kiln_init_state(m, state, 1, &err) != KILN_OK) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  for (int64_t i = 0; i < m->batch_size * m->input_dim; ++i)
    x[i] = (float)rand() / RAND_MAX;
  const float *ps = state;
  if (m->prepare) {
    m->prepare(state, ws, pstate);
    ps = pstate;
  }
  double best = INFINITY;
  for (int round = 0; round < 5; ++round) {
    double t0 = bench_now();
    for (int r = 0; r < reps; ++r)
      m->predict(ps, ws, x, y);
    double t = (bench_now() - t0) / reps;
    if (round > 0)
      best = fmin(best, t);
  }
  printf("%s predict: %.1f us per batch of %lld\n", m->name, best * 1e6,
         (long long)m->batch_size);
  return 0;
}
