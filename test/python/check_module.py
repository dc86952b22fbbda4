#!/usr/bin/python3
"""`kiln build --emit=python`: the generated module against the executable.

    /usr/bin/python3 test/python/check_module.py --kiln build/bin/kiln

Builds examples/iris.kiln both ways and checks, with Debian's NumPy:

- Model(seed=S).train(x, y, steps=N, seed=S) on the CSV's rows, as NumPy
  arrays, saves the weights that `./iris train --steps N --seed S` saves,
  bit for bit (the same code through ctypes: this also checks that the
  ctypes structures match kiln_rt.h's);
- predict() on the test rows equals the executable's `predict` output (to
  the 9 digits it prints), and evaluate() its `eval` line;
- a model loaded from the executable's weights predicts the same;
- bad shapes and a missing checkpoint raise KilnError with kiln's message.

Exits 1 on a failed check, 77 (skipped) without NumPy.
"""

import argparse
import csv
import importlib
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError as e:
    print("skipped: %s (install Debian's python3-numpy)" % e)
    sys.exit(77)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC = os.path.join(ROOT, "examples", "iris.kiln")
DATA = os.path.join(ROOT, "examples", "data")
FEATURES = ["sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm"]


def load(path):
    rows = list(csv.DictReader(open(path)))
    x = np.array([[float(r[f]) for f in FEATURES] for r in rows], dtype=np.float32)
    y = np.array([float(r["target"]) for r in rows], dtype=np.float32)
    return x, y


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kiln", required=True)
    a = p.parse_args()
    failures = []

    def check(cond, what):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            failures.append(what)

    with tempfile.TemporaryDirectory(prefix="kiln-python-") as d:
        subprocess.run([a.kiln, "build", "--emit=python", SPEC, "-o", d], check=True)
        exe = os.path.join(d, "iris_exe")
        subprocess.run([a.kiln, "build", SPEC, "-o", exe], check=True)
        sys.path.insert(0, d)
        iris = importlib.import_module("iris")

        train_csv = os.path.join(DATA, "iris_train.csv")
        test_csv = os.path.join(DATA, "iris_test.csv")
        x, y = load(train_csv)
        xt, yt = load(test_csv)
        exe_w, py_w = os.path.join(d, "exe.st"), os.path.join(d, "py.st")
        subprocess.run([exe, "train", "--data", train_csv, "--test", test_csv,
                        "--steps", "40", "--seed", "7", "--save", exe_w,
                        "--quiet"], check=True, cwd=d)
        m = iris.Model(seed=7)
        r = m.train(x, y, steps=40, seed=7)
        m.save(py_w)
        check(r["steps"] == 40, "train() ran 40 steps: %s" % r)
        check(open(exe_w, "rb").read() == open(py_w, "rb").read(),
              "Model.train saves the executable's weights, bit for bit")

        out = os.path.join(d, "pred.csv")
        subprocess.run([exe, "predict", "--weights", exe_w, "--data", test_csv,
                        "--output", out], check=True)
        ref = np.loadtxt(out, delimiter=",", skiprows=1, dtype=np.float64)
        got = m.predict(xt)
        check(got.shape == (len(xt), iris.OUTPUT_DIM) and got.dtype == np.float32,
              "predict() returns rows x OUTPUT_DIM float32: %s" % (got.shape,))
        err = float(np.max(np.abs(got[:, :ref.shape[1]] - ref[:, -got.shape[1]:])))
        check(err < 1e-6, "predict() matches the executable's predict (%.1e)" % err)
        loaded = iris.Model(weights=exe_w)
        check(np.array_equal(loaded.predict(xt), got),
              "Model(weights=...) predicts the same, bit for bit")
        one = loaded.predict(xt[3])
        check(one.shape == (1, iris.OUTPUT_DIM) and np.array_equal(one[0], got[3]),
              "one row as a 1-D array")

        ev = subprocess.run([exe, "eval", "--weights", exe_w, "--data", test_csv],
                            check=True, capture_output=True, text=True).stdout.split()
        e = m.evaluate(xt, yt)
        check(abs(e["accuracy"] - float(ev[ev.index("accuracy") + 1])) < 1e-4 and
              abs(e["loss"] - float(ev[ev.index("loss") + 1])) < 1e-4,
              "evaluate() matches eval: %s vs %s" % (e, " ".join(ev)))

        for what, call in [("a wrong width", lambda: m.predict(np.zeros((2, 3)))),
                           ("a missing checkpoint",
                            lambda: iris.Model(weights=os.path.join(d, "none.st"))),
                           ("a label out of range",
                            lambda: m.train(x, np.full(len(x), 9.0), steps=1))]:
            try:
                call()
                check(False, what + " raises KilnError")
            except iris.KilnError as ex:
                check(str(ex) != "", "%s raises KilnError: %s" % (what, ex))
    print("%d checks failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
