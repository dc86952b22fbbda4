#!/usr/bin/python3
"""Data-parallel training: 1 process on 1 core against 2 ranks on 2 cores.

    /usr/bin/python3 bench/distributed/bench.py --kiln build/bin/kiln --out DIR

For each model (bench/threads/mlp_bn_gelu.kiln, 784-512-512-10 with batch
norm, gelu and dropout, batch 128; bench/threads/mlp_wide.kiln,
1024-2048-2048-1024, batch 256), builds the plain executable and a
`--distributed=2` one, writes random training data (NumPy, fixed seed), and
runs, alternating, ROUNDS times each:

- one process: `taskset -c 0 ./plain train --threads 1`;
- two ranks: `mpirun -np 2 ./dp train --threads 1` (Open MPI binds each
  rank to its own core).

Samples/s come from the metrics file's per-epoch seconds, the first epoch
(warm-up: page faults, first touches) left out; the allreduce time from
the ranks' "data parallel" line. Prints the median of each and the ratio.
"""

import argparse
import csv
import os
import re
import statistics
import subprocess

import numpy as np

ROUNDS = 5
MPIRUN = ["mpirun", "--allow-run-as-root", "--mca", "pml", "ob1",
          "--bind-to", "core"]
# model: (spec, inputs, target columns, class target, steps per epoch, epochs)
MODELS = {
    "mlp_bn_gelu": ("bench/threads/mlp_bn_gelu.kiln", 784, 1, True, 40, 4),
    "mlp_wide": ("bench/threads/mlp_wide.kiln", 1024, 1024, False, 8, 3),
}


def batch_size(spec):
    return int(re.search(r"batch_size\s*=\s*(\d+)", open(spec).read())[1])


def write_data(path, rows, inputs, targets, classes):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, inputs)).astype(np.float32)
    y = (rng.integers(0, 10, size=(rows, 1)) if classes
         else rng.normal(size=(rows, targets)))
    names = [f"f{i}" for i in range(inputs)] + (
        ["target"] if classes else [f"t{i}" for i in range(targets)])
    np.savetxt(path, np.hstack([x, y]), delimiter=",", fmt="%.4g",
               header=",".join(names), comments="")


def samples_per_second(metrics, batch, steps_per_epoch):
    with open(metrics) as f:
        seconds = [float(r["seconds"]) for r in csv.DictReader(f)][1:]
    return batch * steps_per_epoch * len(seconds) / sum(seconds)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kiln", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1",
               OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    for name, (spec, inputs, targets, classes, steps, epochs) in MODELS.items():
        d = os.path.join(a.out, name)
        os.makedirs(d, exist_ok=True)
        plain, dp = os.path.join(d, "plain"), os.path.join(d, "dp")
        if not classes:  # the spec's copy names its target columns
            text = open(spec).read() + "data { target = [%s] }\n" % ", ".join(
                str(inputs + i) for i in range(targets))
            spec = os.path.join(d, os.path.basename(spec))
            with open(spec, "w") as f:
                f.write(text)
        subprocess.run([a.kiln, "build", spec, "-o", plain], check=True)
        subprocess.run([a.kiln, "build", "--distributed=2", spec, "-o", dp],
                       check=True)
        bs = batch_size(spec)
        data = os.path.join(d, "train.csv")
        if not os.path.exists(data):
            write_data(data, bs * steps, inputs, targets, classes)
        train = ["train", "--data", data, "--epochs", str(epochs), "--threads",
                 "1", "--no-early-stopping", "--save",
                 os.path.join(d, "w.safetensors")]
        one, two, allreduce = [], [], []
        for _ in range(ROUNDS):
            m1 = os.path.join(d, "one.csv")
            subprocess.run(["taskset", "-c", "0", plain] + train +
                           ["--metrics", m1, "--quiet"], check=True, env=env)
            one.append(samples_per_second(m1, bs, steps))
            m2 = os.path.join(d, "two.csv")
            r = subprocess.run(MPIRUN + ["-np", "2", dp] + train +
                               ["--metrics", m2], check=True, env=env,
                               capture_output=True, text=True)
            two.append(samples_per_second(m2, bs, steps))
            line = [l for l in r.stdout.splitlines()
                    if l.startswith("data parallel")][0]
            allreduce.append(float(re.search(r"([\d.]+)s in allreduces",
                                             line)[1]) / (steps * epochs))
        info = subprocess.run([plain, "info"], capture_output=True, text=True,
                              check=True).stdout
        params = int(re.search(r"parameters\s+(\d+)", info)[1])
        s1, s2 = statistics.median(one), statistics.median(two)
        ar = statistics.median(allreduce) * 1e3
        mb = params * 4 / 1e6
        print(f"{name}: 1 process {s1:,.0f} samples/s; 2 ranks {s2:,.0f} "
              f"samples/s ({s2 / s1:.2f}x); allreduce {ar:.2f} ms per step "
              f"for {mb:.1f} MB of gradients ({ar / mb:.3f} ms/MB)")


if __name__ == "__main__":
    main()
