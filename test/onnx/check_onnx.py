#!/usr/bin/python3
"""ONNX in and out: PyTorch's exports compiled by kiln, against PyTorch;
kiln's exports run by a NumPy evaluator, against kiln.

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

Export (`kiln build --emit=onnx SPEC --weights W`): specs (examples and
one with every layer) trained a few steps, exported, then

- the file passes onnx.checker's full check;
- NumPy in float64 (run_onnx below: this file's own evaluator of the ops
  kiln writes) gives kiln's `predict` output within 1e-4 + 1e-4 |y|;
- imported back (`kiln build model.onnx`), it predicts as the spec's
  executable does within 2e-5 + 2e-5 |y|.

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
    """An imported model's output for x (real targets: the graph's output)."""
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


def run_onnx(model, x):
    """Evaluates an ONNX graph of the ops kiln exports in float64."""
    import math
    erf = np.vectorize(math.erf)
    env = {t.name: numpy_helper.to_array(t).astype(np.float64)
           for t in model.graph.initializer}
    env[model.graph.input[0].name] = x.astype(np.float64)
    for n in model.graph.node:
        at = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        i = [env[name] for name in n.input]
        op = n.op_type
        if op == "Gemm":
            a, b = i[0], i[1].T if at.get("transB", 0) else i[1]
            y = at.get("alpha", 1.0) * a @ b + (at.get("beta", 1.0) * i[2] if len(i) > 2 else 0)
        elif op in ("Add", "Sub", "Mul", "Div", "MatMul"):
            y = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply,
                 "Div": np.divide, "MatMul": np.matmul}[op](i[0], i[1])
        elif op == "Softmax":
            e = np.exp(i[0] - i[0].max(axis=at.get("axis", -1), keepdims=True))
            y = e / e.sum(axis=at.get("axis", -1), keepdims=True)
        elif op == "LayerNormalization":
            m = i[0].mean(axis=-1, keepdims=True)
            v = ((i[0] - m) ** 2).mean(axis=-1, keepdims=True)
            y = (i[0] - m) / np.sqrt(v + at.get("epsilon", 1e-5)) * i[1] + (i[2] if len(i) > 2 else 0)
        elif op == "BatchNormalization":
            y = (i[0] - i[3]) / np.sqrt(i[4] + at.get("epsilon", 1e-5)) * i[1] + i[2]
        elif op == "LeakyRelu":
            y = np.where(i[0] > 0, i[0], at.get("alpha", 0.01) * i[0])
        elif op == "Elu":
            y = np.where(i[0] > 0, i[0], at.get("alpha", 1.0) * np.expm1(np.minimum(i[0], 0)))
        elif op == "Transpose":
            y = i[0].transpose(at["perm"])
        else:
            y = {"Relu": lambda v: np.maximum(v, 0), "Sigmoid": lambda v: 1 / (1 + np.exp(-v)),
                 "Tanh": np.tanh, "Erf": erf, "Softplus": lambda v: np.logaddexp(0, v),
                 "Exp": np.exp, "Log": np.log, "Sqrt": np.sqrt, "Abs": np.abs,
                 "Neg": np.negative, "Sign": np.sign, "Identity": lambda v: v}[op](i[0])
        env[n.output[0]] = y
    return env[model.graph.output[0].name]


# Every layer kiln's language has, trained on random data for a few steps.
EVERY_LAYER = """
model every_layer
input  x: [6]
target y: class(3)
h = x -> batchnorm as bn0 -> dense(16) -> layernorm -> gelu -> dropout(0.1)
  -> dense(12) -> batchnorm -> elu(alpha = 0.5) -> dense(10) -> softplus(beta = 2)
  -> dense(8) -> leaky_relu(alpha = 0.1) -> dense(8) -> gelu(approximate = true)
  -> dense(8) -> swish -> dense(8) -> tanh -> dense(3) as out
loss cross_entropy(h * 0.5 + 0.25, y)
train {
  optimizer  = adam(lr = 0.01)
  batch_size = 16
}
data {
  train  = "every_layer.csv"
  target = "y"
}
"""


def check_export(kiln, d):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    rng = np.random.default_rng(7)
    with open(os.path.join(d, "every_layer.csv"), "w") as f:
        f.write(",".join("f%d" % i for i in range(6)) + ",y\n")
        for _ in range(200):
            v = rng.standard_normal(6) * 3 + 1
            f.write(",".join("%.6f" % t for t in v) + ",%d\n" % (int(v[0] > 1) + int(v[1] > 2)))
    with open(os.path.join(d, "every_layer.kiln"), "w") as f:
        f.write(EVERY_LAYER)
    specs = [(os.path.join(d, "every_layer.kiln"), os.path.join(d, "every_layer.csv"), "y")]
    for name in ("breast_cancer", "digits", "diabetes_mlp"):
        data = os.path.join(root, "examples", "data", name.split("_mlp")[0] + "_test.csv")
        specs.append((os.path.join(root, "examples", name + ".kiln"), data, "target"))
    for spec, data, target in specs:
        name = os.path.basename(spec)[:-5]
        exe, w = os.path.join(d, name + "-spec"), os.path.join(d, name + ".safetensors")
        subprocess.run([kiln, "build", spec, "-o", exe], check=True)
        subprocess.run([exe, "train", "--steps", "30", "--quiet", "--save", w,
                        "--threads", "1"], check=True, capture_output=True)
        exported = os.path.join(d, name + "-export.onnx")
        r = subprocess.run([kiln, "build", "--emit=onnx", spec, "--weights", w, "-o", exported],
                           capture_output=True, text=True)
        check(r.returncode == 0, "%s: exports %s" % (name, r.stderr.strip()))
        if r.returncode:
            continue
        model = onnx.load(exported)
        try:
            onnx.checker.check_model(model, full_check=True)
            check(True, "%s: the export passes onnx.checker (ops: %s)"
                  % (name, " ".join(sorted({n.op_type for n in model.graph.node}))))
        except onnx.checker.ValidationError as e:
            check(False, "%s: the export passes onnx.checker: %s" % (name, e))
        with open(data) as f:
            rows = list(csv.DictReader(f))
        cols = [c for c in rows[0] if c != target]
        x = np.array([[float(r[c]) for c in cols] for r in rows], dtype=np.float32)
        np.save(os.path.join(d, "x.npy"), x)
        out = os.path.join(d, "y.csv")
        subprocess.run([exe, "predict", "--weights", w, "--data", os.path.join(d, "x.npy"),
                        "--output", out, "--threads", "1"], check=True)
        with open(out) as f:
            table = list(csv.reader(f))
        # A classifier's output leads with the class it picks: the graph
        # gives the probabilities that follow.
        kiln_y = np.array(table[1:], dtype=np.float64)[:, 1 if table[0][0] == "class" else 0:]
        onnx_y = run_onnx(model, x)
        check(onnx_y.shape == kiln_y.shape and
              bool(np.all(np.abs(onnx_y - kiln_y) <= 1e-4 + 1e-4 * np.abs(kiln_y))),
              "%s: the export in NumPy predicts %d rows as kiln does (max |diff| %.2g)"
              % (name, len(x), np.abs(onnx_y - kiln_y).max()))
        back = os.path.join(d, name + "-reimported")
        r = build(kiln, exported, back)
        check(r.returncode == 0, "%s: the export imports back %s" % (name, r.stderr.strip()))
        if r.returncode == 0:
            got = predict(back, x, d)
            check(close(got, kiln_y), "%s: imported back, it predicts as the spec (max |diff| %.2g)"
                  % (name, np.abs(got - kiln_y).max()))


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
        check_export(a.kiln, d)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
