/*===- ctx.c - The embedding API ------------------------------------------===*/

#include "rt_internal.h"

#include <stdlib.h>
#include <string.h>

struct kiln_ctx {
  const kiln_model *m;
  float *state;
  float *pstate; /* prepared state, or NULL when the model has no prepare */
  uint8_t *workspace;
  int ready; /* weights are in (init or load succeeded) */
  int threads; /* most threads per call */
  kiln_error err;
};

kiln_status kiln_ctx_create(const kiln_model *m, kiln_ctx **out,
                            kiln_error *err) {
  if (!out)
    return kiln_fail(err, KILN_ERR_ARGUMENT, "kiln_ctx_create: out is NULL");
  *out = NULL;
  kiln_status st = kiln_model_check(m, err);
  if (st)
    return st;
  kiln_ctx *ctx = calloc(1, sizeof *ctx);
  if (!ctx)
    return kiln_fail(err, KILN_ERR_MEMORY, "out of memory");
  ctx->m = m;
  if ((st = kiln_default_threads(&ctx->threads, err))) {
    free(ctx);
    return st;
  }
  ctx->state = kiln_alloc_aligned((size_t)m->state_size * sizeof(float));
  ctx->workspace = kiln_alloc_aligned((size_t)m->workspace_size);
  if (m->prepare)
    ctx->pstate =
        kiln_alloc_aligned((size_t)m->predict_state_size * sizeof(float));
  if (!ctx->state || !ctx->workspace || (m->prepare && !ctx->pstate)) {
    kiln_ctx_destroy(ctx);
    return kiln_fail(err, KILN_ERR_MEMORY,
                     "model \"%s\": out of memory for its buffers", m->name);
  }
  if (m->weights) { /* folded at compile time: nothing to prepare */
    kiln_model_embedded_weights(m, ctx->state, ctx->pstate, NULL);
    ctx->ready = 1;
  }
  *out = ctx;
  return KILN_OK;
}

void kiln_ctx_destroy(kiln_ctx *ctx) {
  if (!ctx)
    return;
  free(ctx->state);
  free(ctx->pstate);
  free(ctx->workspace);
  free(ctx);
}

static kiln_status finish(kiln_ctx *ctx, kiln_status st) {
  if (st == KILN_OK)
    kiln_error_clear(&ctx->err);
  return st;
}

kiln_status kiln_ctx_set_threads(kiln_ctx *ctx, int threads) {
  if (!ctx)
    return KILN_ERR_ARGUMENT;
  if (threads < 0 || threads > KILN_MAX_THREADS)
    return kiln_fail(&ctx->err, KILN_ERR_ARGUMENT,
                     "kiln_ctx_set_threads: %d threads; expected 0 (the "
                     "default) to %d",
                     threads, KILN_MAX_THREADS);
  if (threads == 0)
    return finish(ctx, kiln_default_threads(&ctx->threads, &ctx->err));
  ctx->threads = threads;
  return finish(ctx, KILN_OK);
}

/* Weights changed: derive the prediction state once, not per call. */
static void prepare(kiln_ctx *ctx) {
  if (ctx->m->prepare) {
    kiln_threads_enter(ctx->threads);
    ctx->m->prepare(ctx->state, ctx->workspace, ctx->pstate);
    kiln_threads_leave();
  }
  ctx->ready = 1;
}

kiln_status kiln_ctx_init(kiln_ctx *ctx, uint64_t seed) {
  if (!ctx)
    return KILN_ERR_ARGUMENT;
  kiln_status st = kiln_init_state(ctx->m, ctx->state, seed, &ctx->err);
  if (!st)
    prepare(ctx);
  return finish(ctx, st);
}

kiln_status kiln_ctx_load(kiln_ctx *ctx, const char *safetensors_path) {
  if (!ctx)
    return KILN_ERR_ARGUMENT;
  if (!safetensors_path)
    return kiln_fail(&ctx->err, KILN_ERR_ARGUMENT, "no checkpoint path");
  kiln_status st =
      kiln_safetensors_load(ctx->m, ctx->state, safetensors_path, &ctx->err);
  if (!st)
    prepare(ctx);
  return finish(ctx, st);
}

kiln_status kiln_ctx_save(kiln_ctx *ctx, const char *safetensors_path) {
  if (!ctx)
    return KILN_ERR_ARGUMENT;
  if (!safetensors_path)
    return kiln_fail(&ctx->err, KILN_ERR_ARGUMENT, "no checkpoint path");
  if (!ctx->ready)
    return kiln_fail(&ctx->err, KILN_ERR_STATE,
                     "no weights to save: call kiln_ctx_init or kiln_ctx_load "
                     "first");
  return finish(ctx, kiln_safetensors_save(ctx->m, ctx->state,
                                           safetensors_path, &ctx->err));
}

kiln_status kiln_ctx_predict(kiln_ctx *ctx, const float *x, int64_t rows,
                             float *out) {
  if (!ctx)
    return KILN_ERR_ARGUMENT;
  if (!ctx->ready)
    return kiln_fail(&ctx->err, KILN_ERR_STATE,
                     "no weights: call kiln_ctx_init or kiln_ctx_load first");
  const float *ps = ctx->m->prepare ? ctx->pstate : ctx->state;
  kiln_threads_enter(ctx->threads);
  kiln_status st = kiln_predict_checked(ctx->m, ps, ctx->workspace, x, rows,
                                        out, &ctx->err);
  kiln_threads_leave();
  return finish(ctx, st);
}

/* The caller's arrays as a dataset, without a copy: kiln_train and
 * kiln_evaluate only read them. */
static kiln_dataset view(const kiln_model *m, const float *x, const float *y,
                         int64_t rows) {
  kiln_dataset d = {rows, m->input_dim, m->target_dim, (float *)(uintptr_t)x,
                    (float *)(uintptr_t)y,
                    NULL};
  return d;
}

kiln_status kiln_ctx_train(kiln_ctx *ctx, const float *x, const float *y,
                           int64_t rows, const float *val_x,
                           const float *val_y, int64_t val_rows,
                           const kiln_train_options *options,
                           kiln_train_result *result) {
  if (!ctx)
    return KILN_ERR_ARGUMENT;
  const kiln_model *m = ctx->m;
  if (!ctx->ready)
    return kiln_fail(&ctx->err, KILN_ERR_STATE,
                     "no weights to train: call kiln_ctx_init or "
                     "kiln_ctx_load first");
  if (rows <= 0 || !x || !y || val_rows < 0 ||
      (val_rows > 0 && (!val_x || !val_y)))
    return kiln_fail(&ctx->err, KILN_ERR_ARGUMENT,
                     "kiln_ctx_train: no rows, or no data for them");
  kiln_train_options quiet;
  if (!options) {
    kiln_train_options_default(m, &quiet);
    quiet.quiet = 1;
    quiet.early_stopping = quiet.early_stopping && val_rows > 0;
    options = &quiet;
  }
  kiln_dataset train = view(m, x, y, rows), val = view(m, val_x, val_y, val_rows);
  kiln_status st = kiln_dataset_check_targets(m, &train, &ctx->err);
  if (st)
    kiln_error_prefix(&ctx->err, "training targets");
  else if (val_rows > 0 &&
           (st = kiln_dataset_check_targets(m, &val, &ctx->err)))
    kiln_error_prefix(&ctx->err, "validation targets");
  if (st)
    return st;
  kiln_threads_enter(ctx->threads);
  st = kiln_train(m, ctx->state, ctx->workspace, &train, &val, options, result,
                  &ctx->err);
  kiln_threads_leave();
  /* Whatever state training left (diverged runs included) is what the
   * context now predicts with. */
  prepare(ctx);
  return finish(ctx, st);
}

kiln_status kiln_ctx_evaluate(kiln_ctx *ctx, const float *x, const float *y,
                              int64_t rows, kiln_eval_result *result) {
  if (!ctx)
    return KILN_ERR_ARGUMENT;
  if (!ctx->ready)
    return kiln_fail(&ctx->err, KILN_ERR_STATE,
                     "no weights: call kiln_ctx_init or kiln_ctx_load first");
  if (rows <= 0 || !x || !y || !result)
    return kiln_fail(&ctx->err, KILN_ERR_ARGUMENT,
                     "kiln_ctx_evaluate: no rows, data or result");
  kiln_dataset d = view(ctx->m, x, y, rows);
  kiln_status st = kiln_dataset_check_targets(ctx->m, &d, &ctx->err);
  if (st)
    return st;
  kiln_threads_enter(ctx->threads);
  st = kiln_evaluate(ctx->m, ctx->state, ctx->workspace, &d, result,
                     &ctx->err);
  kiln_threads_leave();
  return finish(ctx, st);
}

const char *kiln_ctx_last_error(const kiln_ctx *ctx) {
  return ctx ? ctx->err.message : "no context";
}

const kiln_model *kiln_ctx_model(const kiln_ctx *ctx) {
  return ctx ? ctx->m : NULL;
}
