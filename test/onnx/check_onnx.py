#!/usr/bin/python3
"""ONNX import: PyTorch's exports compiled by kiln, against PyTorch.

    /usr/bin/python3 test/onnx/check_onnx.py --kiln build/bin/kiln

For each model, with Debian's python3-torch and python3-onnx:

- torch.onnx.export writes it (eval mode, a dynamic batch unless said);
- `kiln build model.onnx` compiles it into a predict-only executable with
  the initializers folded in;
- `./model predict` on 1, 7 and 300 rows (each row count runs another
  sum of row blocks) equals PyTorch's output within 2e-5 + 2e-5 |y|.

Graphs that PyTorch does not write (Gemm with alpha, beta and an
untransposed B; Pow, Reciprocal, Sub, Div by constants; a static batch
Reshape) are made with onnx.helper and checked against a float64 NumPy
evaluation of the same formulas. What kiln cannot import must fail with a
message naming the node and its op type, and no output written.

Exits 1 on a failed check, 77 (skipped) without torch, onnx or NumPy.
"""

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import warnings

try:
    import numpy as np
    import onnx
    import torch
    from onnx import TensorProto, helper, numpy_helper
except ImportError as e:
    print("skipped: %s (install Debian's python3-torch and python3-onnx)" % e)
    sys.exit(77)

ROWS = (1, 7, 300)
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def export(module, example, path, opset, dynamic=True, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module.eval(), example, path, opset_version=opset,
                          input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}
                          if dynamic else None, **kw)


def build(kiln, model, exe):
    return subprocess.run([kiln, "build", model, "-o", exe],
                          capture_output=True, text=True)


def predict(exe, x, d):
    np.save(os.path.join(d, "x.npy"), x.astype(np.float32))
    out = os.path.join(d, "y.csv")
    subprocess.run([exe, "predict", "--data", os.path.join(d, "x.npy"),
                    "--output", out, "--threads", "1"], check=True)
    with open(out) as f:
        rows = list(csv.reader(f))[1:]
    return np.array(rows, dtype=np.float64)


def close(got, want):
    want = np.asarray(want, dtype=np.float64)
    return got.shape == want.shape and bool(
        np.all(np.abs(got - want) <= 2e-5 + 2e-5 * np.abs(want)))


def torch_models():
    torch.manual_seed(0)
    nn = torch.nn

    class LinearByHand(nn.Module):
        """x @ W + b, exported as MatMul then Add, and SiLU as x*sigmoid(x)."""

        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.randn(12, 9) * 0.3)
            self.b = nn.Parameter(torch.randn(9))

        def forward(self, x):
            return nn.functional.silu(x @ self.w + self.b)

    def trained_bn(*layers):
        m = nn.Sequential(*layers)
        # Running statistics away from their initial 0 and 1.
        m.train()
        with torch.no_grad():
            for _ in range(3):
                m(torch.randn(64, layers[0].in_features
                              if hasattr(layers[0], "in_features") else 12) * 2 + 1)
        return m

    yield ("gelu-bn-layernorm", trained_bn(
        nn.Linear(12, 32), nn.BatchNorm1d(32), nn.GELU(), nn.Dropout(0.3),
        nn.Linear(32, 16), nn.LayerNorm(16), nn.GELU(approximate="tanh"),
        nn.Linear(16, 5), nn.Softmax(dim=-1)), (12,), 17)
    yield ("activations", nn.Sequential(
        nn.Linear(12, 40), nn.ReLU(), nn.Linear(40, 33), nn.LeakyReLU(0.2),
        nn.Linear(33, 20), nn.Tanh(), nn.Linear(20, 20), nn.Sigmoid(),
        nn.Linear(20, 18), nn.Softplus(), nn.Linear(18, 17), nn.ELU(0.7),
        nn.Linear(17, 16), nn.SiLU(), nn.Linear(16, 3)), (12,), 13)
    yield ("matmul-add", LinearByHand(), (12,), 13)
    yield ("flatten-bn-input", trained_bn(
        nn.Flatten(), nn.BatchNorm1d(12), nn.Linear(12, 300), nn.ReLU(),
        nn.Linear(300, 7)), (3, 4), 14)
    yield ("wide", nn.Sequential(nn.Linear(12, 512), nn.ReLU(),
                                 nn.Linear(512, 256), nn.GELU(),
                                 nn.Linear(256, 10)), (12,), 13)


def helper_models():
    """Graphs with (name, model, x -> float64 reference)."""
    rng = np.random.default_rng(3)
    b = rng.standard_normal((6, 4)).astype(np.float32)  # K x N: not transposed
    c = rng.standard_normal((4,)).astype(np.float32)
    w2 = rng.standard_normal((4, 3)).astype(np.float32)
    nodes = [
        helper.make_node("Gemm", ["x", "B", "C"], ["g"], alpha=0.5, beta=2.0),
        helper.make_node("Pow", ["g", "three"], ["p"]),
        helper.make_node("Sub", ["one", "p"], ["s"]),  # 1 - g^3
        helper.make_node("Abs", ["s"], ["a"]),
        helper.make_node("Add", ["a", "one"], ["a1"]),
        helper.make_node("Reciprocal", ["a1"], ["r"]),
        helper.make_node("Div", ["r", "C"], ["d"]),  # by a per-feature vector
        helper.make_node("Sqrt", ["a1"], ["q"]),
        helper.make_node("Mul", ["d", "q"], ["m"]),
        helper.make_node("MatMul", ["m", "W2"], ["y"]),
    ]
    inits = [numpy_helper.from_array(b, "B"), numpy_helper.from_array(c, "C"),
             numpy_helper.from_array(w2, "W2"),
             numpy_helper.from_array(np.array(3.0, np.float32), "three"),
             numpy_helper.from_array(np.array(1.0, np.float32), "one")]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 3])], inits)

    def reference(x):
        x = x.astype(np.float64)
        g = 0.5 * x @ b.astype(np.float64) + 2.0 * c
        a1 = np.abs(1 - g ** 3) + 1
        return (1 / a1 / c) * np.sqrt(a1) @ w2.astype(np.float64)

    yield "gemm-elementwise", helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13)]), 6, reference

    # A static batch of 1 and a Reshape to [1, -1]: kiln still predicts
    # any number of rows.
    w = rng.standard_normal((5, 8)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Reshape", ["x", "shape"], ["f"]),
         helper.make_node("Gemm", ["f", "W"], ["y"], transB=1)],
        "static", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])],
        [numpy_helper.from_array(w, "W"),
         numpy_helper.from_array(np.array([1, -1], np.int64), "shape")])
    yield "static-batch-reshape", helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13)]), 8, \
        lambda x: x.astype(np.float64) @ w.T.astype(np.float64)


def check_errors(kiln, d):
    """Graphs kiln must refuse, and the words the error must hold."""
    nn = torch.nn
    cases = []
    path = os.path.join(d, "conv.onnx")
    export(nn.Sequential(nn.Conv1d(1, 2, 3), nn.Flatten(), nn.Linear(16, 2)),
           torch.randn(2, 1, 10), path, 13)
    cases.append((path, ["node '/0/Conv' (Conv)", "not supported"]))
    path = os.path.join(d, "layernorm13.onnx")
    export(nn.Sequential(nn.Linear(4, 4), nn.LayerNorm(4)), torch.randn(2, 4), path, 13)
    cases.append((path, ["(ReduceMean)", "opset_version=17"]))
    path = os.path.join(d, "dropout-training.onnx")
    export(nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5)), torch.randn(2, 4), path, 13,
           training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False)
    cases.append((path, ["(Dropout)", "training mode"]))
    path = os.path.join(d, "two-inputs.onnx")
    onnx.save(helper.make_model(helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["y"])], "g",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["n", 2]) for n in "ab"],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 2])])), path)
    cases.append((path, ["inputs 'a' and 'b'"]))
    path = os.path.join(d, "garbage.onnx")
    with open(path, "wb") as f:
        f.write(b"\xff\xff\xff\xffnot a protobuf")
    cases.append((path, ["not an ONNX model"]))
    for path, words in cases:
        exe = path[:-5]
        r = build(kiln, path, exe)
        name = os.path.basename(path)
        check(r.returncode != 0 and all(w in r.stderr for w in words)
              and not os.path.exists(exe),
              "%s: refused, naming %s (%s)" % (name, words, r.stderr.strip()))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kiln", required=True)
    a = p.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="kiln-onnx-") as d:
        for name, module, shape, opset in torch_models():
            path = os.path.join(d, name + ".onnx")
            export(module, torch.randn(2, *shape), path, opset)
            exe = os.path.join(d, name)
            r = build(a.kiln, path, exe)
            check(r.returncode == 0, "%s (opset %d): builds %s" % (name, opset, r.stderr.strip()))
            if r.returncode:
                continue
            for rows in ROWS:
                x = torch.randn(rows, *shape) * 1.5
                with torch.no_grad():
                    want = module(x).numpy()
                got = predict(exe, x.reshape(rows, -1).numpy(), d)
                check(close(got, want), "%s: %d rows as PyTorch (max |diff| %.2g)"
                      % (name, rows, np.abs(got - want).max() if got.shape == want.shape else -1))
        for name, model, features, reference in helper_models():
            onnx.checker.check_model(model, full_check=True)
            path = os.path.join(d, name + ".onnx")
            onnx.save(model, path)
            exe = os.path.join(d, name)
            r = build(a.kiln, path, exe)
            check(r.returncode == 0, "%s: builds %s" % (name, r.stderr.strip()))
            if r.returncode:
                continue
            for rows in ROWS:
                x = np.random.default_rng(rows).standard_normal((rows, features)).astype(np.float32)
                want = reference(x)
                got = predict(exe, x, d)
                check(close(got, want), "%s: %d rows as NumPy in float64" % (name, rows))
        check_errors(a.kiln, d)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
