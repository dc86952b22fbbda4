/*===- train.c - The training loop, evaluation and batched prediction -----===*/

#include "rt_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void kiln_train_options_default(const kiln_model *m, kiln_train_options *o) {
  memset(o, 0, sizeof *o);
  o->epochs = m && m->epochs > 0 ? m->epochs : 10;
  o->seed = m ? (uint64_t)m->seed : 0;
  o->shuffle = 1;
  o->early_stopping = m ? m->early_stopping : 0;
  o->monitor = m ? m->monitor : KILN_METRIC_LOSS;
  o->patience = m ? m->patience : 5;
  o->min_delta = m ? m->min_delta : 0.0;
  o->tty = -1;
}

static kiln_status check_data(const kiln_model *m, const kiln_dataset *d,
                              int need_targets, const char *what,
                              kiln_error *err) {
  if (!d || d->rows < 0 || (d->rows > 0 && !d->x))
    return kiln_fail(err, KILN_ERR_ARGUMENT, "%s: no data", what);
  if (d->input_dim != m->input_dim)
    return kiln_fail(err, KILN_ERR_SHAPE,
                     "%s: %lld features per row, the model takes %lld", what,
                     (long long)d->input_dim, (long long)m->input_dim);
  if (need_targets && d->rows > 0 && !d->y)
    return kiln_fail(err, KILN_ERR_ARGUMENT, "%s: no targets", what);
  if (need_targets && d->target_dim != m->target_dim)
    return kiln_fail(err, KILN_ERR_SHAPE,
                     "%s: %lld target columns, the model expects %lld", what,
                     (long long)d->target_dim, (long long)m->target_dim);
  return KILN_OK;
}

/* Per-batch buffers, 64-byte aligned for the compiled code. */
typedef struct batch_buffers {
  float *x, *y, *loss, *out;
} batch_buffers;

static void free_buffers(batch_buffers *b) {
  free(b->x);
  free(b->y);
  free(b->loss);
  free(b->out);
  memset(b, 0, sizeof *b);
}

/* `gather`: also x and y, for training's shuffled batches; evaluation
 * reads its rows in place. */
static kiln_status alloc_buffers(const kiln_model *m, int gather,
                                 batch_buffers *b, kiln_error *err) {
  size_t bs = (size_t)m->batch_size;
  memset(b, 0, sizeof *b);
  if (gather) {
    b->x = kiln_alloc_aligned(bs * (size_t)m->input_dim * sizeof(float));
    b->y = kiln_alloc_aligned(bs * (size_t)m->target_dim * sizeof(float));
  }
  b->loss = kiln_alloc_aligned(bs * sizeof(float));
  b->out = kiln_alloc_aligned(bs * (size_t)m->output_dim * sizeof(float));
  if ((gather && (!b->x || !b->y)) || !b->loss || !b->out) {
    free_buffers(b);
    return kiln_fail(err, KILN_ERR_MEMORY, "out of memory for batch buffers");
  }
  return KILN_OK;
}

/* Rows [first, first + rows) of d, read in place: the largest evaluation
 * block that fits, until none is left, so that no padded row is computed. */
static void evaluate_rows(const kiln_model *m, const float *state,
                          uint8_t *workspace, const kiln_dataset *d,
                          int64_t first, int64_t rows, batch_buffers *b,
                          kiln_metrics *acc) {
  const kiln_eval_block *e = m->eval_blocks;
  for (int64_t done = 0; done < rows; done += e->rows) {
    while (e->rows > rows - done)
      ++e;
    const float *x = d->x + (first + done) * m->input_dim;
    const float *y = d->y + (first + done) * m->target_dim;
    e->eval_step(state, workspace, x, y, b->loss, b->out);
    for (int64_t r = 0; r < e->rows; ++r)
      kiln_metrics_add(acc, b->loss[r], b->out + r * m->output_dim,
                       y + r * m->target_dim);
  }
}

/* With a job of several ranks, rank r takes the batches i = r mod size
 * and the accumulators are summed. */
static kiln_status evaluate_into(const kiln_model *m, const float *state,
                                 uint8_t *workspace, const kiln_dataset *d,
                                 batch_buffers *b, kiln_metrics *acc,
                                 const kiln_comm *comm, kiln_error *err) {
  int64_t bs = m->batch_size;
  int rank = comm ? comm->rank : 0, size = comm ? comm->size : 1;
  for (int64_t i = rank; i < kiln_num_batches(d->rows, bs); i += size) {
    int64_t first = i * bs;
    evaluate_rows(m, state, workspace, d, first,
                  d->rows - first < bs ? d->rows - first : bs, b, acc);
  }
  return kiln_metrics_allreduce(acc, comm, err);
}

kiln_status kiln_evaluate(const kiln_model *m, const float *state,
                          uint8_t *workspace, const kiln_dataset *d,
                          kiln_eval_result *result, kiln_error *err) {
  return kiln_evaluate_comm(m, state, workspace, d, NULL, result, err);
}

kiln_status kiln_evaluate_comm(const kiln_model *m, const float *state,
                               uint8_t *workspace, const kiln_dataset *d,
                               const kiln_comm *comm, kiln_eval_result *result,
                               kiln_error *err) {
  kiln_status st = kiln_model_check_trainable(m, "evaluate", err);
  if (st || (st = check_data(m, d, 1, "evaluation data", err)))
    return st;
  batch_buffers b;
  kiln_metrics acc;
  if ((st = alloc_buffers(m, 0, &b, err)))
    return st;
  if ((st = kiln_metrics_init(&acc, m, err))) {
    free_buffers(&b);
    return st;
  }
  st = evaluate_into(m, state, workspace, d, &b, &acc, comm, err);
  if (!st)
    kiln_metrics_result(&acc, result);
  kiln_metrics_free(&acc);
  free_buffers(&b);
  return st;
}

kiln_status kiln_predict_rows(const kiln_model *m, const float *pstate,
                              uint8_t *workspace, const float *x, int64_t rows,
                              float *out, kiln_error *err) {
  kiln_status st = kiln_model_check(m, err);
  return st ? st : kiln_predict_checked(m, pstate, workspace, x, rows, out, err);
}

kiln_status kiln_predict_checked(const kiln_model *m, const float *pstate,
                                 uint8_t *workspace, const float *x,
                                 int64_t rows, float *out, kiln_error *err) {
  if (rows < 0 || (rows > 0 && (!x || !out)))
    return kiln_fail(err, KILN_ERR_ARGUMENT, "predict: bad rows or buffers");
  /* The largest block that fits, until none is left: each block reads the
   * caller's rows and writes the caller's output in place. */
  const kiln_predict_block *b = m->predict_blocks;
  for (int64_t done = 0; done < rows;) {
    while (b->rows > rows - done)
      ++b; /* the table ends with a one-row block */
    b->predict(pstate, workspace, x + done * m->input_dim,
               out + done * m->output_dim);
    done += b->rows;
  }
  return KILN_OK;
}

/*---- Training ------------------------------------------------------------*/

static kiln_status check_options(const kiln_model *m,
                                 const kiln_train_options *o, int have_val,
                                 kiln_error *err) {
  if (o->epochs <= 0 && o->steps <= 0)
    return kiln_fail(err, KILN_ERR_ARGUMENT,
                     "epochs or steps must be positive");
  if (o->steps < 0)
    return kiln_fail(err, KILN_ERR_ARGUMENT, "steps must not be negative");
  if (o->checkpoint_every < 0 || o->checkpoint_every_steps < 0)
    return kiln_fail(err, KILN_ERR_ARGUMENT,
                     "checkpoint intervals must not be negative");
  if (!o->early_stopping)
    return KILN_OK;
  int real = m->target_kind == KILN_TARGET_REAL;
  int32_t mon = o->monitor;
  if (mon < KILN_METRIC_LOSS || mon > KILN_METRIC_R2 ||
      (real && mon == KILN_METRIC_ACCURACY) ||
      (!real && mon != KILN_METRIC_LOSS && mon != KILN_METRIC_ACCURACY))
    return kiln_fail(err, KILN_ERR_ARGUMENT,
                     "early stopping cannot monitor %s for %s targets",
                     kiln_metric_name(mon),
                     real ? "real" : "classification");
  if (o->patience < 0)
    return kiln_fail(err, KILN_ERR_ARGUMENT, "patience must not be negative");
  if (!have_val)
    return kiln_fail(err, KILN_ERR_ARGUMENT,
                     "early stopping needs validation data (a validation "
                     "split or a validation file)");
  return KILN_OK;
}

typedef struct trainer {
  const kiln_model *m;
  float *state;
  uint8_t *ws;
  const kiln_dataset *train, *val;
  const kiln_train_options *o;
  kiln_train_result *res;
  kiln_error *err;
  kiln_progress progress;
  batch_buffers b;
  int64_t *order;
  float *best; /* early stopping: the best epoch's state */
  FILE *metrics;
  int32_t primary; /* the metric shown next to val_loss */
  int64_t epochs, step, wait;
  double uninformed; /* the loss of a guess that ignores the inputs */
  double reference;  /* divergence: max(first step's loss, uninformed) */
  /* Resumable checkpoints (checkpoint.c): where the run is; the first
   * epoch run continues the one a checkpoint stopped in; a --steps run
   * that ended inside an epoch has written its last checkpoint. */
  kiln_run_position at;
  uint64_t data_fp;
  int resume_batch;
  int frozen;
  /* Data parallelism: the shard and its collectives (comm NULL alone);
   * whether any rank asked to stop at the last step. */
  kiln_dp dp;
  int interrupted;
} trainer;

/* Rank 0 of a job, or a process alone, writes the checkpoints. */
static int writes(const trainer *t) {
  return !t->dp.comm || t->dp.comm->rank == 0;
}

/* A run whose epoch loss exceeds this many times the reference has
 * diverged: far beyond the noise of a working run, and meant for weights
 * that blow up without reaching an infinity (adam with lr 1e6 trained
 * every epoch at chance level, and was saved). */
static const double DIVERGENCE_FACTOR = 1e4;

static const char *nonfinite_name(double v) {
  return isnan(v) ? "nan" : v > 0 ? "inf" : "-inf";
}

/* ln C for C classes, ln 2 per label, and the mean variance of the target
 * columns for real targets (the MSE of predicting their means): the loss
 * of a model that has learnt nothing, so that a run starting from good
 * weights (a small first loss) is not called diverged over noise. */
static double uninformed_loss(const kiln_model *m, const kiln_dataset *d) {
  switch (m->target_kind) {
  case KILN_TARGET_CLASS:
    return m->num_classes > 1 ? log((double)m->num_classes) : 0;
  case KILN_TARGET_BINARY:
  case KILN_TARGET_MULTILABEL:
    return log(2.0);
  default:
    break;
  }
  double total = 0;
  for (int64_t k = 0; k < d->target_dim; ++k) {
    double mean = 0, m2 = 0;
    for (int64_t r = 0; r < d->rows; ++r) {
      double v = d->y[r * d->target_dim + k], delta = v - mean;
      mean += delta / (double)(r + 1);
      m2 += delta * (v - mean);
    }
    total += m2 / (double)d->rows;
  }
  return d->target_dim > 0 ? total / (double)d->target_dim : 0;
}

static int compare_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* " on training rows 3, 17, 18": the rows of batch `b` in the data file
 * (from 1, the header excluded), sorted, without the repeats of a wrapped
 * batch, so that a value that overflows the model can be found. */
static void describe_batch(const trainer *t, int64_t b, char *dst,
                           size_t size) {
  int64_t bs = t->m->batch_size, n = t->train->rows;
  int64_t *rows = malloc((size_t)bs * sizeof *rows);
  dst[0] = '\0';
  if (!rows)
    return;
  for (int64_t k = 0; k < bs; ++k) {
    int64_t r = t->order[(b * bs + k) % n];
    rows[k] = t->train->source_rows ? t->train->source_rows[r] : r;
  }
  qsort(rows, (size_t)bs, sizeof *rows, compare_i64);
  int64_t unique = 0;
  for (int64_t k = 0; k < bs; ++k)
    if (k == 0 || rows[k] != rows[k - 1])
      rows[unique++] = rows[k];
  enum { SHOWN = 16 };
  size_t o = (size_t)snprintf(dst, size, " on training row%s",
                              unique == 1 ? "" : "s");
  for (int64_t k = 0; k < unique && k < SHOWN && o < size; ++k)
    o += (size_t)snprintf(dst + o, size - o, "%s %lld", k ? "," : "",
                          (long long)rows[k] + 1);
  if (unique > SHOWN && o < size)
    snprintf(dst + o, size - o, " and %lld more", (long long)(unique - SHOWN));
  free(rows);
}

/*---- Resumable checkpoints -------------------------------------------------*/

static kiln_status write_checkpoint(trainer *t) {
  if (!writes(t))
    return KILN_OK;
  kiln_run_position p = t->at;
  p.step = t->step;
  p.train_loss = t->res->train_loss;
  p.reference = t->reference;
  p.best_epoch = t->res->best_epoch;
  p.best_value = t->res->best_value;
  p.wait = t->wait;
  p.stopped_early = t->res->stopped_early;
  return kiln_checkpoint_write(t->m, t->o, t->train, t->val, t->data_fp,
                               t->state, t->best, &p, t->err);
}

/* The run is at `epochs_done` epochs and `batches_done` batches (summing
 * to `sum`), unless a --steps run has taken its last checkpoint. */
static void set_position(trainer *t, int64_t epochs_done,
                         int64_t batches_done, double sum) {
  if (t->frozen)
    return;
  t->at.epochs_done = epochs_done;
  t->at.batches_done = batches_done;
  t->at.epoch_loss_sum = sum;
}

/* After a step or a whole epoch that does not end the run: writes a
 * checkpoint when one is `due` or the run is interrupted, and stops an
 * interrupted run. */
static kiln_status at_boundary(trainer *t, int64_t epochs_done,
                               int64_t batches_done, double sum, int due) {
  const kiln_train_options *o = t->o;
  if (t->frozen)
    return KILN_OK;
  set_position(t, epochs_done, batches_done, sum);
  int interrupted =
      t->dp.comm ? t->interrupted : o->interrupt && *o->interrupt;
  kiln_status st;
  if (o->checkpoint_path && (due || interrupted) && (st = write_checkpoint(t)))
    return st;
  if (interrupted)
    return kiln_fail(t->err, KILN_ERR_INTERRUPTED,
                     "interrupted after step %lld (epoch %lld, batch "
                     "%lld)%s%s",
                     (long long)t->step,
                     (long long)(batches_done ? epochs_done + 1 : epochs_done),
                     (long long)(batches_done
                                     ? batches_done
                                     : kiln_num_batches(t->train->rows,
                                                        t->m->batch_size)),
                     o->checkpoint_path ? "; resumable checkpoint written to "
                                        : "; no checkpoint written",
                     o->checkpoint_path ? o->checkpoint_path : "");
  return KILN_OK;
}

/* Continues the run saved in o->resume_path, and its metrics file. */
static kiln_status resume(trainer *t) {
  kiln_run_position p;
  kiln_status st =
      kiln_checkpoint_load(t->m, t->o, t->train, t->val, t->data_fp, t->state,
                           t->best, &p, &t->metrics, t->err);
  if (st)
    return st;
  t->at = p;
  t->step = p.step;
  t->reference = p.reference;
  t->wait = p.wait;
  t->res->epochs = p.epochs_done;
  t->res->train_loss = p.train_loss;
  t->res->best_epoch = p.best_epoch;
  t->res->best_value = p.best_value;
  t->res->stopped_early = p.stopped_early;
  t->resume_batch = 1;
  return KILN_OK;
}

/* One epoch of train_step calls; returns the mean batch loss. */
static kiln_status run_epoch(trainer *t, int64_t epoch, double *mean_loss) {
  const kiln_model *m = t->m;
  const kiln_train_options *o = t->o;
  int64_t bs = m->batch_size, n = t->train->rows;
  int64_t batches = kiln_num_batches(n, bs);
  kiln_epoch_order(o->seed, epoch, o->shuffle, n, t->order);
  double sum = 0;
  int64_t done = 0, first = 0;
  if (t->resume_batch) { /* the epoch a checkpoint stopped in */
    first = done = t->at.batches_done;
    sum = t->at.epoch_loss_sum;
    t->resume_batch = 0;
  }
  for (int64_t i = first; i < batches; ++i) {
    if (o->steps > 0 && t->step >= o->steps) {
      /* A --steps run that ends inside an epoch: its last checkpoint is
       * taken here, before the partial epoch is evaluated and counted. */
      kiln_status st = o->checkpoint_path && !t->frozen ? write_checkpoint(t)
                                                        : KILN_OK;
      t->frozen = 1;
      if (st)
        return st;
      break;
    }
    float loss = 0;
    t->step++;
    if (t->dp.comm) {
      kiln_status st = kiln_dp_step(
          &t->dp, m, t->state, t->ws, t->train, t->order, i, t->step, epoch,
          o->seed, o->interrupt && *o->interrupt, &loss, &t->interrupted,
          t->err);
      if (!st && o->check_replicas)
        st = kiln_dp_check_replicas(&t->dp, m, t->state, t->step, t->err);
      if (st)
        return st;
    } else {
      kiln_train_batch(t->train, t->order, i, bs, t->b.x, t->b.y);
      m->train_step(t->state, t->ws, t->b.x, t->b.y, t->step, epoch,
                    (int64_t)o->seed, &loss);
    }
    if (!isfinite(loss)) {
      char rows[256];
      describe_batch(t, i, rows, sizeof rows);
      return kiln_fail(t->err, KILN_ERR_NUMERIC,
                       "loss became %s at step %lld (epoch %lld)%s",
                       nonfinite_name(loss), (long long)t->step,
                       (long long)epoch + 1, rows);
    }
    if (t->step == 1)
      t->reference = loss > t->uninformed ? loss : t->uninformed;
    sum += loss;
    done++;
    if (o->batch_report) {
      char lr[32] = "";
      float rate;
      if (m->learning_rate) {
        m->learning_rate(t->state, t->ws, t->step, epoch, &rate);
        snprintf(lr, sizeof lr, "  lr %.6g", (double)rate);
      }
      kiln_progress_line(&t->progress,
                         "step %lld  epoch %lld  batch %lld/%lld  loss %.6g%s",
                         (long long)t->step, (long long)epoch + 1,
                         (long long)i + 1, (long long)batches, (double)loss,
                         lr);
    }
    else
      kiln_progress_batch(&t->progress, epoch, i + 1, batches, sum / done,
                          done * bs);
    /* After the run's last step, its last checkpoint follows. */
    if ((o->steps > 0 && t->step >= o->steps) ||
        (i + 1 == batches && epoch + 1 >= t->epochs)) {
      set_position(t, epoch, i + 1, sum);
      continue;
    }
    kiln_status st = at_boundary(t, epoch, i + 1, sum,
                                 o->checkpoint_every_steps > 0 &&
                                     t->step % o->checkpoint_every_steps == 0);
    if (st)
      return st;
  }
  *mean_loss = done ? sum / (double)done : NAN;
  return KILN_OK;
}

/* Early stopping's bookkeeping after an epoch; returns 1 to stop. */
static int track_best(trainer *t, int64_t epoch, double value) {
  const kiln_train_options *o = t->o;
  kiln_train_result *r = t->res;
  int higher = kiln_metric_higher_is_better(o->monitor);
  int improved = !isnan(value) &&
                 (r->best_epoch == 0 ||
                  (higher ? value > r->best_value + o->min_delta
                          : value < r->best_value - o->min_delta));
  if (improved) {
    r->best_epoch = epoch + 1;
    r->best_value = value;
    memcpy(t->best, t->state, (size_t)t->m->state_size * sizeof(float));
    t->wait = 0;
    return 0;
  }
  if (++t->wait >= (o->patience > 0 ? o->patience : 1)) {
    kiln_progress_line(&t->progress,
                       "early stopping: val_%s has not improved for %lld "
                       "epoch%s",
                       kiln_metric_name(o->monitor), (long long)t->wait,
                       t->wait == 1 ? "" : "s");
    r->stopped_early = 1;
    return 1;
  }
  return 0;
}

/* A metrics file that cannot be written (a full disk) fails the run at
 * once, naming the file: the errors of buffered writes surface only at a
 * flush, and were ignored there. */
static kiln_status metrics_flushed(trainer *t) {
  int flushed = fflush(t->metrics), saved = errno;
  if (flushed == 0 && !ferror(t->metrics))
    return KILN_OK;
  return kiln_fail(t->err, KILN_ERR_IO, "%s: write error%s%s",
                   t->o->metrics_path, flushed ? ": " : "",
                   flushed ? strerror(saved) : "");
}

static kiln_status report_epoch(trainer *t, int64_t epoch, double loss,
                                const kiln_eval_result *val, double seconds) {
  char l[32], vl[32] = "", vm[32] = "", vals[128] = "";
  kiln_format_value(l, sizeof l, loss);
  const char *pname = kiln_metric_name(t->primary);
  if (val) {
    kiln_format_value(vl, sizeof vl, val->loss);
    kiln_format_value(vm, sizeof vm, kiln_eval_metric(val, t->primary));
    snprintf(vals, sizeof vals, "  val_loss %s  val_%s %s", vl, pname, vm);
  }
  kiln_progress_line(&t->progress, "epoch %lld/%lld  loss %s%s  %.1fs",
                     (long long)epoch + 1, (long long)t->epochs, l, vals,
                     seconds);
  if (t->metrics) {
    fprintf(t->metrics, "%lld,%.9g,", (long long)epoch + 1, loss);
    if (val)
      fprintf(t->metrics, "%.9g,%.9g", val->loss,
              kiln_eval_metric(val, t->primary));
    else
      fputc(',', t->metrics);
    fputc(',', t->metrics);
    /* The epoch's last step's: the learning rate is a function of the
     * step and the epoch. */
    float rate;
    if (t->m->learning_rate) {
      t->m->learning_rate(t->state, t->ws, t->step, epoch, &rate);
      fprintf(t->metrics, "%.9g", (double)rate);
    }
    fprintf(t->metrics, ",%.3f\n", seconds);
    return metrics_flushed(t);
  }
  return KILN_OK;
}

static kiln_status train_loop(trainer *t) {
  const kiln_model *m = t->m;
  const kiln_train_options *o = t->o;
  kiln_metrics acc;
  kiln_status st = KILN_OK;
  double start = kiln_now();
  for (int64_t epoch = t->at.epochs_done;
       epoch < t->epochs && !t->res->stopped_early; ++epoch) {
    kiln_progress_epoch_start(&t->progress);
    double epoch_start = kiln_now(), loss = NAN;
    if ((st = run_epoch(t, epoch, &loss)))
      return st;
    if (t->reference > 0 && loss > DIVERGENCE_FACTOR * t->reference) {
      char l[32], r[32];
      kiln_format_value(l, sizeof l, loss);
      kiln_format_value(r, sizeof r, t->reference);
      return kiln_fail(t->err, KILN_ERR_NUMERIC,
                       "training diverged: the loss of epoch %lld, %s, is "
                       "over %g times the %s %s (learning rate too high?)",
                       (long long)epoch + 1, l, DIVERGENCE_FACTOR,
                       t->reference > t->uninformed
                           ? "loss of the first step,"
                           : "loss of a guess ignoring the inputs,",
                       r);
    }
    t->res->epochs = epoch + 1;
    t->res->train_loss = loss;
    kiln_eval_result val;
    int have_val = t->val && t->val->rows > 0;
    if (have_val) {
      if ((st = kiln_metrics_init(&acc, m, t->err)))
        return st;
      st = evaluate_into(m, t->state, t->ws, t->val, &t->b, &acc, t->dp.comm,
                         t->err);
      kiln_metrics_result(&acc, &val);
      kiln_metrics_free(&acc);
      if (st)
        return st;
      /* The losses are computed stably: an infinite or NaN validation loss
       * means weights or outputs have blown up, and the state must not be
       * saved. */
      if (!isfinite(val.loss))
        return kiln_fail(t->err, KILN_ERR_NUMERIC,
                         "validation loss became %s after epoch %lld",
                         nonfinite_name(val.loss), (long long)epoch + 1);
    }
    if ((st = report_epoch(t, epoch, loss, have_val ? &val : NULL,
                           kiln_now() - epoch_start)))
      return st;
    int stop = o->early_stopping &&
               track_best(t, epoch, kiln_eval_metric(&val, o->monitor));
    if (stop || epoch + 1 >= t->epochs) { /* the last checkpoint follows */
      set_position(t, epoch + 1, 0, 0);
      break;
    }
    if ((st = at_boundary(t, epoch + 1, 0, 0,
                          o->checkpoint_every > 0 &&
                              (epoch + 1) % o->checkpoint_every == 0)))
      return st;
  }
  t->res->steps = t->step;
  /* The run's last checkpoint, before the best epoch is restored. */
  if (o->checkpoint_path && !t->frozen && (st = write_checkpoint(t)))
    return st;
  if (o->early_stopping && t->res->best_epoch > 0 &&
      t->res->best_epoch != t->res->epochs) {
    memcpy(t->state, t->best, (size_t)m->state_size * sizeof(float));
    char v[32];
    kiln_format_value(v, sizeof v, t->res->best_value);
    kiln_progress_line(&t->progress, "restored the state of epoch %lld "
                                     "(val_%s %s)",
                       (long long)t->res->best_epoch,
                       kiln_metric_name(o->monitor), v);
  }
  t->res->seconds = kiln_now() - start;
  t->res->allreduce_seconds = t->dp.allreduce_seconds;
  if (t->dp.comm)
    kiln_progress_line(&t->progress,
                       "data parallel: %d ranks, %.2fs in allreduces (%.1f%% "
                       "of training)",
                       t->dp.comm->size, t->dp.allreduce_seconds,
                       t->res->seconds > 0
                           ? 100 * t->dp.allreduce_seconds / t->res->seconds
                           : 0.0);
  return KILN_OK;
}

/* Every rank of a job must train on the same rows with the same settings,
 * or their shards would not make up the batches one process would see. */
static kiln_status check_same_run(trainer *t) {
  const kiln_train_options *o = t->o;
  uint64_t h = t->data_fp;
  int64_t fields[] = {(int64_t)o->seed, o->shuffle,   o->epochs,
                      o->steps,         o->early_stopping, o->monitor,
                      o->patience,      o->resume_path != NULL};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; ++i)
    h = (h ^ (uint64_t)fields[i]) * 1099511628211ull;
  int same = 0;
  kiln_status st = kiln_dp_agree(&t->dp, h, &same, t->err);
  if (!st && !same)
    st = kiln_fail(t->err, KILN_ERR_ARGUMENT,
                   "rank %d: the ranks were given different data or options "
                   "(every rank must train on the same files with the same "
                   "flags)",
                   t->dp.comm->rank);
  return st;
}

kiln_status kiln_train(const kiln_model *m, float *state, uint8_t *workspace,
                       const kiln_dataset *train, const kiln_dataset *val,
                       const kiln_train_options *options,
                       kiln_train_result *result, kiln_error *err) {
  kiln_train_result local;
  kiln_train_result *res = result ? result : &local;
  memset(res, 0, sizeof *res);
  kiln_status st = kiln_model_check_trainable(m, "train", err);
  if (st || (st = check_data(m, train, 1, "training data", err)))
    return st;
  if (train->rows == 0)
    return kiln_fail(err, KILN_ERR_ARGUMENT, "training data has no rows");
  int have_val = val && val->rows > 0;
  if (have_val && (st = check_data(m, val, 1, "validation data", err)))
    return st;
  if ((st = check_options(m, options, have_val, err)))
    return st;
  /* In a job of several ranks, rank 0 alone prints and writes. */
  const kiln_comm *comm =
      options->comm && options->comm->size > 1 ? options->comm : NULL;
  kiln_train_options quiet_rank;
  if (comm && comm->rank != 0) {
    quiet_rank = *options;
    quiet_rank.quiet = 1;
    quiet_rank.metrics_path = NULL;
    options = &quiet_rank;
  }

  trainer t;
  memset(&t, 0, sizeof t);
  if ((st = kiln_dp_init(&t.dp, m, comm, err)))
    return st;
  t.m = m;
  t.state = state;
  t.ws = workspace;
  t.train = train;
  t.val = val;
  t.o = options;
  t.res = res;
  t.err = err;
  t.primary = kiln_primary_metric(m, options->monitor);
  t.uninformed = uninformed_loss(m, train);
  int64_t batches = kiln_num_batches(train->rows, m->batch_size);
  t.epochs = options->steps > 0 ? (options->steps + batches - 1) / batches
                                : options->epochs;
  kiln_progress_init(&t.progress, options->out, options->tty, options->quiet,
                     t.epochs);
  kiln_c_locale loc;
  kiln_c_locale_begin(&loc);
  t.order = malloc((size_t)train->rows * sizeof *t.order);
  if (options->early_stopping)
    t.best = malloc((size_t)m->state_size * sizeof(float) + 1);
  if (!t.order || (options->early_stopping && !t.best)) {
    st = kiln_fail(err, KILN_ERR_MEMORY, "out of memory");
    goto done;
  }
  if ((st = alloc_buffers(m, 1, &t.b, err)))
    goto done;
  if (options->checkpoint_path || options->resume_path || comm)
    t.data_fp = kiln_data_fingerprint(train, val);
  if (comm && (st = check_same_run(&t)))
    goto done;
  if (options->resume_path && (st = resume(&t)))
    goto done;
  if (options->metrics_path && !t.metrics) {
    t.metrics = fopen(options->metrics_path, "w");
    if (!t.metrics) {
      st = kiln_fail(err, KILN_ERR_IO, "%s: cannot create the metrics file: %s",
                     options->metrics_path, strerror(errno));
      goto done;
    }
    fprintf(t.metrics, KILN_METRICS_HEAD "%s" KILN_METRICS_TAIL "\n",
            kiln_metric_name(t.primary));
    if ((st = metrics_flushed(&t)))
      goto done;
  }
  st = train_loop(&t);
done:
  if (t.metrics) {
    kiln_status flushed = st ? KILN_OK : metrics_flushed(&t);
    if (fclose(t.metrics) != 0 && !st && !flushed)
      flushed = kiln_fail(err, KILN_ERR_IO, "%s: write error: %s",
                          options->metrics_path, strerror(errno));
    if (!st)
      st = flushed;
  }
  free_buffers(&t.b);
  free(t.order);
  free(t.best);
  kiln_dp_free(&t.dp);
  kiln_c_locale_end(&loc);
  return st;
}
