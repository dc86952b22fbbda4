/*===- checkpoint.c - Resumable checkpoints: write, check, load -----------===*
 *
 * A resumable checkpoint is a safetensors file holding every tensor of the
 * state under its table name (the optimizer's included), the best epoch's
 * state under "best/<name>" when early stopping has one, and in its
 * "__metadata__" (string values, as the format wants) the run's position,
 * its settings and what identifies the model and the data. docs/runtime.md
 * ("Resuming training") lists the keys.
 *
 *===----------------------------------------------------------------------===*/

#include "rt_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The format of the metadata below; a reader refuses other versions. */
#define CHECKPOINT_VERSION "1"

/*---- Fingerprints ----------------------------------------------------------*/

enum { FNV_OFFSET = 0, FNV_PRIME = 1 };
static const uint64_t FNV[2] = {0xcbf29ce484222325ULL, 0x100000001b3ULL};

static void fnv_bytes(uint64_t *h, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; ++i)
    *h = (*h ^ p[i]) * FNV[FNV_PRIME];
}

static void fnv_i64(uint64_t *h, int64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; ++i)
    b[i] = (unsigned char)((uint64_t)v >> (8 * i));
  fnv_bytes(h, b, 8);
}

/* With its NUL, so that "ab" + "c" and "a" + "bc" differ. */
static void fnv_str(uint64_t *h, const char *s) {
  fnv_bytes(h, s ? s : "", strlen(s ? s : "") + 1);
}

/* What the descriptor does not hold cannot be hashed: the optimizer string
 * carries weight decay, its scope and clip_norm, and the schedule string
 * the schedule, but dropout rates and the loss live in the compiled code
 * only. */
uint64_t kiln_model_fingerprint(const kiln_model *m) {
  uint64_t h = FNV[FNV_OFFSET];
  fnv_str(&h, m->name);
  fnv_i64(&h, m->target_kind);
  fnv_i64(&h, m->batch_size);
  fnv_i64(&h, m->input_dim);
  fnv_i64(&h, m->target_dim);
  fnv_i64(&h, m->num_classes);
  fnv_i64(&h, m->output_dim);
  /* A data-parallel build's gradients end the state; without them its
   * checkpoints resume in a build without, and the other way round. */
  fnv_i64(&h, m->state_size - m->grad_size);
  fnv_i64(&h, m->flops_per_sample);
  fnv_str(&h, m->optimizer);
  fnv_str(&h, m->schedule);
  for (int32_t t = 0; t < m->num_tensors; ++t) {
    const kiln_tensor_info *ti = &m->tensors[t];
    if (!kiln_role_in_run(ti->role))
      continue;
    fnv_str(&h, ti->name);
    fnv_i64(&h, ti->role);
    fnv_i64(&h, ti->rank);
    for (int32_t d = 0; d < ti->rank; ++d)
      fnv_i64(&h, ti->shape[d]);
    fnv_i64(&h, ti->offset);
  }
  return h;
}

static void fnv_data(uint64_t *h, const kiln_dataset *d) {
  int64_t rows = d ? d->rows : 0;
  fnv_i64(h, rows);
  if (rows <= 0)
    return;
  fnv_i64(h, d->input_dim);
  fnv_i64(h, d->target_dim);
  fnv_bytes(h, d->x, (size_t)(rows * d->input_dim) * sizeof(float));
  if (d->y)
    fnv_bytes(h, d->y, (size_t)(rows * d->target_dim) * sizeof(float));
}

uint64_t kiln_data_fingerprint(const kiln_dataset *train,
                               const kiln_dataset *val) {
  uint64_t h = FNV[FNV_OFFSET];
  fnv_data(&h, train);
  fnv_data(&h, val);
  return h;
}

/*---- Writing ---------------------------------------------------------------*/

static void meta_str(kiln_buf *b, const char *key, const char *value) {
  char *q = NULL;
  size_t n = kiln_json_quote(NULL, 0, value);
  if (!(q = malloc(n + 1))) {
    b->oom = 1;
    return;
  }
  kiln_json_quote(q, n + 1, value);
  kiln_buf_printf(b, ",\"%s\":%s", key, q);
  free(q);
}

static void meta_i64(kiln_buf *b, const char *key, int64_t v) {
  kiln_buf_printf(b, ",\"%s\":\"%lld\"", key, (long long)v);
}

/* 17 significant digits: a double reads back exactly (nan and inf as
 * such), so the resumed run's sums and comparisons are the same. */
static void meta_f64(kiln_buf *b, const char *key, double v) {
  kiln_buf_printf(b, ",\"%s\":\"%.17g\"", key, v);
}

static void meta_hex(kiln_buf *b, const char *key, uint64_t v) {
  kiln_buf_printf(b, ",\"%s\":\"%016llx\"", key, (unsigned long long)v);
}

/* The checkpoint's tensors: every state tensor under its name, then, with
 * the best state, each again under KILN_CHECKPOINT_BEST_PREFIX (names[t]
 * holds that name, freed by the caller). Writing gives `state` and `best`;
 * reading gives `dst` and `dst_best`. */
static kiln_status tensor_table(const kiln_model *m, int with_best,
                                const float *state, const float *best,
                                float *dst, float *dst_best, kiln_st_tensor *ts,
                                char **names, int32_t *count, const char *path,
                                kiln_error *err) {
  int32_t nt = m->num_tensors;
  *count = 0;
  for (int32_t t = 0; t < nt; ++t) {
    const kiln_tensor_info *ti = &m->tensors[t];
    if (kiln_role_in_run(ti->role))
      ts[(*count)++] = (kiln_st_tensor){ti->name, ti,
                                        state ? state + ti->offset : NULL,
                                        dst ? dst + ti->offset : NULL, 0, 0};
  }
  for (int32_t t = 0; with_best && t < nt; ++t) {
    const kiln_tensor_info *ti = &m->tensors[t];
    if (!kiln_role_in_run(ti->role))
      continue;
    size_t len = strlen(KILN_CHECKPOINT_BEST_PREFIX) + strlen(ti->name) + 1;
    if (!(names[t] = malloc(len)))
      return kiln_fail(err, KILN_ERR_MEMORY, "%s: out of memory", path);
    snprintf(names[t], len, "%s%s", KILN_CHECKPOINT_BEST_PREFIX, ti->name);
    ts[(*count)++] = (kiln_st_tensor){names[t], ti,
                                      best ? best + ti->offset : NULL,
                                      dst_best ? dst_best + ti->offset : NULL,
                                      0, 0};
  }
  return KILN_OK;
}

kiln_status kiln_checkpoint_write(const kiln_model *m,
                                  const kiln_train_options *o,
                                  const kiln_dataset *train,
                                  const kiln_dataset *val, uint64_t data_fp,
                                  const float *state, const float *best,
                                  const kiln_run_position *p, kiln_error *err) {
  const char *path = o->checkpoint_path;
  int with_best = best && o->early_stopping && p->best_epoch > 0;
  int32_t n = m->num_tensors * (with_best ? 2 : 1);
  kiln_st_tensor *ts = calloc((size_t)n + 1, sizeof *ts);
  char **names = calloc((size_t)m->num_tensors + 1, sizeof *names);
  kiln_buf meta = {0};
  kiln_status st = KILN_OK;
  if (!ts || !names) {
    st = kiln_fail(err, KILN_ERR_MEMORY, "%s: out of memory", path);
    goto done;
  }
  if ((st = tensor_table(m, with_best, state, best, NULL, NULL, ts, names, &n,
                         path, err)))
    goto done;
  meta_str(&meta, KILN_CHECKPOINT_KEY, CHECKPOINT_VERSION);
  meta_hex(&meta, "fingerprint", kiln_model_fingerprint(m));
  meta_i64(&meta, "batch_size", m->batch_size);
  meta_str(&meta, "optimizer", m->optimizer ? m->optimizer : "");
  meta_i64(&meta, "step", p->step);
  meta_i64(&meta, "epochs_done", p->epochs_done);
  meta_i64(&meta, "batches_done", p->batches_done);
  meta_f64(&meta, "epoch_loss_sum", p->epoch_loss_sum);
  meta_f64(&meta, "train_loss", p->train_loss);
  meta_f64(&meta, "reference", p->reference);
  meta_i64(&meta, "epochs", o->epochs);
  meta_i64(&meta, "steps", o->steps);
  kiln_buf_printf(&meta, ",\"seed\":\"%llu\"", (unsigned long long)o->seed);
  meta_i64(&meta, "shuffle", o->shuffle ? 1 : 0);
  meta_i64(&meta, "early_stopping", o->early_stopping ? 1 : 0);
  meta_str(&meta, "monitor", kiln_metric_name(o->monitor));
  meta_i64(&meta, "patience", o->patience);
  meta_f64(&meta, "min_delta", o->min_delta);
  meta_i64(&meta, "best_epoch", p->best_epoch);
  meta_f64(&meta, "best_value", p->best_value);
  meta_i64(&meta, "wait", p->wait);
  meta_i64(&meta, "stopped_early", p->stopped_early);
  meta_i64(&meta, "train_rows", train->rows);
  meta_i64(&meta, "val_rows", val ? val->rows : 0);
  meta_hex(&meta, "data", data_fp);
  if (meta.oom) {
    st = kiln_fail(err, KILN_ERR_MEMORY, "%s: out of memory", path);
    goto done;
  }
  st = kiln_safetensors_write(path, m->name, meta.data, ts, n, err);
done:
  if (names)
    for (int32_t t = 0; t < m->num_tensors; ++t)
      free(names[t]);
  free(names);
  free(ts);
  free(meta.data);
  return st;
}

/*---- Reading the metadata --------------------------------------------------*/

typedef struct reader {
  const char *path;
  const kiln_json *meta;
  kiln_error *err;
} reader;

static kiln_status get_str(reader *r, const char *key, const char **out) {
  const kiln_json *v = kiln_json_get(r->meta, key);
  if (!v)
    return kiln_fail(r->err, KILN_ERR_FORMAT,
                     "%s: damaged resumable checkpoint: its metadata has no "
                     "\"%s\"",
                     r->path, key);
  if (v->kind != KILN_JSON_STRING || strlen(v->str) != v->len)
    return kiln_fail(r->err, KILN_ERR_FORMAT,
                     "%s: damaged resumable checkpoint: metadata \"%s\" is not "
                     "a string",
                     r->path, key);
  *out = v->str;
  return KILN_OK;
}

static kiln_status bad_value(reader *r, const char *key, const char *s,
                             const char *what) {
  char q[96];
  kiln_quote(q, sizeof q, s, strlen(s));
  return kiln_fail(r->err, KILN_ERR_FORMAT,
                   "%s: damaged resumable checkpoint: metadata \"%s\" is %s, "
                   "expected %s",
                   r->path, key, q, what);
}

/* A decimal integer >= min. */
static kiln_status get_i64(reader *r, const char *key, int64_t min,
                           int64_t *out) {
  const char *s;
  kiln_status st = get_str(r, key, &s);
  if (st)
    return st;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (!*s || *end || errno || v < min || (*s == '+' || *s == ' '))
    return bad_value(r, key, s,
                     min == 0 ? "an integer >= 0"
                     : min == 1 ? "an integer >= 1"
                                : "an integer");
  *out = v;
  return KILN_OK;
}

static kiln_status get_flag(reader *r, const char *key, int32_t *out) {
  const char *s;
  kiln_status st = get_str(r, key, &s);
  if (st)
    return st;
  if (strcmp(s, "0") != 0 && strcmp(s, "1") != 0)
    return bad_value(r, key, s, "0 or 1");
  *out = s[0] == '1';
  return KILN_OK;
}

static kiln_status get_u64(reader *r, const char *key, uint64_t *out,
                           int base) {
  const char *s;
  kiln_status st = get_str(r, key, &s);
  if (st)
    return st;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, base);
  if (!*s || *end || errno || *s == '-' || *s == '+' || *s == ' ')
    return bad_value(r, key, s,
                     base == 16 ? "16 hex digits" : "an unsigned integer");
  *out = v;
  return KILN_OK;
}

/* A number as meta_f64 prints it; `finite` refuses nan and inf. */
static kiln_status get_f64(reader *r, const char *key, int finite,
                           double *out) {
  const char *s;
  kiln_status st = get_str(r, key, &s);
  if (st)
    return st;
  char *end;
  double v = strtod(s, &end);
  if (!*s || *end || *s == ' ' || (finite && !isfinite(v)))
    return bad_value(r, key, s, finite ? "a finite number" : "a number");
  *out = v;
  return KILN_OK;
}

static int ignore_all(const void *arg, const kiln_json *meta,
                      const char *name) {
  (void)arg;
  (void)meta;
  (void)name;
  return 1;
}

/* The checks of kiln_checkpoint_read_info on a header already parsed. */
static kiln_status read_info(const kiln_model *m, reader *r,
                             const kiln_json *root, kiln_checkpoint_info *info,
                             kiln_run_position *p) {
  const kiln_json *meta = kiln_json_get(root, "__metadata__");
  if (!meta || meta->kind != KILN_JSON_OBJECT ||
      !kiln_json_get(meta, KILN_CHECKPOINT_KEY))
    return kiln_fail(r->err, KILN_ERR_FORMAT,
                     "%s: not a resumable checkpoint (its metadata has no "
                     "\"%s\"): a weights file? Resumable checkpoints are "
                     "written by train --checkpoint",
                     r->path, KILN_CHECKPOINT_KEY);
  r->meta = meta;
  const char *s;
  kiln_status st;
  if ((st = get_str(r, KILN_CHECKPOINT_KEY, &s)))
    return st;
  if (strcmp(s, CHECKPOINT_VERSION) != 0)
    return bad_value(r, KILN_CHECKPOINT_KEY, s, "\"" CHECKPOINT_VERSION
                     "\" (a checkpoint of another kiln version?)");
  if ((st = get_str(r, "kiln_model", &s)))
    return st;
  if (strcmp(s, m->name) != 0) {
    char q[96];
    kiln_quote(q, sizeof q, s, strlen(s));
    return kiln_fail(r->err, KILN_ERR_ARGUMENT,
                     "%s: a checkpoint of model %s, not of \"%s\"", r->path, q,
                     m->name);
  }
  int64_t bs;
  if ((st = get_i64(r, "batch_size", 1, &bs)))
    return st;
  if (bs != m->batch_size)
    return kiln_fail(r->err, KILN_ERR_ARGUMENT,
                     "%s: a checkpoint of another version of model \"%s\": "
                     "batch size %lld, this build has %lld",
                     r->path, m->name, (long long)bs, (long long)m->batch_size);
  if ((st = get_str(r, "optimizer", &s)))
    return st;
  const char *mine = m->optimizer ? m->optimizer : "";
  if (strcmp(s, mine) != 0) {
    char q[160];
    kiln_quote(q, sizeof q, s, strlen(s));
    return kiln_fail(r->err, KILN_ERR_ARGUMENT,
                     "%s: a checkpoint of another version of model \"%s\": "
                     "optimizer %s, this build has \"%s\"",
                     r->path, m->name, q, mine);
  }
  uint64_t fp, want = kiln_model_fingerprint(m);
  if ((st = get_u64(r, "fingerprint", &fp, 16)))
    return st;
  if (fp != want)
    return kiln_fail(r->err, KILN_ERR_ARGUMENT,
                     "%s: a checkpoint of another version of model \"%s\": "
                     "its tensors, sizes or layout differ (fingerprint "
                     "%016llx, this build's is %016llx)",
                     r->path, m->name, (unsigned long long)fp,
                     (unsigned long long)want);

  memset(info, 0, sizeof *info);
  memset(p, 0, sizeof *p);
  if ((st = get_u64(r, "seed", &info->seed, 10)) ||
      (st = get_flag(r, "shuffle", &info->shuffle)) ||
      (st = get_flag(r, "early_stopping", &info->early_stopping)) ||
      (st = get_str(r, "monitor", &s)))
    return st;
  info->monitor = -1;
  for (int32_t k = KILN_METRIC_LOSS; k <= KILN_METRIC_R2; ++k)
    if (strcmp(s, kiln_metric_name(k)) == 0)
      info->monitor = k;
  if (info->monitor < 0)
    return bad_value(r, "monitor", s, "loss, accuracy, mse, mae or r2");
  if ((st = get_i64(r, "patience", 0, &info->patience)) ||
      (st = get_f64(r, "min_delta", 1, &info->min_delta)) ||
      (st = get_i64(r, "epochs", 0, &info->epochs)) ||
      (st = get_i64(r, "steps", 0, &info->steps)) ||
      (st = get_i64(r, "step", 0, &p->step)) ||
      (st = get_i64(r, "epochs_done", 0, &p->epochs_done)) ||
      (st = get_i64(r, "batches_done", 0, &p->batches_done)) ||
      (st = get_f64(r, "epoch_loss_sum", 1, &p->epoch_loss_sum)) ||
      (st = get_f64(r, "train_loss", 0, &p->train_loss)) ||
      (st = get_f64(r, "reference", 1, &p->reference)) ||
      (st = get_i64(r, "best_epoch", 0, &p->best_epoch)) ||
      (st = get_f64(r, "best_value", 0, &p->best_value)) ||
      (st = get_i64(r, "wait", 0, &p->wait)) ||
      (st = get_flag(r, "stopped_early", &p->stopped_early)) ||
      (st = get_i64(r, "train_rows", 1, &info->train_rows)) ||
      (st = get_i64(r, "val_rows", 0, &info->val_rows)) ||
      (st = get_u64(r, "data", &info->data_fingerprint, 16)))
    return st;
  if (p->best_epoch > p->epochs_done)
    return kiln_fail(r->err, KILN_ERR_FORMAT,
                     "%s: damaged resumable checkpoint: best epoch %lld of "
                     "%lld done",
                     r->path, (long long)p->best_epoch,
                     (long long)p->epochs_done);
  info->stopped_early = p->stopped_early;
  info->step = p->step;
  info->epochs_done = p->epochs_done;
  info->batches_done = p->batches_done;
  return KILN_OK;
}

/* The first pass over a file in memory: the safetensors format and the
 * metadata, before any tensor is matched, so that a checkpoint of another
 * model is named as such. */
static kiln_status parse_info(const kiln_model *m, const char *path,
                              const char *file, size_t size,
                              kiln_checkpoint_info *info, kiln_run_position *p,
                              kiln_error *err) {
  kiln_json *root = NULL;
  kiln_status st = kiln_safetensors_read(path, file, size, NULL, 0, ignore_all,
                                         NULL, &root, err);
  if (!st) {
    reader r = {path, NULL, err};
    st = read_info(m, &r, root, info, p);
  }
  kiln_json_free(root);
  return st;
}

kiln_status kiln_checkpoint_read_info(const kiln_model *m, const char *path,
                                      kiln_checkpoint_info *info,
                                      kiln_error *err) {
  kiln_checkpoint_info local;
  if (!info)
    info = &local;
  memset(info, 0, sizeof *info);
  kiln_status st = kiln_model_check(m, err);
  if (st)
    return st;
  if (!path)
    return kiln_fail(err, KILN_ERR_ARGUMENT, "no checkpoint path");
  char *file = NULL;
  size_t size = 0;
  kiln_run_position p;
  if (!(st = kiln_read_file(path, &file, &size, err)))
    st = parse_info(m, path, file, size, info, &p, err);
  free(file);
  if (st)
    memset(info, 0, sizeof *info);
  return st;
}

/*---- Loading ---------------------------------------------------------------*/

/* The options that fix a run must be the checkpoint's. */
static kiln_status check_settings(const char *path,
                                  const kiln_checkpoint_info *c,
                                  const kiln_train_options *o,
                                  kiln_error *err) {
  const char *hint = "a resumed run keeps the seed, shuffling, early stopping "
                     "and data it started with";
  if (c->seed != o->seed)
    return kiln_fail(err, KILN_ERR_ARGUMENT,
                     "%s: the checkpoint's run has seed %llu, not %llu (%s)",
                     path, (unsigned long long)c->seed,
                     (unsigned long long)o->seed, hint);
  if (c->shuffle != (o->shuffle ? 1 : 0))
    return kiln_fail(err, KILN_ERR_ARGUMENT,
                     "%s: the checkpoint's run %s the rows every epoch, this "
                     "one would %s (%s)",
                     path, c->shuffle ? "shuffles" : "does not shuffle",
                     o->shuffle ? "shuffle them" : "not", hint);
  if (c->early_stopping != (o->early_stopping ? 1 : 0))
    return kiln_fail(err, KILN_ERR_ARGUMENT,
                     "%s: the checkpoint's run has early stopping %s, this "
                     "one %s (%s)",
                     path, c->early_stopping ? "on" : "off",
                     o->early_stopping ? "on" : "off", hint);
  if (!c->early_stopping)
    return KILN_OK;
  if (c->monitor != o->monitor || c->patience != o->patience ||
      c->min_delta != o->min_delta)
    return kiln_fail(err, KILN_ERR_ARGUMENT,
                     "%s: the checkpoint's run stops early on val_%s with "
                     "patience %lld and min_delta %g, this one on val_%s with "
                     "patience %lld and min_delta %g (%s)",
                     path, kiln_metric_name(c->monitor),
                     (long long)c->patience, c->min_delta,
                     kiln_metric_name(o->monitor), (long long)o->patience,
                     o->min_delta, hint);
  return KILN_OK;
}

kiln_status kiln_checkpoint_load(const kiln_model *m,
                                 const kiln_train_options *o,
                                 const kiln_dataset *train,
                                 const kiln_dataset *val, uint64_t data_fp,
                                 float *state, float *best,
                                 kiln_run_position *p, FILE **metrics,
                                 kiln_error *err) {
  char *file = NULL;
  size_t size = 0;
  kiln_status st = kiln_read_file(o->resume_path, &file, &size, err);
  if (!st)
    st = kiln_checkpoint_parse(m, o, train, val, data_fp, o->resume_path, file,
                               size, state, best, p, metrics, err);
  free(file);
  return st;
}

kiln_status kiln_checkpoint_parse(const kiln_model *m,
                                  const kiln_train_options *o,
                                  const kiln_dataset *train,
                                  const kiln_dataset *val, uint64_t data_fp,
                                  const char *path, const char *file,
                                  size_t size, float *state, float *best,
                                  kiln_run_position *p, FILE **metrics,
                                  kiln_error *err) {
  kiln_checkpoint_info info;
  kiln_run_position pos;
  kiln_status st = parse_info(m, path, file, size, &info, &pos, err);
  if (st)
    return st;
  if ((st = check_settings(path, &info, o, err)))
    return st;

  /* The data: the same rows, or the split would differ too. */
  int64_t val_rows = val ? val->rows : 0;
  uint64_t fp = info.data_fingerprint;
  if (info.train_rows != train->rows || info.val_rows != val_rows ||
      fp != data_fp) {
    return kiln_fail(err, KILN_ERR_ARGUMENT,
                     "%s: the checkpoint's run trained on other data (%lld "
                     "training and %lld validation rows, data fingerprint "
                     "%016llx; now %lld and %lld, %016llx): give the data, "
                     "validation split or file, and seed of the interrupted "
                     "run",
                     path, (long long)info.train_rows, (long long)info.val_rows,
                     (unsigned long long)fp, (long long)train->rows,
                     (long long)val_rows, (unsigned long long)data_fp);
  }
  int64_t batches = kiln_num_batches(train->rows, m->batch_size);
  if (pos.batches_done > batches ||
      pos.epochs_done > (INT64_MAX - batches) / batches ||
      pos.step != pos.epochs_done * batches + pos.batches_done ||
      (pos.batches_done == 0 && pos.epoch_loss_sum != 0))
    return kiln_fail(err, KILN_ERR_FORMAT,
                     "%s: damaged resumable checkpoint: step %lld does not "
                     "follow from %lld epochs and %lld batches of %lld",
                     path, (long long)pos.step, (long long)pos.epochs_done,
                     (long long)pos.batches_done, (long long)batches);

  /* The tensors, into scratch buffers first: on failure the caller's state
   * stays as it was. */
  int with_best = info.early_stopping && pos.best_epoch > 0;
  int32_t nt = m->num_tensors, n = nt * (with_best ? 2 : 1);
  size_t floats = (size_t)m->state_size;
  float *tmp = kiln_alloc_aligned(floats * sizeof(float) * (with_best ? 2 : 1));
  kiln_st_tensor *ts = calloc((size_t)n + 1, sizeof *ts);
  char **names = calloc((size_t)nt + 1, sizeof *names);
  if (!tmp || !ts || !names) {
    st = kiln_fail(err, KILN_ERR_MEMORY, "%s: out of memory", path);
    goto free_tensors;
  }
  if ((st = tensor_table(m, with_best, NULL, NULL, tmp, tmp + floats, ts,
                         names, &n, path, err)))
    goto free_tensors;
  if ((st = kiln_safetensors_read(path, file, size, ts, n, NULL, NULL, NULL,
                                  err)))
    goto free_tensors;
  /* The last thing that can fail: the metrics file. */
  if (o->metrics_path && metrics &&
      (st = kiln_checkpoint_open_metrics(o->metrics_path, pos.epochs_done,
                                         metrics, err)))
    goto free_tensors;
  memcpy(state, tmp, floats * sizeof(float));
  if (with_best && best)
    memcpy(best, tmp + floats, floats * sizeof(float));
  *p = pos;
free_tensors:
  if (names)
    for (int32_t t = 0; t < nt; ++t)
      free(names[t]);
  free(names);
  free(ts);
  free(tmp);
  return st;
}

/*---- The metrics file ------------------------------------------------------*/

/* The epoch number a metrics row starts with, or -1. */
static int64_t row_epoch(const char *line, size_t len) {
  int64_t v = 0;
  size_t i = 0;
  for (; i < len && line[i] >= '0' && line[i] <= '9' && v < INT64_MAX / 10; ++i)
    v = v * 10 + (line[i] - '0');
  return i > 0 && i < len && line[i] == ',' ? v : -1;
}

kiln_status kiln_checkpoint_open_metrics(const char *path, int64_t epochs_done,
                                         FILE **out, kiln_error *err) {
  *out = NULL;
  struct stat sb;
  if (stat(path, &sb) != 0 && errno == ENOENT)
    return KILN_OK; /* a new file, as for a new run */
  char *text;
  size_t size;
  kiln_status st = kiln_read_file(path, &text, &size, err);
  if (st)
    return st;
  /* The header, then epochs 1..epochs_done in order; what follows came
   * after the checkpoint. */
  size_t keep = 0;
  int64_t rows = -1; /* the header is line 0 */
  const char *why = NULL;
  while (rows < epochs_done) {
    const char *nl = memchr(text + keep, '\n', size - keep);
    if (!nl) {
      why = "ends before";
      break;
    }
    size_t len = (size_t)(nl - (text + keep));
    if (rows == -1 ? strncmp(text, "epoch,", 6) != 0
                   : row_epoch(text + keep, len) != rows + 1) {
      why = rows == -1 ? "has no metrics header line (epoch,...) before"
                       : "has other rows than";
      break;
    }
    keep += len + 1;
    rows++;
  }
  if (why) {
    free(text);
    return kiln_fail(err, KILN_ERR_ARGUMENT,
                     "%s: the metrics file %s the %lld epoch%s of the "
                     "checkpoint; give the metrics file of the interrupted "
                     "run, or another path",
                     path, why, (long long)epochs_done,
                     epochs_done == 1 ? "" : "s");
  }
  if (keep < size) {
    kiln_chunk chunk = {text, keep};
    st = kiln_write_file_atomic(path, &chunk, 1, err);
  }
  free(text);
  if (st)
    return st;
  if (!(*out = fopen(path, "a")))
    return kiln_fail(err, KILN_ERR_IO, "%s: cannot open the metrics file: %s",
                     path, strerror(errno));
  return KILN_OK;
}
