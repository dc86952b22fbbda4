/*===- fuzz_metrics.c - libFuzzer target: the metrics reader of plots -----===*/

#include "fuzz_util.h"
#include "rt_internal.h"

#include <math.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  kiln_curves c;
  kiln_error err;
  if (kiln_curves_read(fuzz_input_path(data, size), &c, &err) != KILN_OK) {
    if (!err.message[0] || c.values[0])
      abort();
    return 0;
  }
  /* What the reader promises: at least one epoch, and a plot of them. */
  if (c.epochs <= 0)
    abort();
  if (kiln_curves_svg(&c, "fuzz", kiln_curves_best_epoch(&c), "/dev/null",
                      &err) != KILN_OK)
    abort();
  kiln_curves_free(&c);
  return 0;
}
