/*===- model.c - Checking a compiled model's descriptor -------------------===*
 *
 * The descriptor comes from another compiler build, maybe another version:
 * checking it once up front lets the rest of the runtime trust its fields.
 *
 *===----------------------------------------------------------------------===*/

#include "rt_internal.h"

#include <string.h>

const char *kiln_metric_name(int32_t metric) {
  switch (metric) {
  case KILN_METRIC_LOSS: return "loss";
  case KILN_METRIC_ACCURACY: return "accuracy";
  case KILN_METRIC_MSE: return "mse";
  case KILN_METRIC_MAE: return "mae";
  case KILN_METRIC_R2: return "r2";
  default: return "unknown";
  }
}

static kiln_status check_tensor(const kiln_model *m, int32_t t,
                                kiln_error *err) {
  const kiln_tensor_info *ti = &m->tensors[t];
  if (!ti->name || !ti->name[0])
    return kiln_fail(err, KILN_ERR_ABI, "model \"%s\": tensor %d has no name",
                     m->name, (int)t);
  if ((ti->role < KILN_ROLE_PARAM || ti->role > KILN_ROLE_OPTIMIZER) &&
      ti->role != KILN_ROLE_GRADIENT)
    return kiln_fail(err, KILN_ERR_ABI, "tensor \"%s\": unknown role %d",
                     ti->name, (int)ti->role);
  if (ti->init < KILN_INIT_ZEROS || ti->init > KILN_INIT_HE_UNIFORM)
    return kiln_fail(err, KILN_ERR_ABI, "tensor \"%s\": unknown init kind %d",
                     ti->name, (int)ti->init);
  if (ti->rank < 0 || ti->rank > 4)
    return kiln_fail(err, KILN_ERR_ABI, "tensor \"%s\": rank %d not in [0, 4]",
                     ti->name, (int)ti->rank);
  int64_t numel = 1;
  for (int32_t d = 0; d < ti->rank; ++d) {
    if (ti->shape[d] <= 0 || numel > INT64_MAX / ti->shape[d])
      return kiln_fail(err, KILN_ERR_ABI, "tensor \"%s\": bad dimension %lld",
                       ti->name, (long long)ti->shape[d]);
    numel *= ti->shape[d];
  }
  if (numel != ti->numel)
    return kiln_fail(err, KILN_ERR_ABI,
                     "tensor \"%s\": numel %lld is not the product of its "
                     "shape (%lld)",
                     ti->name, (long long)ti->numel, (long long)numel);
  if (ti->offset < 0 || ti->offset > m->state_size - numel)
    return kiln_fail(err, KILN_ERR_ABI,
                     "tensor \"%s\": floats [%lld, %lld) outside the state "
                     "buffer of %lld floats",
                     ti->name, (long long)ti->offset,
                     (long long)(ti->offset + numel), (long long)m->state_size);
  for (int32_t u = 0; u < t; ++u)
    if (strcmp(m->tensors[u].name, ti->name) == 0)
      return kiln_fail(err, KILN_ERR_ABI, "tensor name \"%s\" appears twice",
                       ti->name);
  return KILN_OK;
}

static kiln_status check_dims(const kiln_model *m, kiln_error *err) {
  const char *name = m->name;
  if (m->batch_size <= 0 || m->input_dim <= 0 || m->target_dim <= 0 ||
      m->output_dim <= 0)
    return kiln_fail(err, KILN_ERR_ABI,
                     "model \"%s\": batch_size, input_dim, target_dim and "
                     "output_dim must be positive",
                     name);
  int64_t want_out = m->target_dim, want_target = m->target_dim;
  switch (m->target_kind) {
  case KILN_TARGET_CLASS:
    if (m->num_classes < 2)
      return kiln_fail(err, KILN_ERR_ABI,
                       "model \"%s\": num_classes %lld, need at least 2", name,
                       (long long)m->num_classes);
    want_out = m->num_classes;
    want_target = 1;
    break;
  case KILN_TARGET_BINARY:
    want_out = want_target = 1;
    break;
  case KILN_TARGET_MULTILABEL:
  case KILN_TARGET_REAL:
    break;
  default:
    return kiln_fail(err, KILN_ERR_ABI, "model \"%s\": unknown target kind %d",
                     name, (int)m->target_kind);
  }
  if (m->output_dim != want_out || m->target_dim != want_target)
    return kiln_fail(err, KILN_ERR_ABI,
                     "model \"%s\": output_dim %lld / target_dim %lld do not "
                     "fit its target kind",
                     name, (long long)m->output_dim, (long long)m->target_dim);
  if (m->state_size < 0 || m->workspace_size < 0 ||
      m->predict_state_size < 0 || (m->prepare && m->predict_state_size <= 0))
    return kiln_fail(err, KILN_ERR_ABI, "model \"%s\": bad buffer sizes", name);
  return KILN_OK;
}

/* Most rows first, down to one row: any row count is a sum of blocks. */
static kiln_status check_predict_blocks(const kiln_model *m, kiln_error *err) {
  int32_t n = m->num_predict_blocks;
  const kiln_predict_block *b = m->predict_blocks;
  if (n <= 0 || !b || b[n - 1].rows != 1)
    return kiln_fail(err, KILN_ERR_ABI,
                     "model \"%s\": no one-row prediction function",
                     m->name);
  for (int32_t i = 0; i < n; ++i)
    if (!b[i].predict || b[i].rows < 1 || (i > 0 && b[i].rows >= b[i - 1].rows))
      return kiln_fail(err, KILN_ERR_ABI,
                       "model \"%s\": bad prediction function table",
                       m->name);
  return KILN_OK;
}

/* With eval_step: it first, then fewer rows, down to one row; none
 * without. */
static kiln_status check_eval_blocks(const kiln_model *m, kiln_error *err) {
  int32_t n = m->num_eval_blocks;
  const kiln_eval_block *b = m->eval_blocks;
  if (!m->eval_step && n == 0)
    return KILN_OK;
  if (!m->eval_step || n <= 0 || !b || b[0].rows != m->batch_size ||
      b[0].eval_step != m->eval_step || b[n - 1].rows != 1)
    return kiln_fail(err, KILN_ERR_ABI,
                     "model \"%s\": bad evaluation function table", m->name);
  for (int32_t i = 1; i < n; ++i)
    if (!b[i].eval_step || b[i].rows >= b[i - 1].rows)
      return kiln_fail(err, KILN_ERR_ABI,
                       "model \"%s\": bad evaluation function table",
                       m->name);
  return KILN_OK;
}

/* Data-parallel builds: the gradient span inside the state, blocks of 1 to
 * batch_size rows, most rows first, and the update beside them. */
static kiln_status check_grad_blocks(const kiln_model *m, kiln_error *err) {
  if (m->num_grad_blocks == 0 && !m->apply_update && m->grad_size == 0)
    return KILN_OK;
  if (m->num_grad_blocks < 0 || !m->grad_blocks || !m->apply_update ||
      !m->train_step || m->grad_size <= 0 || m->grad_offset < 0 ||
      m->grad_offset > m->state_size - m->grad_size)
    return kiln_fail(err, KILN_ERR_ABI,
                     "model \"%s\": inconsistent data-parallel functions or "
                     "gradient span",
                     m->name);
  for (int32_t i = 0; i < m->num_grad_blocks; ++i) {
    const kiln_grad_block *b = &m->grad_blocks[i];
    if (!b->grad || b->rows < 1 || b->rows > m->batch_size ||
        (i > 0 && b->rows >= m->grad_blocks[i - 1].rows))
      return kiln_fail(err, KILN_ERR_ABI,
                       "model \"%s\": bad gradient block %d", m->name, (int)i);
  }
  return KILN_OK;
}

kiln_status kiln_model_check_trainable(const kiln_model *m, const char *what,
                                       kiln_error *err) {
  kiln_status st = kiln_model_check(m, err);
  if (!st && !m->train_step)
    return kiln_fail(err, KILN_ERR_ARGUMENT,
                     "model \"%s\" was built with --predict-only: it cannot "
                     "%s",
                     m->name, what);
  return st;
}

kiln_status kiln_model_check(const kiln_model *m, kiln_error *err) {
  if (!m)
    return kiln_fail(err, KILN_ERR_ARGUMENT, "no model given");
  if (m->abi_version != KILN_ABI_VERSION)
    return kiln_fail(err, KILN_ERR_ABI,
                     "model compiled for runtime ABI version %d, but this "
                     "runtime implements version %d: rebuild the model with "
                     "a matching kiln",
                     (int)m->abi_version, KILN_ABI_VERSION);
  if (!m->name || !m->name[0])
    return kiln_fail(err, KILN_ERR_ABI, "model descriptor has no name");
  if (!m->predict || !m->train_step != !m->eval_step)
    return kiln_fail(err, KILN_ERR_ABI,
                     "model \"%s\": train_step, eval_step or predict missing",
                     m->name);
  kiln_status st = check_predict_blocks(m, err);
  if (st || (st = check_eval_blocks(m, err)) || (st = check_dims(m, err)) ||
      (st = check_grad_blocks(m, err)))
    return st;
  if (m->num_tensors < 0 || (m->num_tensors > 0 && !m->tensors))
    return kiln_fail(err, KILN_ERR_ABI, "model \"%s\": bad tensor table",
                     m->name);
  for (int32_t t = 0; t < m->num_tensors; ++t)
    if ((st = check_tensor(m, t, err)))
      return st;
  if (m->num_target_columns < 0 || m->num_feature_columns < 0 ||
      (m->num_target_columns > 0 && !m->target_columns) ||
      (m->num_feature_columns > 0 && !m->feature_columns))
    return kiln_fail(err, KILN_ERR_ABI, "model \"%s\": bad column table",
                     m->name);
  if (m->monitor < KILN_METRIC_LOSS || m->monitor > KILN_METRIC_R2)
    return kiln_fail(err, KILN_ERR_ABI, "model \"%s\": unknown metric %d",
                     m->name, (int)m->monitor);
  return KILN_OK;
}

kiln_status kiln_model_embedded_weights(const kiln_model *m, float *state,
                                        float *pstate, kiln_error *err) {
  kiln_status st = kiln_model_check(m, err);
  if (st)
    return st;
  if (!m->weights)
    return kiln_fail(err, KILN_ERR_STATE,
                     "model \"%s\" was compiled without weights: give a "
                     "checkpoint",
                     m->name);
  if (state)
    memcpy(state, m->weights, (size_t)m->state_size * sizeof *state);
  if (pstate && m->prepare)
    memcpy(pstate, m->weights, (size_t)m->predict_state_size * sizeof *pstate);
  return KILN_OK;
}
