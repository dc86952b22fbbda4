/*===- kiln_rt.h - kiln's runtime: the C API ------------------------------===*
 *
 * What a model compiled by kiln exports, and what the runtime library
 * (libkiln_rt.a) offers on top of it: data loading, checkpoints, random
 * numbers, the training loop, and a context API for applications that embed
 * a model. Plain C; depends on libc, libm and pthreads only.
 *
 *===----------------------------------------------------------------------===*/

#ifndef KILN_RT_H
#define KILN_RT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*===----------------------------------------------------------------------===*
 * The compiled model (ABI between the compiler and the runtime)
 *
 * The compiler emits one `kiln_model` constant per model, named
 * `<model>_model`, whose functions work on two buffers laid out at compile
 * time: the state (parameters, running statistics, optimizer state; floats)
 * and the workspace (intermediates; bytes, 64-byte aligned). The compiled
 * functions allocate nothing and keep no state of their own.
 *===----------------------------------------------------------------------===*/

#define KILN_ABI_VERSION 1

typedef enum kiln_role {
  KILN_ROLE_PARAM = 0,        /* trained; saved in checkpoints */
  KILN_ROLE_RUNNING_MEAN = 1, /* batch-norm statistics; saved */
  KILN_ROLE_RUNNING_VAR = 2,  /* batch-norm statistics; saved */
  KILN_ROLE_OPTIMIZER = 3     /* optimizer state; not saved, zero at start */
} kiln_role;

typedef enum kiln_init_kind {
  KILN_INIT_ZEROS = 0,
  KILN_INIT_ONES = 1,
  KILN_INIT_NORMAL = 2,  /* a = mean, b = std */
  KILN_INIT_UNIFORM = 3, /* a = low, b = high */
  KILN_INIT_XAVIER_UNIFORM = 4,
  KILN_INIT_XAVIER_NORMAL = 5,
  KILN_INIT_HE_NORMAL = 6,
  KILN_INIT_HE_UNIFORM = 7
} kiln_init_kind;

typedef enum kiln_target_kind {
  KILN_TARGET_CLASS = 0,      /* one column of labels in [0, num_classes) */
  KILN_TARGET_BINARY = 1,     /* one column of 0/1 */
  KILN_TARGET_MULTILABEL = 2, /* target_dim columns of 0/1 */
  KILN_TARGET_REAL = 3        /* target_dim columns of reals */
} kiln_target_kind;

typedef enum kiln_metric {
  KILN_METRIC_LOSS = 0,
  KILN_METRIC_ACCURACY = 1,
  KILN_METRIC_MSE = 2,
  KILN_METRIC_MAE = 3,
  KILN_METRIC_R2 = 4
} kiln_metric;

typedef struct kiln_tensor_info {
  const char *name; /* checkpoint name, e.g. "l1.dense0.weight" */
  int32_t role;     /* kiln_role */
  int32_t init;     /* kiln_init_kind */
  int32_t rank;
  int32_t reserved;
  int64_t shape[4];
  int64_t numel;
  int64_t offset; /* in floats, from the start of the state buffer */
  double init_a;
  double init_b;
  int64_t fan_in;
  int64_t fan_out;
} kiln_tensor_info;

/* A CSV column by header name (index < 0) or by 0-based index (name NULL). */
typedef struct kiln_column {
  const char *name;
  int64_t index;
} kiln_column;

/* One optimization step on one batch of exactly batch_size rows: forward,
 * backward, and the parameter update. `step` counts from 1 over the whole run
 * (Adam's bias correction, dropout masks), `epoch` from 0 (learning-rate
 * schedule). Writes the batch's mean loss to loss[0]. */
typedef void (*kiln_train_step_fn)(float *state, uint8_t *workspace,
                                   const float *x, const float *y,
                                   int64_t step, int64_t epoch, int64_t seed,
                                   float *loss);

/* Inference-mode forward on batch_size rows: per-row loss (loss[batch_size])
 * and the prediction (output[batch_size * output_dim]). */
typedef void (*kiln_eval_step_fn)(const float *state, uint8_t *workspace,
                                  const float *x, const float *y, float *loss,
                                  float *output);

/* Inference-mode prediction on batch_size rows. `pstate` is the state, or
 * the prepared state when the model has a `prepare` function. */
typedef void (*kiln_predict_fn)(const float *pstate, uint8_t *workspace,
                                const float *x, float *output);

/* Optional: derives the prediction state (e.g. batch norm folded into the
 * preceding dense layer) once, after weights are loaded. */
typedef void (*kiln_prepare_fn)(const float *state, float *pstate);

typedef struct kiln_model {
  int32_t abi_version; /* KILN_ABI_VERSION */
  int32_t target_kind; /* kiln_target_kind */
  const char *name;

  int64_t batch_size;  /* rows per call of every compiled function */
  int64_t input_dim;   /* features per row */
  int64_t target_dim;  /* target columns per row (1 for class labels) */
  int64_t num_classes; /* class targets only; 0 otherwise */
  int64_t output_dim;  /* prediction columns per row: probabilities for
                          class, binary and multilabel targets, values for
                          real ones */

  int64_t state_size;         /* floats */
  int64_t predict_state_size; /* floats; 0 when prepare is NULL */
  int64_t workspace_size;     /* bytes */
  int64_t flops_per_sample;   /* forward pass */

  int32_t num_tensors;
  int32_t reserved;
  const kiln_tensor_info *tensors;

  kiln_train_step_fn train_step;
  kiln_eval_step_fn eval_step;
  kiln_predict_fn predict;
  kiln_prepare_fn prepare; /* may be NULL */

  /* Defaults from the spec's train and data sections; flags override. */
  const char *optimizer; /* human-readable, e.g. "adam(lr=0.001, ...)" */
  int64_t epochs;
  int64_t seed;
  int32_t early_stopping; /* 0 or 1 */
  int32_t monitor;        /* kiln_metric, on the validation set */
  int64_t patience;
  double min_delta;
  double val_split;
  const char *train_path; /* absolute, or NULL */
  const char *test_path;  /* absolute, or NULL */
  int32_t num_target_columns;
  int32_t num_feature_columns; /* 0: every column that is no target */
  const kiln_column *target_columns;
  const kiln_column *feature_columns;
} kiln_model;

#ifdef __cplusplus
}
#endif

#endif /* KILN_RT_H */
