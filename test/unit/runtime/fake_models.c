/*===- fake_models.c - Hand-written models with the compiler's ABI --------===*/

#include "fake_models.h"

#include <math.h>
#include <string.h>

/* One linear layer y = W x + b with a loss per target kind; each fake model
 * below is a configuration of it. */
typedef struct linear_cfg {
  int64_t in, out, batch;
  int32_t kind; /* kiln_target_kind */
  float lr;
  int64_t w, b, counter; /* offsets in the state; counter < 0: none */
} linear_cfg;

static void forward(const linear_cfg *c, const float *s, const float *x,
                    float *o) {
  for (int64_t j = 0; j < c->out; ++j) {
    double z = s[c->b + j];
    for (int64_t i = 0; i < c->in; ++i)
      z += (double)s[c->w + j * c->in + i] * x[i];
    o[j] = (float)z;
  }
  if (c->kind == KILN_TARGET_CLASS) {
    float mx = o[0];
    for (int64_t j = 1; j < c->out; ++j)
      mx = o[j] > mx ? o[j] : mx;
    double sum = 0;
    for (int64_t j = 0; j < c->out; ++j)
      sum += exp((double)(o[j] - mx));
    for (int64_t j = 0; j < c->out; ++j)
      o[j] = (float)(exp((double)(o[j] - mx)) / sum);
  } else if (c->kind != KILN_TARGET_REAL) {
    for (int64_t j = 0; j < c->out; ++j)
      o[j] = (float)(1.0 / (1.0 + exp(-(double)o[j])));
  }
}

/* Loss of one row, and dLoss/dz into g (z = the pre-activation). */
static double row_loss(const linear_cfg *c, const float *o, const float *y,
                       float *g) {
  double loss = 0;
  if (c->kind == KILN_TARGET_CLASS) {
    int64_t label = (int64_t)y[0];
    for (int64_t j = 0; j < c->out; ++j)
      g[j] = o[j] - (j == label ? 1.0f : 0.0f);
    return -log(fmax((double)o[label], 1e-30));
  }
  for (int64_t j = 0; j < c->out; ++j) {
    double p = o[j], t = y[j];
    if (c->kind == KILN_TARGET_REAL) {
      loss += (p - t) * (p - t) / (double)c->out;
      g[j] = (float)(2.0 * (p - t) / (double)c->out);
    } else {
      loss -= (t * log(fmax(p, 1e-30)) + (1 - t) * log(fmax(1 - p, 1e-30))) /
              (double)c->out;
      g[j] = (float)((p - t) / (double)c->out);
    }
  }
  return loss;
}

static void train(const linear_cfg *c, float *s, uint8_t *ws, const float *x,
                  const float *y, float *loss) {
  int64_t ydim = c->kind == KILN_TARGET_CLASS ? 1 : c->out;
  /* Gradients live in the workspace, as a compiled model's would. */
  float *gw = (float *)(void *)ws, *gb = gw + c->out * c->in;
  float o[16], g[16];
  memset(ws, 0, (size_t)(c->out * (c->in + 1)) * sizeof(float));
  double total = 0;
  for (int64_t r = 0; r < c->batch; ++r) {
    forward(c, s, x + r * c->in, o);
    total += row_loss(c, o, y + r * ydim, g);
    for (int64_t j = 0; j < c->out; ++j) {
      gb[j] += g[j] / (float)c->batch;
      for (int64_t i = 0; i < c->in; ++i)
        gw[j * c->in + i] += g[j] * x[r * c->in + i] / (float)c->batch;
    }
  }
  for (int64_t k = 0; k < c->out * c->in; ++k)
    s[c->w + k] -= c->lr * gw[k];
  for (int64_t j = 0; j < c->out; ++j)
    s[c->b + j] -= c->lr * gb[j];
  if (c->counter >= 0)
    s[c->counter] += 1;
  *loss = (float)(total / (double)c->batch);
}

static void eval(const linear_cfg *c, int64_t rows, const float *s,
                 const float *x, const float *y, float *loss, float *out) {
  int64_t ydim = c->kind == KILN_TARGET_CLASS ? 1 : c->out;
  float g[16];
  for (int64_t r = 0; r < rows; ++r) {
    forward(c, s, x + r * c->in, out + r * c->out);
    loss[r] = (float)row_loss(c, out + r * c->out, y + r * ydim, g);
  }
}

static void predict(const linear_cfg *c, const float *s, const float *x,
                    float *out) {
  for (int64_t r = 0; r < c->batch; ++r)
    forward(c, s, x + r * c->in, out + r * c->out);
}

/* The ABI's functions carry no model pointer: one set of wrappers per
 * configuration. */
#define LINEAR_MODEL_FNS(prefix, cfg)                                          \
  static void prefix##_train(float *s, uint8_t *ws, const float *x,           \
                             const float *y, int64_t step, int64_t epoch,      \
                             int64_t seed, float *loss) {                      \
    (void)step;                                                                \
    (void)epoch;                                                               \
    (void)seed;                                                                \
    train(&cfg, s, ws, x, y, loss);                                            \
  }                                                                            \
  static void prefix##_eval(const float *s, uint8_t *ws, const float *x,      \
                            const float *y, float *loss, float *out) {         \
    (void)ws;                                                                  \
    eval(&cfg, cfg.batch, s, x, y, loss, out);                                 \
  }                                                                            \
  static void prefix##_eval_row(const float *s, uint8_t *ws, const float *x,  \
                                const float *y, float *loss, float *out) {     \
    (void)ws;                                                                  \
    eval(&cfg, 1, s, x, y, loss, out);                                         \
  }                                                                            \
  static void prefix##_predict(const float *s, uint8_t *ws, const float *x,   \
                               float *out) {                                   \
    (void)ws;                                                                  \
    predict(&cfg, s, x, out);                                                  \
  }                                                                            \
  static void prefix##_predict_row(const float *s, uint8_t *ws,               \
                                   const float *x, float *out) {               \
    (void)ws;                                                                  \
    forward(&cfg, s, x, out);                                                  \
  }

/* A batch-size block and a one-row block, as the compiler emits at least. */
#define PREDICT_BLOCKS(prefix, batch, batch_fn, row_fn)                        \
  static const kiln_predict_block prefix##_blocks[] = {{batch, batch_fn},      \
                                                       {1, row_fn}};
#define PREDICT_FIELDS(prefix)                                                 \
  .num_predict_blocks = 2, .predict_blocks = prefix##_blocks
/* The same for evaluation: eval_step and a one-row block. */
#define EVAL_BLOCKS(prefix, batch)                                             \
  static const kiln_eval_block prefix##_eval_blocks[] = {                      \
      {batch, prefix##_eval}, {1, prefix##_eval_row}};
#define EVAL_FIELDS(prefix)                                                    \
  .eval_step = prefix##_eval, .num_eval_blocks = 2,                            \
  .eval_blocks = prefix##_eval_blocks

/*---- Classifier ----------------------------------------------------------*/

static const linear_cfg classifier_cfg = {4, 3, 8, KILN_TARGET_CLASS, 0.5f,
                                          0, 12, 15};
LINEAR_MODEL_FNS(classifier, classifier_cfg)
PREDICT_BLOCKS(classifier, 8, classifier_predict, classifier_predict_row)
EVAL_BLOCKS(classifier, 8)

static const kiln_tensor_info classifier_tensors[] = {
    {"linear.weight", KILN_ROLE_PARAM, KILN_INIT_XAVIER_UNIFORM, 2, 0,
     {3, 4, 0, 0}, 12, 0, 0.0, 0.0, 4, 3},
    {"linear.bias", KILN_ROLE_PARAM, KILN_INIT_ZEROS, 1, 0, {3, 0, 0, 0}, 3,
     12, 0.0, 0.0, 4, 3},
    {"opt.steps", KILN_ROLE_OPTIMIZER, KILN_INIT_ZEROS, 1, 0, {1, 0, 0, 0}, 1,
     15, 0.0, 0.0, 1, 1},
};
static const kiln_column classifier_targets[] = {{"label", -1}};

#define CLASSIFIER_FIELDS                                                      \
  .abi_version = KILN_ABI_VERSION, .target_kind = KILN_TARGET_CLASS,           \
  .batch_size = 8, .input_dim = 4, .target_dim = 1, .num_classes = 3,          \
  .output_dim = 3, .state_size = 16, .workspace_size = 64,                     \
  .flops_per_sample = 24, .num_tensors = 3, .tensors = classifier_tensors,     \
  .train_step = classifier_train, EVAL_FIELDS(classifier),                    \
  .optimizer = "sgd(lr=0.5)", .epochs = 20, .seed = 7, .patience = 3,          \
  .num_target_columns = 1, .target_columns = classifier_targets

const kiln_model fake_classifier_model = {
    CLASSIFIER_FIELDS,
    .name = "classifier",
    .predict = classifier_predict,
    PREDICT_FIELDS(classifier),
};

/*---- Classifier with prepare ---------------------------------------------*/

static void prepared_prepare(const float *state, uint8_t *ws, float *pstate) {
  (void)ws;
  memcpy(pstate, state, 16 * sizeof(float));
  pstate[16] = 1.0f;
}

/* Both blocks check that prepare ran. */
#define PREPARED_PREDICT(name, inner, rows)                                    \
  static void name(const float *ps, uint8_t *ws, const float *x,             \
                   float *out) {                                               \
    inner(ps, ws, x, out);                                                     \
    if (ps[16] != 1.0f)                                                        \
      for (int k = 0; k < (rows) * 3; ++k)                                     \
        out[k] = NAN;                                                          \
  }
PREPARED_PREDICT(prepared_predict, classifier_predict, 8)
PREPARED_PREDICT(prepared_predict_row, classifier_predict_row, 1)
PREDICT_BLOCKS(prepared, 8, prepared_predict, prepared_predict_row)

const kiln_model fake_prepared_model = {
    CLASSIFIER_FIELDS,
    .name = "prepared",
    .predict = prepared_predict,
    PREDICT_FIELDS(prepared),
    .prepare = prepared_prepare,
    .predict_state_size = 17,
};

/*---- Regressor -----------------------------------------------------------*/

static const linear_cfg regressor_cfg = {3, 2, 4, KILN_TARGET_REAL, 0.1f,
                                         0, 6, -1};
LINEAR_MODEL_FNS(regressor, regressor_cfg)
PREDICT_BLOCKS(regressor, 4, regressor_predict, regressor_predict_row)
EVAL_BLOCKS(regressor, 4)

static const kiln_tensor_info regressor_tensors[] = {
    {"w", KILN_ROLE_PARAM, KILN_INIT_NORMAL, 2, 0, {2, 3, 0, 0}, 6, 0, 0.0,
     0.1, 3, 2},
    {"b", KILN_ROLE_PARAM, KILN_INIT_ZEROS, 1, 0, {2, 0, 0, 0}, 2, 6, 0.0, 0.0,
     3, 2},
    {"bn.running_mean", KILN_ROLE_RUNNING_MEAN, KILN_INIT_ZEROS, 1, 0,
     {2, 0, 0, 0}, 2, 8, 0.0, 0.0, 1, 1},
    {"bn.running_var", KILN_ROLE_RUNNING_VAR, KILN_INIT_ONES, 1, 0,
     {2, 0, 0, 0}, 2, 10, 0.0, 0.0, 1, 1},
    {"opt.velocity", KILN_ROLE_OPTIMIZER, KILN_INIT_ZEROS, 2, 0, {2, 3, 0, 0},
     6, 12, 0.0, 0.0, 3, 2},
};
static const kiln_column regressor_targets[] = {{NULL, 3}, {NULL, 4}};

const kiln_model fake_regressor_model = {
    .abi_version = KILN_ABI_VERSION,
    .target_kind = KILN_TARGET_REAL,
    .name = "regressor",
    .batch_size = 4,
    .input_dim = 3,
    .target_dim = 2,
    .output_dim = 2,
    .state_size = 18,
    .workspace_size = 32,
    .flops_per_sample = 12,
    .num_tensors = 5,
    .tensors = regressor_tensors,
    .train_step = regressor_train,
    EVAL_FIELDS(regressor),
    .predict = regressor_predict,
    PREDICT_FIELDS(regressor),
    .optimizer = "sgd(lr=0.1)",
    .epochs = 5,
    .seed = 1,
    .monitor = KILN_METRIC_LOSS,
    .patience = 3,
    .num_target_columns = 2,
    .target_columns = regressor_targets,
};

/*---- Binary and multilabel -----------------------------------------------*/

static const linear_cfg binary_cfg = {2, 1, 4, KILN_TARGET_BINARY, 0.5f,
                                      0, 2, -1};
LINEAR_MODEL_FNS(binary, binary_cfg)
PREDICT_BLOCKS(binary, 4, binary_predict, binary_predict_row)
EVAL_BLOCKS(binary, 4)

static const kiln_tensor_info binary_tensors[] = {
    {"w", KILN_ROLE_PARAM, KILN_INIT_XAVIER_NORMAL, 2, 0, {1, 2, 0, 0}, 2, 0,
     0.0, 0.0, 2, 1},
    {"b", KILN_ROLE_PARAM, KILN_INIT_ZEROS, 1, 0, {1, 0, 0, 0}, 1, 2, 0.0, 0.0,
     2, 1},
};
static const kiln_column binary_targets[] = {{"y", -1}};

const kiln_model fake_binary_model = {
    .abi_version = KILN_ABI_VERSION,
    .target_kind = KILN_TARGET_BINARY,
    .name = "binary",
    .batch_size = 4,
    .input_dim = 2,
    .target_dim = 1,
    .output_dim = 1,
    .state_size = 3,
    .workspace_size = 16,
    .num_tensors = 2,
    .tensors = binary_tensors,
    .train_step = binary_train,
    EVAL_FIELDS(binary),
    .predict = binary_predict,
    PREDICT_FIELDS(binary),
    .epochs = 5,
    .num_target_columns = 1,
    .target_columns = binary_targets,
};

static const linear_cfg multilabel_cfg = {2, 2, 4, KILN_TARGET_MULTILABEL,
                                          0.5f, 0, 4, -1};
LINEAR_MODEL_FNS(multilabel, multilabel_cfg)
PREDICT_BLOCKS(multilabel, 4, multilabel_predict, multilabel_predict_row)
EVAL_BLOCKS(multilabel, 4)

static const kiln_tensor_info multilabel_tensors[] = {
    {"w", KILN_ROLE_PARAM, KILN_INIT_HE_UNIFORM, 2, 0, {2, 2, 0, 0}, 4, 0, 0.0,
     0.0, 2, 2},
    {"b", KILN_ROLE_PARAM, KILN_INIT_ZEROS, 1, 0, {2, 0, 0, 0}, 2, 4, 0.0, 0.0,
     2, 2},
};
static const kiln_column multilabel_targets[] = {{"a", -1}, {"b", -1}};

const kiln_model fake_multilabel_model = {
    .abi_version = KILN_ABI_VERSION,
    .target_kind = KILN_TARGET_MULTILABEL,
    .name = "multilabel",
    .batch_size = 4,
    .input_dim = 2,
    .target_dim = 2,
    .output_dim = 2,
    .state_size = 6,
    .workspace_size = 32,
    .num_tensors = 2,
    .tensors = multilabel_tensors,
    .train_step = multilabel_train,
    EVAL_FIELDS(multilabel),
    .predict = multilabel_predict,
    PREDICT_FIELDS(multilabel),
    .epochs = 5,
    .num_target_columns = 2,
    .target_columns = multilabel_targets,
};

/*---- Scripted ------------------------------------------------------------*/

float fake_script_train_loss[FAKE_SCRIPT_LEN];
float fake_script_val_loss[FAKE_SCRIPT_LEN];
int64_t fake_script_steps_seen[FAKE_SCRIPT_LEN];

void fake_script_reset(void) {
  for (int i = 0; i < FAKE_SCRIPT_LEN; ++i) {
    fake_script_train_loss[i] = 1.0f;
    fake_script_val_loss[i] = 1.0f;
    fake_script_steps_seen[i] = -1;
  }
}

static void scripted_train(float *s, uint8_t *ws, const float *x,
                           const float *y, int64_t step, int64_t epoch,
                           int64_t seed, float *loss) {
  (void)ws;
  (void)x;
  (void)y;
  (void)seed;
  s[0] = (float)(epoch + 1);
  s[1] += 1;
  int64_t i = step - 1;
  *loss = i < FAKE_SCRIPT_LEN ? fake_script_train_loss[i] : 1.0f;
  if (i < FAKE_SCRIPT_LEN)
    fake_script_steps_seen[i] = epoch;
}

static void scripted_eval(const float *s, uint8_t *ws, const float *x,
                          const float *y, float *loss, float *out) {
  (void)ws;
  (void)x;
  (void)y;
  int64_t i = (int64_t)s[0] - 1;
  float v = i >= 0 && i < FAKE_SCRIPT_LEN ? fake_script_val_loss[i] : 1.0f;
  for (int r = 0; r < 2; ++r) {
    loss[r] = v;
    out[r] = 0;
  }
}

static void scripted_eval_row(const float *s, uint8_t *ws, const float *x,
                              const float *y, float *loss, float *out) {
  float two_loss[2], two_out[2];
  scripted_eval(s, ws, x, y, two_loss, two_out);
  loss[0] = two_loss[0];
  out[0] = two_out[0];
}

static void scripted_predict(const float *s, uint8_t *ws, const float *x,
                             float *out) {
  (void)ws;
  (void)x;
  out[0] = out[1] = s[0];
}

static void scripted_predict_row(const float *s, uint8_t *ws, const float *x,
                                 float *out) {
  (void)ws;
  (void)x;
  out[0] = s[0];
}
PREDICT_BLOCKS(scripted, 2, scripted_predict, scripted_predict_row)
EVAL_BLOCKS(scripted, 2)
/* Halves per epoch and drops by a hundredth per step: the report shows
 * which step and epoch each value belongs to. */
static void scripted_learning_rate(const float *s, uint8_t *ws, int64_t step,
                                   int64_t epoch, float *lr) {
  (void)s;
  (void)ws;
  *lr = (float)(1.0 / (double)(1 << epoch) - 0.01 * (double)step);
}

static const kiln_tensor_info scripted_tensors[] = {
    {"marker", KILN_ROLE_PARAM, KILN_INIT_ZEROS, 1, 0, {1, 0, 0, 0}, 1, 0, 0.0,
     0.0, 1, 1},
    {"opt.counter", KILN_ROLE_OPTIMIZER, KILN_INIT_ZEROS, 1, 0, {1, 0, 0, 0},
     1, 1, 0.0, 0.0, 1, 1},
};

const kiln_model fake_scripted_model = {
    .abi_version = KILN_ABI_VERSION,
    .target_kind = KILN_TARGET_REAL,
    .name = "scripted",
    .batch_size = 2,
    .input_dim = 1,
    .target_dim = 1,
    .output_dim = 1,
    .state_size = 2,
    .workspace_size = 0,
    .num_tensors = 2,
    .tensors = scripted_tensors,
    .train_step = scripted_train,
    EVAL_FIELDS(scripted),
    .predict = scripted_predict,
    PREDICT_FIELDS(scripted),
    .learning_rate = scripted_learning_rate,
    .epochs = 10,
    .early_stopping = 1,
    .monitor = KILN_METRIC_LOSS,
    .patience = 2,
};
