/* Prediction latency through the embedding API, as an application sees it:
 * kiln_ctx_predict on 1, 2, 8, 64 and 256 rows of random inputs, one call
 * at a time. Per row count: a warm-up, then N calls timed one by one (N so
 * the row count takes about SECONDS, at least 200); prints the median and
 * the 99th percentile per call, one line per row count:
 *   kiln <TAB> model <TAB> threads <TAB> rows <TAB> median_us <TAB> p99_us
 * Build with -DMODEL=<name>_model against `kiln build --emit=lib`'s output.
 * Usage: bench_predict [--threads T] [--seconds S]; 1 thread, 1 s by
 * default. */
#include "kiln_rt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench_util.h"

extern const kiln_model MODEL;

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static kiln_status check(kiln_ctx *ctx, kiln_status st) {
  if (st != KILN_OK) {
    fprintf(stderr, "bench_predict: %s\n", kiln_ctx_last_error(ctx));
    exit(1);
  }
  return st;
}

int main(int argc, char **argv) {
  const kiln_model *m = &MODEL;
  int threads = 1;
  double seconds = 1.0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--threads"))
      threads = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--seconds"))
      seconds = atof(argv[i + 1]);
  }
  kiln_ctx *ctx;
  kiln_error err;
  if (kiln_ctx_create(m, &ctx, &err) != KILN_OK) {
    fprintf(stderr, "bench_predict: %s\n", err.message);
    return 1;
  }
  check(ctx, kiln_ctx_init(ctx, 1));
  check(ctx, kiln_ctx_set_threads(ctx, threads));

  static const int row_counts[] = {1, 2, 8, 64, 256};
  for (size_t r = 0; r < sizeof row_counts / sizeof *row_counts; ++r) {
    int rows = row_counts[r];
    float *x = bench_random_floats((size_t)rows * m->input_dim);
    float *out = bench_random_floats((size_t)rows * m->output_dim);
    /* Warm-up (caches, the thread team), which also sizes N. */
    int warm = 0;
    double t0 = bench_now();
    while (warm < 10 || bench_now() - t0 < 0.1 * seconds) {
      check(ctx, kiln_ctx_predict(ctx, x, rows, out));
      ++warm;
    }
    double per_call = (bench_now() - t0) / warm;
    int n = (int)(seconds / per_call);
    n = n < 200 ? 200 : n;
    double *t = malloc(sizeof(double) * n);
    for (int i = 0; i < n; ++i) {
      double s = bench_now();
      kiln_ctx_predict(ctx, x, rows, out);
      t[i] = bench_now() - s;
    }
    /* The outputs are probabilities: each row sums to 1. */
    for (int i = 0; i < rows; ++i) {
      double sum = 0;
      for (int64_t j = 0; j < m->output_dim; ++j)
        sum += out[i * m->output_dim + j];
      if (fabs(sum - 1) > 1e-3) {
        fprintf(stderr, "bench_predict: row %d sums to %g\n", i, sum);
        return 1;
      }
    }
    qsort(t, n, sizeof *t, by_value);
    printf("kiln\t%s\t%d\t%d\t%.2f\t%.2f\n", m->name, threads, rows,
           t[n / 2] * 1e6, t[(int)ceil(0.99 * n) - 1] * 1e6);
    fflush(stdout);
    free(t);
    free(x);
    free(out);
  }
  kiln_ctx_destroy(ctx);
  return 0;
}
