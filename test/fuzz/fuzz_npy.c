/*===- fuzz_npy.c - libFuzzer target: the .npy reader ---------------------===*/

#include "fuzz_util.h"
#include "rt_internal.h"

#include <math.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  kiln_matrix m;
  kiln_error err;
  if (kiln_npy_read(fuzz_input_path(data, size), &m, &err) != KILN_OK) {
    if (!err.message[0] || m.data)
      abort();
    return 0;
  }
  /* What the reader promises: a non-empty matrix of finite floats. */
  if (m.rows <= 0 || m.cols <= 0)
    abort();
  for (int64_t i = 0; i < m.rows * m.cols; ++i)
    if (!isfinite(m.data[i]))
      abort();
  kiln_matrix_free(&m);
  return 0;
}
