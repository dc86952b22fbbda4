/*===- rt_internal.h - Shared declarations of the runtime's C files -------===*
 *
 * Not installed and not part of the API: the runtime's own sources and its
 * unit tests include this header.
 *
 *===----------------------------------------------------------------------===*/

#ifndef KILN_RT_INTERNAL_H
#define KILN_RT_INTERNAL_H

#include "kiln_rt.h"

#include <locale.h>
#include <stdarg.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define KILN_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define KILN_PRINTF(f, a)
#endif

/* Weights files hold parameters and running statistics. */
static inline int kiln_role_saved(int32_t role) {
  return role == KILN_ROLE_PARAM || role == KILN_ROLE_RUNNING_MEAN ||
         role == KILN_ROLE_RUNNING_VAR;
}
/* A run's state (a resumable checkpoint) is every tensor but the
 * gradients, which each step overwrites before it reads them. */
static inline int kiln_role_in_run(int32_t role) {
  return role != KILN_ROLE_GRADIENT;
}

/*---- Errors (error.c) ----------------------------------------------------*/

/* Fills `err` (may be NULL) and returns `code`. */
kiln_status kiln_fail(kiln_error *err, kiln_status code, const char *fmt, ...)
    KILN_PRINTF(3, 4);
/* Puts "<prefix>: " in front of err's message; returns err's code. Lets an
 * outer layer add the file name to a message from an inner one. */
kiln_status kiln_error_prefix(kiln_error *err, const char *fmt, ...)
    KILN_PRINTF(2, 3);
void kiln_error_clear(kiln_error *err);
/* Quotes `s` for a message: at most `max` bytes, non-printables escaped. */
void kiln_quote(char *dst, size_t dst_size, const char *s, size_t len);

/*---- Files and system (file.c) -------------------------------------------*/

/* Memory for a data set's values, not zeroed; free() releases it. Large
 * blocks are aligned to 2 MB and offered to the kernel for transparent huge
 * pages, which in Linux's default "madvise" mode it uses only when asked:
 * faulting in the pages of a large data set then costs a fraction of the
 * time (NumPy asks alike). */
void *kiln_alloc_data(size_t bytes);

/* The metrics file's header (`train --metrics`, read back by `plot`): the
 * columns before and after the monitored metric's name, val_<metric>. */
#define KILN_METRICS_HEAD "epoch,train_loss,val_loss,val_"
#define KILN_METRICS_TAIL ",lr,seconds"

/* The whole file, NUL-terminated (the NUL is not counted in *size). */
kiln_status kiln_read_file(const char *path, char **data, size_t *size,
                           kiln_error *err);

typedef struct kiln_chunk {
  const void *data;
  size_t size;
} kiln_chunk;

/* Writes the chunks to "<path>.tmp.<pid>", fsyncs, renames it over `path`
 * and fsyncs the directory. On failure the temporary file is removed and
 * `path` is untouched. A symlink is followed to its file, which is replaced
 * (the link stays); /dev/stdout, /dev/fd/N and the like are written to the
 * descriptor itself, and another existing non-regular file (FIFO, device)
 * in place, without a rename. */
kiln_status kiln_write_file_atomic(const char *path, const kiln_chunk *chunks,
                                   int count, kiln_error *err);

/* Seconds on a monotonic clock. */
double kiln_now(void);

/* Number parsing and printing in the "C" locale whatever the host
 * application set with setlocale (a decimal comma would break CSV, JSON and
 * safetensors). Pair each begin with an end on the same thread. */
typedef struct kiln_c_locale {
  locale_t c;
  locale_t saved;
} kiln_c_locale;
void kiln_c_locale_begin(kiln_c_locale *l);
void kiln_c_locale_end(kiln_c_locale *l);

/* A growing string; on allocation failure `oom` is set and later appends
 * do nothing, so callers check once at the end. */
typedef struct kiln_buf {
  char *data;
  size_t len, cap;
  int oom;
} kiln_buf;
void kiln_buf_put(kiln_buf *b, const char *s, size_t n);
void kiln_buf_printf(kiln_buf *b, const char *fmt, ...) KILN_PRINTF(2, 3);

/* "[64, 128]" */
void kiln_format_shape(char *dst, size_t dst_size, const int64_t *shape,
                       int rank);

/*---- JSON (json.c) -------------------------------------------------------*/

typedef enum kiln_json_kind {
  KILN_JSON_NULL,
  KILN_JSON_FALSE,
  KILN_JSON_TRUE,
  KILN_JSON_NUMBER,
  KILN_JSON_STRING,
  KILN_JSON_ARRAY,
  KILN_JSON_OBJECT
} kiln_json_kind;

/* Only the fields of a node's kind are meaningful: they share memory, as a
 * header of many small entries has millions of nodes. */
typedef struct kiln_json {
  kiln_json_kind kind;
  union {
    double number; /* NUMBER */
    struct {
      char *str;  /* STRING: decoded UTF-8, NUL-terminated */
      size_t len; /* STRING: bytes, without the NUL */
    };
    struct {
      int64_t count;           /* ARRAY, OBJECT */
      struct kiln_json *items; /* ARRAY elements, OBJECT values */
      struct kiln_json *keys;  /* OBJECT: STRING nodes, keys[i] names items[i] */
    };
  };
} kiln_json;

/* Strict RFC 8259 (one value, no trailing commas, no comments, valid UTF-8
 * and escapes, nesting at most 64 deep). Errors are KILN_ERR_FORMAT with
 * the byte offset: "JSON at byte 17: expected ':'". Duplicate keys are kept
 * (the caller decides). */
kiln_status kiln_json_parse(const char *text, size_t len, kiln_json **out,
                            kiln_error *err);
/* Frees the whole tree; `v` must be a root from kiln_json_parse (the nodes
 * share its memory). */
void kiln_json_free(kiln_json *v);
/* The first member named `key`, or NULL. */
const kiln_json *kiln_json_get(const kiln_json *object, const char *key);
/* Appends `s` as a JSON string literal (quotes included) to buf; returns the
 * bytes it needs (like snprintf). */
size_t kiln_json_quote(char *buf, size_t size, const char *s);

/*---- Checkpoints (safetensors.c) -----------------------------------------*/

/* kiln_safetensors_load on a file already in memory; `path` only names it
 * in messages. */
kiln_status kiln_safetensors_parse(const kiln_model *m, float *state,
                                   const char *path, const char *file,
                                   size_t size, kiln_error *err);

/* One tensor of a file: its name there, its shape and size (only rank,
 * shape and numel are read), and its floats. */
typedef struct kiln_st_tensor {
  const char *name;
  const kiln_tensor_info *ti;
  const float *src; /* writing: the floats to write */
  float *dst;       /* reading: where they go */
  int optional;     /* reading: may be absent */
  int found;        /* reading: set when it was read */
} kiln_st_tensor;

/* Writes the tensors in order, atomically (kiln_write_file_atomic), with
 * metadata {"format":"pt","kiln_model":<model_name><metadata>}: `metadata`
 * is NULL or further JSON members, each starting with a comma. */
kiln_status kiln_safetensors_write(const char *path, const char *model_name,
                                   const char *metadata,
                                   const kiln_st_tensor *ts, int32_t n,
                                   kiln_error *err);

/* 1 to accept a tensor of the file that no kiln_st_tensor names (it is
 * checked for format, then left); `metadata` is the header's
 * "__metadata__" object or NULL. */
typedef int (*kiln_st_ignore_fn)(const void *arg, const kiln_json *metadata,
                                 const char *name);

/* Validates a whole file in memory as kiln_safetensors_load does, against
 * the wanted tensors (any other is refused unless `ignore` accepts it),
 * then copies them to their `dst` and sets `found`. Nothing is written
 * on failure. With root_out, the parsed header is handed over (free it
 * with kiln_json_free). */
kiln_status kiln_safetensors_read(const char *path, const char *file,
                                  size_t size, kiln_st_tensor *ts, int32_t nts,
                                  kiln_st_ignore_fn ignore, const void *arg,
                                  kiln_json **root_out, kiln_error *err);

/*---- Resumable checkpoints (checkpoint.c) --------------------------------*/

/* The metadata key that marks a resumable checkpoint (its value is the
 * format version), and the prefix of the best epoch's tensors in it. */
#define KILN_CHECKPOINT_KEY "kiln_checkpoint"
#define KILN_CHECKPOINT_BEST_PREFIX "best/"

/* Where a run is, beyond the state: what a resumable checkpoint holds. The
 * position is `epochs_done` whole epochs (each evaluated, reported and
 * counted by early stopping), then `batches_done` batches of the next one,
 * whose losses sum to `epoch_loss_sum`. */
typedef struct kiln_run_position {
  int64_t step; /* steps done: epochs_done * batches + batches_done */
  int64_t epochs_done;
  int64_t batches_done;
  double epoch_loss_sum;
  double train_loss; /* mean loss of the last whole epoch (NaN: none) */
  double reference;  /* the divergence check's (0 before the first step) */
  int64_t best_epoch; /* early stopping, 1-based; 0: none yet */
  double best_value;
  int64_t wait; /* epochs without improvement */
  int32_t stopped_early;
} kiln_run_position;

/* A hash of the rows of the training and validation sets (features and
 * targets, in order): a resumed run must see the data it started with. */
uint64_t kiln_data_fingerprint(const kiln_dataset *train,
                               const kiln_dataset *val);

/* Writes o->checkpoint_path: every tensor of `state`, the best epoch's
 * state under KILN_CHECKPOINT_BEST_PREFIX when `best` is not NULL and
 * p->best_epoch > 0, and the position, the options that fix the run (seed,
 * shuffle, early stopping, length) and the data's rows and fingerprint in
 * the metadata. */
kiln_status kiln_checkpoint_write(const kiln_model *m,
                                  const kiln_train_options *o,
                                  const kiln_dataset *train,
                                  const kiln_dataset *val, uint64_t data_fp,
                                  const float *state, const float *best,
                                  const kiln_run_position *p, kiln_error *err);

/* Reads o->resume_path, checks it against the model, the options and the
 * data, opens o->metrics_path (if set) with kiln_checkpoint_open_metrics
 * into *metrics, and only then fills `state`, `best` (when not NULL;
 * early stopping) and `p`: on failure they are as they were. */
kiln_status kiln_checkpoint_load(const kiln_model *m,
                                 const kiln_train_options *o,
                                 const kiln_dataset *train,
                                 const kiln_dataset *val, uint64_t data_fp,
                                 float *state, float *best,
                                 kiln_run_position *p, FILE **metrics,
                                 kiln_error *err);

/* kiln_checkpoint_load on a file already in memory; `path` only names it
 * in messages. */
kiln_status kiln_checkpoint_parse(const kiln_model *m,
                                  const kiln_train_options *o,
                                  const kiln_dataset *train,
                                  const kiln_dataset *val, uint64_t data_fp,
                                  const char *path, const char *file,
                                  size_t size, float *state, float *best,
                                  kiln_run_position *p, FILE **metrics,
                                  kiln_error *err);

/* Opens the metrics file of a resumed run for appending: its header and
 * its first `epochs_done` rows (the epochs the checkpoint has completed)
 * are kept, later rows (written after the checkpoint) dropped. A missing
 * file gives *out == NULL: the caller creates it as for a new run. A file
 * that lacks those rows, or whose rows are not epochs 1, 2, ..., is
 * refused and left as it is. */
kiln_status kiln_checkpoint_open_metrics(const char *path, int64_t epochs_done,
                                         FILE **out, kiln_error *err);

/*---- Random streams (philox.c) -------------------------------------------*/

/* Stream keys derived from the user's seed, so that init, the validation
 * split and shuffling draw from unrelated streams. */
enum {
  KILN_STREAM_INIT = 0x494e4954,    /* "INIT", index = tensor */
  KILN_STREAM_SPLIT = 0x53504c54,   /* "SPLT", index = 0 */
  KILN_STREAM_SHUFFLE = 0x53485546  /* "SHUF", index = epoch */
};
void kiln_stream_key(uint64_t seed, uint32_t stream, uint64_t index,
                     uint32_t key[2]);
/* A uniformly random permutation of 0..n-1 (Fisher-Yates; swap partner of
 * position i from counter {i}). */
void kiln_permutation(uint64_t seed, uint32_t stream, uint64_t index,
                      int64_t n, int64_t *perm);

/*---- Batching (dataset.c) ------------------------------------------------*/

/* Rows per epoch of training, in the order they are visited: a permutation
 * keyed by (seed, epoch), or 0..n-1 without shuffling. */
void kiln_epoch_order(uint64_t seed, int64_t epoch, int shuffle, int64_t n,
                      int64_t *order);
/* Batch `b` of an epoch: rows order[(b * bs + k) % n] for k < bs, so the
 * last partial batch continues from the start of the order (and a dataset
 * smaller than a batch wraps around). */
void kiln_train_batch(const kiln_dataset *d, const int64_t *order, int64_t b,
                      int64_t bs, float *x, float *y);
/* 1 when `s` ends with `suffix`. */
int kiln_has_suffix(const char *s, const char *suffix);
/* Rows [first, first + rows) of that batch (a data-parallel shard). */
void kiln_train_rows(const kiln_dataset *d, const int64_t *order, int64_t b,
                     int64_t bs, int64_t first, int64_t rows, float *x,
                     float *y);
/* Rows b*bs .. b*bs+bs-1 in file order; rows past the end are zeros.
 * Returns how many rows are real. y may be NULL. */
/* kiln_model_check, and that the model has training functions (not a
 * --predict-only build); `what` names the refused action ("train"). */
kiln_status kiln_model_check_trainable(const kiln_model *m, const char *what,
                                       kiln_error *err);

/* kiln_predict_rows on a model that kiln_model_check has accepted: what a
 * context, which checks its model once, calls per prediction. */
kiln_status kiln_predict_checked(const kiln_model *m, const float *pstate,
                                 uint8_t *workspace, const float *x,
                                 int64_t rows, float *out, kiln_error *err);

int64_t kiln_num_batches(int64_t rows, int64_t bs);

/*---- Metrics (metrics.c) -------------------------------------------------*/

typedef struct kiln_metrics {
  int32_t target_kind;
  int64_t target_dim;
  int64_t output_dim;
  int64_t rows;
  double loss_sum;
  double hits;   /* accuracy numerator */
  double trials; /* accuracy denominator */
  double se, ae; /* squared / absolute errors, summed over rows and columns */
  double *mean;  /* per target column (Welford), for SS_tot */
  double *m2;
} kiln_metrics;

kiln_status kiln_metrics_init(kiln_metrics *acc, const kiln_model *m,
                              kiln_error *err);
void kiln_metrics_free(kiln_metrics *acc);
/* One row: its loss, its output (output_dim) and its target (target_dim). */
void kiln_metrics_add(kiln_metrics *acc, double loss, const float *output,
                      const float *target);
void kiln_metrics_result(const kiln_metrics *acc, kiln_eval_result *r);
/* The metric shown next to val_loss: accuracy for classification targets;
 * for real ones the monitored metric if it is mse, mae or r2, else r2. */
int32_t kiln_primary_metric(const kiln_model *m, int32_t monitor);
/* 1 when higher values of `metric` are better (accuracy, r2). */
int kiln_metric_higher_is_better(int32_t metric);

/* kiln_evaluate over the ranks of a job (comm may be NULL): each rank
 * evaluates every size-th batch, and all get the sums' metrics. */
kiln_status kiln_evaluate_comm(const kiln_model *m, const float *state,
                               uint8_t *workspace, const kiln_dataset *d,
                               const kiln_comm *comm, kiln_eval_result *result,
                               kiln_error *err);

/* Sums the accumulators of all ranks (each fed its part of the data) into
 * every rank's, so that every rank computes the same metrics. */
kiln_status kiln_metrics_allreduce(kiln_metrics *acc, const kiln_comm *comm,
                                   kiln_error *err);

/*---- Plots (plot.c) ------------------------------------------------------*/

/* A metrics file (train --metrics) read back: per epoch, the epoch number,
 * train_loss, val_loss, val_<metric> and lr, NaN where a cell is empty. */
enum { KILN_CURVES = 5 };
typedef struct kiln_curves {
  int64_t epochs;
  double *values[KILN_CURVES];
  char metric[32]; /* what val_<metric> names */
} kiln_curves;

/* Errors name the file and line of a cell that is no number. */
kiln_status kiln_curves_read(const char *path, kiln_curves *out,
                             kiln_error *err);
void kiln_curves_free(kiln_curves *c);
/* The epoch of the best val_<metric> (lowest, highest for accuracy and
 * r2), 0 when there is none. */
int64_t kiln_curves_best_epoch(const kiln_curves *c);
/* Writes the SVG atomically: losses, the metric and the learning rate per
 * epoch, one marker per epoch, and `best_epoch` (when > 0) marked. */
kiln_status kiln_curves_svg(const kiln_curves *c, const char *title,
                            int64_t best_epoch, const char *path,
                            kiln_error *err);

/*---- Data parallelism (parallel.c) ---------------------------------------*/

typedef struct kiln_dp {
  const kiln_comm *comm; /* NULL: one process, train_step */
  kiln_grad_fn grad;     /* the block for this rank's shard */
  int64_t first, rows;   /* the shard's rows of each batch */
  float *x, *y;          /* the shard */
  float *stats;          /* the running statistics, gathered */
  int64_t num_stats;
  double allreduce_seconds;
} kiln_dp;

/* Nothing to do for a NULL comm or a job of one. Errors name the rank: a
 * model without gradient blocks, or none for this rank's shard. */
kiln_status kiln_dp_init(kiln_dp *dp, const kiln_model *m,
                         const kiln_comm *comm, kiln_error *err);
void kiln_dp_free(kiln_dp *dp);
/* One step on batch `batch` of the epoch's order: this rank's gradients,
 * the allreduces, the update. `interrupt` is this rank's request to stop;
 * *interrupted says whether any rank asked. *loss is the batch's. */
kiln_status kiln_dp_step(kiln_dp *dp, const kiln_model *m, float *state,
                         uint8_t *workspace, const kiln_dataset *d,
                         const int64_t *order, int64_t batch, int64_t step,
                         int64_t epoch, uint64_t seed, int interrupt,
                         float *loss, int *interrupted, kiln_error *err);
/* *same = 1 when every rank passed the same value (all ranks learn it). */
kiln_status kiln_dp_agree(const kiln_dp *dp, uint64_t value, int *same,
                          kiln_error *err);
/* KILN_ERR_STATE when the ranks' states (gradients aside) differ. */
kiln_status kiln_dp_check_replicas(kiln_dp *dp, const kiln_model *m,
                                   const float *state, int64_t step,
                                   kiln_error *err);

/*---- Progress (progress.c) -----------------------------------------------*/

typedef struct kiln_progress {
  FILE *out;
  int tty;
  int quiet;
  int64_t epochs;
  double epoch_start;
  double last_draw;
  int drawn; /* a bar is on screen and must be cleared */
} kiln_progress;

void kiln_progress_init(kiln_progress *p, FILE *out, int tty, int quiet,
                        int64_t epochs);
void kiln_progress_epoch_start(kiln_progress *p);
/* Redraws the bar at most 10 times a second (TTY only). */
void kiln_progress_batch(kiln_progress *p, int64_t epoch, int64_t done,
                         int64_t total, double loss, int64_t samples);
/* Clears the bar and prints one line (printf-style) with a newline. */
void kiln_progress_line(kiln_progress *p, const char *fmt, ...)
    KILN_PRINTF(2, 3);
/* "0.4123" for losses: 4 significant digits, no exponent where avoidable. */
void kiln_format_value(char *dst, size_t size, double v);

/*---- Threads (threads.c) -------------------------------------------------*/

#define KILN_MAX_THREADS 1024

/* A thread count in [1, KILN_MAX_THREADS]; `what` names its source. */
kiln_status kiln_parse_threads(const char *text, const char *what, int *out,
                               kiln_error *err);
/* KILN_NUM_THREADS if set (an error if malformed), else kiln_num_cores(). */
kiln_status kiln_default_threads(int *out, kiln_error *err);
/* Around a context's call into compiled code: sets the calling thread's
 * team size to `wanted`, or less while other contexts' calls are in flight
 * on other threads (their teams share the cores); returns the size set. */
int kiln_threads_enter(int wanted);
void kiln_threads_leave(void);

/*---- CLI (cli.c) ---------------------------------------------------------*/

/* kiln_main with its streams given, for tests. */
int kiln_main_with(int argc, char **argv, const kiln_model *m,
                   const kiln_comm *comm, FILE *out, FILE *errout);
int kiln_main_streams(int argc, char **argv, const kiln_model *m, FILE *out,
                      FILE *errout);

#ifdef __cplusplus
}
#endif

#endif /* KILN_RT_INTERNAL_H */
