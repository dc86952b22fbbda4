/*===- parallel.c - One training step over the ranks of a job -------------===*
 *
 * Data parallelism (docs/distributed.md): every rank holds the whole state;
 * each computes the gradient of its shard of the global batch with the
 * model's gradient block for that many rows, the shards' gradients are
 * summed by one allreduce over the state's gradient span, and every rank
 * applies the same update to the same bits. The blocks scale their
 * gradients and loss by rows / batch_size, so the sums are the batch's.
 *
 *===----------------------------------------------------------------------===*/

#include "rt_internal.h"

#include <stdlib.h>
#include <string.h>

/* Rank r of n takes rows [r B / n, (r + 1) B / n): the compiler builds the
 * blocks for the same split (gradBlockRows). */
static int64_t shard_first(int64_t bs, int rank, int size) {
  return (int64_t)rank * bs / size;
}

static kiln_status collective_failed(const kiln_comm *c, const char *what,
                                     kiln_error *err) {
  return kiln_fail(err, KILN_ERR_IO, "rank %d: %s failed", c->rank, what);
}

kiln_status kiln_dp_init(kiln_dp *dp, const kiln_model *m,
                         const kiln_comm *comm, kiln_error *err) {
  memset(dp, 0, sizeof *dp);
  if (!comm || comm->size <= 1)
    return KILN_OK;
  if (comm->rank < 0 || comm->rank >= comm->size || !comm->allreduce_sum_f32 ||
      !comm->allreduce_sum_f64)
    return kiln_fail(err, KILN_ERR_ARGUMENT, "bad communicator (rank %d of %d)",
                     comm->rank, comm->size);
  int64_t bs = m->batch_size;
  if (!m->apply_update)
    return kiln_fail(err, KILN_ERR_ARGUMENT,
                     "model \"%s\" was built without --distributed: it "
                     "trains in one process, not on %d ranks",
                     m->name, comm->size);
  if (comm->size > bs)
    return kiln_fail(err, KILN_ERR_ARGUMENT,
                     "%d ranks for a batch of %lld rows: every rank needs at "
                     "least one row",
                     comm->size, (long long)bs);
  dp->comm = comm;
  dp->first = shard_first(bs, comm->rank, comm->size);
  dp->rows = shard_first(bs, comm->rank + 1, comm->size) - dp->first;
  for (int32_t i = 0; i < m->num_grad_blocks; ++i)
    if (m->grad_blocks[i].rows == dp->rows)
      dp->grad = m->grad_blocks[i].grad;
  if (!dp->grad)
    return kiln_fail(err, KILN_ERR_ARGUMENT,
                     "rank %d: model \"%s\" has no gradient block for a shard "
                     "of %lld rows (batch %lld over %d ranks); build it with "
                     "kiln build --distributed=%d",
                     comm->rank, m->name, (long long)dp->rows, (long long)bs,
                     comm->size, comm->size);
  dp->x = kiln_alloc_aligned((size_t)(dp->rows * m->input_dim) * sizeof(float));
  dp->y =
      kiln_alloc_aligned((size_t)(dp->rows * m->target_dim) * sizeof(float));
  /* The running statistics, gathered for their allreduce. */
  for (int32_t t = 0; t < m->num_tensors; ++t)
    if (m->tensors[t].role == KILN_ROLE_RUNNING_MEAN ||
        m->tensors[t].role == KILN_ROLE_RUNNING_VAR)
      dp->num_stats += m->tensors[t].numel;
  dp->stats = kiln_alloc_aligned((size_t)dp->num_stats * sizeof(float));
  if (!dp->x || !dp->y || !dp->stats) {
    kiln_dp_free(dp);
    return kiln_fail(err, KILN_ERR_MEMORY, "out of memory for the shard");
  }
  return KILN_OK;
}

void kiln_dp_free(kiln_dp *dp) {
  free(dp->x);
  free(dp->y);
  free(dp->stats);
  memset(dp, 0, sizeof *dp);
}

/* Each rank's running statistics moved as its rows moved them; the job's
 * are their mean weighted by rows, (1 - momentum) r + momentum sum_r
 * (rows_r / B) batch_r, the same on every rank. */
static kiln_status reduce_stats(kiln_dp *dp, const kiln_model *m,
                                float *state, kiln_error *err) {
  if (dp->num_stats == 0)
    return KILN_OK;
  float share = (float)((double)dp->rows / (double)m->batch_size);
  int64_t k = 0;
  for (int32_t t = 0; t < m->num_tensors; ++t) {
    const kiln_tensor_info *ti = &m->tensors[t];
    if (ti->role != KILN_ROLE_RUNNING_MEAN && ti->role != KILN_ROLE_RUNNING_VAR)
      continue;
    for (int64_t i = 0; i < ti->numel; ++i)
      dp->stats[k + i] = state[ti->offset + i] * share;
    k += ti->numel;
  }
  if (dp->comm->allreduce_sum_f32(dp->comm->impl, dp->stats, dp->num_stats))
    return collective_failed(dp->comm, "the allreduce of the running "
                                       "statistics", err);
  k = 0;
  for (int32_t t = 0; t < m->num_tensors; ++t) {
    const kiln_tensor_info *ti = &m->tensors[t];
    if (ti->role != KILN_ROLE_RUNNING_MEAN && ti->role != KILN_ROLE_RUNNING_VAR)
      continue;
    memcpy(state + ti->offset, dp->stats + k, (size_t)ti->numel * sizeof(float));
    k += ti->numel;
  }
  return KILN_OK;
}

kiln_status kiln_dp_step(kiln_dp *dp, const kiln_model *m, float *state,
                         uint8_t *workspace, const kiln_dataset *d,
                         const int64_t *order, int64_t batch, int64_t step,
                         int64_t epoch, uint64_t seed, int interrupt,
                         float *loss, int *interrupted, kiln_error *err) {
  kiln_train_rows(d, order, batch, m->batch_size, dp->first, dp->rows, dp->x,
                  dp->y);
  float part = 0;
  dp->grad(state, workspace, dp->x, dp->y, step, (int64_t)seed, dp->first,
           &part);
  double start = kiln_now();
  const kiln_comm *c = dp->comm;
  /* The loss and the interrupt requests travel together: every rank sees
   * the batch's loss and stops at the same step. */
  double shared[2] = {part, interrupt ? 1.0 : 0.0};
  if (c->allreduce_sum_f32(c->impl, state + m->grad_offset, m->grad_size))
    return collective_failed(c, "the allreduce of the gradients", err);
  if (c->allreduce_sum_f64(c->impl, shared, 2))
    return collective_failed(c, "the allreduce of the loss", err);
  kiln_status st = reduce_stats(dp, m, state, err);
  if (st)
    return st;
  dp->allreduce_seconds += kiln_now() - start;
  m->apply_update(state, workspace, step, epoch);
  *loss = (float)shared[0];
  *interrupted = shared[1] > 0;
  return KILN_OK;
}

kiln_status kiln_dp_agree(const kiln_dp *dp, uint64_t value, int *same,
                          kiln_error *err) {
  const kiln_comm *c = dp->comm;
  /* Sums of the two 32-bit halves are exact in doubles; a rank whose value
   * differs from another's sees sums that are not `size` times its own,
   * and the second sum tells every rank that one did. */
  double mine[2] = {(double)(value >> 32), (double)(value & 0xffffffffu)};
  double sums[2] = {mine[0], mine[1]};
  if (c->allreduce_sum_f64(c->impl, sums, 2))
    return collective_failed(c, "an agreement between the ranks", err);
  double differs[1] = {sums[0] != mine[0] * c->size ||
                       sums[1] != mine[1] * c->size};
  if (c->allreduce_sum_f64(c->impl, differs, 1))
    return collective_failed(c, "an agreement between the ranks", err);
  *same = differs[0] == 0;
  return KILN_OK;
}

kiln_status kiln_dp_check_replicas(kiln_dp *dp, const kiln_model *m,
                                   const float *state, int64_t step,
                                   kiln_error *err) {
  /* FNV-1a over the bits of the run's state (the gradient span after it
   * agrees by construction). */
  uint64_t h = 1469598103934665603ull;
  const unsigned char *p = (const unsigned char *)state;
  size_t bytes = (size_t)(m->state_size - m->grad_size) * sizeof(float);
  for (size_t i = 0; i < bytes; ++i)
    h = (h ^ p[i]) * 1099511628211ull;
  int same = 0;
  kiln_status st = kiln_dp_agree(dp, h, &same, err);
  if (!st && !same)
    st = kiln_fail(err, KILN_ERR_STATE,
                   "rank %d: the ranks' states differ after step %lld",
                   dp->comm->rank, (long long)step);
  return st;
}
