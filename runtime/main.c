/*===- main.c - The command line of a compiled model ----------------------===*
 *
 * kiln_main is the whole program of a standalone executable: the compiler
 * emits `int main(int argc, char **argv) { return kiln_main(argc, argv,
 * &<model>_model); }`. Everything here returns an exit status instead of
 * exiting, so it can run in tests.
 *
 *===----------------------------------------------------------------------===*/

#include "rt_internal.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

enum { EXIT_ERROR = 1, EXIT_USAGE = 2 };

typedef struct cli {
  const kiln_model *m;
  const char *prog;
  const char *command;
  FILE *out, *err;
} cli;

/*---- Usage ---------------------------------------------------------------*/

#define THREADS_HELP                                                           \
  "  --threads N        threads for the model's kernels (default: "             \
  "KILN_NUM_THREADS,\n"                                                          \
  "                     else the cores this process may run on)\n"

typedef struct command_help {
  const char *name;
  const char *synopsis;
  const char *details;
} command_help;

static const command_help HELP[] = {
    {"train",
     "train [--data FILE] [--val FILE | --val-split F] [--test FILE]\n"
     "            [--epochs N | --steps N] [--init-from W.safetensors]\n"
     "            [--save W.safetensors] [--seed S] [--no-shuffle]\n"
     "            [--no-early-stopping] [--patience N] [--metrics FILE]\n"
     "            [--checkpoint FILE [--checkpoint-every N]\n"
     "            [--checkpoint-every-steps N]] [--resume FILE]\n"
     "            [--batch-report] [--quiet] [--threads N]",
     "Trains the model and saves its weights.\n"
     "  --data FILE        training CSV (default: the spec's train path)\n"
     "  --val FILE         validation CSV\n"
     "  --val-split F      hold out this fraction of --data (default: the "
     "spec's)\n"
     "  --test FILE        evaluate on this CSV after training (default: the "
     "spec's)\n"
     "  --epochs N         epochs (default: the spec's)\n"
     "  --steps N          train for N steps instead of whole epochs\n"
     "  --init-from W      start from these weights instead of a fresh init\n"
     "  --save W           where to save (default: <model>.safetensors)\n"
     "  --seed S           seed for init, split, shuffling and dropout\n"
     "  --no-shuffle       visit the rows in file order every epoch\n"
     "  --no-early-stopping  train all epochs even if the spec stops early\n"
     "  --patience N       early-stopping patience (default: the spec's)\n"
     "  --metrics FILE     write epoch,train_loss,val_loss,val_<metric>,"
     "seconds\n"
     "  --checkpoint FILE  write a resumable checkpoint there at the end, on\n"
     "                     SIGINT/SIGTERM, and as the two flags below say\n"
     "  --checkpoint-every N        also after every N-th epoch\n"
     "  --checkpoint-every-steps N  also after every N-th step\n"
     "  --resume FILE      continue the run saved in this checkpoint (its\n"
     "                     seed, shuffling, early stopping and length unless\n"
     "                     given; checkpoints go back to it unless "
     "--checkpoint)\n"
     "  --batch-report     print the loss of every step\n"
     "  --quiet            print only errors and the test result\n"
     THREADS_HELP},
    {"eval", "eval [--weights W.safetensors] [--data FILE] [--threads N]",
     "Prints the loss and metrics of the weights on a labelled CSV.\n"
     "  --weights W        weights (default: those compiled in, else "
     "<model>.safetensors)\n"
     "  --data FILE        CSV with targets (default: the spec's test path)\n"
     THREADS_HELP},
    {"predict",
     "predict [--weights W.safetensors] --data X.csv|X.npy [--output Y.csv]\n"
     "            [--threads N]",
     "Writes predictions as CSV.\n"
     "  --weights W        weights (default: those compiled in, else "
     "<model>.safetensors)\n"
     "  --data FILE        features: CSV (target columns may be absent) or "
     ".npy\n"
     "  --output FILE      where to write (default: standard output)\n"
     THREADS_HELP},
    {"init", "init [--seed S] [--save W.safetensors]",
     "Writes freshly initialized weights.\n"
     "  --seed S           seed (default: the spec's)\n"
     "  --save W           where to save (default: <model>.safetensors)\n"},
    {"info", "info",
     "Describes the model: tensors, sizes, memory, training defaults.\n"},
};
enum { NUM_COMMANDS = sizeof HELP / sizeof HELP[0] };

static const command_help *find_help(const char *name) {
  for (int i = 0; i < NUM_COMMANDS; ++i)
    if (strcmp(HELP[i].name, name) == 0)
      return &HELP[i];
  return NULL;
}

static void print_usage(FILE *f, const char *prog, const char *model) {
  fprintf(f, "usage: %s <command> [flags]\n\nThe model \"%s\", compiled by "
             "kiln. Commands:\n",
          prog, model);
  for (int i = 0; i < NUM_COMMANDS; ++i)
    fprintf(f, "  %s %s\n", prog, HELP[i].synopsis);
  fprintf(f, "\nRun '%s <command> --help' for the flags of a command.\n",
          prog);
}

static void print_command_usage(FILE *f, const char *prog,
                                const command_help *h) {
  fprintf(f, "usage: %s %s\n", prog, h->synopsis);
}

static int usage_error(cli *c, const char *fmt, ...) KILN_PRINTF(2, 3);
static int usage_error(cli *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("error: ", c->err);
  vfprintf(c->err, fmt, ap);
  fputc('\n', c->err);
  va_end(ap);
  const command_help *h = c->command ? find_help(c->command) : NULL;
  if (h) {
    print_command_usage(c->err, c->prog, h);
    fprintf(c->err, "Run '%s %s --help' for details.\n", c->prog, h->name);
  } else {
    print_usage(c->err, c->prog, c->m->name);
  }
  return EXIT_USAGE;
}

static int fail(cli *c, const kiln_error *e) {
  fprintf(c->err, "error: %s\n", e->message);
  return EXIT_ERROR;
}

/* Before any data is read: a --predict-only build cannot train or
 * evaluate. -1 when it can. */
static int check_trainable(cli *c, const char *what) {
  kiln_error e;
  return kiln_model_check_trainable(c->m, what, &e) ? fail(c, &e) : -1;
}

/*---- Flags ---------------------------------------------------------------*/

typedef struct flag {
  const char *name;  /* without the leading "--" */
  const char **value; /* NULL for a switch */
  int *set;
} flag;

/* --name VALUE, --name=VALUE and switches; -h/--help. Returns -1 to go on,
 * else an exit status. */
static int parse_flags(cli *c, int argc, char **argv, flag *flags, int n) {
  for (int i = 0; i < argc; ++i) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      const command_help *h = find_help(c->command);
      print_command_usage(c->out, c->prog, h);
      fprintf(c->out, "\n%s", h->details);
      return 0;
    }
    if (strncmp(a, "--", 2) != 0)
      return usage_error(c, "unexpected argument '%s'", a);
    const char *name = a + 2, *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    flag *f = NULL;
    for (int k = 0; k < n && !f; ++k)
      if (strlen(flags[k].name) == len && strncmp(flags[k].name, name, len) == 0)
        f = &flags[k];
    if (!f)
      return usage_error(c, "unknown flag '--%.*s' for '%s'", (int)len, name,
                         c->command);
    if (*f->set)
      return usage_error(c, "--%s given twice", f->name);
    *f->set = 1;
    if (!f->value) {
      if (eq)
        return usage_error(c, "--%s takes no value", f->name);
      continue;
    }
    if (eq) {
      *f->value = eq + 1;
    } else {
      if (i + 1 >= argc)
        return usage_error(c, "--%s needs a value", f->name);
      *f->value = argv[++i];
    }
    /* Every value is a path or a number: "--save ''" ended in a rename of
     * ".tmp.<pid>" over "". */
    if (!**f->value)
      return usage_error(c, "--%s: empty value", f->name);
  }
  return -1;
}

static int parse_i64(const char *s, int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (!*s || *end || errno)
    return 0;
  *out = v;
  return 1;
}

static int parse_u64(const char *s, uint64_t *out) {
  char *end;
  errno = 0;
  if (!*s || *s == '-')
    return 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (*end || errno)
    return 0;
  *out = v;
  return 1;
}

/* The team size of the compiled kernels, for the rest of the process:
 * --threads, else KILN_NUM_THREADS, else the cores of the affinity mask.
 * Returns -1 to go on, else an exit status. */
static int apply_threads(cli *c, const char *flag_value) {
  kiln_error e;
  int n;
  if (flag_value) {
    if (kiln_parse_threads(flag_value, "--threads", &n, &e))
      return usage_error(c, "%s", e.message);
  } else if (kiln_default_threads(&n, &e)) {
    return usage_error(c, "%s", e.message);
  }
  kiln_set_threads(n);
  return -1;
}

static int parse_f64(const char *s, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (!*s || *end || errno || !isfinite(v))
    return 0;
  *out = v;
  return 1;
}

/*---- Shared steps --------------------------------------------------------*/

typedef struct buffers {
  float *state;
  float *pstate;
  uint8_t *workspace;
} buffers;

static kiln_status alloc_model(const kiln_model *m, buffers *b, int prepared,
                               kiln_error *err) {
  memset(b, 0, sizeof *b);
  b->state = kiln_alloc_aligned((size_t)m->state_size * sizeof(float));
  b->workspace = kiln_alloc_aligned((size_t)m->workspace_size);
  if (prepared && m->prepare)
    b->pstate = kiln_alloc_aligned((size_t)m->predict_state_size *
                                   sizeof(float));
  if (!b->state || !b->workspace || (prepared && m->prepare && !b->pstate))
    return kiln_fail(err, KILN_ERR_MEMORY,
                     "out of memory for the model's buffers");
  return KILN_OK;
}

static void free_model(buffers *b) {
  free(b->state);
  free(b->pstate);
  free(b->workspace);
}

static const char *default_weights(const kiln_model *m, char *buf,
                                   size_t size) {
  snprintf(buf, size, "%s.safetensors", m->name);
  return buf;
}

/* The weights of eval and predict: the checkpoint given, else those
 * compiled into the model, else <model>.safetensors. Fills b->pstate too
 * when it is allocated: folded at compile time, or by prepare now. */
static kiln_status load_weights(const kiln_model *m, const char *path,
                                buffers *b, kiln_error *e) {
  if (!path && m->weights)
    return kiln_model_embedded_weights(m, b->state, b->pstate, e);
  char buf[1024];
  kiln_status st = kiln_safetensors_load(
      m, b->state, path ? path : default_weights(m, buf, sizeof buf), e);
  if (!st && b->pstate && m->prepare)
    m->prepare(b->state, b->workspace, b->pstate);
  return st;
}

static void format_eval(char *dst, size_t size, const char *prefix,
                        const kiln_model *m, const kiln_eval_result *r) {
  char loss[32], a[32], b[32];
  kiln_format_value(loss, sizeof loss, r->loss);
  if (m->target_kind != KILN_TARGET_REAL) {
    snprintf(dst, size, "%sloss %s  %saccuracy %.4f", prefix, loss, prefix,
             r->accuracy);
    return;
  }
  kiln_format_value(a, sizeof a, r->mse);
  kiln_format_value(b, sizeof b, r->mae);
  snprintf(dst, size, "%sloss %s  %smse %s  %smae %s  %sr2 %.4f", prefix, loss,
           prefix, a, prefix, b, prefix, r->r2);
}

static int has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

/*---- train ---------------------------------------------------------------*/

typedef struct train_args {
  const char *data, *val, *val_split, *test, *epochs, *steps, *init_from,
      *save, *seed, *patience, *metrics, *threads, *checkpoint, *every,
      *every_steps, *resume;
  int set[20];
} train_args;

/* SIGINT and SIGTERM while a run with a checkpoint trains: the handler
 * only sets the flag, which kiln_train polls at each step boundary; it
 * then writes the checkpoint and stops. SA_RESETHAND: a second signal
 * takes its default action (ends the process at once). SA_RESTART: a
 * write to a terminal or pipe that the signal interrupts goes on, rather
 * than failing with EINTR inside stdio. */
static volatile sig_atomic_t train_interrupted;

static void on_stop_signal(int sig) {
  (void)sig;
  train_interrupted = 1;
}

typedef struct stop_signals {
  struct sigaction old_int, old_term;
  int installed;
} stop_signals;

static void catch_stop_signals(stop_signals *s) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND | SA_RESTART;
  train_interrupted = 0;
  /* A signal the caller ignores (nohup, a background job) stays ignored. */
  s->installed = sigaction(SIGINT, NULL, &s->old_int) == 0 &&
                 sigaction(SIGTERM, NULL, &s->old_term) == 0;
  if (!s->installed)
    return;
  if (s->old_int.sa_handler != SIG_IGN)
    sigaction(SIGINT, &sa, NULL);
  if (s->old_term.sa_handler != SIG_IGN)
    sigaction(SIGTERM, &sa, NULL);
}

static void restore_stop_signals(stop_signals *s) {
  if (!s->installed)
    return;
  sigaction(SIGINT, &s->old_int, NULL);
  sigaction(SIGTERM, &s->old_term, NULL);
}

static int cmd_train(cli *c, int argc, char **argv) {
  const kiln_model *m = c->m;
  train_args a;
  memset(&a, 0, sizeof a);
  int no_shuffle = 0, no_es = 0, batch_report = 0, quiet = 0;
  flag flags[] = {
      {"data", &a.data, &a.set[0]},
      {"val", &a.val, &a.set[1]},
      {"val-split", &a.val_split, &a.set[2]},
      {"test", &a.test, &a.set[3]},
      {"epochs", &a.epochs, &a.set[4]},
      {"steps", &a.steps, &a.set[5]},
      {"init-from", &a.init_from, &a.set[6]},
      {"save", &a.save, &a.set[7]},
      {"seed", &a.seed, &a.set[8]},
      {"patience", &a.patience, &a.set[9]},
      {"metrics", &a.metrics, &a.set[10]},
      {"threads", &a.threads, &a.set[11]},
      {"checkpoint", &a.checkpoint, &a.set[12]},
      {"checkpoint-every", &a.every, &a.set[13]},
      {"checkpoint-every-steps", &a.every_steps, &a.set[14]},
      {"resume", &a.resume, &a.set[15]},
      {"no-shuffle", NULL, &no_shuffle},
      {"no-early-stopping", NULL, &no_es},
      {"batch-report", NULL, &batch_report},
      {"quiet", NULL, &quiet},
  };
  int rc = parse_flags(c, argc, argv, flags, sizeof flags / sizeof flags[0]);
  if (rc >= 0 || (rc = apply_threads(c, a.threads)) >= 0 ||
      (rc = check_trainable(c, "train")) >= 0)
    return rc;

  kiln_train_options o;
  kiln_train_options_default(m, &o);
  o.out = c->out;
  o.quiet = quiet;
  o.batch_report = batch_report;
  o.shuffle = !no_shuffle;
  o.metrics_path = a.metrics;
  if (no_es)
    o.early_stopping = 0;
  double val_split = m->val_split;
  if (a.epochs && (!parse_i64(a.epochs, &o.epochs) || o.epochs <= 0))
    return usage_error(c, "--epochs: expected a positive integer, got '%s'",
                       a.epochs);
  if (a.steps && (!parse_i64(a.steps, &o.steps) || o.steps <= 0))
    return usage_error(c, "--steps: expected a positive integer, got '%s'",
                       a.steps);
  if (a.epochs && a.steps)
    return usage_error(c, "give --epochs or --steps, not both");
  if (a.seed && !parse_u64(a.seed, &o.seed))
    return usage_error(c, "--seed: expected an unsigned integer, got '%s'",
                       a.seed);
  if (a.patience && (!parse_i64(a.patience, &o.patience) || o.patience < 1))
    return usage_error(c, "--patience: expected a positive integer, got '%s'",
                       a.patience);
  if (a.val_split &&
      (!parse_f64(a.val_split, &val_split) || val_split < 0 || val_split >= 1))
    return usage_error(c, "--val-split: expected a number in [0, 1), got '%s'",
                       a.val_split);
  if (a.val && a.val_split)
    return usage_error(c, "give --val or --val-split, not both");
  if (a.every && (!parse_i64(a.every, &o.checkpoint_every) ||
                  o.checkpoint_every <= 0))
    return usage_error(c,
                       "--checkpoint-every: expected a positive integer, got "
                       "'%s'",
                       a.every);
  if (a.every_steps && (!parse_i64(a.every_steps, &o.checkpoint_every_steps) ||
                        o.checkpoint_every_steps <= 0))
    return usage_error(c,
                       "--checkpoint-every-steps: expected a positive "
                       "integer, got '%s'",
                       a.every_steps);
  if ((a.every || a.every_steps) && !a.checkpoint && !a.resume)
    return usage_error(c, "--checkpoint-every%s needs --checkpoint FILE",
                       a.every ? "" : "-steps");
  if (a.resume && a.init_from)
    return usage_error(c, "give --resume or --init-from, not both");
  char save_buf[1024];
  const char *save = a.save ? a.save : default_weights(m, save_buf,
                                                       sizeof save_buf);
  const char *ckpt = a.checkpoint ? a.checkpoint : a.resume;
  if (ckpt && strcmp(ckpt, save) == 0)
    return usage_error(c, "the checkpoint and the weights must go to different "
                          "files (--checkpoint or --resume, and --save)");
  /* A resumed run writes its checkpoints back to the file it came from,
   * unless told otherwise. */
  o.checkpoint_path = ckpt;
  o.resume_path = a.resume;
  kiln_checkpoint_info ci = {0};
  if (a.resume) {
    /* The run's own settings, unless a flag gives them (kiln_train refuses
     * one that contradicts the checkpoint). The seed comes first: it
     * drives the validation split below. */
    kiln_error e;
    if (kiln_checkpoint_read_info(m, a.resume, &ci, &e))
      return fail(c, &e);
    if (!a.seed)
      o.seed = ci.seed;
    if (!no_shuffle)
      o.shuffle = ci.shuffle;
    if (!no_es)
      o.early_stopping = ci.early_stopping;
    if (!a.patience)
      o.patience = ci.patience;
    o.monitor = ci.monitor;
    o.min_delta = ci.min_delta;
    if (!a.epochs && !a.steps) {
      o.epochs = ci.epochs;
      o.steps = ci.steps;
    }
  }
  if (a.val)
    val_split = 0;
  const char *data = a.data ? a.data : m->train_path;
  if (!data)
    return usage_error(c, "--data is required (the spec names no training "
                          "data)");
  const char *test = a.test ? a.test : m->test_path;
  if (o.early_stopping && !a.val && !(val_split > 0)) {
    kiln_error e;
    kiln_fail(&e, KILN_ERR_ARGUMENT,
              "early stopping needs validation data: give --val or "
              "--val-split, or --no-early-stopping");
    return fail(c, &e);
  }

  kiln_error e;
  kiln_dataset all = {0}, train = {0}, val = {0}, testd = {0};
  buffers b = {0};
  kiln_status st;
  /* Everything that can fail on input is checked before training. */
  if ((st = kiln_dataset_load_csv(m, data, 1, &all, &e)))
    goto done;
  if (a.val) {
    train = all;
    memset(&all, 0, sizeof all);
    if ((st = kiln_dataset_load_csv(m, a.val, 1, &val, &e)))
      goto done;
  } else if ((st = kiln_dataset_split(&all, val_split, o.seed, &train, &val,
                                      &e))) {
    kiln_error_prefix(&e, "%s", data);
    goto done;
  }
  if (test && (st = kiln_dataset_load_csv(m, test, 1, &testd, &e)))
    goto done;
  if ((st = alloc_model(m, &b, 0, &e)))
    goto done;
  if (a.init_from)
    st = kiln_safetensors_load(m, b.state, a.init_from, &e);
  else if (!a.resume) /* else kiln_train loads the checkpoint's state */
    st = kiln_init_state(m, b.state, o.seed, &e);
  if (st)
    goto done;
  if (!quiet)
    fprintf(c->out, "training %s: %lld rows, %lld validation rows, batch "
                    "size %lld\n",
            m->name, (long long)train.rows, (long long)val.rows,
            (long long)m->batch_size);
  if (!quiet && a.resume)
    fprintf(c->out, "resuming from %s: %lld steps, %lld epochs and %lld "
                    "batches done\n",
            a.resume, (long long)ci.step, (long long)ci.epochs_done,
            (long long)ci.batches_done);
  kiln_train_result r;
  stop_signals sigs = {0};
  if (o.checkpoint_path) {
    catch_stop_signals(&sigs);
    o.interrupt = &train_interrupted;
  }
  st = kiln_train(m, b.state, b.workspace, &train, &val, &o, &r, &e);
  restore_stop_signals(&sigs);
  if (st) {
    if (st == KILN_ERR_NUMERIC || st == KILN_ERR_INTERRUPTED)
      kiln_error_prefix(&e, "training stopped (%s was not written)", save);
    if (st == KILN_ERR_INTERRUPTED && o.checkpoint_path) {
      size_t len = strlen(e.message);
      snprintf(e.message + len, sizeof e.message - len,
               "; continue with: %s train --resume %s", c->prog,
               o.checkpoint_path);
    }
    goto done;
  }
  if ((st = kiln_safetensors_save(m, b.state, save, &e)))
    goto done;
  if (!quiet)
    fprintf(c->out, "saved %s (%lld steps, %.1fs)\n", save, (long long)r.steps,
            r.seconds);
  if (!quiet && o.checkpoint_path)
    fprintf(c->out, "resumable checkpoint in %s\n", o.checkpoint_path);
  if (test) {
    kiln_eval_result tr;
    if ((st = kiln_evaluate(m, b.state, b.workspace, &testd, &tr, &e)))
      goto done;
    char line[256];
    format_eval(line, sizeof line, "test_", m, &tr);
    fprintf(c->out, "%s\n", line);
  }
done:
  kiln_dataset_free(&all);
  kiln_dataset_free(&train);
  kiln_dataset_free(&val);
  kiln_dataset_free(&testd);
  free_model(&b);
  return st ? fail(c, &e) : 0;
}

/*---- eval ----------------------------------------------------------------*/

static int cmd_eval(cli *c, int argc, char **argv) {
  const kiln_model *m = c->m;
  const char *weights = NULL, *data = NULL, *threads = NULL;
  int set[3] = {0};
  flag flags[] = {{"weights", &weights, &set[0]},
                  {"data", &data, &set[1]},
                  {"threads", &threads, &set[2]}};
  int rc = parse_flags(c, argc, argv, flags, 3);
  if (rc >= 0 || (rc = apply_threads(c, threads)) >= 0 ||
      (rc = check_trainable(c, "evaluate")) >= 0)
    return rc;
  if (!data)
    data = m->test_path;
  if (!data)
    return usage_error(c, "--data is required (the spec names no test data)");
  kiln_error e;
  kiln_dataset d = {0};
  buffers b = {0};
  kiln_eval_result r;
  kiln_status st;
  if (!(st = kiln_dataset_load_csv(m, data, 1, &d, &e)) &&
      !(st = alloc_model(m, &b, 0, &e)) &&
      !(st = load_weights(m, weights, &b, &e)) &&
      !(st = kiln_evaluate(m, b.state, b.workspace, &d, &r, &e))) {
    char line[256];
    format_eval(line, sizeof line, "", m, &r);
    fprintf(c->out, "%s\n", line);
  }
  kiln_dataset_free(&d);
  free_model(&b);
  return st ? fail(c, &e) : 0;
}

/*---- predict -------------------------------------------------------------*/

static void format_predictions(const kiln_model *m, const float *p,
                               int64_t rows, kiln_buf *o) {
  int64_t k = m->output_dim;
  switch (m->target_kind) {
  case KILN_TARGET_CLASS:
    kiln_buf_printf(o, "class");
    for (int64_t j = 0; j < k; ++j)
      kiln_buf_printf(o, ",p%lld", (long long)j);
    break;
  case KILN_TARGET_BINARY:
    kiln_buf_printf(o, "class,p");
    break;
  case KILN_TARGET_MULTILABEL:
    for (int64_t j = 0; j < k; ++j)
      kiln_buf_printf(o, "%sy%lld", j ? "," : "", (long long)j);
    for (int64_t j = 0; j < k; ++j)
      kiln_buf_printf(o, ",p%lld", (long long)j);
    break;
  default:
    for (int64_t j = 0; j < k; ++j)
      kiln_buf_printf(o, "%sy%lld", j ? "," : "", (long long)j);
    break;
  }
  kiln_buf_put(o, "\n", 1);
  for (int64_t r = 0; r < rows; ++r) {
    const float *row = p + r * k;
    if (m->target_kind == KILN_TARGET_CLASS) {
      int64_t best = 0;
      for (int64_t j = 1; j < k; ++j)
        if (row[j] > row[best])
          best = j;
      kiln_buf_printf(o, "%lld,", (long long)best);
    } else if (m->target_kind == KILN_TARGET_BINARY) {
      kiln_buf_printf(o, "%d,", row[0] >= 0.5f);
    } else if (m->target_kind == KILN_TARGET_MULTILABEL) {
      for (int64_t j = 0; j < k; ++j)
        kiln_buf_printf(o, "%d,", row[j] >= 0.5f);
    }
    for (int64_t j = 0; j < k; ++j)
      kiln_buf_printf(o, "%s%.9g", j ? "," : "", (double)row[j]);
    kiln_buf_put(o, "\n", 1);
  }
}

static kiln_status load_features(const kiln_model *m, const char *path,
                                 kiln_dataset *d, kiln_error *err) {
  if (!has_suffix(path, ".npy"))
    return kiln_dataset_load_csv(m, path, 0, d, err);
  kiln_matrix x;
  kiln_status st = kiln_npy_read(path, &x, err);
  if (st)
    return st;
  if (x.cols != m->input_dim) {
    /* kiln_matrix_free zeroes the shape: report it first. */
    st = kiln_fail(err, KILN_ERR_SHAPE,
                   "%s: shape [%lld, %lld], the model takes %lld inputs per "
                   "row",
                   path, (long long)x.rows, (long long)x.cols,
                   (long long)m->input_dim);
    kiln_matrix_free(&x);
    return st;
  }
  *d = (kiln_dataset){x.rows, x.cols, 0, x.data, NULL, NULL};
  return KILN_OK;
}

static int cmd_predict(cli *c, int argc, char **argv) {
  const kiln_model *m = c->m;
  const char *weights = NULL, *data = NULL, *output = NULL, *threads = NULL;
  int set[4] = {0};
  flag flags[] = {{"weights", &weights, &set[0]},
                  {"data", &data, &set[1]},
                  {"output", &output, &set[2]},
                  {"threads", &threads, &set[3]}};
  int rc = parse_flags(c, argc, argv, flags, 4);
  if (rc >= 0 || (rc = apply_threads(c, threads)) >= 0)
    return rc;
  if (!data)
    return usage_error(c, "--data is required");
  kiln_error e;
  kiln_dataset d = {0};
  buffers b = {0};
  float *pred = NULL;
  kiln_buf text = {0};
  kiln_status st;
  if ((st = load_features(m, data, &d, &e)) ||
      (st = alloc_model(m, &b, 1, &e)) ||
      (st = load_weights(m, weights, &b, &e)))
    goto done;
  if (!(pred = malloc((size_t)(d.rows * m->output_dim + 1) * sizeof *pred))) {
    st = kiln_fail(&e, KILN_ERR_MEMORY, "out of memory");
    goto done;
  }
  if ((st = kiln_predict_rows(m, m->prepare ? b.pstate : b.state, b.workspace,
                              d.x, d.rows, pred, &e)))
    goto done;
  kiln_c_locale loc;
  kiln_c_locale_begin(&loc);
  format_predictions(m, pred, d.rows, &text);
  kiln_c_locale_end(&loc);
  if (text.oom) {
    st = kiln_fail(&e, KILN_ERR_MEMORY, "out of memory");
  } else if (output) {
    kiln_chunk chunk = {text.data, text.len};
    st = kiln_write_file_atomic(output, &chunk, 1, &e);
  } else if (fwrite(text.data, 1, text.len, c->out) != text.len ||
             fflush(c->out) != 0) {
    st = kiln_fail(&e, KILN_ERR_IO, "cannot write to standard output");
  }
done:
  free(text.data);
  free(pred);
  kiln_dataset_free(&d);
  free_model(&b);
  return st ? fail(c, &e) : 0;
}

/*---- init ----------------------------------------------------------------*/

static int cmd_init(cli *c, int argc, char **argv) {
  const kiln_model *m = c->m;
  const char *seed_s = NULL, *save = NULL;
  int set[2] = {0};
  flag flags[] = {{"seed", &seed_s, &set[0]}, {"save", &save, &set[1]}};
  int rc = parse_flags(c, argc, argv, flags, 2);
  if (rc >= 0)
    return rc;
  uint64_t seed = (uint64_t)m->seed;
  if (seed_s && !parse_u64(seed_s, &seed))
    return usage_error(c, "--seed: expected an unsigned integer, got '%s'",
                       seed_s);
  char wbuf[1024];
  if (!save)
    save = default_weights(m, wbuf, sizeof wbuf);
  kiln_error e;
  buffers b = {0};
  kiln_status st;
  if (!(st = alloc_model(m, &b, 0, &e)) &&
      !(st = kiln_init_state(m, b.state, seed, &e)) &&
      !(st = kiln_safetensors_save(m, b.state, save, &e)))
    fprintf(c->out, "saved %s (seed %llu)\n", save, (unsigned long long)seed);
  free_model(&b);
  return st ? fail(c, &e) : 0;
}

/*---- info ----------------------------------------------------------------*/

static const char *role_name(int32_t role) {
  static const char *const names[] = {"param", "running_mean", "running_var",
                                      "optimizer"};
  return role >= 0 && role < 4 ? names[role] : "?";
}

static const char *target_name(int32_t kind) {
  static const char *const names[] = {"class", "binary", "multilabel", "real"};
  return kind >= 0 && kind < 4 ? names[kind] : "?";
}

static void print_bytes(FILE *f, const char *what, double bytes) {
  fprintf(f, "%-18s %.0f bytes (%.1f KiB, %.2f MiB)\n", what, bytes,
          bytes / 1024, bytes / (1024.0 * 1024.0));
}

static void print_column(FILE *f, const kiln_column *col) {
  if (col->name && col->index < 0)
    fprintf(f, " \"%s\"", col->name);
  else
    fprintf(f, " #%lld", (long long)col->index);
}

static int cmd_info(cli *c, int argc, char **argv) {
  const kiln_model *m = c->m;
  int rc = parse_flags(c, argc, argv, NULL, 0);
  if (rc >= 0)
    return rc;
  FILE *f = c->out;
  fprintf(f, "%-18s %s\n", "model", m->name);
  fprintf(f, "%-18s %lld\n", "input features", (long long)m->input_dim);
  fprintf(f, "%-18s %s, %lld column%s", "target", target_name(m->target_kind),
          (long long)m->target_dim, m->target_dim == 1 ? "" : "s");
  if (m->target_kind == KILN_TARGET_CLASS)
    fprintf(f, ", %lld classes", (long long)m->num_classes);
  fprintf(f, "\n%-18s %lld\n", "outputs", (long long)m->output_dim);
  fprintf(f, "%-18s %lld\n", "batch size", (long long)m->batch_size);
  fprintf(f, "%-18s %s\n", "optimizer", m->optimizer ? m->optimizer : "-");
  if (m->schedule)
    fprintf(f, "%-18s %s\n", "schedule", m->schedule);
  int64_t params = 0, saved = 0;
  int width = 4;
  for (int32_t t = 0; t < m->num_tensors; ++t)
    if ((int)strlen(m->tensors[t].name) > width)
      width = (int)strlen(m->tensors[t].name);
  fprintf(f, "tensors\n");
  for (int32_t t = 0; t < m->num_tensors; ++t) {
    const kiln_tensor_info *ti = &m->tensors[t];
    char shape[128];
    kiln_format_shape(shape, sizeof shape, ti->shape, ti->rank);
    fprintf(f, "  %-*s  %-14s %s\n", width, ti->name, shape,
            role_name(ti->role));
    if (ti->role == KILN_ROLE_PARAM)
      params += ti->numel;
    if (ti->role != KILN_ROLE_OPTIMIZER)
      saved += ti->numel;
  }
  fprintf(f, "%-18s %lld\n", "parameters", (long long)params);
  fprintf(f, "%-18s %lld floats\n", "saved", (long long)saved);
  fprintf(f, "%-18s %lld\n", "FLOPs per sample", (long long)m->flops_per_sample);
  print_bytes(f, "state", (double)m->state_size * 4);
  if (m->prepare)
    print_bytes(f, "predict state", (double)m->predict_state_size * 4);
  print_bytes(f, "workspace", (double)m->workspace_size);
  fprintf(f, "%-18s", "predict blocks");
  for (int32_t b = 0; b < m->num_predict_blocks; ++b)
    fprintf(f, " %lld", (long long)m->predict_blocks[b].rows);
  fprintf(f, " rows%s\n", m->train_step ? "" : " (predict only)");
  fprintf(f, "%-18s %s\n", "weights",
          m->weights ? (m->prepare ? "compiled in, folded" : "compiled in")
                     : "none compiled in (load a checkpoint)");
  fprintf(f, "%-18s %lld epochs, seed %lld, val_split %g\n", "training",
          (long long)m->epochs, (long long)m->seed, m->val_split);
  if (m->early_stopping)
    fprintf(f, "%-18s on val_%s, patience %lld, min_delta %g\n",
            "early stopping", kiln_metric_name(m->monitor),
            (long long)m->patience, m->min_delta);
  fprintf(f, "%-18s %s\n", "train data", m->train_path ? m->train_path : "-");
  fprintf(f, "%-18s %s\n", "test data", m->test_path ? m->test_path : "-");
  fprintf(f, "%-18s", "target columns");
  if (m->num_target_columns == 0)
    fprintf(f, " the last %lld", (long long)m->target_dim);
  for (int32_t k = 0; k < m->num_target_columns; ++k)
    print_column(f, &m->target_columns[k]);
  fprintf(f, "\n%-18s", "feature columns");
  if (m->num_feature_columns == 0)
    fprintf(f, " all others");
  for (int32_t k = 0; k < m->num_feature_columns; ++k)
    print_column(f, &m->feature_columns[k]);
  fputc('\n', f);
  return 0;
}

/*---- Dispatch ------------------------------------------------------------*/

static int dispatch(int argc, char **argv, const kiln_model *m, FILE *out,
                    FILE *errout) {
  cli c = {m, argc > 0 && argv[0] ? argv[0] : "model", NULL, out, errout};
  const char *slash = strrchr(c.prog, '/');
  if (slash)
    c.prog = slash + 1;
  kiln_error e;
  if (kiln_model_check(m, &e))
    return fail(&c, &e);
  if (argc < 2) {
    print_usage(errout, c.prog, m->name);
    return EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
      strcmp(cmd, "help") == 0) {
    print_usage(out, c.prog, m->name);
    return 0;
  }
  if (!find_help(cmd))
    return usage_error(&c, "unknown command '%s'", cmd);
  c.command = cmd;
  static const struct {
    const char *name;
    int (*run)(cli *, int, char **);
  } commands[] = {{"train", cmd_train},
                  {"eval", cmd_eval},
                  {"predict", cmd_predict},
                  {"init", cmd_init},
                  {"info", cmd_info}};
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; ++i)
    if (strcmp(commands[i].name, cmd) == 0)
      return commands[i].run(&c, argc - 2, argv + 2);
  return usage_error(&c, "unknown command '%s'", cmd);
}

int kiln_main_streams(int argc, char **argv, const kiln_model *m, FILE *out,
                      FILE *errout) {
  /* Flags and files use '.' decimals whatever locale a host program set. */
  kiln_c_locale loc;
  kiln_c_locale_begin(&loc);
  int rc = dispatch(argc, argv, m, out, errout);
  kiln_c_locale_end(&loc);
  /* Results printed to a full disk or a closed pipe must not exit 0. */
  int flushed = fflush(out), saved = errno;
  if (flushed != 0 || ferror(out)) {
    fprintf(errout, "error: cannot write to standard output%s%s\n",
            flushed ? ": " : "", flushed ? strerror(saved) : "");
    if (rc == 0)
      rc = EXIT_ERROR;
  }
  return rc;
}

int kiln_main(int argc, char **argv, const kiln_model *m) {
  return kiln_main_streams(argc, argv, m, stdout, stderr);
}
