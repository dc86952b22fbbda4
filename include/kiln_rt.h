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

#define KILN_ABI_VERSION 6

typedef enum kiln_role {
  KILN_ROLE_PARAM = 0,        /* trained; saved in checkpoints */
  KILN_ROLE_RUNNING_MEAN = 1, /* batch-norm statistics; saved */
  KILN_ROLE_RUNNING_VAR = 2,  /* batch-norm statistics; saved */
  KILN_ROLE_OPTIMIZER = 3,    /* optimizer state; not saved, zero at start */
  /* 4 is the compiler's (prepared tensors; never in the table) */
  KILN_ROLE_GRADIENT = 5      /* data-parallel builds: a parameter's summed
                                 gradient between grad_blocks and
                                 apply_update; not saved */
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

/* The learning rate train_step uses at `step` and `epoch` (the schedule,
 * rounded to float as train_step rounds it), into lr[0]. */
typedef void (*kiln_learning_rate_fn)(const float *state, uint8_t *workspace,
                                      int64_t step, int64_t epoch, float *lr);

/* Inference-mode forward on a fixed number of rows (batch_size rows for
 * kiln_model::eval_step): per-row loss (loss[rows]) and the prediction
 * (output[rows * output_dim]). */
typedef void (*kiln_eval_step_fn)(const float *state, uint8_t *workspace,
                                  const float *x, const float *y, float *loss,
                                  float *output);

/* One compiled evaluation function and the rows it takes. */
typedef struct kiln_eval_block {
  int64_t rows;
  kiln_eval_step_fn eval_step;
} kiln_eval_block;

/* Inference-mode prediction on a fixed number of rows (batch_size rows
 * for kiln_model::predict). `pstate` is the state, or the prepared state
 * when the model has a `prepare` function. */
typedef void (*kiln_predict_fn)(const float *pstate, uint8_t *workspace,
                                const float *x, float *output);

/* One compiled prediction function and the rows it takes. */
typedef struct kiln_predict_block {
  int64_t rows;
  kiln_predict_fn predict;
} kiln_predict_block;

/* Data-parallel builds (kiln build --distributed; docs/distributed.md).
 * One rank's shard of a batch: rows [row_offset, row_offset + rows) of the
 * batch of batch_size rows, in x and y. Writes its parameters' gradients,
 * scaled by rows / batch_size, into the state's gradient span
 * (grad_offset, grad_size), batch norms' running statistics as its rows
 * update them, and its share of the batch's mean loss (also scaled) to
 * loss[0]. */
typedef void (*kiln_grad_fn)(float *state, uint8_t *workspace, const float *x,
                             const float *y, int64_t step, int64_t seed,
                             int64_t row_offset, float *loss);

/* One compiled gradient function and the rows of its shard. */
typedef struct kiln_grad_block {
  int64_t rows;
  kiln_grad_fn grad;
} kiln_grad_block;

/* The optimizer's update (train_step's) from the gradients in the state's
 * gradient span, once the ranks have summed them. */
typedef void (*kiln_apply_update_fn)(float *state, uint8_t *workspace,
                                     int64_t step, int64_t epoch);

/* Optional: derives the prediction state (e.g. batch norm folded into the
 * preceding dense layer) once, after weights are loaded. In the prediction
 * state, the tensors predict reads unchanged sit at their offsets in the
 * state; the derived tensors follow the state's size. */
typedef void (*kiln_prepare_fn)(const float *state, uint8_t *workspace,
                                float *pstate);

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

  kiln_train_step_fn train_step; /* NULL in a predict-only build */
  kiln_eval_step_fn eval_step;   /* NULL in a predict-only build */
  kiln_predict_fn predict;
  kiln_prepare_fn prepare; /* may be NULL */

  /* Defaults from the spec's train and data sections; flags override. */
  const char *optimizer; /* human-readable, e.g. "adam(lr=0.001, ...),
                            weight_decay=0.0001 (weights), clip_norm=1" */
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

  /* Weights compiled into the model (`kiln build --weights W`), or NULL.
   * When prepare is not NULL: the prediction state (predict_state_size
   * floats), folded at compile time, whose first state_size floats are the
   * state; else the state (state_size floats). OPTIMIZER tensors are 0. */
  const float *weights;

  /* Every compiled prediction function, most rows first, the last on one
   * row; `predict` is among them. kiln_predict_rows covers any number of
   * rows with them, largest block first, without padding or copies. The
   * workspace (workspace_size) fits each of them. */
  int32_t num_predict_blocks;
  int32_t reserved2;
  const kiln_predict_block *predict_blocks;

  /* The learning-rate schedule as written, e.g. "cosine(t_max=90, min_lr=0,
   * per=step) after warmup(iters=10, start_factor=0.1)", and its compiled
   * formula; both NULL in a predict-only build. */
  const char *schedule;
  kiln_learning_rate_fn learning_rate;

  /* Data-parallel training (kiln build --distributed), else 0 and NULL:
   * the gradients' span of the state (floats; the state's last tensors,
   * the KILN_ROLE_GRADIENT ones, with their alignment padding), the
   * gradient blocks, most rows first, each the shard of a rank for some
   * rank count, and the update. */
  int64_t grad_offset;
  int64_t grad_size;
  int32_t num_grad_blocks;
  int32_t reserved3;
  const kiln_grad_block *grad_blocks;
  kiln_apply_update_fn apply_update;

  /* Every compiled evaluation function, most rows first, the last on one
   * row; `eval_step` is the first. kiln_evaluate covers the rows after the
   * last whole batch with the smaller ones, without padding. 0 and NULL in
   * a predict-only build. */
  int32_t num_eval_blocks;
  int32_t reserved4;
  const kiln_eval_block *eval_blocks;
} kiln_model;

/*===----------------------------------------------------------------------===*
 * The runtime library
 *
 * Everything below is implemented by libkiln_rt.a. Conventions:
 *  - Functions that can fail return a kiln_status and, when `err` is not
 *    NULL, fill it with the same code and a message that names the place
 *    (file:line, column, tensor name). They never abort or exit.
 *  - Row, line and column numbers in messages count from 1; kiln_column
 *    indices in the API count from 0.
 *  - Objects returned through an out-parameter belong to the caller and are
 *    released with the matching *_free / *_close / *_destroy function, which
 *    accept NULL or a zeroed struct. On failure, out-parameters are left
 *    zeroed/NULL.
 *===----------------------------------------------------------------------===*/

#include <signal.h>
#include <stdio.h>

/*---- Errors --------------------------------------------------------------*/

typedef enum kiln_status {
  KILN_OK = 0,
  KILN_ERR_IO = 1,       /* a file cannot be opened, read, written, renamed */
  KILN_ERR_FORMAT = 2,   /* a file is not valid CSV / npy / JSON / safetensors */
  KILN_ERR_SHAPE = 3,    /* sizes, shapes or column counts do not fit */
  KILN_ERR_VALUE = 4,    /* a value is out of its domain (not a number,
                            label out of range, dtype not supported) */
  KILN_ERR_ARGUMENT = 5, /* an invalid argument or option */
  KILN_ERR_MEMORY = 6,   /* an allocation failed */
  KILN_ERR_NUMERIC = 7,  /* training diverged (nan/inf loss) */
  KILN_ERR_ABI = 8,      /* the model descriptor is from another ABI version
                            or inconsistent */
  KILN_ERR_STATE = 9,    /* a call out of order (predict before weights) */
  KILN_ERR_INTERRUPTED = 10 /* training stopped at the caller's request
                               (kiln_train_options::interrupt) */
} kiln_status;

#define KILN_ERROR_MESSAGE_SIZE 1024

typedef struct kiln_error {
  kiln_status code;
  char message[KILN_ERROR_MESSAGE_SIZE]; /* NUL-terminated, "" when KILN_OK */
} kiln_error;

/* "ok", "io", "format", "shape", "value", "argument", "memory", "numeric",
 * "abi", "state", "interrupted"; "unknown" for anything else. */
const char *kiln_status_name(kiln_status status);

/* Checks abi_version and the descriptor's internal consistency (dims > 0,
 * functions present, every tensor inside the state buffer, numel = product
 * of the shape). Every entry point that takes a model calls it. */
kiln_status kiln_model_check(const kiln_model *m, kiln_error *err);

/* Copies the weights compiled into the model into `state` (state_size
 * floats) and, when the model has prepare, the prediction state folded at
 * compile time into `pstate` (predict_state_size floats); either may be
 * NULL. KILN_ERR_STATE when the model was compiled without weights. */
kiln_status kiln_model_embedded_weights(const kiln_model *m, float *state,
                                        float *pstate, kiln_error *err);

/* Names as the CLI prints them: "loss", "accuracy", "mse", "mae", "r2". */
const char *kiln_metric_name(int32_t metric);

/* Zeroed memory aligned to 64 bytes (the size is rounded up to a multiple
 * of 64; 0 gives 64 bytes). Release with free(). NULL when out of memory. */
void *kiln_alloc_aligned(size_t bytes);

/*---- Matrices, CSV and .npy ----------------------------------------------*/

/* A dense row-major float32 matrix. */
typedef struct kiln_matrix {
  int64_t rows;
  int64_t cols;
  float *data; /* rows * cols; malloc'd */
} kiln_matrix;

void kiln_matrix_free(kiln_matrix *mat);

/* A CSV file read into memory and checked: a header row, then at least one
 * row, every row with as many fields as the header. Comma separated; fields
 * may be double-quoted ("" is a quote inside a quoted field, which may span
 * lines); LF or CRLF line ends; a UTF-8 BOM and blank lines at the end are
 * ignored; spaces around unquoted fields are trimmed; a NUL byte is an
 * error. Cells are converted
 * to numbers only when read, so columns you do not select may hold text. */
typedef struct kiln_csv kiln_csv;

kiln_status kiln_csv_open(const char *path, kiln_csv **out, kiln_error *err);
void kiln_csv_close(kiln_csv *csv);
int64_t kiln_csv_num_rows(const kiln_csv *csv); /* without the header */
int64_t kiln_csv_num_columns(const kiln_csv *csv);
const char *kiln_csv_column_name(const kiln_csv *csv, int64_t index);

/* The 0-based index of a column given by name (exact match) or by index.
 * Errors: unknown column name, index out of range (KILN_ERR_ARGUMENT). */
kiln_status kiln_csv_find_column(const kiln_csv *csv, kiln_column column,
                                 int64_t *index, kiln_error *err);

/* Reads the given columns of every row, in the given order, into a
 * rows x n matrix. Cells are decimal numbers ([+-] digits [. digits]
 * [e [+-] digits]); empty, non-numeric, hex, NaN, infinite or
 * out-of-float-range cells are errors that name the line and the column:
 * `data.csv:17: column 3 ("petal width"): not a number: "abc"`. */
kiln_status kiln_csv_read_columns(const kiln_csv *csv, const int64_t *indices,
                                  int64_t n, kiln_matrix *out, kiln_error *err);

/* Reads a .npy file (format 1.0, 2.0 or 3.0; dtype '<f4' or '<f8'; C order;
 * 1-D arrays become one column, 2-D arrays are [rows, cols]) into float32.
 * NaN/Inf values are errors. */
kiln_status kiln_npy_read(const char *path, kiln_matrix *out, kiln_error *err);

/*---- Checkpoints (safetensors) -------------------------------------------*/

/* Writes the saved tensors (roles PARAM, RUNNING_MEAN, RUNNING_VAR; never
 * OPTIMIZER) under their table names and shapes, as F32 little-endian, with
 * metadata {"format":"pt","kiln_model":<name>}. Atomic: the file is written
 * to "<path>.tmp.<pid>", fsync'd and renamed over `path`, so an existing
 * checkpoint is never left half-written. A symlink is followed (the file it
 * names is replaced, the link stays); an existing FIFO or device is written
 * in place. */
kiln_status kiln_safetensors_save(const kiln_model *m, const float *state,
                                  const char *path, kiln_error *err);

/* Reads a checkpoint into the saved tensors of `state` and zeroes the
 * OPTIMIZER tensors (a loaded checkpoint starts a fresh optimizer). The
 * whole file is validated first (header, JSON, dtypes F32 or F64 - F64 is
 * converted -, shapes equal to the table's, offsets in range and
 * non-overlapping, every saved tensor present, no foreign tensor, every
 * value finite and within float32: KILN_ERR_VALUE names the tensor and the
 * element), so on failure `state` is unchanged. */
kiln_status kiln_safetensors_load(const kiln_model *m, float *state,
                                  const char *path, kiln_error *err);

/*---- Random numbers ------------------------------------------------------*/

/* Philox4x32-10 (Salmon et al., SC'11; Random123's philox4x32 with 10
 * rounds): out = bijection of ctr under key. */
void kiln_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2],
                        uint32_t out[4]);

/* Uniform in [0, 1) from the top 24 bits: (u >> 8) * 2^-24. */
float kiln_uniform_float(uint32_t u);

/* Two independent standard normals from two uint32 (Box-Muller; the radius
 * uses ((u0 >> 8) + 1) * 2^-24, in (0, 1], so the log is finite). */
void kiln_box_muller(uint32_t u0, uint32_t u1, float *z0, float *z1);

/* The dropout mask the compiled code uses: for element i of dropout op `op`
 * at `step` with `seed`: key = {lo32(seed), hi32(seed)},
 * ctr = {i, op, lo32(step), hi32(step)}; keep iff
 * kiln_uniform_float(out[0]) >= p. Returns 1 to keep, 0 to drop. */
int kiln_dropout_keep(uint64_t seed, uint32_t op, int64_t step, uint32_t i,
                      float p);

/* Fills every tensor of the state per its init kind; OPTIMIZER tensors get
 * zeros. Tensor t draws from its own Philox stream (key derived from seed
 * and t, counter = element index / 4), so its values depend only on
 * (seed, t, shape), never on the other tensors or a thread count. */
kiln_status kiln_init_state(const kiln_model *m, float *state, uint64_t seed,
                            kiln_error *err);

/*---- Datasets ------------------------------------------------------------*/

typedef struct kiln_dataset {
  int64_t rows;
  int64_t input_dim;
  int64_t target_dim; /* 0 when the data has no targets (predict) */
  float *x;           /* rows * input_dim */
  float *y;           /* rows * target_dim, or NULL */
  /* For messages: the 0-based row of the file that row i came from, or
   * NULL when row i is row i of its file. kiln_dataset_split sets it;
   * malloc'd like x and y, and freed with them by kiln_dataset_free. */
  int64_t *source_rows;
} kiln_dataset;

void kiln_dataset_free(kiln_dataset *d);

/* Loads a CSV with the model's column selection: targets = the descriptor's
 * target columns (or, when it lists none, the last target_dim columns);
 * features = its feature columns, or every column that is not a target.
 * Checks the counts against input_dim/target_dim and the target values
 * (kiln_dataset_check_targets). With need_targets == 0 (predict data) no
 * targets are read and target_dim is 0; the target columns may then be
 * absent: a target given by name is excluded from the features if the
 * header has it, one given by index if the file has input_dim + target_dim
 * columns. */
kiln_status kiln_dataset_load_csv(const kiln_model *m, const char *path,
                                  int need_targets, kiln_dataset *out,
                                  kiln_error *err);

/* Loads training or evaluation data from .npy (kiln_npy_read): features
 * in `path` and targets in `targets_path` (rows x target_dim, or a 1-D
 * array of one target per row); or, with targets_path NULL, one array
 * whose target (and feature) columns the spec's data section gives by
 * index. A spec that names its target columns (by default it names one,
 * "target") needs the two files: .npy has no column names. Checks shapes
 * and targets as kiln_dataset_load_csv does. */
kiln_status kiln_dataset_load_npy(const kiln_model *m, const char *path,
                                  const char *targets_path, kiln_dataset *out,
                                  kiln_error *err);
/* kiln_dataset_load_npy for a path ending in .npy, else
 * kiln_dataset_load_csv with targets (targets_path must then be NULL). */
kiln_status kiln_dataset_load(const kiln_model *m, const char *path,
                              const char *targets_path, kiln_dataset *out,
                              kiln_error *err);

/* Class labels integral and in [0, num_classes); binary and multilabel
 * targets 0 or 1; real targets finite. Messages: "row 12: label 10 out of
 * range [0, 10)" (rows count from 1, the header excluded). */
kiln_status kiln_dataset_check_targets(const kiln_model *m,
                                       const kiln_dataset *d, kiln_error *err);

/* Splits `all` with a Philox permutation seeded by `seed`: its first
 * round(val_split * rows) rows go to `val`, the others to `train`; both keep
 * the file's row order and record it in source_rows. val_split in [0, 1); 0
 * gives an empty `val`. Errors when the training part would be empty. */
kiln_status kiln_dataset_split(const kiln_dataset *all, double val_split,
                               uint64_t seed, kiln_dataset *train,
                               kiln_dataset *val, kiln_error *err);

/* kiln_dataset_split's split without a copy of the training rows: `train`
 * takes all's buffers (allocated by a kiln_dataset_load*), the rows moved
 * in place, and `all` is left empty; on error `all` is unchanged. Peaks at
 * all's size plus val's. */
kiln_status kiln_dataset_split_move(kiln_dataset *all, double val_split,
                                    uint64_t seed, kiln_dataset *train,
                                    kiln_dataset *val, kiln_error *err);

/*---- Training, evaluation, prediction ------------------------------------*/

typedef struct kiln_eval_result {
  int64_t rows;
  double loss;     /* mean per-row loss */
  double accuracy; /* classification targets; NaN for real ones */
  double mse;      /* real targets; NaN otherwise */
  double mae;
  double r2; /* 1 - sum_j SS_res_j / sum_j SS_tot_j (per-column means) */
} kiln_eval_result;

/* Runs the evaluation blocks over all rows, batch by batch, the rows after
 * the last whole batch with fewer-row blocks (no padding). d must have
 * targets. */
kiln_status kiln_evaluate(const kiln_model *m, const float *state,
                          uint8_t *workspace, const kiln_dataset *d,
                          kiln_eval_result *result, kiln_error *err);

/* The value of `metric` in a result (loss, accuracy, mse, mae or r2). */
double kiln_eval_metric(const kiln_eval_result *r, int32_t metric);

/* Runs predict over `rows` rows of x (rows * input_dim floats) into out
 * (rows * output_dim floats); any number of rows. `pstate` is the state, or
 * the prepared state when the model has `prepare`. */
kiln_status kiln_predict_rows(const kiln_model *m, const float *pstate,
                              uint8_t *workspace, const float *x, int64_t rows,
                              float *out, kiln_error *err);

/*---- Data-parallel training (docs/distributed.md) ------------------------*/

/* The collectives kiln_train needs to train one model on several
 * processes: libkiln_rt_mpi.a's kiln_mpi_comm_init (Open MPI), or an
 * application's own. Each function returns 0 on success. */
typedef struct kiln_comm {
  int rank;       /* 0 .. size - 1 */
  int size;       /* processes in the job */
  int local_size; /* processes on this machine (their threads share it) */
  void *impl;
  /* In place: each element becomes its sum over the ranks, the same bits
   * on every rank. */
  int (*allreduce_sum_f32)(void *impl, float *data, int64_t n);
  int (*allreduce_sum_f64)(void *impl, double *data, int64_t n);
  /* Ends every process of the job with exit status `code`; for a fault
   * that the other ranks cannot learn of (they wait in a collective). */
  void (*abort)(void *impl, int code);
} kiln_comm;

/* Open MPI's MPI_COMM_WORLD as a kiln_comm, in libkiln_rt_mpi.a (link it,
 * and libmpi, before libkiln_rt.a). A process not started by mpirun gets
 * a job of one, without MPI_Init. kiln_mpi_comm_finalize ends MPI. */
kiln_status kiln_mpi_comm_init(int *argc, char ***argv, kiln_comm *comm,
                               kiln_error *err);
void kiln_mpi_comm_finalize(kiln_comm *comm);

/* kiln_train_options, kiln_train_result and kiln_eval_result are mirrored,
 * field by field, by the Python module (compiler/codegen/Python.cpp):
 * change both. */
typedef struct kiln_train_options {
  int64_t epochs;  /* used when steps == 0 */
  int64_t steps;   /* > 0: stop after this many steps (last epoch partial) */
  uint64_t seed;   /* shuffling and the train_step seed */
  int32_t shuffle; /* 1: a new Philox permutation every epoch */
  int32_t early_stopping;
  int32_t monitor; /* kiln_metric, measured on the validation set */
  int64_t patience;
  double min_delta;
  /* Output. `out` receives progress and summary lines (NULL: stdout). */
  FILE *out;
  int32_t quiet;        /* 1: nothing is printed */
  int32_t tty;          /* -1: isatty(out); 0: plain lines; 1: progress bar */
  int32_t batch_report; /* 1: one line per step */
  const char *metrics_path; /* CSV epoch,train_loss,val_loss,val_<m>,seconds,
                               flushed each epoch; a write error stops
                               training with KILN_ERR_IO */

  /* Resumable training (docs/runtime.md, "Resuming training"). A resumable
   * checkpoint is a safetensors file with the whole state (optimizer state
   * included), the best epoch's state for early stopping, and the run's
   * position and settings in its metadata; eval, predict and --init-from
   * load it as plain weights. */
  const char *checkpoint_path; /* NULL: none. Written atomically at the end
                                  of the run (before early stopping restores
                                  the best epoch), when it is interrupted,
                                  and as often as the two fields below say;
                                  a write error stops training. */
  int64_t checkpoint_every;       /* > 0: also after every N-th epoch */
  int64_t checkpoint_every_steps; /* > 0: also after every N-th step */
  /* Continue the run saved in this resumable checkpoint: `state` is
   * replaced by the checkpoint's, and training goes on from its step,
   * epoch and batch, with its optimizer state, early-stopping state and
   * divergence reference, so that the result is the uninterrupted run's bit
   * for bit. The checkpoint must come from this model (same name, batch
   * size, optimizer and kiln_model_fingerprint), and the options and data
   * must be the run's: seed, shuffle, early stopping (on/off, monitor,
   * patience, min_delta), training and validation rows
   * (kiln_checkpoint_read_info gives them); anything else is refused
   * before `state` is touched. epochs and steps are the length of the
   * whole run, counted from its start. With metrics_path, the file keeps
   * its first rows up to the checkpoint's epoch and new rows are appended. */
  const char *resume_path;
  /* Polled after each step and each epoch that does not end the run: when
   * *interrupt is non-zero, training writes checkpoint_path (if set) and
   * returns KILN_ERR_INTERRUPTED. Meant for a signal handler or another
   * thread that only sets it. NULL: never. */
  volatile sig_atomic_t *interrupt;

  /* NULL or a job of one: this process trains alone, with train_step.
   * Otherwise the model must be a data-parallel build with a gradient block
   * for each rank's shard: every global batch of batch_size rows is split
   * into `size` shards of consecutive rows, rank r taking rows
   * [r B / size, (r + 1) B / size); the gradients are summed with one
   * allreduce and every rank applies the same update. Every rank must call
   * kiln_train with the same data and options (they check it); rank 0
   * alone prints, writes the metrics file and the checkpoints, and
   * validation is split over the ranks and its metrics summed. */
  const kiln_comm *comm;
  /* 1: after every step, check that all ranks hold the same state bits
   * (KILN_ERR_STATE naming the step otherwise); for tests. */
  int32_t check_replicas;
} kiln_train_options;

/* Defaults from the descriptor: epochs, seed, early stopping, shuffle on,
 * output to stdout with tty detection. */
void kiln_train_options_default(const kiln_model *m, kiln_train_options *o);

typedef struct kiln_train_result {
  int64_t epochs; /* epochs run (the last one may be partial with steps) */
  int64_t steps;
  double train_loss; /* mean batch loss of the last epoch */
  int64_t best_epoch; /* 1-based; early stopping only, else 0 */
  double best_value;  /* the monitored value at best_epoch */
  int32_t stopped_early;
  double seconds;
  double allreduce_seconds; /* data parallel: this rank's time in them */
} kiln_train_result;

/* Trains `state` in place: per epoch, full batches (the last partial batch
 * is filled up from the start of the epoch's order) through train_step
 * (step from 1, epoch from 0), then an evaluation on `val` (may be NULL or
 * empty), a summary line and a metrics row. Early stopping restores the
 * best epoch's state at the end. A diverging run stops with
 * KILN_ERR_NUMERIC: a nan/inf batch loss ("loss became nan at step 1234
 * (epoch 5) on training rows 17, 20, ..."), an epoch's mean loss above
 * 10^4 times a reference (the first step's loss or an uninformed guess's,
 * whichever is larger; docs/runtime.md), or a nan/inf validation loss;
 * `state` is then the diverged one and must not be saved. Writes no
 * weights file; a resumable checkpoint with checkpoint_path, and continues
 * one with resume_path (then `result` counts epochs and steps from the
 * start of the run). */
kiln_status kiln_train(const kiln_model *m, float *state, uint8_t *workspace,
                       const kiln_dataset *train, const kiln_dataset *val,
                       const kiln_train_options *options,
                       kiln_train_result *result, kiln_error *err);

/*---- Resumable checkpoints -----------------------------------------------*/

/* What a resumable checkpoint (kiln_train_options::checkpoint_path) says
 * about its run, read from its metadata after checking that it belongs to
 * the model: what a caller needs to set up the resumed run's options and
 * data (seed first: it drives the validation split). */
typedef struct kiln_checkpoint_info {
  uint64_t seed;
  int32_t shuffle;
  int32_t early_stopping;
  int32_t monitor; /* kiln_metric */
  int32_t stopped_early;
  int64_t patience;
  double min_delta;
  int64_t epochs; /* the run's length, as its options gave it */
  int64_t steps;
  int64_t step;         /* steps done */
  int64_t epochs_done;  /* whole epochs done */
  int64_t batches_done; /* batches of the next epoch done */
  int64_t train_rows;
  int64_t val_rows;
  uint64_t data_fingerprint; /* of the training and validation rows */
} kiln_checkpoint_info;

/* Reads the metadata of a resumable checkpoint. Refuses (naming the file
 * and what differs) a file that is no resumable checkpoint or whose
 * metadata is damaged (KILN_ERR_FORMAT), and one of another model or
 * another version of it (KILN_ERR_ARGUMENT). */
kiln_status kiln_checkpoint_read_info(const kiln_model *m, const char *path,
                                      kiln_checkpoint_info *info,
                                      kiln_error *err);

/* A 64-bit hash (FNV-1a) of what a resumed run needs unchanged from the
 * model that wrote the checkpoint: name, target kind, batch size, input,
 * target and output sizes, classes, state size, FLOPs per sample, the
 * optimizer's description, and every tensor's name, role, shape and
 * offset. A change of the spec's layers, losses' outputs or optimizer
 * changes it; a change of the thread count or prediction blocks does not. */
uint64_t kiln_model_fingerprint(const kiln_model *m);

/*---- Threads -------------------------------------------------------------*/

/* A model compiled with threads (the default; docs/threads.md) splits its
 * large kernels over the OpenMP runtime's threads; the team size is a
 * setting of the thread that calls the compiled code. Results are
 * bit-identical for any team size. */

/* The cores this process may run on (its CPU affinity mask). */
int kiln_num_cores(void);
/* The team size for compiled-code calls made from the calling thread
 * (threads >= 1); what a program that calls kiln_model's functions directly
 * uses. Without the OpenMP runtime linked, it does nothing. */
void kiln_set_threads(int threads);

/*---- The command line ----------------------------------------------------*/

/* The standalone executable's main: `train`, `eval`, `predict`, `init`,
 * `info` (see docs/runtime.md). Returns the process exit status: 0, 1 on an
 * error (printed as "error: <message>" on stderr), 2 on a usage error. */
int kiln_main(int argc, char **argv, const kiln_model *m);
/* kiln_main as one process of a data-parallel job (comm may be NULL):
 * `train` trains on every rank; the other commands run on rank 0 only. */
int kiln_main_comm(int argc, char **argv, const kiln_model *m,
                   const kiln_comm *comm);
/* The main of an executable built with --distributed, in
 * libkiln_rt_mpi.a: MPI_Init under mpirun, kiln_main_comm, MPI_Finalize;
 * a failing rank ends the whole job. */
int kiln_mpi_main(int argc, char **argv, const kiln_model *m);

/*---- Embedding -----------------------------------------------------------*/

/* A model with its buffers, for applications. Never aborts; each failing
 * call returns a status and keeps the message for kiln_ctx_last_error. One
 * context must not be used by two threads at once; separate contexts are
 * independent. A context of a model compiled with weights (`kiln build
 * --weights`) holds them from creation: it predicts without a load. */
typedef struct kiln_ctx kiln_ctx;

kiln_status kiln_ctx_create(const kiln_model *m, kiln_ctx **out,
                            kiln_error *err);
void kiln_ctx_destroy(kiln_ctx *ctx);
kiln_status kiln_ctx_init(kiln_ctx *ctx, uint64_t seed);
kiln_status kiln_ctx_load(kiln_ctx *ctx, const char *safetensors_path);
kiln_status kiln_ctx_save(kiln_ctx *ctx, const char *safetensors_path);
/* x: rows * input_dim floats; out: rows * output_dim floats. */
kiln_status kiln_ctx_predict(kiln_ctx *ctx, const float *x, int64_t rows,
                             float *out);
/* Trains the context's weights (after kiln_ctx_init or kiln_ctx_load) on
 * `rows` rows of x (rows * input_dim floats) and y (rows * target_dim),
 * validating on val_rows rows of val_x and val_y (may be 0), as the
 * executable's `train` does, reading the caller's arrays in place. options
 * NULL: the spec's defaults, quiet, early stopping only with validation
 * rows. Prediction uses the trained weights afterwards. Not for a
 * --predict-only build. */
kiln_status kiln_ctx_train(kiln_ctx *ctx, const float *x, const float *y,
                           int64_t rows, const float *val_x,
                           const float *val_y, int64_t val_rows,
                           const kiln_train_options *options,
                           kiln_train_result *result);
/* Loss and metrics of the weights on `rows` labelled rows. */
kiln_status kiln_ctx_evaluate(kiln_ctx *ctx, const float *x, const float *y,
                              int64_t rows, kiln_eval_result *result);
/* The most threads the context's calls use (>= 1), or 0 for the default:
 * KILN_NUM_THREADS, else kiln_num_cores(). While calls of several contexts
 * run at once on different threads, each uses at most its share of the
 * cores, so an application's own thread pool does not oversubscribe them. */
kiln_status kiln_ctx_set_threads(kiln_ctx *ctx, int threads);
/* The message of the last call on ctx if it failed, "" if it succeeded. */
const char *kiln_ctx_last_error(const kiln_ctx *ctx);
const kiln_model *kiln_ctx_model(const kiln_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* KILN_RT_H */
