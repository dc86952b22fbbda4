#!/usr/bin/python3
"""Writes a small ONNX graph for the onnx-*.test lit tests.

    make_onnx.py CASE OUT.onnx

The graphs are built node by node with onnx.helper, so that each test
knows exactly what kiln's importer sees.
"""

import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save


def const(name, value):
    return numpy_helper.from_array(np.asarray(value, dtype=np.float32), name)


def gelu(x, out, prefix, div="div"):
    """PyTorch's export of nn.GELU(): x * (1 + erf(x / sqrt 2)) * 0.5."""
    return [
        helper.make_node("Constant", [], [prefix + "sqrt2"],
                         value=const("", 1.4142135381698608)),
        helper.make_node("Div", [x, prefix + "sqrt2"], [prefix + div]),
        helper.make_node("Erf", [prefix + div], [prefix + "erf"]),
        helper.make_node("Add", [prefix + "erf", "one"], [prefix + "add"]),
        helper.make_node("Mul", [x, prefix + "add"], [prefix + "mul"]),
        helper.make_node("Mul", [prefix + "mul", "half"], [out]),
    ]


def build(case):
    rng = np.random.default_rng(0)
    inits = [const("one", 1.0), const("half", 0.5),
             const("fc1.weight", rng.standard_normal((8, 4))),
             const("fc1.bias", rng.standard_normal(8)),
             const("w2", rng.standard_normal((8, 3))),
             const("b2", rng.standard_normal(3))]
    out = 3
    if case == "patterns":
        # Gemm, GELU, MatMul + Add, SiLU.
        nodes = [helper.make_node("Gemm", ["x", "fc1.weight", "fc1.bias"], ["h"],
                                  transB=1)]
        nodes += gelu("h", "g", "gelu/")
        nodes += [helper.make_node("MatMul", ["g", "w2"], ["m"]),
                  helper.make_node("Add", ["m", "b2"], ["a"]),
                  helper.make_node("Sigmoid", ["a"], ["s"]),
                  helper.make_node("Mul", ["a", "s"], ["y"])]
    elif case == "shared":
        # The MatMul's product is used twice: its Add is no bias. The
        # Div of the GELU is used twice: no GELU, and an Erf kiln refuses.
        nodes = [helper.make_node("MatMul", ["x", "w2x"], ["m"]),
                 helper.make_node("Add", ["m", "b2"], ["a"]),
                 helper.make_node("Mul", ["a", "m"], ["y"])]
        inits.append(const("w2x", rng.standard_normal((4, 3))))
    elif case == "erf-shared":
        nodes = [helper.make_node("Gemm", ["x", "fc1.weight"], ["h"], transB=1)]
        nodes += gelu("h", "g", "gelu/")
        nodes += [helper.make_node("Add", ["g", "gelu/div"], ["t"]),
                  helper.make_node("MatMul", ["t", "w2"], ["y"])]
    elif case == "batchnorm":
        nodes = [helper.make_node("BatchNormalization",
                                  ["x", "bn.weight", "bn.bias", "bn.running_mean",
                                   "bn.running_var"], ["y"],
                                  epsilon=1e-3, momentum=0.8)]
        inits += [const("bn.weight", np.ones(4)), const("bn.bias", np.zeros(4)),
                  const("bn.running_mean", np.zeros(4)),
                  const("bn.running_var", np.ones(4))]
        out = 4
    else:
        sys.exit("unknown case " + case)
    graph = helper.make_graph(
        nodes, case, [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", out])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


if __name__ == "__main__":
    save(build(sys.argv[1]), sys.argv[2])
