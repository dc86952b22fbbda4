/*===- fuzz_safetensors.c - libFuzzer target: the checkpoint reader -------===*
 *
 * The reader's promises on any input: an error leaves the state as it was;
 * a success fills every saved tensor with finite values and zeroes the
 * optimizer state.
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check(&fake_regressor_model, data, size);
  check(&fake_classifier_model, data, size);
  return 0;
}
