/*===- metrics.c - Loss, accuracy, MSE, MAE and R² over a dataset ---------===*/

#include "rt_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

kiln_status kiln_metrics_init(kiln_metrics *acc, const kiln_model *m,
                              kiln_error *err) {
  memset(acc, 0, sizeof *acc);
  acc->target_kind = m->target_kind;
  acc->target_dim = m->target_dim;
  acc->output_dim = m->output_dim;
  acc->mean = calloc((size_t)m->target_dim, sizeof *acc->mean);
  acc->m2 = calloc((size_t)m->target_dim, sizeof *acc->m2);
  if (!acc->mean || !acc->m2) {
    kiln_metrics_free(acc);
    return kiln_fail(err, KILN_ERR_MEMORY, "out of memory");
  }
  return KILN_OK;
}

void kiln_metrics_free(kiln_metrics *acc) {
  free(acc->mean);
  free(acc->m2);
  acc->mean = acc->m2 = NULL;
}

void kiln_metrics_add(kiln_metrics *acc, double loss, const float *output,
                      const float *target) {
  acc->rows++;
  acc->loss_sum += loss;
  switch (acc->target_kind) {
  case KILN_TARGET_CLASS: {
    int64_t best = 0;
    for (int64_t c = 1; c < acc->output_dim; ++c)
      if (output[c] > output[best])
        best = c;
    acc->hits += (double)best == (double)target[0];
    acc->trials += 1;
    break;
  }
  case KILN_TARGET_BINARY:
  case KILN_TARGET_MULTILABEL:
    for (int64_t k = 0; k < acc->target_dim; ++k)
      acc->hits += (output[k] >= 0.5f) == (target[k] >= 0.5f);
    acc->trials += (double)acc->target_dim;
    break;
  default: {
    double n = (double)acc->rows;
    for (int64_t k = 0; k < acc->target_dim; ++k) {
      double t = target[k], d = (double)output[k] - t;
      acc->se += d * d;
      acc->ae += fabs(d);
      /* Welford: SS_tot without a second pass. */
      double delta = t - acc->mean[k];
      acc->mean[k] += delta / n;
      acc->m2[k] += delta * (t - acc->mean[k]);
    }
    break;
  }
  }
}

void kiln_metrics_result(const kiln_metrics *acc, kiln_eval_result *r) {
  double n = (double)acc->rows;
  r->rows = acc->rows;
  r->loss = acc->rows ? acc->loss_sum / n : NAN;
  r->accuracy = r->mse = r->mae = r->r2 = NAN;
  if (acc->target_kind != KILN_TARGET_REAL) {
    if (acc->trials > 0)
      r->accuracy = acc->hits / acc->trials;
    return;
  }
  if (!acc->rows)
    return;
  double cells = n * (double)acc->target_dim, ss_tot = 0;
  for (int64_t k = 0; k < acc->target_dim; ++k)
    ss_tot += acc->m2[k];
  r->mse = acc->se / cells;
  r->mae = acc->ae / cells;
  /* Constant targets: sklearn's convention (1 if perfect, else 0). */
  r->r2 = ss_tot > 0 ? 1.0 - acc->se / ss_tot : (acc->se == 0 ? 1.0 : 0.0);
}

kiln_status kiln_metrics_allreduce(kiln_metrics *acc, const kiln_comm *comm,
                                   kiln_error *err) {
  if (!comm || comm->size <= 1)
    return KILN_OK;
  int64_t k, dims = acc->target_kind == KILN_TARGET_REAL ? acc->target_dim : 0;
  /* The sums, and the per-column means weighted by rows; then the
   * columns' m2 about the job's means (Chan et al.'s parallel variance:
   * m2 = sum_r m2_r + n_r (mean_r - mean)^2). */
  double *buf = malloc((size_t)(6 + 2 * dims) * sizeof *buf);
  if (!buf)
    return kiln_fail(err, KILN_ERR_MEMORY, "out of memory for the metrics");
  double n = (double)acc->rows;
  buf[0] = n;
  buf[1] = acc->loss_sum;
  buf[2] = acc->hits;
  buf[3] = acc->trials;
  buf[4] = acc->se;
  buf[5] = acc->ae;
  for (k = 0; k < dims; ++k)
    buf[6 + k] = acc->mean[k] * n;
  int failed = comm->allreduce_sum_f64(comm->impl, buf, 6 + dims);
  double total = buf[0];
  for (k = 0; k < dims && !failed; ++k) {
    double mean = total > 0 ? buf[6 + k] / total : 0, d = acc->mean[k] - mean;
    buf[6 + dims + k] = acc->m2[k] + n * d * d;
    acc->mean[k] = mean;
  }
  if (!failed && dims)
    failed = comm->allreduce_sum_f64(comm->impl, buf + 6 + dims, dims);
  if (failed) {
    free(buf);
    return kiln_fail(err, KILN_ERR_IO,
                     "rank %d: the allreduce of the metrics failed",
                     comm->rank);
  }
  acc->rows = (int64_t)total;
  acc->loss_sum = buf[1];
  acc->hits = buf[2];
  acc->trials = buf[3];
  acc->se = buf[4];
  acc->ae = buf[5];
  for (k = 0; k < dims; ++k)
    acc->m2[k] = buf[6 + dims + k];
  free(buf);
  return KILN_OK;
}

double kiln_eval_metric(const kiln_eval_result *r, int32_t metric) {
  switch (metric) {
  case KILN_METRIC_LOSS: return r->loss;
  case KILN_METRIC_ACCURACY: return r->accuracy;
  case KILN_METRIC_MSE: return r->mse;
  case KILN_METRIC_MAE: return r->mae;
  case KILN_METRIC_R2: return r->r2;
  default: return NAN;
  }
}

int32_t kiln_primary_metric(const kiln_model *m, int32_t monitor) {
  if (m->target_kind != KILN_TARGET_REAL)
    return KILN_METRIC_ACCURACY;
  if (monitor == KILN_METRIC_MSE || monitor == KILN_METRIC_MAE ||
      monitor == KILN_METRIC_R2)
    return monitor;
  return KILN_METRIC_R2;
}

int kiln_metric_higher_is_better(int32_t metric) {
  return metric == KILN_METRIC_ACCURACY || metric == KILN_METRIC_R2;
}
