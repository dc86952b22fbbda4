/*===- fuzz_safetensors.c - libFuzzer target: the checkpoint reader -------===*
 *
 * The reader's promises on any input: an error leaves the state as it was;
 * a success fills every saved tensor with finite values and zeroes the
 * optimizer state. The same input then goes to the resumable checkpoint
 * reader (kiln_checkpoint_parse), whose promises are the same for the
 * whole state and the best epoch's, plus a position that adds up.
 *
 *===----------------------------------------------------------------------===*/

#include "fake_models.h"
#include "rt_internal.h"

#include <math.h>
#include <stdlib.h>

static void check(const kiln_model *m, const uint8_t *data, size_t size) {
  static float state[64];
  const float sentinel = 12345.0f;
  if (m->state_size > 64)
    abort();
  for (int64_t i = 0; i < m->state_size; ++i)
    state[i] = sentinel;
  kiln_error err;
  kiln_status st = kiln_safetensors_parse(m, state, "fuzz", (const char *)data,
                                          size, &err);
  for (int32_t t = 0; t < m->num_tensors; ++t) {
    const kiln_tensor_info *ti = &m->tensors[t];
    for (int64_t i = 0; i < ti->numel; ++i) {
      float v = state[ti->offset + i];
      if (st != KILN_OK ? v != sentinel
          : ti->role == KILN_ROLE_OPTIMIZER ? v != 0
                                            : !isfinite(v))
        abort();
    }
  }
  if (st != KILN_OK && !err.message[0])
    abort();
}

/* The run of corpus/safetensors/resumable.st: the classifier,
 * default options but early stopping on val_loss (patience 5), trained
 * for 3 epochs on these rows with checkpoint_path set. */
static float train_x[8 * 4], train_y[8], val_x[4 * 4], val_y[4];

static void fuzz_data(kiln_dataset *train, kiln_dataset *val) {
  for (int i = 0; i < 8 * 4; ++i)
    train_x[i] = (float)((i * 7) % 11) / 11.0f - 0.5f;
  for (int i = 0; i < 4 * 4; ++i)
    val_x[i] = (float)((i * 5) % 7) / 7.0f - 0.5f;
  for (int i = 0; i < 8; ++i)
    train_y[i] = (float)(i % 3);
  for (int i = 0; i < 4; ++i)
    val_y[i] = (float)((i + 1) % 3);
  *train = (kiln_dataset){8, 4, 1, train_x, train_y, NULL};
  *val = (kiln_dataset){4, 4, 1, val_x, val_y, NULL};
}

static void resume_options(const kiln_model *m, kiln_train_options *o) {
  kiln_train_options_default(m, o);
  o->quiet = 1;
  o->early_stopping = 1;
  o->monitor = KILN_METRIC_LOSS;
  o->patience = 5;
}

static void check_resume(const uint8_t *data, size_t size) {
  const kiln_model *m = &fake_classifier_model;
  static float state[64], best[64];
  const float sentinel = 12345.0f;
  if (m->state_size > 64)
    abort();
  for (int64_t i = 0; i < m->state_size; ++i)
    state[i] = best[i] = sentinel;
  kiln_dataset train, val;
  fuzz_data(&train, &val);
  kiln_train_options o;
  resume_options(m, &o);
  kiln_run_position p;
  kiln_error err;
  kiln_status st = kiln_checkpoint_parse(
      m, &o, &train, &val, kiln_data_fingerprint(&train, &val), "fuzz",
      (const char *)data, size, state, best, &p, NULL, &err);
  if (st != KILN_OK) {
    if (!err.message[0])
      abort();
    for (int64_t i = 0; i < m->state_size; ++i)
      if (state[i] != sentinel || best[i] != sentinel)
        abort();
    return;
  }
  for (int64_t i = 0; i < m->state_size; ++i)
    if (!isfinite(state[i]) ||
        (p.best_epoch > 0 ? !isfinite(best[i]) : best[i] != sentinel))
      abort();
  int64_t batches = kiln_num_batches(train.rows, m->batch_size);
  if (p.batches_done < 0 || p.batches_done > batches ||
      p.step != p.epochs_done * batches + p.batches_done ||
      p.best_epoch > p.epochs_done)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check(&fake_regressor_model, data, size);
  check(&fake_classifier_model, data, size);
  check_resume(data, size);
  return 0;
}
