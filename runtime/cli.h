/*===- cli.h - The command line's parts, shared by its commands ----------===*
 *
 * Internal to the runtime: cli.c parses flags, prints usage and dispatches;
 * cli_train.c and cli_commands.c are the commands. Every function returns
 * an exit status (0, KILN_EXIT_ERROR, KILN_EXIT_USAGE) or a kiln_status,
 * never exits, so that the whole command line runs in tests.
 *
 *===----------------------------------------------------------------------===*/

#ifndef KILN_RUNTIME_CLI_H
#define KILN_RUNTIME_CLI_H

#include "rt_internal.h"

enum { EXIT_ERROR = 1, EXIT_USAGE = 2 };

typedef struct cli {
  const kiln_model *m;
  const char *prog;
  const char *command;
  FILE *out, *err;
  const kiln_comm *comm; /* a job of several ranks, else NULL */
} cli;

typedef struct flag {
  const char *name;  /* without the leading "--" */
  const char **value; /* NULL for a switch */
  int *set;
} flag;

typedef struct buffers {
  float *state;
  float *pstate;
  uint8_t *workspace;
} buffers;

/*---- cli.c ---------------------------------------------------------------*/

/* "error: <message>" and the command's usage on c->err; EXIT_USAGE. */
int kiln_cli_usage_error(cli *c, const char *fmt, ...) KILN_PRINTF(2, 3);
/* "error: <message>" on c->err; EXIT_ERROR. */
int kiln_cli_fail(cli *c, const kiln_error *e);
/* 0, or the error of a --predict-only build asked to `what`. */
int kiln_cli_check_trainable(cli *c, const char *what);
/* --name VALUE, --name=VALUE and switches; -h/--help. Returns -1 to go on,
 * else an exit status. */
int kiln_cli_parse_flags(cli *c, int argc, char **argv, flag *flags, int n);
/* 1 when `s` is a whole number (decimal; u64 also 0x hex), else 0. */
int kiln_cli_parse_i64(const char *s, int64_t *out);
int kiln_cli_parse_u64(const char *s, uint64_t *out);
int kiln_cli_parse_f64(const char *s, double *out);
/* --threads (or KILN_NUM_THREADS, else the cores) for the rest of the
 * process; -1 to go on, else an exit status. */
int kiln_cli_apply_threads(cli *c, const char *flag_value);

kiln_status kiln_cli_alloc_model(const kiln_model *m, buffers *b, int prepared,
                                 kiln_error *err);
void kiln_cli_free_model(buffers *b);
/* "<model>.safetensors" in buf. */
const char *kiln_cli_default_weights(const kiln_model *m, char *buf,
                                     size_t size);
/* The weights of eval and predict: the checkpoint given, else those
 * compiled into the model, else <model>.safetensors; fills b->pstate too
 * when it is allocated. */
kiln_status kiln_cli_load_weights(const kiln_model *m, const char *path,
                                  buffers *b, kiln_error *e);
/* "loss 0.1234  accuracy 0.9722" (or the regression metrics), each name
 * after `prefix`. */
void kiln_cli_format_eval(char *dst, size_t size, const char *prefix,
                          const kiln_model *m, const kiln_eval_result *r);
int kiln_cli_has_suffix(const char *s, const char *suffix);

/*---- The commands: (argc, argv) after the command's name -----------------*/

int kiln_cli_train(cli *c, int argc, char **argv); /* cli_train.c */
int kiln_cli_eval(cli *c, int argc, char **argv);  /* cli_commands.c */
int kiln_cli_predict(cli *c, int argc, char **argv);
int kiln_cli_init(cli *c, int argc, char **argv);
int kiln_cli_info(cli *c, int argc, char **argv);
int kiln_cli_plot(cli *c, int argc, char **argv);

#endif /* KILN_RUNTIME_CLI_H */
