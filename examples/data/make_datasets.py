#!/usr/bin/python3
"""Export kiln's four example datasets to CSV.

Run with Debian's interpreter (it has python3-sklearn; the pyenv `python3`
that may be first on PATH does not):

    /usr/bin/python3 examples/data/make_datasets.py

For each of digits, breast_cancer, iris and diabetes this loads the copy
bundled with python3-sklearn (no network access), splits it 80/20 with
train_test_split(test_size=0.2, random_state=0) -- stratified on the label for
the three classification sets, unstratified for the diabetes regression set --
and writes <name>_train.csv and <name>_test.csv next to this script.

CSV format (see README.md):
  * "\n" line endings, comma separated, one header row, no index column;
  * feature columns in sklearn's order, named from sklearn's feature_names
    made lowercase identifier-friendly (e.g. "sepal_length_cm",
    "mean_radius", "pixel_0_0"); the last column is "target";
  * values are written exactly as sklearn returns them (no scaling): a column
    whose values are all integral over the whole dataset is written as
    integers ("16", "0"), every other value as Python's shortest round-trip
    repr of the float64 ("0.07871", "-0.0018820165277906047", "5e-05"), so
    parsing with strtod/float() gives back the identical float64.

It also writes digits_multilabel_train.csv and digits_multilabel_test.csv:
the rows of the digits split (same rows, same order) with three 0/1 target
columns derived from the digit instead of the label -- is_even, is_large
(digit >= 5) and is_prime (2, 3, 5 or 7) -- for kiln's multilabel examples.

The output is deterministic: running the script twice produces byte-identical
files.
"""

import math
import os
import re
import sys

import numpy as np
from sklearn import datasets
from sklearn.model_selection import train_test_split

OUT_DIR = os.path.dirname(os.path.abspath(__file__))
TEST_SIZE = 0.2
RANDOM_STATE = 0

# name -> (loader, stratify?)
DATASETS = [
    ("digits", datasets.load_digits, True),
    ("breast_cancer", datasets.load_breast_cancer, True),
    ("iris", datasets.load_iris, True),
    # load_diabetes() default: scaled=True (mean-centred, scaled so each
    # column's sum of squares is 1).  That is sklearn's standard form of the
    # dataset, so it is exported as-is.
    ("diabetes", datasets.load_diabetes, False),
]

_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


def column_name(raw):
    """'sepal length (cm)' -> 'sepal_length_cm', 'pixel_0_0' -> 'pixel_0_0'."""
    name = re.sub(r"[^0-9a-z]+", "_", str(raw).strip().lower()).strip("_")
    if not _IDENT.match(name):
        raise ValueError("feature name %r does not map to an identifier (%r)"
                         % (raw, name))
    return name


def is_integral(col):
    col = np.asarray(col, dtype=np.float64)
    return bool(np.all(np.isfinite(col)) and np.all(col == np.round(col))
                and np.all(np.abs(col) < 2**53))


def fmt_int(v):
    return str(int(v))


def fmt_float(v):
    v = float(v)
    if not math.isfinite(v):
        raise ValueError("non-finite value %r" % v)
    if v == 0.0:
        return "0.0"  # also normalises -0.0
    s = repr(v)
    assert float(s) == v
    return s


def write_csv(path, header, X, y, formatters):
    lines = [",".join(header)]
    for row, target in zip(X, y):
        vals = list(row) + [target]
        lines.append(",".join(f(v) for f, v in zip(formatters, vals)))
    data = ("\n".join(lines) + "\n").encode("ascii")
    with open(path, "wb") as fh:
        fh.write(data)
    return len(data)


# Multi-label targets derived from the digit label, as (column, predicate).
MULTILABEL_TARGETS = [
    ("is_even", lambda d: d % 2 == 0),
    ("is_large", lambda d: d >= 5),
    ("is_prime", lambda d: d in (2, 3, 5, 7)),
]


def write_multilabel_csv(path, header, X, digits):
    """Pixels as in digits_*.csv, then one 0/1 column per MULTILABEL_TARGETS."""
    lines = [",".join(header)]
    for row, d in zip(X, digits):
        vals = [fmt_int(v) for v in row]
        vals += ["1" if pred(int(d)) else "0" for _, pred in MULTILABEL_TARGETS]
        lines.append(",".join(vals))
    data = ("\n".join(lines) + "\n").encode("ascii")
    with open(path, "wb") as fh:
        fh.write(data)
    return len(data)


def export_digits_multilabel():
    """digits_multilabel_{train,test}.csv: the digits split, 3 label columns."""
    bunch = datasets.load_digits()
    X = np.asarray(bunch.data, dtype=np.float64)
    y = np.asarray(bunch.target).astype(np.int64)
    assert all(is_integral(X[:, j]) for j in range(X.shape[1]))
    header = ([column_name(f) for f in bunch.feature_names]
              + [name for name, _ in MULTILABEL_TARGETS])
    # The same call as export("digits", ...), so the rows are the same.
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=TEST_SIZE, random_state=RANDOM_STATE, stratify=y)
    for split, Xs, ys in (("train", X_tr, y_tr), ("test", X_te, y_te)):
        path = os.path.join(OUT_DIR, "digits_multilabel_%s.csv" % split)
        nbytes = write_multilabel_csv(path, header, Xs, ys)
        positives = " ".join(
            "%s:%d" % (name, sum(1 for d in ys if pred(int(d))))
            for name, pred in MULTILABEL_TARGETS)
        print("%-26s %4d rows x %2d features  %7d bytes  %s"
              % (os.path.basename(path), Xs.shape[0], Xs.shape[1], nbytes,
                 positives))


def export(name, loader, stratify):
    bunch = loader()
    X = np.asarray(bunch.data, dtype=np.float64)
    y = np.asarray(bunch.target)
    header = [column_name(f) for f in bunch.feature_names] + ["target"]
    if len(set(header)) != len(header):
        raise ValueError("%s: duplicate column names %r" % (name, header))
    assert X.shape[1] + 1 == len(header)

    classification = stratify
    if classification:
        assert is_integral(y)
        y = y.astype(np.int64)

    # Integer formatting is decided per column over the whole dataset, so the
    # train and test files of one dataset always use the same format.
    formatters = [fmt_int if is_integral(X[:, j]) else fmt_float
                  for j in range(X.shape[1])]
    formatters.append(fmt_int if is_integral(y) else fmt_float)

    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=TEST_SIZE, random_state=RANDOM_STATE,
        stratify=y if stratify else None)

    for split, Xs, ys in (("train", X_tr, y_tr), ("test", X_te, y_te)):
        path = os.path.join(OUT_DIR, "%s_%s.csv" % (name, split))
        nbytes = write_csv(path, header, Xs, ys, formatters)
        if classification:
            classes, counts = np.unique(ys, return_counts=True)
            balance = " ".join("%d:%d" % (c, n) for c, n in zip(classes, counts))
        else:
            balance = "target %.6g..%.6g" % (ys.min(), ys.max())
        print("%-26s %4d rows x %2d features  %7d bytes  %s"
              % (os.path.basename(path), Xs.shape[0], Xs.shape[1], nbytes,
                 balance))


def main():
    for name, loader, stratify in DATASETS:
        export(name, loader, stratify)
    export_digits_multilabel()
    return 0


if __name__ == "__main__":
    sys.exit(main())
