#!/usr/bin/python3
"""Reference scores for kiln's example datasets, measured with scikit-learn.

    /usr/bin/python3 examples/data/baselines.py

Reads the committed <name>_train.csv / <name>_test.csv files (written by
make_datasets.py), fits each model on the train split only and reports the
test-split accuracy (classification) or R^2 (diabetes regression).  Every
"scaled" model is a Pipeline(StandardScaler, model), so the scaler statistics
come from the train split only.  The "raw" rows fit the same MLP on the
unscaled features to show how much the inputs' scale matters.

MLPs are reported over SEEDS (mean, min, max of the test score), since their
result depends on the weight initialisation.  Everything is seeded, so the
output is reproducible for a given sklearn/numpy/BLAS build.
"""

import os
import sys
import warnings

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = range(5)

# kiln's target scores for its examples (test split).
TARGETS = {"digits": 0.96, "breast_cancer": 0.95, "iris": 0.93, "diabetes": 0.30}


def load(name, split):
    path = os.path.join(HERE, "%s_%s.csv" % (name, split))
    with open(path) as fh:
        header = fh.readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    assert header[-1] == "target" and data.shape[1] == len(header)
    return data[:, :-1], data[:, -1]


def classifiers():
    yield "LogisticRegression C=1 (scaled)", False, lambda s: make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=10000))
    for alpha in (1e-4, 1.0):
        yield ("MLPClassifier 64 relu a=%g (scaled)" % alpha, True,
               lambda s, a=alpha: make_pipeline(
                   StandardScaler(),
                   MLPClassifier(hidden_layer_sizes=(64,), alpha=a,
                                 max_iter=2000, random_state=s)))
    yield "MLPClassifier 64 relu a=0.0001 (raw)", True, lambda s: MLPClassifier(
        hidden_layer_sizes=(64,), alpha=1e-4, max_iter=2000, random_state=s)


def regressors():
    yield "LinearRegression (OLS, raw)", False, lambda s: LinearRegression()
    yield "Ridge alpha=1 (scaled)", False, lambda s: make_pipeline(
        StandardScaler(), Ridge(alpha=1.0))
    # The target (25..346) is standardised too, as an MLP would need.
    for alpha in (1.0, 10.0):
        yield ("MLPRegressor 16 relu a=%g (scaled X,y)" % alpha, True,
               lambda s, a=alpha: TransformedTargetRegressor(
                   regressor=make_pipeline(
                       StandardScaler(),
                       MLPRegressor(hidden_layer_sizes=(16,), alpha=a,
                                    max_iter=5000, random_state=s)),
                   transformer=StandardScaler()))
    yield "MLPRegressor 16 relu a=10 (raw X,y)", True, lambda s: MLPRegressor(
        hidden_layer_sizes=(16,), alpha=10.0, max_iter=5000, random_state=s)


def evaluate(name, models, metric):
    X_tr, y_tr = load(name, "train")
    X_te, y_te = load(name, "test")
    print("%s: train %d x %d, test %d  (%s; kiln target >= %.2f)"
          % (name, X_tr.shape[0], X_tr.shape[1], X_te.shape[0], metric,
             TARGETS[name]))
    for label, seeded, make in models:
        scores = []
        for seed in (SEEDS if seeded else [0]):
            model = make(seed)
            model.fit(X_tr, y_tr)
            scores.append(model.score(X_te, y_te))
        scores = np.array(scores)
        if seeded:
            print("  %-40s %.4f  (min %.4f, max %.4f over %d seeds)"
                  % (label, scores.mean(), scores.min(), scores.max(),
                     len(scores)))
        else:
            print("  %-40s %.4f" % (label, scores[0]))
    print()


def main():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name in ("digits", "breast_cancer", "iris"):
        evaluate(name, list(classifiers()), "accuracy")
    evaluate("diabetes", list(regressors()), "R^2")
    return 0


if __name__ == "__main__":
    sys.exit(main())
