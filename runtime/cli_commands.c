/*===- cli_commands.c - `eval`, `predict`, `init` and `info` -------------===*/

#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/*---- eval ----------------------------------------------------------------*/

int kiln_cli_eval(cli *c, int argc, char **argv) {
  const kiln_model *m = c->m;
  const char *weights = NULL, *data = NULL, *threads = NULL,
             *targets = NULL;
  int set[4] = {0};
  flag flags[] = {{"weights", &weights, &set[0]},
                  {"data", &data, &set[1]},
                  {"threads", &threads, &set[2]},
                  {"targets", &targets, &set[3]}};
  int rc = kiln_cli_parse_flags(c, argc, argv, flags, 4);
  if (rc >= 0 || (rc = kiln_cli_apply_threads(c, threads)) >= 0 ||
      (rc = kiln_cli_check_trainable(c, "evaluate")) >= 0)
    return rc;
  if (!data)
    data = m->test_path;
  if (!data)
    return kiln_cli_usage_error(c, "--data is required (the spec names no test data)");
  kiln_error e;
  kiln_dataset d = {0};
  buffers b = {0};
  kiln_eval_result r;
  kiln_status st;
  if (!(st = kiln_dataset_load(m, data, targets, &d, &e)) &&
      !(st = kiln_cli_alloc_model(m, &b, 0, &e)) &&
      !(st = kiln_cli_load_weights(m, weights, &b, &e)) &&
      !(st = kiln_evaluate(m, b.state, b.workspace, &d, &r, &e))) {
    char line[256];
    kiln_cli_format_eval(line, sizeof line, "", m, &r);
    fprintf(c->out, "%s\n", line);
  }
  kiln_dataset_free(&d);
  kiln_cli_free_model(&b);
  return st ? kiln_cli_fail(c, &e) : 0;
}

/*---- predict -------------------------------------------------------------*/

static void format_predictions(const kiln_model *m, const float *p,
                               int64_t rows, kiln_buf *o) {
  int64_t k = m->output_dim;
  switch (m->target_kind) {
  case KILN_TARGET_CLASS:
    kiln_buf_printf(o, "class");
    for (int64_t j = 0; j < k; ++j)
      kiln_buf_printf(o, ",p%lld", (long long)j);
    break;
  case KILN_TARGET_BINARY:
    kiln_buf_printf(o, "class,p");
    break;
  case KILN_TARGET_MULTILABEL:
    for (int64_t j = 0; j < k; ++j)
      kiln_buf_printf(o, "%sy%lld", j ? "," : "", (long long)j);
    for (int64_t j = 0; j < k; ++j)
      kiln_buf_printf(o, ",p%lld", (long long)j);
    break;
  default:
    for (int64_t j = 0; j < k; ++j)
      kiln_buf_printf(o, "%sy%lld", j ? "," : "", (long long)j);
    break;
  }
  kiln_buf_put(o, "\n", 1);
  for (int64_t r = 0; r < rows; ++r) {
    const float *row = p + r * k;
    if (m->target_kind == KILN_TARGET_CLASS) {
      int64_t best = 0;
      for (int64_t j = 1; j < k; ++j)
        if (row[j] > row[best])
          best = j;
      kiln_buf_printf(o, "%lld,", (long long)best);
    } else if (m->target_kind == KILN_TARGET_BINARY) {
      kiln_buf_printf(o, "%d,", row[0] >= 0.5f);
    } else if (m->target_kind == KILN_TARGET_MULTILABEL) {
      for (int64_t j = 0; j < k; ++j)
        kiln_buf_printf(o, "%d,", row[j] >= 0.5f);
    }
    for (int64_t j = 0; j < k; ++j)
      kiln_buf_printf(o, "%s%.9g", j ? "," : "", (double)row[j]);
    kiln_buf_put(o, "\n", 1);
  }
}

static kiln_status load_features(const kiln_model *m, const char *path,
                                 kiln_dataset *d, kiln_error *err) {
  if (!kiln_cli_has_suffix(path, ".npy"))
    return kiln_dataset_load_csv(m, path, 0, d, err);
  kiln_matrix x;
  kiln_status st = kiln_npy_read(path, &x, err);
  if (st)
    return st;
  if (x.cols != m->input_dim) {
    /* kiln_matrix_free zeroes the shape: report it first. */
    st = kiln_fail(err, KILN_ERR_SHAPE,
                   "%s: shape [%lld, %lld], the model takes %lld inputs per "
                   "row",
                   path, (long long)x.rows, (long long)x.cols,
                   (long long)m->input_dim);
    kiln_matrix_free(&x);
    return st;
  }
  *d = (kiln_dataset){x.rows, x.cols, 0, x.data, NULL, NULL};
  return KILN_OK;
}

int kiln_cli_predict(cli *c, int argc, char **argv) {
  const kiln_model *m = c->m;
  const char *weights = NULL, *data = NULL, *output = NULL, *threads = NULL;
  int set[4] = {0};
  flag flags[] = {{"weights", &weights, &set[0]},
                  {"data", &data, &set[1]},
                  {"output", &output, &set[2]},
                  {"threads", &threads, &set[3]}};
  int rc = kiln_cli_parse_flags(c, argc, argv, flags, 4);
  if (rc >= 0 || (rc = kiln_cli_apply_threads(c, threads)) >= 0)
    return rc;
  if (!data)
    return kiln_cli_usage_error(c, "--data is required");
  kiln_error e;
  kiln_dataset d = {0};
  buffers b = {0};
  float *pred = NULL;
  kiln_buf text = {0};
  kiln_status st;
  if ((st = load_features(m, data, &d, &e)) ||
      (st = kiln_cli_alloc_model(m, &b, 1, &e)) ||
      (st = kiln_cli_load_weights(m, weights, &b, &e)))
    goto done;
  if (!(pred = malloc((size_t)(d.rows * m->output_dim + 1) * sizeof *pred))) {
    st = kiln_fail(&e, KILN_ERR_MEMORY, "out of memory");
    goto done;
  }
  if ((st = kiln_predict_rows(m, m->prepare ? b.pstate : b.state, b.workspace,
                              d.x, d.rows, pred, &e)))
    goto done;
  kiln_c_locale loc;
  kiln_c_locale_begin(&loc);
  format_predictions(m, pred, d.rows, &text);
  kiln_c_locale_end(&loc);
  if (text.oom) {
    st = kiln_fail(&e, KILN_ERR_MEMORY, "out of memory");
  } else if (output) {
    kiln_chunk chunk = {text.data, text.len};
    st = kiln_write_file_atomic(output, &chunk, 1, &e);
  } else if (fwrite(text.data, 1, text.len, c->out) != text.len ||
             fflush(c->out) != 0) {
    st = kiln_fail(&e, KILN_ERR_IO, "cannot write to standard output");
  }
done:
  free(text.data);
  free(pred);
  kiln_dataset_free(&d);
  kiln_cli_free_model(&b);
  return st ? kiln_cli_fail(c, &e) : 0;
}

/*---- init ----------------------------------------------------------------*/

int kiln_cli_init(cli *c, int argc, char **argv) {
  const kiln_model *m = c->m;
  const char *seed_s = NULL, *save = NULL;
  int set[2] = {0};
  flag flags[] = {{"seed", &seed_s, &set[0]}, {"save", &save, &set[1]}};
  int rc = kiln_cli_parse_flags(c, argc, argv, flags, 2);
  if (rc >= 0)
    return rc;
  uint64_t seed = (uint64_t)m->seed;
  if (seed_s && !kiln_cli_parse_u64(seed_s, &seed))
    return kiln_cli_usage_error(c, "--seed: expected an unsigned integer, got '%s'",
                       seed_s);
  char wbuf[1024];
  if (!save)
    save = kiln_cli_default_weights(m, wbuf, sizeof wbuf);
  kiln_error e;
  buffers b = {0};
  kiln_status st;
  if (!(st = kiln_cli_alloc_model(m, &b, 0, &e)) &&
      !(st = kiln_init_state(m, b.state, seed, &e)) &&
      !(st = kiln_safetensors_save(m, b.state, save, &e)))
    fprintf(c->out, "saved %s (seed %llu)\n", save, (unsigned long long)seed);
  kiln_cli_free_model(&b);
  return st ? kiln_cli_fail(c, &e) : 0;
}

/*---- info ----------------------------------------------------------------*/

static const char *role_name(int32_t role) {
  static const char *const names[] = {"param",     "running_mean",
                                      "running_var", "optimizer", "?",
                                      "gradient"};
  return role >= 0 && role < 6 ? names[role] : "?";
}

static const char *target_name(int32_t kind) {
  static const char *const names[] = {"class", "binary", "multilabel", "real"};
  return kind >= 0 && kind < 4 ? names[kind] : "?";
}

static void print_bytes(FILE *f, const char *what, double bytes) {
  fprintf(f, "%-18s %.0f bytes (%.1f KiB, %.2f MiB)\n", what, bytes,
          bytes / 1024, bytes / (1024.0 * 1024.0));
}

static void print_column(FILE *f, const kiln_column *col) {
  if (col->name && col->index < 0)
    fprintf(f, " \"%s\"", col->name);
  else
    fprintf(f, " #%lld", (long long)col->index);
}

int kiln_cli_info(cli *c, int argc, char **argv) {
  const kiln_model *m = c->m;
  int rc = kiln_cli_parse_flags(c, argc, argv, NULL, 0);
  if (rc >= 0)
    return rc;
  FILE *f = c->out;
  fprintf(f, "%-18s %s\n", "model", m->name);
  fprintf(f, "%-18s %lld\n", "input features", (long long)m->input_dim);
  fprintf(f, "%-18s %s, %lld column%s", "target", target_name(m->target_kind),
          (long long)m->target_dim, m->target_dim == 1 ? "" : "s");
  if (m->target_kind == KILN_TARGET_CLASS)
    fprintf(f, ", %lld classes", (long long)m->num_classes);
  fprintf(f, "\n%-18s %lld\n", "outputs", (long long)m->output_dim);
  fprintf(f, "%-18s %lld\n", "batch size", (long long)m->batch_size);
  fprintf(f, "%-18s %s\n", "optimizer", m->optimizer ? m->optimizer : "-");
  if (m->schedule)
    fprintf(f, "%-18s %s\n", "schedule", m->schedule);
  int64_t params = 0, saved = 0;
  int width = 4;
  for (int32_t t = 0; t < m->num_tensors; ++t)
    if ((int)strlen(m->tensors[t].name) > width)
      width = (int)strlen(m->tensors[t].name);
  fprintf(f, "tensors\n");
  for (int32_t t = 0; t < m->num_tensors; ++t) {
    const kiln_tensor_info *ti = &m->tensors[t];
    char shape[128];
    kiln_format_shape(shape, sizeof shape, ti->shape, ti->rank);
    fprintf(f, "  %-*s  %-14s %s\n", width, ti->name, shape,
            role_name(ti->role));
    if (ti->role == KILN_ROLE_PARAM)
      params += ti->numel;
    if (kiln_role_saved(ti->role))
      saved += ti->numel;
  }
  fprintf(f, "%-18s %lld\n", "parameters", (long long)params);
  fprintf(f, "%-18s %lld floats\n", "saved", (long long)saved);
  fprintf(f, "%-18s %lld\n", "FLOPs per sample", (long long)m->flops_per_sample);
  print_bytes(f, "state", (double)m->state_size * 4);
  if (m->prepare)
    print_bytes(f, "predict state", (double)m->predict_state_size * 4);
  print_bytes(f, "workspace", (double)m->workspace_size);
  fprintf(f, "%-18s", "predict blocks");
  for (int32_t b = 0; b < m->num_predict_blocks; ++b)
    fprintf(f, " %lld", (long long)m->predict_blocks[b].rows);
  fprintf(f, " rows%s\n", m->train_step ? "" : " (predict only)");
  if (m->num_eval_blocks > 0) {
    fprintf(f, "%-18s", "eval blocks");
    for (int32_t b = 0; b < m->num_eval_blocks; ++b)
      fprintf(f, " %lld", (long long)m->eval_blocks[b].rows);
    fprintf(f, " rows\n");
  }
  if (m->num_grad_blocks > 0) {
    fprintf(f, "%-18s", "gradient blocks");
    for (int32_t b = 0; b < m->num_grad_blocks; ++b)
      fprintf(f, " %lld", (long long)m->grad_blocks[b].rows);
    fprintf(f, " rows (data parallel: MPI)\n");
  }
  fprintf(f, "%-18s %s\n", "weights",
          m->weights ? (m->prepare ? "compiled in, folded" : "compiled in")
                     : "none compiled in (load a checkpoint)");
  fprintf(f, "%-18s %lld epochs, seed %lld, val_split %g\n", "training",
          (long long)m->epochs, (long long)m->seed, m->val_split);
  if (m->early_stopping)
    fprintf(f, "%-18s on val_%s, patience %lld, min_delta %g\n",
            "early stopping", kiln_metric_name(m->monitor),
            (long long)m->patience, m->min_delta);
  fprintf(f, "%-18s %s\n", "train data", m->train_path ? m->train_path : "-");
  fprintf(f, "%-18s %s\n", "test data", m->test_path ? m->test_path : "-");
  fprintf(f, "%-18s", "target columns");
  if (m->num_target_columns == 0)
    fprintf(f, " the last %lld", (long long)m->target_dim);
  for (int32_t k = 0; k < m->num_target_columns; ++k)
    print_column(f, &m->target_columns[k]);
  fprintf(f, "\n%-18s", "feature columns");
  if (m->num_feature_columns == 0)
    fprintf(f, " all others");
  for (int32_t k = 0; k < m->num_feature_columns; ++k)
    print_column(f, &m->feature_columns[k]);
  fputc('\n', f);
  return 0;
}


/*---- plot ----------------------------------------------------------------*/

int kiln_cli_plot(cli *c, int argc, char **argv) {
  const char *metrics = NULL, *output = NULL;
  int set[2] = {0};
  flag flags[] = {{"metrics", &metrics, &set[0]}, {"output", &output, &set[1]}};
  int rc = kiln_cli_parse_flags(c, argc, argv, flags, 2);
  if (rc >= 0)
    return rc;
  if (!metrics)
    return kiln_cli_usage_error(c, "--metrics is required");
  char buf[1024];
  if (!output) {
    const char *dot = strrchr(metrics, '.'), *slash = strrchr(metrics, '/');
    int stem = dot && (!slash || dot > slash) ? (int)(dot - metrics)
                                              : (int)strlen(metrics);
    snprintf(buf, sizeof buf, "%.*s.svg", stem, metrics);
    output = buf;
  }
  kiln_error e;
  kiln_curves curves;
  kiln_status st = kiln_curves_read(metrics, &curves, &e);
  if (!st) {
    st = kiln_curves_svg(&curves, c->m->name, kiln_curves_best_epoch(&curves),
                         output, &e);
    kiln_curves_free(&curves);
  }
  if (st)
    return kiln_cli_fail(c, &e);
  fprintf(c->out, "wrote %s\n", output);
  return 0;
}
