/*===- dataset.c - Datasets: loading, checking, splitting, batching -------===*/

#include "rt_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void kiln_dataset_free(kiln_dataset *d) {
  if (d) {
    free(d->x);
    free(d->y);
    free(d->source_rows);
    memset(d, 0, sizeof *d);
  }
}

static kiln_status alloc_dataset(kiln_dataset *d, int64_t rows,
                                 int64_t input_dim, int64_t target_dim,
                                 kiln_error *err) {
  memset(d, 0, sizeof *d);
  d->rows = rows;
  d->input_dim = input_dim;
  d->target_dim = target_dim;
  d->x = kiln_alloc_data((size_t)(rows * input_dim + 1) * sizeof(float));
  d->y = target_dim
             ? kiln_alloc_data((size_t)(rows * target_dim + 1) * sizeof(float))
             : NULL;
  if (!d->x || (target_dim && !d->y)) {
    kiln_dataset_free(d);
    return kiln_fail(err, KILN_ERR_MEMORY, "out of memory for %lld rows",
                     (long long)rows);
  }
  return KILN_OK;
}

/*---- Loading -------------------------------------------------------------*/

/* Target column k of the model: the descriptor's, or else the k-th of the
 * file's last target_dim columns. */
static kiln_column target_column(const kiln_model *m, int64_t ncols,
                                 int64_t k) {
  if (m->num_target_columns > 0)
    return m->target_columns[k];
  return (kiln_column){NULL, ncols - m->target_dim + k};
}

/* Column indices of the features, then the targets (with need_targets).
 * Predict data may lack the targets: a target named in the header, or, by
 * index, a file with input_dim + target_dim columns, is skipped. */
static kiln_status select_columns(const kiln_model *m, const kiln_csv *csv,
                                  int need_targets, int64_t *cols,
                                  int64_t *nfeat, kiln_error *err) {
  int64_t ncols = kiln_csv_num_columns(csv);
  int64_t ntarget = m->target_dim;
  int64_t *targets = cols + ncols + m->num_feature_columns;
  if (m->num_target_columns > 0 && m->num_target_columns != m->target_dim)
    return kiln_fail(err, KILN_ERR_ABI,
                     "model \"%s\": %d target columns, but target_dim %lld",
                     m->name, (int)m->num_target_columns,
                     (long long)m->target_dim);
  int full_layout = ncols == m->input_dim + m->target_dim;
  for (int64_t k = 0; k < ntarget; ++k) {
    kiln_column col = target_column(m, ncols, k);
    targets[k] = -1;
    if (!need_targets) {
      if (m->num_feature_columns > 0)
        continue; /* features are explicit: targets do not matter */
      if (col.name && col.index < 0) {
        /* A name the header has is looked up as train and eval do, so a
         * name given twice is refused rather than one copy becoming a
         * feature. */
        int present = 0;
        for (int64_t i = 0; i < ncols; ++i)
          present |= strcmp(kiln_csv_column_name(csv, i), col.name) == 0;
        if (!present)
          continue;
      } else if (!full_layout || col.index < 0 || col.index >= ncols) {
        continue;
      }
    }
    kiln_status st = kiln_csv_find_column(csv, col, &targets[k], err);
    if (st)
      return st;
  }
  *nfeat = 0;
  if (m->num_feature_columns > 0) {
    for (int32_t k = 0; k < m->num_feature_columns; ++k) {
      kiln_status st =
          kiln_csv_find_column(csv, m->feature_columns[k], &cols[k], err);
      if (st)
        return st;
    }
    *nfeat = m->num_feature_columns;
  } else {
    for (int64_t c = 0; c < ncols; ++c) {
      int is_target = 0;
      for (int64_t k = 0; k < ntarget; ++k)
        is_target |= targets[k] == c;
      if (!is_target)
        cols[(*nfeat)++] = c;
    }
  }
  if (*nfeat != m->input_dim)
    return kiln_fail(err, KILN_ERR_SHAPE,
                     "%lld feature column%s, but the model takes %lld inputs "
                     "(the file has %lld columns)",
                     (long long)*nfeat, *nfeat == 1 ? "" : "s",
                     (long long)m->input_dim, (long long)ncols);
  if (need_targets)
    memmove(cols + *nfeat, targets, (size_t)ntarget * sizeof *cols);
  return KILN_OK;
}

kiln_status kiln_dataset_load_csv(const kiln_model *m, const char *path,
                                  int need_targets, kiln_dataset *out,
                                  kiln_error *err) {
  memset(out, 0, sizeof *out);
  kiln_status st = kiln_model_check(m, err);
  if (st)
    return st;
  kiln_csv *csv;
  if ((st = kiln_csv_open(path, &csv, err)))
    return st;
  int64_t ncols = kiln_csv_num_columns(csv);
  int64_t *cols = malloc((size_t)(ncols + m->num_feature_columns +
                                   m->target_dim + 1) *
                         sizeof *cols);
  kiln_matrix mat = {0};
  int64_t nfeat = 0, ntarget = need_targets ? m->target_dim : 0;
  if (!cols) {
    st = kiln_fail(err, KILN_ERR_MEMORY, "%s: out of memory", path);
    goto done;
  }
  if ((st = select_columns(m, csv, need_targets, cols, &nfeat, err))) {
    if (st == KILN_ERR_SHAPE)
      kiln_error_prefix(err, "%s", path);
    goto done;
  }
  /* Features and targets each straight into the buffer the data set
   * keeps: no third copy of the data beside the file and them. */
  if ((st = kiln_csv_read_columns(csv, cols, nfeat, &mat, err)))
    goto done;
  out->rows = mat.rows;
  out->input_dim = nfeat;
  out->x = mat.data;
  mat.data = NULL;
  if (ntarget) {
    if ((st = kiln_csv_read_columns(csv, cols + nfeat, ntarget, &mat, err))) {
      kiln_dataset_free(out);
      goto done;
    }
    out->target_dim = ntarget;
    out->y = mat.data;
    mat.data = NULL;
  }
  if (ntarget && (st = kiln_dataset_check_targets(m, out, err))) {
    kiln_error_prefix(err, "%s", path);
    kiln_dataset_free(out);
  }
done:
  kiln_matrix_free(&mat);
  free(cols);
  kiln_csv_close(csv);
  return st;
}

int kiln_has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Column `c` of the spec's columns as an index of a file without names. */
static kiln_status column_index(const kiln_model *m, kiln_column c,
                                int64_t ncols, const char *path,
                                const char *what, int64_t *index,
                                kiln_error *err) {
  if (c.index < 0)
    return kiln_fail(err, KILN_ERR_ARGUMENT,
                     "%s: a .npy file has no column names, and the spec names "
                     "its %s column \"%s\": give the targets as a file of "
                     "their own, or name the columns by index in the spec",
                     path, what, c.name ? c.name : "");
  if (c.index >= ncols)
    return kiln_fail(err, KILN_ERR_SHAPE,
                     "%s: %s column %lld, but the array has %lld columns", path,
                     what, (long long)c.index, (long long)ncols);
  *index = c.index;
  (void)m;
  return KILN_OK;
}

kiln_status kiln_dataset_load_npy(const kiln_model *m, const char *path,
                                  const char *targets_path, kiln_dataset *out,
                                  kiln_error *err) {
  memset(out, 0, sizeof *out);
  kiln_status st = kiln_model_check(m, err);
  if (st)
    return st;
  kiln_matrix x = {0}, y = {0};
  int64_t *cols = NULL;
  if ((st = kiln_npy_read(path, &x, err)))
    goto done;
  if (targets_path) {
    /* Features and targets, each a file. */
    if ((st = kiln_npy_read(targets_path, &y, err)))
      goto done;
    if (y.rows != x.rows) {
      st = kiln_fail(err, KILN_ERR_SHAPE, "%s: %lld rows, but %s has %lld",
                     targets_path, (long long)y.rows, path, (long long)x.rows);
      goto done;
    }
    if (x.cols != m->input_dim || y.cols != m->target_dim) {
      st = kiln_fail(err, KILN_ERR_SHAPE,
                     "%s: %lld columns and %s: %lld, but the model takes %lld "
                     "inputs and %lld target columns",
                     path, (long long)x.cols, targets_path, (long long)y.cols,
                     (long long)m->input_dim, (long long)m->target_dim);
      goto done;
    }
    out->rows = x.rows;
    out->input_dim = x.cols;
    out->target_dim = y.cols;
    out->x = x.data;
    out->y = y.data;
    x.data = y.data = NULL;
  } else {
    /* One array: the spec's target (and feature) columns, by index. */
    int64_t nt = m->target_dim, nf = 0;
    cols = malloc((size_t)(x.cols + nt + 1) * sizeof *cols);
    if (!cols) {
      st = kiln_fail(err, KILN_ERR_MEMORY, "%s: out of memory", path);
      goto done;
    }
    int64_t *targets = cols + x.cols;
    for (int64_t k = 0; k < nt; ++k) {
      kiln_column c = m->num_target_columns > 0
                          ? m->target_columns[k]
                          : (kiln_column){NULL, x.cols - nt + k};
      if ((st = column_index(m, c, x.cols, path, "target", &targets[k], err)))
        goto done;
    }
    if (m->num_feature_columns > 0) {
      for (int32_t k = 0; k < m->num_feature_columns; ++k)
        if ((st = column_index(m, m->feature_columns[k], x.cols, path,
                               "feature", &cols[nf++], err)))
          goto done;
    } else {
      for (int64_t c = 0; c < x.cols; ++c) {
        int is_target = 0;
        for (int64_t k = 0; k < nt; ++k)
          is_target |= targets[k] == c;
        if (!is_target)
          cols[nf++] = c;
      }
    }
    if (nf != m->input_dim) {
      st = kiln_fail(err, KILN_ERR_SHAPE,
                     "%s: %lld feature columns, but the model takes %lld "
                     "inputs (the array has %lld columns)",
                     path, (long long)nf, (long long)m->input_dim,
                     (long long)x.cols);
      goto done;
    }
    /* The features stay in the array's buffer, each row moved up through
     * a row of scratch (a row never reaches the next one's source), so
     * that the data is in memory once. */
    float *scratch = malloc((size_t)(nf + 1) * sizeof *scratch);
    out->y = malloc((size_t)(x.rows * nt + 1) * sizeof *out->y);
    if (!scratch || !out->y) {
      free(scratch);
      st = kiln_fail(err, KILN_ERR_MEMORY, "%s: out of memory", path);
      goto done;
    }
    for (int64_t r = 0; r < x.rows; ++r) {
      const float *src = x.data + r * x.cols;
      for (int64_t k = 0; k < nt; ++k)
        out->y[r * nt + k] = src[targets[k]];
      for (int64_t k = 0; k < nf; ++k)
        scratch[k] = src[cols[k]];
      memcpy(x.data + r * nf, scratch, (size_t)nf * sizeof *scratch);
    }
    free(scratch);
    float *shrunk = realloc(x.data, (size_t)(x.rows * nf + 1) * sizeof *shrunk);
    out->x = shrunk ? shrunk : x.data;
    x.data = NULL;
    out->rows = x.rows;
    out->input_dim = nf;
    out->target_dim = nt;
  }
  if ((st = kiln_dataset_check_targets(m, out, err))) {
    kiln_error_prefix(err, "%s", targets_path ? targets_path : path);
    kiln_dataset_free(out);
  }
done:
  if (st)
    kiln_dataset_free(out);
  kiln_matrix_free(&x);
  kiln_matrix_free(&y);
  free(cols);
  return st;
}

kiln_status kiln_dataset_load(const kiln_model *m, const char *path,
                              const char *targets_path, kiln_dataset *out,
                              kiln_error *err) {
  if (kiln_has_suffix(path, ".npy"))
    return kiln_dataset_load_npy(m, path, targets_path, out, err);
  if (targets_path) {
    memset(out, 0, sizeof *out);
    return kiln_fail(err, KILN_ERR_ARGUMENT,
                     "%s: separate targets (%s) go with .npy features; a "
                     "CSV holds its targets as columns",
                     path, targets_path);
  }
  return kiln_dataset_load_csv(m, path, 1, out, err);
}

kiln_status kiln_dataset_check_targets(const kiln_model *m,
                                       const kiln_dataset *d, kiln_error *err) {
  if (d->target_dim != m->target_dim || !d->y)
    return kiln_fail(err, KILN_ERR_SHAPE,
                     "%lld target columns, the model expects %lld",
                     (long long)d->target_dim, (long long)m->target_dim);
  if (d->input_dim != m->input_dim)
    return kiln_fail(err, KILN_ERR_SHAPE,
                     "%lld feature columns, the model expects %lld",
                     (long long)d->input_dim, (long long)m->input_dim);
  for (int64_t r = 0; r < d->rows; ++r) {
    for (int64_t k = 0; k < d->target_dim; ++k) {
      double v = d->y[r * d->target_dim + k];
      char where[48] = "";
      if (d->target_dim > 1)
        snprintf(where, sizeof where, " target %lld", (long long)k + 1);
      if (!isfinite(v))
        return kiln_fail(err, KILN_ERR_VALUE, "row %lld:%s not a finite number",
                         (long long)r + 1, where);
      switch (m->target_kind) {
      case KILN_TARGET_CLASS:
        if (v != floor(v))
          return kiln_fail(err, KILN_ERR_VALUE,
                           "row %lld: label %g is not an integer",
                           (long long)r + 1, v);
        if (v < 0 || v >= (double)m->num_classes)
          return kiln_fail(err, KILN_ERR_VALUE,
                           "row %lld: label %g out of range [0, %lld)",
                           (long long)r + 1, v, (long long)m->num_classes);
        break;
      case KILN_TARGET_BINARY:
      case KILN_TARGET_MULTILABEL:
        if (v != 0.0 && v != 1.0)
          return kiln_fail(err, KILN_ERR_VALUE,
                           "row %lld:%s value %g, expected 0 or 1",
                           (long long)r + 1, where, v);
        break;
      default:
        break;
      }
    }
  }
  return KILN_OK;
}

/* The rows of `all` that go to validation (is_val, nval of them), as
 * kiln_dataset_split chooses them. */
static kiln_status choose_val_rows(const kiln_dataset *all, double val_split,
                                   uint64_t seed, unsigned char **is_val,
                                   int64_t *nval, kiln_error *err) {
  *is_val = NULL;
  if (!(val_split >= 0.0 && val_split < 1.0))
    return kiln_fail(err, KILN_ERR_ARGUMENT,
                     "validation split %g not in [0, 1)", val_split);
  int64_t n = all->rows;
  *nval = (int64_t)llround(val_split * (double)n);
  if (n - *nval < 1)
    return kiln_fail(err, KILN_ERR_ARGUMENT,
                     "validation split %g of %lld rows leaves no training rows",
                     val_split, (long long)n);
  int64_t *perm = malloc((size_t)(n + 1) * sizeof *perm);
  *is_val = calloc((size_t)n + 1, 1);
  if (!perm || !*is_val) {
    free(perm);
    free(*is_val);
    *is_val = NULL;
    return kiln_fail(err, KILN_ERR_MEMORY, "out of memory");
  }
  kiln_permutation(seed, KILN_STREAM_SPLIT, 0, n, perm);
  for (int64_t i = 0; i < *nval; ++i)
    (*is_val)[perm[i]] = 1;
  free(perm);
  return KILN_OK;
}

static void copy_row(kiln_dataset *d, int64_t i, const kiln_dataset *from,
                     int64_t r) {
  d->source_rows[i] = from->source_rows ? from->source_rows[r] : r;
  memmove(d->x + i * d->input_dim, from->x + r * from->input_dim,
          (size_t)from->input_dim * sizeof(float));
  if (from->target_dim)
    memmove(d->y + i * d->target_dim, from->y + r * from->target_dim,
            (size_t)from->target_dim * sizeof(float));
}

/* Splits `all` into `train` and `val`; with `owner` (all itself), train
 * takes its buffers, the rows moved up in place, and it is left empty. */
static kiln_status split(const kiln_dataset *all, kiln_dataset *owner,
                         double val_split, uint64_t seed, kiln_dataset *train,
                         kiln_dataset *val, kiln_error *err) {
  int move = owner != NULL;
  memset(train, 0, sizeof *train);
  memset(val, 0, sizeof *val);
  unsigned char *is_val;
  int64_t nval, n = all->rows, ntrain;
  kiln_status st = choose_val_rows(all, val_split, seed, &is_val, &nval, err);
  if (st)
    return st;
  ntrain = n - nval;
  if ((st = alloc_dataset(val, nval, all->input_dim, all->target_dim, err)) ||
      (!move && (st = alloc_dataset(train, ntrain, all->input_dim,
                                    all->target_dim, err))))
    goto done;
  if (move) {
    train->rows = ntrain;
    train->input_dim = all->input_dim;
    train->target_dim = all->target_dim;
  }
  train->source_rows = malloc((size_t)(ntrain + 1) * sizeof(int64_t));
  val->source_rows = malloc((size_t)(nval + 1) * sizeof(int64_t));
  if (!train->source_rows || !val->source_rows) {
    st = kiln_fail(err, KILN_ERR_MEMORY, "out of memory");
    goto done;
  }
  /* File order inside each part: the per-epoch shuffle randomizes training,
   * and validation order does not matter. Validation's rows are copied
   * out first: moving the training rows up may overwrite them. */
  for (int64_t r = 0, i = 0; r < n; ++r)
    if (is_val[r])
      copy_row(val, i++, all, r);
  if (move) {
    train->x = owner->x;
    train->y = owner->y;
  }
  for (int64_t r = 0, i = 0; r < n; ++r)
    if (!is_val[r])
      copy_row(train, i++, all, r);
  if (move) {
    /* Given back to the allocator (realloc shrinks in place, or maps the
     * tail away). */
    float *x = realloc(train->x, (size_t)(ntrain * train->input_dim + 1) *
                                     sizeof(float));
    if (x)
      train->x = x;
    if (train->y) {
      float *y = realloc(train->y, (size_t)(ntrain * train->target_dim + 1) *
                                       sizeof(float));
      if (y)
        train->y = y;
    }
    free(owner->source_rows);
    memset(owner, 0, sizeof *owner);
  }
done:
  if (st) {
    if (move) /* all keeps its buffers */
      train->x = train->y = NULL;
    kiln_dataset_free(train);
    kiln_dataset_free(val);
  }
  free(is_val);
  return st;
}

kiln_status kiln_dataset_split(const kiln_dataset *all, double val_split,
                               uint64_t seed, kiln_dataset *train,
                               kiln_dataset *val, kiln_error *err) {
  return split(all, NULL, val_split, seed, train, val, err);
}

kiln_status kiln_dataset_split_move(kiln_dataset *all, double val_split,
                                    uint64_t seed, kiln_dataset *train,
                                    kiln_dataset *val, kiln_error *err) {
  return split(all, all, val_split, seed, train, val, err);
}

/*---- Batching ------------------------------------------------------------*/

int64_t kiln_num_batches(int64_t rows, int64_t bs) {
  return (rows + bs - 1) / bs;
}

void kiln_epoch_order(uint64_t seed, int64_t epoch, int shuffle, int64_t n,
                      int64_t *order) {
  if (shuffle) {
    kiln_permutation(seed, KILN_STREAM_SHUFFLE, (uint64_t)epoch, n, order);
  } else {
    for (int64_t i = 0; i < n; ++i)
      order[i] = i;
  }
}

void kiln_train_batch(const kiln_dataset *d, const int64_t *order, int64_t b,
                      int64_t bs, float *x, float *y) {
  kiln_train_rows(d, order, b, bs, 0, bs, x, y);
}

void kiln_train_rows(const kiln_dataset *d, const int64_t *order, int64_t b,
                     int64_t bs, int64_t first, int64_t rows, float *x,
                     float *y) {
  for (int64_t k = 0; k < rows; ++k) {
    int64_t r = order[(b * bs + first + k) % d->rows];
    memcpy(x + k * d->input_dim, d->x + r * d->input_dim,
           (size_t)d->input_dim * sizeof(float));
    memcpy(y + k * d->target_dim, d->y + r * d->target_dim,
           (size_t)d->target_dim * sizeof(float));
  }
}

