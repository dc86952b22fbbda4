/*===- fuzz_csv.c - libFuzzer target: the CSV reader and dataset loader ---===*
 *
 * Any input must give KILN_OK or an error with a message, never a crash, a
 * leak or undefined behaviour; both the low-level reader and the dataset
 * loader that train, eval and predict use are driven.
 *
 *===----------------------------------------------------------------------===*/

#include "fake_models.h"
#include "fuzz_util.h"
#include "rt_internal.h"

#include <string.h>

static void read_everything(const char *path) {
  kiln_csv *csv;
  kiln_error err;
  if (kiln_csv_open(path, &csv, &err) != KILN_OK) {
    if (!err.message[0])
      abort(); /* every error explains itself */
    return;
  }
  int64_t n = kiln_csv_num_columns(csv);
  int64_t *cols = malloc((size_t)(n + 1) * sizeof *cols);
  if (!cols)
    abort();
  for (int64_t i = 0; i < n; ++i)
    cols[i] = i;
  kiln_matrix m;
  if (kiln_csv_read_columns(csv, cols, n, &m, &err) == KILN_OK) {
    if (m.rows != kiln_csv_num_rows(csv) || m.cols != n)
      abort();
    kiln_matrix_free(&m);
  }
  /* A few lookups by name: each is linear, all of them would be
   * quadratic in a wide header. */
  for (int64_t i = 0; i < n && i < 8; ++i) {
    kiln_column c = {kiln_csv_column_name(csv, i), -1};
    int64_t index;
    kiln_csv_find_column(csv, c, &index, &err);
  }
  free(cols);
  kiln_csv_close(csv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_input_path(data, size);
  read_everything(path);
  const kiln_model *models[] = {&fake_classifier_model, &fake_regressor_model,
                                &fake_multilabel_model};
  for (size_t k = 0; k < sizeof models / sizeof *models; ++k)
    for (int need_targets = 0; need_targets <= 1; ++need_targets) {
      kiln_dataset d;
      kiln_error err;
      if (kiln_dataset_load_csv(models[k], path, need_targets, &d, &err) ==
          KILN_OK)
        kiln_dataset_free(&d);
    }
  return 0;
}
