/*===- cli.c - The command line of a compiled model -----------------------===*
 *
 * kiln_main is the whole program of a standalone executable: the compiler
 * emits `int main(int argc, char **argv) { return kiln_main(argc, argv,
 * &<model>_model); }`. This file is its usage text, flag parsing, the steps
 * the commands share and the dispatch; the commands are in cli_train.c and
 * cli_commands.c.
 *
 *===----------------------------------------------------------------------===*/

#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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
     "            [--targets Y.npy] [--val-targets Y.npy] [--test-targets "
     "Y.npy]\n"
     "            [--epochs N | --steps N] [--init-from W.safetensors]\n"
     "            [--save W.safetensors] [--seed S] [--no-shuffle]\n"
     "            [--no-early-stopping] [--patience N] [--metrics FILE]\n"
     "            [--checkpoint FILE [--checkpoint-every N]\n"
     "            [--checkpoint-every-steps N]] [--resume FILE]\n"
     "            [--batch-report] [--quiet] [--threads N] "
     "[--check-replicas]\n"
     "            [--plot CURVES.svg]",
     "Trains the model and saves its weights.\n"
     "  --data FILE        training CSV (default: the spec's train path),\n"
     "                     or .npy features with --targets Y.npy (or the\n"
     "                     spec's target columns, by index)\n"
     "  --targets, --val-targets, --test-targets FILE\n"
     "                     .npy targets of --data, --val, --test\n"
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
     "  --plot FILE.svg    draw the losses, the validation metric and the\n"
     "                     learning rate per epoch, and the best epoch\n"
     "  --batch-report     print the loss of every step\n"
     "  --quiet            print only errors and the test result\n"
     THREADS_HELP
     "  --check-replicas   under mpirun (a --distributed build): check after\n"
     "                     every step that all ranks hold the same state\n"},
    {"eval",
     "eval [--weights W.safetensors] [--data FILE [--targets Y.npy]]\n"
     "            [--threads N]",
     "Prints the loss and metrics of the weights on a labelled CSV.\n"
     "  --weights W        weights (default: those compiled in, else "
     "<model>.safetensors)\n"
     "  --data FILE        CSV with targets (default: the spec's test path),\n"
     "                     or .npy features\n"
     "  --targets FILE     the .npy targets of .npy features (else the\n"
     "                     spec's target columns, by index)\n"
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
    {"plot", "plot --metrics FILE [--output CURVES.svg]",
     "Draws a run's metrics file (train --metrics) as an SVG.\n"
     "  --metrics FILE     the metrics file\n"
     "  --output FILE      where to write (default: FILE with .svg for "
     "its extension)\n"},
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

int kiln_cli_usage_error(cli *c, const char *fmt, ...) {
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

int kiln_cli_fail(cli *c, const kiln_error *e) {
  /* In a job, the rank that failed; messages of collectives name it. */
  if (c->comm && strncmp(e->message, "rank ", 5) != 0)
    fprintf(c->err, "error: rank %d: %s\n", c->comm->rank, e->message);
  else
    fprintf(c->err, "error: %s\n", e->message);
  return EXIT_ERROR;
}

/* Before any data is read: a --predict-only build cannot train or
 * evaluate. -1 when it can. */
int kiln_cli_check_trainable(cli *c, const char *what) {
  kiln_error e;
  return kiln_model_check_trainable(c->m, what, &e) ? kiln_cli_fail(c, &e) : -1;
}

/*---- Flags ---------------------------------------------------------------*/


/* --name VALUE, --name=VALUE and switches; -h/--help. Returns -1 to go on,
 * else an exit status. */
int kiln_cli_parse_flags(cli *c, int argc, char **argv, flag *flags, int n) {
  for (int i = 0; i < argc; ++i) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      const command_help *h = find_help(c->command);
      print_command_usage(c->out, c->prog, h);
      fprintf(c->out, "\n%s", h->details);
      return 0;
    }
    if (strncmp(a, "--", 2) != 0)
      return kiln_cli_usage_error(c, "unexpected argument '%s'", a);
    const char *name = a + 2, *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    flag *f = NULL;
    for (int k = 0; k < n && !f; ++k)
      if (strlen(flags[k].name) == len && strncmp(flags[k].name, name, len) == 0)
        f = &flags[k];
    if (!f)
      return kiln_cli_usage_error(c, "unknown flag '--%.*s' for '%s'", (int)len, name,
                         c->command);
    if (*f->set)
      return kiln_cli_usage_error(c, "--%s given twice", f->name);
    *f->set = 1;
    if (!f->value) {
      if (eq)
        return kiln_cli_usage_error(c, "--%s takes no value", f->name);
      continue;
    }
    if (eq) {
      *f->value = eq + 1;
    } else {
      if (i + 1 >= argc)
        return kiln_cli_usage_error(c, "--%s needs a value", f->name);
      *f->value = argv[++i];
    }
    /* Every value is a path or a number: "--save ''" ended in a rename of
     * ".tmp.<pid>" over "". */
    if (!**f->value)
      return kiln_cli_usage_error(c, "--%s: empty value", f->name);
  }
  return -1;
}

int kiln_cli_parse_i64(const char *s, int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (!*s || *end || errno)
    return 0;
  *out = v;
  return 1;
}

int kiln_cli_parse_u64(const char *s, uint64_t *out) {
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
int kiln_cli_apply_threads(cli *c, const char *flag_value) {
  kiln_error e;
  int n;
  if (flag_value) {
    if (kiln_parse_threads(flag_value, "--threads", &n, &e))
      return kiln_cli_usage_error(c, "%s", e.message);
  } else if (kiln_default_threads(&n, &e)) {
    return kiln_cli_usage_error(c, "%s", e.message);
  } else if (c->comm && !getenv("KILN_NUM_THREADS")) {
    /* The ranks on this machine share its cores (mpirun binds each rank to
     * its own core when there are enough, and then n is 1 already). */
    int local = c->comm->local_size > 0 ? c->comm->local_size : 1;
    n = n / local > 0 ? n / local : 1;
  }
  kiln_set_threads(n);
  return -1;
}

int kiln_cli_parse_f64(const char *s, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (!*s || *end || errno || !isfinite(v))
    return 0;
  *out = v;
  return 1;
}

/*---- Shared steps --------------------------------------------------------*/


kiln_status kiln_cli_alloc_model(const kiln_model *m, buffers *b, int prepared,
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

void kiln_cli_free_model(buffers *b) {
  free(b->state);
  free(b->pstate);
  free(b->workspace);
}

const char *kiln_cli_default_weights(const kiln_model *m, char *buf,
                                   size_t size) {
  snprintf(buf, size, "%s.safetensors", m->name);
  return buf;
}

/* The weights of eval and predict: the checkpoint given, else those
 * compiled into the model, else <model>.safetensors. Fills b->pstate too
 * when it is allocated: folded at compile time, or by prepare now. */
kiln_status kiln_cli_load_weights(const kiln_model *m, const char *path,
                                buffers *b, kiln_error *e) {
  if (!path && m->weights)
    return kiln_model_embedded_weights(m, b->state, b->pstate, e);
  char buf[1024];
  kiln_status st = kiln_safetensors_load(
      m, b->state, path ? path : kiln_cli_default_weights(m, buf, sizeof buf), e);
  if (!st && b->pstate && m->prepare)
    m->prepare(b->state, b->workspace, b->pstate);
  return st;
}

void kiln_cli_format_eval(char *dst, size_t size, const char *prefix,
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

int kiln_cli_has_suffix(const char *s, const char *suffix) {
  return kiln_has_suffix(s, suffix);
}

/*---- Dispatch ------------------------------------------------------------*/

static int dispatch(int argc, char **argv, const kiln_model *m,
                    const kiln_comm *comm, FILE *out, FILE *errout) {
  cli c = {m, argc > 0 && argv[0] ? argv[0] : "model", NULL, out, errout,
           comm && comm->size > 1 ? comm : NULL};
  const char *slash = strrchr(c.prog, '/');
  if (slash)
    c.prog = slash + 1;
  kiln_error e;
  if (kiln_model_check(m, &e))
    return kiln_cli_fail(&c, &e);
  /* mpirun's processes of a model without MPI would each train alone and
   * write the same files. */
  const char *job = getenv("OMPI_COMM_WORLD_SIZE");
  if (!comm && job && atoi(job) > 1) {
    kiln_fail(&e, KILN_ERR_ARGUMENT,
              "started by mpirun as one of %s processes, but model \"%s\" "
              "was built without --distributed: it runs in one process "
              "(rebuild it with kiln build --distributed)",
              job, m->name);
    return kiln_cli_fail(&c, &e);
  }
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
    return kiln_cli_usage_error(&c, "unknown command '%s'", cmd);
  c.command = cmd;
  static const struct {
    const char *name;
    int (*run)(cli *, int, char **);
  } commands[] = {{"train", kiln_cli_train},
                  {"eval", kiln_cli_eval},
                  {"predict", kiln_cli_predict},
                  {"init", kiln_cli_init},
                  {"info", kiln_cli_info},
                  {"plot", kiln_cli_plot}};
  /* Only training is shared by the ranks of a job; anything else would
   * print or write once per rank. */
  if (c.comm && c.comm->rank != 0 && strcmp(cmd, "train") != 0)
    return 0;
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; ++i)
    if (strcmp(commands[i].name, cmd) == 0)
      return commands[i].run(&c, argc - 2, argv + 2);
  return kiln_cli_usage_error(&c, "unknown command '%s'", cmd);
}

int kiln_main_streams(int argc, char **argv, const kiln_model *m, FILE *out,
                      FILE *errout) {
  return kiln_main_with(argc, argv, m, NULL, out, errout);
}

int kiln_main_with(int argc, char **argv, const kiln_model *m,
                   const kiln_comm *comm, FILE *out, FILE *errout) {
  /* Flags and files use '.' decimals whatever locale a host program set. */
  kiln_c_locale loc;
  kiln_c_locale_begin(&loc);
  int rc = dispatch(argc, argv, m, comm, out, errout);
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

int kiln_main_comm(int argc, char **argv, const kiln_model *m,
                   const kiln_comm *comm) {
  return kiln_main_with(argc, argv, m, comm, stdout, stderr);
}
