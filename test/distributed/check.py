#!/usr/bin/python3
"""Data-parallel training on Open MPI against one process, on one machine.

    /usr/bin/python3 test/distributed/check.py --kiln build/bin/kiln [-k NAME]

Each case writes a small spec and CSV, builds it twice - plainly (one
process, train_step) and with `kiln build --distributed` - and checks what
docs/distributed.md promises:

- same_weights: for every optimizer (with dropout, weight decay, clip_norm
  and a schedule on the way), `mpirun -np 2` and `-np 3` on a global batch
  of B rows end with the weights of one process on B rows, to float32
  summation order: every element within TOL * max|w| of its tensor. An
  uneven split (batch 10 over 3 ranks: 3, 3, 4 rows) included.
- replicas: every run passes --check-replicas: after every step, all ranks'
  state bits are equal (the run fails otherwise).
- one_process: the --distributed executable run without mpirun writes the
  plain build's weights bit for bit.
- batch_norm: shards normalize with their own statistics (DDP's semantics);
  the running statistics are averaged, the ranks stay identical, and the
  loss goes down.
- early_stopping: validation is split over the ranks and its metrics
  summed: every rank stops at the epoch one process stops at, and the
  restored weights are one process's.
- resume: a checkpoint written by 2 ranks resumes on 3 and ends where an
  uninterrupted 2-rank run ends (to TOL).
- faults: a rank with a missing data file ends the job with a message
  naming that rank and the file, leaving the checkpoint of an earlier run
  intact; a rank killed (SIGKILL) mid-run ends the job with a non-zero
  exit, and the run resumes on 2 ranks from its last checkpoint; ranks
  given different options refuse to train; a plain build under mpirun
  refuses; ranks without a gradient block for their shard refuse, naming
  the rebuild.
- embedded: an application linked against `kiln build --emit=lib
  --distributed` (kiln_mpi_comm_init, kiln_train_options::comm) trains on
  2 ranks to the executable's bits.

Runs as root with --allow-run-as-root and --oversubscribe (3 ranks on 2
cores). Exits 1 if any check fails.
"""

import argparse
import json
import os
import shutil
import struct
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

# Relative to the largest magnitude of each tensor: summation order over
# ranks moves the last bits of a gradient; a dozen steps of Adam keep that
# near 1e-6 (measured worst: 4e-7).
TOL = 2e-5

MPIRUN = ["mpirun", "--allow-run-as-root", "--oversubscribe",
          "--mca", "pml", "ob1"]


def children(pid):
    """The processes whose parent is `pid`, from /proc (no procps needed)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open("/proc/%s/stat" % entry).read()
            except OSError:
                continue
            # pid (comm) state ppid ...: comm may hold spaces and parentheses.
            if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
                out.append(entry)
    return out


def load(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    header = json.loads(b[8:8 + n])
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        s, e = v["data_offsets"]
        out[k] = np.frombuffer(b[8 + n + s:8 + n + e], dtype=np.float32)
    return out


def worst(a, b):
    """The largest difference over the tensors, relative to each tensor's
    largest magnitude."""
    assert a.keys() == b.keys(), (sorted(a), sorted(b))
    return max(float(np.max(np.abs(a[k] - b[k])))
               / max(float(np.max(np.abs(a[k]))), 1e-12) for k in a)


def spec(name, batch, optimizer, layers="dense(12) -> relu -> dropout(0.2)",
         extra=""):
    return f"""model {name}
input x: [6]
target y: class(3)
logits = x -> {layers} -> dense(3)
loss cross_entropy(logits, y)
train {{
  optimizer = {optimizer}
  batch_size = {batch}
  {extra}
}}
"""


def write_data(path, rows, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 6)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(int) + (x[:, 2] > 0.5).astype(int)
    with open(path, "w") as f:
        f.write(",".join(f"f{i}" for i in range(6)) + ",target\n")
        for r in range(rows):
            f.write(",".join(f"{v:.5f}" for v in x[r]) + f",{y[r]}\n")


class Case:
    def __init__(self, kiln, root, name):
        self.kiln, self.dir, self.name = kiln, os.path.join(root, name), name
        os.makedirs(self.dir)
        self.failures = []

    def path(self, f):
        return os.path.join(self.dir, f)

    def build(self, text, distributed=None):
        with open(self.path("m.kiln"), "w") as f:
            f.write(text)
        exe = self.path("dp" if distributed else "one")
        cmd = [self.kiln, "build", self.path("m.kiln"), "-o", exe]
        if distributed:
            cmd.insert(2, "--distributed" +
                       ("" if distributed is True else "=" + distributed))
        subprocess.run(cmd, check=True)
        return exe

    def run(self, cmd, np_=None, ok=True):
        full = (MPIRUN + ["-np", str(np_)] if np_ else []) + cmd
        r = subprocess.run(full, cwd=self.dir, capture_output=True, text=True,
                           timeout=120)
        if ok and r.returncode != 0:
            raise RuntimeError(f"{' '.join(full)}: exit {r.returncode}\n"
                               f"{r.stdout}\n{r.stderr}")
        return r

    def check(self, cond, what):
        if not cond:
            self.failures.append(what)


def case_same_weights(c, optimizer, batch=12, ranks=(2, 3), extra=""):
    text = spec(c.name, batch, optimizer, extra=extra)
    one, dp = c.build(text), c.build(text, distributed=True)
    write_data(c.path("d.csv"), 96)
    train = ["train", "--data", "d.csv", "--steps", "14", "--quiet"]
    c.run([one] + train + ["--save", "one.st"])
    ref = load(c.path("one.st"))
    for n in ranks:
        c.run([dp] + train + ["--save", f"np{n}.st", "--check-replicas"], n)
        err = worst(ref, load(c.path(f"np{n}.st")))
        c.check(err <= TOL, f"np {n}: weights {err:.2e} from one process's")
        print(f"  {c.name} np {n}: worst relative difference {err:.1e}")
    # The distributed executable alone: the plain build, bit for bit.
    c.run([dp] + train + ["--save", "alone.st"])
    c.check(open(c.path("alone.st"), "rb").read() ==
            open(c.path("one.st"), "rb").read(),
            "the --distributed executable alone differs from the plain one")


def case_batch_norm(c):
    text = spec(c.name, 16, "adam(lr = 0.01)",
                layers="dense(12) -> batchnorm -> relu")
    dp = c.build(text, distributed="2")
    write_data(c.path("d.csv"), 160)
    r = c.run([dp, "train", "--data", "d.csv", "--epochs", "6",
               "--batch-report", "--check-replicas", "--save", "w.st"], 2)
    losses = [float(l.split("loss ")[1].split()[0])
              for l in r.stdout.splitlines() if l.startswith("step ")]
    c.check(len(losses) == 60, f"{len(losses)} steps reported, expected 60")
    c.check(np.mean(losses[-10:]) < 0.8 * np.mean(losses[:10]),
            f"the loss did not go down: {losses[:3]} ... {losses[-3:]}")
    w = load(c.path("w.st"))
    c.check(any("running_var" in k for k in w) and
            all(np.all(np.isfinite(v)) for v in w.values()),
            "no finite running statistics saved")


def case_early_stopping(c):
    extra = "early_stopping(monitor = val_loss, patience = 1)"
    text = spec(c.name, 12, "sgd(lr = 2.0)", extra=extra)
    one, dp = c.build(text), c.build(text, distributed="2")
    write_data(c.path("d.csv"), 120)
    train = ["train", "--data", "d.csv", "--val-split", "0.3", "--epochs",
             "40"]
    r1 = c.run([one] + train + ["--save", "one.st"])
    r2 = c.run([dp] + train + ["--save", "np2.st", "--check-replicas"], 2)

    def stop(out):
        return [l for l in out.splitlines()
                if l.startswith("early stopping") or l.startswith("restored")]
    c.check(stop(r1.stdout) and stop(r1.stdout) == stop(r2.stdout),
            f"one process: {stop(r1.stdout)}; 2 ranks: {stop(r2.stdout)}")
    err = worst(load(c.path("one.st")), load(c.path("np2.st")))
    c.check(err <= TOL, f"restored weights {err:.2e} from one process's")


def case_resume(c):
    text = spec(c.name, 12, "adam(lr = 0.01)")
    dp = c.build(text, distributed="2,3")
    write_data(c.path("d.csv"), 96)
    train = ["train", "--data", "d.csv", "--quiet"]
    c.run([dp] + train + ["--steps", "16", "--save", "straight.st"], 2)
    c.run([dp] + train + ["--steps", "8", "--checkpoint", "c.st",
                          "--save", "half.st"], 2)
    c.run([dp] + train + ["--steps", "16", "--resume", "c.st",
                          "--save", "resumed.st", "--check-replicas"], 3)
    err = worst(load(c.path("straight.st")), load(c.path("resumed.st")))
    c.check(err <= TOL, f"resumed on 3 ranks: {err:.2e} from 2 ranks' run")


def case_faults(c):
    text = spec(c.name, 12, "adam(lr = 0.01)")
    one, dp = c.build(text), c.build(text, distributed="2")
    write_data(c.path("d.csv"), 96)
    train = ["train", "--steps", "4", "--checkpoint", "c.st", "--save", "w.st"]
    c.run([dp] + train + ["--data", "d.csv"], 2)
    before = open(c.path("c.st"), "rb").read()
    # Rank 1 lacks its data (MPMD: one command per rank).
    r = c.run(MPIRUN + ["-np", "1", dp] + train + ["--data", "d.csv", ":",
                        "-np", "1", dp] + train + ["--data", "missing.csv"],
              ok=False)
    c.check(r.returncode != 0, "a rank without data: exit 0")
    c.check("rank 1" in r.stderr and "missing.csv" in r.stderr,
            f"no message naming rank 1 and the file:\n{r.stderr}")
    c.check(open(c.path("c.st"), "rb").read() == before,
            "the checkpoint of the earlier run changed")
    c.check(not [f for f in os.listdir(c.dir) if ".tmp." in f],
            "a temporary file was left behind")
    # A rank killed mid-run: mpirun ends the job, the last checkpoint is
    # whole, and the run resumes from it.
    job = subprocess.Popen(
        MPIRUN + ["-np", "2", dp, "train", "--data", "d.csv", "--epochs",
                  "100000", "--checkpoint", "k.st",
                  "--checkpoint-every-steps", "20", "--save", "k_w.st",
                  "--quiet"], cwd=c.dir, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    for _ in range(600):
        if os.path.exists(c.path("k.st")) or job.poll() is not None:
            break
        time.sleep(0.05)
    ranks = children(job.pid)
    c.check(len(ranks) == 2, f"mpirun's ranks: {ranks}")
    if ranks:
        os.kill(int(ranks[-1]), signal.SIGKILL)
    try:
        _, err = job.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        job.kill()
        _, err = job.communicate()
        c.check(False, "the job went on after a rank was killed")
    c.check(job.returncode != 0, "a killed rank: mpirun exited 0")
    c.check(not [f for f in os.listdir(c.dir) if ".tmp." in f],
            "a temporary file was left behind by the killed job")
    # Its position (--steps 1 is behind it: nothing to train), then 8 more
    # steps on 2 ranks.
    r = c.run([dp, "train", "--data", "d.csv", "--resume", "k.st", "--steps",
               "1", "--save", "k_w.st"], ok=False)
    done = [int(l.split(": ")[1].split()[0]) for l in r.stdout.splitlines()
            if l.startswith("resuming from k.st")]
    c.check(r.returncode == 0 and done,
            f"the checkpoint of the killed job does not load:\n{r.stderr}")
    if done:
        r = c.run([dp, "train", "--data", "d.csv", "--resume", "k.st",
                   "--steps", str(done[0] + 8), "--save", "k_w.st",
                   "--check-replicas"], 2, ok=False)
        c.check(r.returncode == 0 and f"({done[0] + 8} steps" in r.stdout,
                f"resuming the killed job on 2 ranks failed:\n{r.stdout}"
                f"{r.stderr}")
    # Different seeds.
    r = c.run(MPIRUN + ["-np", "1", dp, "train", "--data", "d.csv", "--seed",
                        "1", ":", "-np", "1", dp, "train", "--data", "d.csv",
                        "--seed", "2"], ok=False)
    c.check(r.returncode != 0 and "different data or options" in r.stderr,
            f"different seeds were not refused:\n{r.stderr}")
    # A plain build under mpirun.
    r = c.run([one, "train", "--data", "d.csv"], 2, ok=False)
    c.check(r.returncode != 0 and "without --distributed" in r.stderr,
            f"a plain build under mpirun was not refused:\n{r.stderr}")
    # No block for 3 ranks' shards (4 rows) in a build for 2.
    r = c.run([dp, "train", "--data", "d.csv"], 3, ok=False)
    c.check(r.returncode != 0 and "--distributed=3" in r.stderr,
            f"3 ranks of a build for 2 were not refused:\n{r.stderr}")


EMBED_C = r"""
#include "m.h"
#include "kiln_rt.h"
#include <stdio.h>

/* kiln_train on every rank of an mpirun job, as an application embeds it. */
int main(int argc, char **argv) {
  kiln_comm comm;
  kiln_error err;
  if (kiln_mpi_comm_init(&argc, &argv, &comm, &err)) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  const kiln_model *m = &m_model;
  kiln_dataset d = {0};
  float *state = kiln_alloc_aligned(m->state_size * sizeof(float));
  uint8_t *ws = kiln_alloc_aligned(m->workspace_size);
  kiln_train_options o;
  kiln_train_options_default(m, &o);
  o.steps = 14;
  o.quiet = 1;
  o.comm = &comm;
  o.check_replicas = 1;
  kiln_status st = kiln_dataset_load_csv(m, "d.csv", 1, &d, &err);
  if (!st)
    st = kiln_init_state(m, state, o.seed, &err);
  if (!st)
    st = kiln_train(m, state, ws, &d, NULL, &o, NULL, &err);
  if (!st && comm.rank == 0)
    st = kiln_safetensors_save(m, state, "embedded.st", &err);
  if (st)
    fprintf(stderr, "rank %d: %s\n", comm.rank, err.message);
  kiln_mpi_comm_finalize(&comm);
  return st ? 1 : 0;
}
"""


def case_embedded(c):
    """The C API: kiln_mpi_comm_init and kiln_train_options::comm in an
    application linked against the library build; the same bits as the
    executable on 2 ranks."""
    text = spec("m", 12, "adam(lr = 0.01)")
    dp = c.build(text, distributed="2")
    write_data(c.path("d.csv"), 96)
    lib = c.path("lib")
    subprocess.run([c.kiln, "build", "--emit=lib", "--distributed=2",
                    c.path("m.kiln"), "-o", lib], check=True)
    header = open(os.path.join(lib, "m.h")).read()
    c.check("libkiln_rt_mpi.a" in header, "the header does not say what to link")
    with open(c.path("app.c"), "w") as f:
        f.write(EMBED_C)
    subprocess.run(["mpicc", "-O2", "-o", c.path("app"), c.path("app.c"),
                    "-I" + lib, os.path.join(lib, "m.o"),
                    os.path.join(lib, "libkiln_rt_mpi.a"),
                    os.path.join(lib, "libkiln_rt.a"), "-lm", "-lpthread",
                    "-l:libomp.so.5"], check=True)
    c.run([c.path("app")], 2)
    c.run([dp, "train", "--data", "d.csv", "--steps", "14", "--quiet",
           "--save", "exe.st"], 2)
    c.check(open(c.path("embedded.st"), "rb").read() ==
            open(c.path("exe.st"), "rb").read(),
            "the embedded run differs from the executable's")


CASES = {
    "sgd": lambda c: case_same_weights(c, "sgd(lr = 0.1)"),
    "momentum": lambda c: case_same_weights(
        c, "momentum(lr = 0.05, momentum = 0.9)",
        extra="weight_decay = 0.01"),
    "nesterov": lambda c: case_same_weights(
        c, "nesterov(lr = 0.05, momentum = 0.9)", extra="clip_norm = 0.5"),
    "adam": lambda c: case_same_weights(
        c, "adam(lr = 0.01)",
        extra="schedule = cosine(t_max = 14, per = step)"),
    "adamw_uneven": lambda c: case_same_weights(
        c, "adamw(lr = 0.01, weight_decay = 0.1)", batch=10, ranks=(3,)),
    "rmsprop": lambda c: case_same_weights(c, "rmsprop(lr = 0.01)"),
    "adagrad": lambda c: case_same_weights(c, "adagrad(lr = 0.1)"),
    "batch_norm": case_batch_norm,
    "early_stopping": case_early_stopping,
    "resume": case_resume,
    "faults": case_faults,
    "embedded": case_embedded,
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kiln", required=True)
    p.add_argument("-k", action="append", help="run only these cases")
    p.add_argument("--keep", help="keep the cases' files in this folder")
    a = p.parse_args()
    if not shutil.which("mpirun"):
        print("error: no mpirun (scripts/setup.sh installs openmpi-bin)")
        return 1
    root = a.keep or tempfile.mkdtemp(prefix="kiln-distributed-")
    if a.keep:
        shutil.rmtree(root, ignore_errors=True)
        os.makedirs(root)
    failed = 0
    try:
        for name, run in CASES.items():
            if a.k and name not in a.k:
                continue
            c = Case(os.path.abspath(a.kiln), root, name)
            try:
                run(c)
            except Exception as e:  # a run that should have worked
                c.failures.append(str(e))
            print(f"{'FAIL' if c.failures else 'ok  '} {name}")
            for f in c.failures:
                print("    " + f.replace("\n", "\n    "))
            failed += bool(c.failures)
    finally:
        if not a.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(f"{failed} of {len(a.k or CASES)} cases failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
