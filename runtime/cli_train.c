/*===- cli_train.c - `train`: data, initial state, the run, the weights ---===*/

#include "cli.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

typedef struct train_args {
  const char *data, *val, *val_split, *test, *epochs, *steps, *init_from,
      *save, *seed, *patience, *metrics, *threads, *checkpoint, *every,
      *every_steps, *resume, *plot, *targets, *val_targets, *test_targets;
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

/* Draws the run's metrics file as `path`, also after a run that stopped
 * (its curves show why). `own`: the metrics file was --plot's, and goes. */
static kiln_status plot_run(cli *c, const kiln_train_options *o,
                            const char *path, int64_t best_epoch, int own,
                            kiln_error *e) {
  kiln_curves curves;
  kiln_status st = kiln_curves_read(o->metrics_path, &curves, e);
  if (!st) {
    st = kiln_curves_svg(&curves, c->m->name, best_epoch, path, e);
    kiln_curves_free(&curves);
  }
  if (own)
    remove(o->metrics_path);
  if (!st && !o->quiet)
    fprintf(c->out, "plotted %s\n", path);
  return st;
}

int kiln_cli_train(cli *c, int argc, char **argv) {
  const kiln_model *m = c->m;
  train_args a;
  memset(&a, 0, sizeof a);
  int no_shuffle = 0, no_es = 0, batch_report = 0, quiet = 0,
      check_replicas = 0;
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
      {"plot", &a.plot, &a.set[16]},
      {"targets", &a.targets, &a.set[17]},
      {"val-targets", &a.val_targets, &a.set[18]},
      {"test-targets", &a.test_targets, &a.set[19]},
      {"no-shuffle", NULL, &no_shuffle},
      {"no-early-stopping", NULL, &no_es},
      {"batch-report", NULL, &batch_report},
      {"quiet", NULL, &quiet},
      {"check-replicas", NULL, &check_replicas},
  };
  int rc = kiln_cli_parse_flags(c, argc, argv, flags, sizeof flags / sizeof flags[0]);
  if (rc >= 0 || (rc = kiln_cli_apply_threads(c, a.threads)) >= 0 ||
      (rc = kiln_cli_check_trainable(c, "train")) >= 0)
    return rc;

  /* In a job of several ranks, rank 0 alone prints and writes. */
  int writer = !c->comm || c->comm->rank == 0;
  if (!writer)
    quiet = 1;
  kiln_train_options o;
  kiln_train_options_default(m, &o);
  o.comm = c->comm;
  /* mpirun hands the ranks a pseudo-terminal, whatever rank 0's output
   * goes to: a progress bar would end up in files as escape codes. */
  if (c->comm)
    o.tty = 0;
  o.check_replicas = check_replicas;
  o.out = c->out;
  o.quiet = quiet;
  o.batch_report = batch_report;
  o.shuffle = !no_shuffle;
  o.metrics_path = a.metrics;
  /* --plot draws from the metrics file: the one asked for, else one of its
   * own next to the plot, removed afterwards. */
  char plot_metrics[1024];
  if (a.plot && !a.metrics && writer) {
    snprintf(plot_metrics, sizeof plot_metrics, "%s.metrics.csv", a.plot);
    o.metrics_path = plot_metrics;
  }
  if (no_es)
    o.early_stopping = 0;
  double val_split = m->val_split;
  if (a.epochs && (!kiln_cli_parse_i64(a.epochs, &o.epochs) || o.epochs <= 0))
    return kiln_cli_usage_error(c, "--epochs: expected a positive integer, got '%s'",
                       a.epochs);
  if (a.steps && (!kiln_cli_parse_i64(a.steps, &o.steps) || o.steps <= 0))
    return kiln_cli_usage_error(c, "--steps: expected a positive integer, got '%s'",
                       a.steps);
  if (a.epochs && a.steps)
    return kiln_cli_usage_error(c, "give --epochs or --steps, not both");
  if (a.seed && !kiln_cli_parse_u64(a.seed, &o.seed))
    return kiln_cli_usage_error(c, "--seed: expected an unsigned integer, got '%s'",
                       a.seed);
  if (a.patience && (!kiln_cli_parse_i64(a.patience, &o.patience) || o.patience < 1))
    return kiln_cli_usage_error(c, "--patience: expected a positive integer, got '%s'",
                       a.patience);
  if (a.val_split &&
      (!kiln_cli_parse_f64(a.val_split, &val_split) || val_split < 0 || val_split >= 1))
    return kiln_cli_usage_error(c, "--val-split: expected a number in [0, 1), got '%s'",
                       a.val_split);
  if (a.val && a.val_split)
    return kiln_cli_usage_error(c, "give --val or --val-split, not both");
  if (a.every && (!kiln_cli_parse_i64(a.every, &o.checkpoint_every) ||
                  o.checkpoint_every <= 0))
    return kiln_cli_usage_error(c,
                       "--checkpoint-every: expected a positive integer, got "
                       "'%s'",
                       a.every);
  if (a.every_steps && (!kiln_cli_parse_i64(a.every_steps, &o.checkpoint_every_steps) ||
                        o.checkpoint_every_steps <= 0))
    return kiln_cli_usage_error(c,
                       "--checkpoint-every-steps: expected a positive "
                       "integer, got '%s'",
                       a.every_steps);
  if ((a.every || a.every_steps) && !a.checkpoint && !a.resume)
    return kiln_cli_usage_error(c, "--checkpoint-every%s needs --checkpoint FILE",
                       a.every ? "" : "-steps");
  if (a.resume && a.init_from)
    return kiln_cli_usage_error(c, "give --resume or --init-from, not both");
  char save_buf[1024];
  const char *save = a.save ? a.save : kiln_cli_default_weights(m, save_buf,
                                                       sizeof save_buf);
  const char *ckpt = a.checkpoint ? a.checkpoint : a.resume;
  if (ckpt && strcmp(ckpt, save) == 0)
    return kiln_cli_usage_error(c, "the checkpoint and the weights must go to different "
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
      return kiln_cli_fail(c, &e);
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
  if ((a.val_targets && !a.val) || (a.test_targets && !a.test))
    return kiln_cli_usage_error(c, "--%s-targets goes with --%s",
                                a.val_targets && !a.val ? "val" : "test",
                                a.val_targets && !a.val ? "val" : "test");
  if (a.val)
    val_split = 0;
  const char *data = a.data ? a.data : m->train_path;
  if (!data)
    return kiln_cli_usage_error(c, "--data is required (the spec names no training "
                          "data)");
  const char *test = a.test ? a.test : m->test_path;
  if (o.early_stopping && !a.val && !(val_split > 0)) {
    kiln_error e;
    kiln_fail(&e, KILN_ERR_ARGUMENT,
              "early stopping needs validation data: give --val or "
              "--val-split, or --no-early-stopping");
    return kiln_cli_fail(c, &e);
  }

  kiln_error e;
  kiln_dataset all = {0}, train = {0}, val = {0}, testd = {0};
  buffers b = {0};
  kiln_status st;
  /* Everything that can fail on input is checked before training. */
  if ((st = kiln_dataset_load(m, data, a.targets, &all, &e)))
    goto done;
  if (a.val) {
    train = all;
    memset(&all, 0, sizeof all);
    if ((st = kiln_dataset_load(m, a.val, a.val_targets, &val, &e)))
      goto done;
  } else if (val_split == 0) {
    /* All of it trains: the rows move, no copy. */
    train = all;
    memset(&all, 0, sizeof all);
  } else if ((st = kiln_dataset_split_move(&all, val_split, o.seed, &train,
                                           &val, &e))) {
    kiln_error_prefix(&e, "%s", data);
    goto done;
  }
  if (test && (st = kiln_dataset_load(m, test, a.test_targets, &testd, &e)))
    goto done;
  if ((st = kiln_cli_alloc_model(m, &b, 0, &e)))
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
  /* The weights come first: a plot that cannot be written fails the
   * command after they are saved; after a failed run it is only a note
   * beside the run's error. */
  kiln_error plot_err;
  kiln_status plot_st =
      a.plot && writer ? plot_run(c, &o, a.plot, st ? 0 : r.best_epoch,
                                  a.metrics == NULL, &plot_err)
                       : KILN_OK;
  if (plot_st && st)
    fprintf(c->err, "note: %s\n", plot_err.message);
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
  if (writer && (st = kiln_safetensors_save(m, b.state, save, &e)))
    goto done;
  if (!quiet)
    fprintf(c->out, "saved %s (%lld steps, %.1fs)\n", save, (long long)r.steps,
            r.seconds);
  if (!quiet && o.checkpoint_path)
    fprintf(c->out, "resumable checkpoint in %s\n", o.checkpoint_path);
  if (test) {
    kiln_eval_result tr;
    if ((st = kiln_evaluate_comm(m, b.state, b.workspace, &testd, c->comm,
                                 &tr, &e)))
      goto done;
    char line[256];
    kiln_cli_format_eval(line, sizeof line, "test_", m, &tr);
    if (writer)
      fprintf(c->out, "%s\n", line);
  }
  if (plot_st) {
    e = plot_err;
    st = plot_st;
  }
done:
  kiln_dataset_free(&all);
  kiln_dataset_free(&train);
  kiln_dataset_free(&val);
  kiln_dataset_free(&testd);
  kiln_cli_free_model(&b);
  return st ? kiln_cli_fail(c, &e) : 0;
}

