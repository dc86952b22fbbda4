//===- OnnxImportNodes.cpp - Each kind of ONNX node as Model nodes ------===//
//
// One translation per kind of node (docs/interop.md lists them): it checks
// the node's inputs and attributes, reports what kiln cannot import, and
// adds the Model nodes and states. The walk over the graph, the patterns
// of several nodes and the finishing are OnnxImport.cpp's.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporter.h"

#include "llvm/ADT/STLExtras.h"

#include <cmath>

using namespace kiln;

namespace kiln::onnximport {

bool Importer::importAlias(int index) {
  const onnx::NodeProto &node = graph->node(index);
  StringRef op = node.op_type();
  const std::string &in = node.input_size() ? node.input(0) : "";
  if (op == "Identity")
    if (const Constant *c = constant(in)) {
      Constant copy = *c;
      copy.name = node.output(0);
      constants[node.output(0)] = std::move(copy);
      return true;
    }
  std::optional<Tensor> x = tensor(index, 0);
  if (!x)
    return false;
  std::vector<int64_t> dims = x->dims;
  if (op == "Dropout") {
    // Prediction is inference: a dropout passes its input on.
    if (outputUsed(index, 1))
      return fail(index, "its mask output is used");
    if (hasOperand(index, 2)) {
      std::optional<double> training = scalar(node.input(2));
      if (!training || *training != 0)
        return fail(index, "a dropout in training mode (training_mode "
                           "not a constant false)");
    }
  } else if (op == "Flatten") {
    if (attrInt(index, "axis", 1) != 1)
      return fail(index, "a Flatten with axis " +
                             Twine(attrInt(index, "axis", 1)) +
                             " mixes rows; kiln imports axis 1");
    dims = {x->features()};
  } else if (op == "Reshape") {
    const Constant *to = constantOperand(index, 1);
    if (!to)
      return false;
    // Only a flatten to [batch, features] keeps rows apart.
    const std::vector<double> &s = to->values;
    int64_t features = x->features();
    bool batchKept = s.size() == 2 && (s[0] == 0 || s[0] == -1 ||
                                       (staticBatch && s[0] == *staticBatch));
    bool flat =
        batchKept && (s[1] == double(features) || (s[1] == -1 && s[0] != -1));
    if (!flat) {
      std::string target;
      for (double v : s)
        target += (target.empty() ? "" : ", ") + std::to_string(int64_t(v));
      return fail(index, "a Reshape of " + shapeText(x->dims, true) + " to [" +
                             target +
                             "]; kiln imports a Reshape only to [batch, " +
                             Twine(features) + "]");
    }
    dims = {features};
  }
  define(index, x->node, std::move(dims));
  return true;
}

/// A dense layer on `input` whose weight is `w` ([in, out], or [out, in]
/// when `transposed`) scaled by `alpha`: kiln's dense weight is [out, in],
/// torch.nn.Linear's, which Gemm with transB=1 has.
Node Importer::denseNode(int index, unsigned input, const Constant &w,
                         bool transposed, double alpha) {
  int64_t k = transposed ? w.dims[1] : w.dims[0];
  int64_t n = transposed ? w.dims[0] : w.dims[1];
  std::vector<float> weight(n * k);
  for (int64_t o = 0; o < n; ++o)
    for (int64_t i = 0; i < k; ++i)
      weight[o * k + i] =
          float(alpha * w.values[transposed ? o * k + i : i * n + o]);
  Node dense;
  dense.kind = OpKind::Dense;
  dense.loc = {unsigned(index + 1), 1};
  dense.shape = {rows, n};
  dense.operands = {input};
  dense.states = {
      addState(w.name, {n, k}, StateRole::Parameter, std::move(weight))};
  return dense;
}

bool Importer::importGemm(int index) {
  std::optional<Tensor> a = tensor(index, 0);
  const Constant *b = a ? constantOperand(index, 1) : nullptr;
  if (!b)
    return false;
  if (attrInt(index, "transA", 0))
    return fail(index, "transA=1 would transpose the batch");
  if (a->dims.size() != 1)
    return fail(index, "input of shape " + shapeText(a->dims, true) +
                           "; Gemm needs [batch, features]");
  bool transB = attrInt(index, "transB", 0);
  double alpha = attrFloat(index, "alpha", 1.0),
         beta = attrFloat(index, "beta", 1.0);
  if (b->dims.size() != 2)
    return fail(index, "B has shape " + shapeText(b->dims, false) +
                           "; Gemm needs a matrix");
  int64_t k = transB ? b->dims[1] : b->dims[0];
  int64_t n = transB ? b->dims[0] : b->dims[1];
  if (k != a->dims[0])
    return fail(index, "B has shape " + shapeText(b->dims, false) +
                           (transB ? " (transposed)" : "") +
                           " for an input of " + Twine(a->dims[0]) +
                           " features");
  Node dense = denseNode(index, a->node, *b, transB, alpha);
  if (hasOperand(index, 2)) {
    const Constant *c = constantOperand(index, 2);
    if (!c)
      return false;
    if (!c->isScalar() && !c->isRowVector(n))
      return fail(index, "C has shape " + shapeText(c->dims, false) +
                             "; kiln imports a bias of " + Twine(n) +
                             " values or one");
    std::vector<float> bias(n);
    for (int64_t o = 0; o < n; ++o)
      bias[o] = float(beta * c->values[c->isScalar() ? 0 : o]);
    dense.states.push_back(
        addState(c->name, {n}, StateRole::Parameter, std::move(bias)));
  }
  define(index, addNode(std::move(dense)), {n});
  return true;
}

bool Importer::importMatMul(int index) {
  std::optional<Tensor> a = tensor(index, 0);
  const Constant *b = a ? constantOperand(index, 1) : nullptr;
  if (!b)
    return false;
  if (a->dims.size() != 1 || b->dims.size() != 2 || b->dims[0] != a->dims[0])
    return fail(index, "a MatMul of " + shapeText(a->dims, true) + " and " +
                           shapeText(b->dims, false) +
                           "; kiln imports [batch, K] x [K, N]");
  Node dense = denseNode(index, a->node, *b, /*transposed=*/false, 1.0);
  int64_t n = dense.shape[1];
  unsigned id = addNode(std::move(dense));
  // An Add of a bias that only it consumes becomes its bias.
  if (!graphOutputs.count(graph->node(index).output(0)))
    biasless.insert(id);
  define(index, id, {n});
  return true;
}

bool Importer::importBinary(int index, OpKind kind) {
  const onnx::NodeProto &node = graph->node(index);
  if (node.input_size() != 2)
    return fail(index, "it needs two inputs");
  auto x = tensors.find(node.input(0)), y = tensors.find(node.input(1));
  bool xTensor = x != tensors.end(), yTensor = y != tensors.end();
  if (!xTensor && !yTensor) {
    for (int operand : {0, 1})
      if (!constant(node.input(operand)))
        return fail(index, "input '" + node.input(operand) +
                               "' is not defined before");
    return fail(index, "both inputs are constants (export with "
                       "do_constant_folding=True)");
  }
  if (xTensor && yTensor) {
    const Tensor &a = x->second, &b = y->second;
    if (a.dims != b.dims)
      return fail(index, "inputs of shapes " + shapeText(a.dims, true) +
                             " and " + shapeText(b.dims, true) +
                             "; kiln imports equal shapes");
    // x * sigmoid(x): SiLU; x * sigmoid(beta x): swish, as kiln exports it.
    if (kind == OpKind::Mul)
      for (auto [p, q] : {std::pair(a.node, b.node), std::pair(b.node, a.node)})
        if (std::optional<double> beta = swishBeta(p, q)) {
          unsigned id = addUnary(OpKind::Swish, p, index);
          model.nodes[id].beta = *beta;
          define(index, id, a.dims);
          return true;
        }
    define(index, addBinary(kind, a.node, b.node, index), a.dims);
    return true;
  }
  const Tensor &t = xTensor ? x->second : y->second;
  const Constant *known = constant(node.input(xTensor ? 1 : 0));
  if (!known)
    return fail(index, "input '" + node.input(xTensor ? 1 : 0) +
                           "' is not defined before");
  const Constant &c = *known;
  unsigned other;
  if (c.isScalar()) {
    other = addConstant(c.values[0], index);
  } else {
    int64_t n = t.dims.size() == 1 ? t.dims[0] : -1;
    if (!c.isRowVector(n))
      return fail(index, "a constant of shape " + shapeText(c.dims, false) +
                             " with " + shapeText(t.dims, true) +
                             "; kiln broadcasts one value or one per "
                             "feature");
    // MatMul then Add of a vector: torch.nn.Linear on an input of rank 3,
    // or a hand-written x @ W + b.
    const std::string &out = node.output(0);
    if (kind == OpKind::Add && biasless.count(t.node) &&
        consumers[node.input(xTensor ? 0 : 1)].size() == 1) {
      std::vector<float> bias(c.values.begin(), c.values.end());
      model.nodes[t.node].states.push_back(
          addState(c.name, {n}, StateRole::Parameter, std::move(bias)));
      biasless.erase(t.node);
      tensors[out] = t;
      return true;
    }
    other = addVector(c, n, index);
  }
  unsigned lhs = xTensor ? t.node : other, rhs = xTensor ? other : t.node;
  define(index, addBinary(kind, lhs, rhs, index), t.dims);
  return true;
}

/// beta when node `sigmoid` is sigmoid(x) (1) or sigmoid(x * beta).
std::optional<double> Importer::swishBeta(unsigned x, unsigned sigmoid) const {
  const Node &s = model.nodes[sigmoid];
  if (s.kind != OpKind::Sigmoid)
    return std::nullopt;
  if (s.operands[0] == x)
    return 1.0;
  const Node &scaled = model.nodes[s.operands[0]];
  if (scaled.kind != OpKind::Mul)
    return std::nullopt;
  for (auto [v, c] : {std::pair(scaled.operands[0], scaled.operands[1]),
                      std::pair(scaled.operands[1], scaled.operands[0])})
    if (v == x && model.nodes[c].kind == OpKind::Constant)
      return model.nodes[c].value;
  return std::nullopt;
}

bool Importer::importUnary(int index, OpKind kind) {
  std::optional<Tensor> x = tensor(index, 0);
  if (!x)
    return false;
  if (kind == OpKind::Softmax) {
    int64_t rank = x->dims.size() + 1;
    int64_t axis = attrInt(index, "axis", opset < 13 ? 1 : -1);
    if (rank != 2 || (axis != 1 && axis != -1))
      return fail(index, "a softmax over axis " + Twine(axis) + " of " +
                             shapeText(x->dims, true) +
                             "; kiln imports one over the features of "
                             "[batch, features]");
  }
  if (kind == OpKind::Gelu &&
      attrString(index, "approximate", "none") == "tanh")
    return fail(index, "Gelu with approximate='tanh' is not supported; "
                       "PyTorch 1.13 exports it as Tanh, Mul and Add, "
                       "which kiln imports");
  unsigned id = addUnary(kind, x->node, index);
  Node &n = model.nodes[id];
  if (kind == OpKind::LeakyRelu)
    n.alpha = attrFloat(index, "alpha", 0.01);
  else if (kind == OpKind::Elu)
    n.alpha = attrFloat(index, "alpha", 1.0);
  define(index, id, x->dims);
  return true;
}

bool Importer::importPow(int index) {
  std::optional<Tensor> x = tensor(index, 0);
  const Constant *e = x ? constantOperand(index, 1) : nullptr;
  if (!e)
    return false;
  double p = e->isScalar() ? e->values[0] : NAN;
  unsigned y;
  if (p == 1)
    y = x->node;
  else if (p == 2)
    y = addBinary(OpKind::Mul, x->node, x->node, index);
  else if (p == 3)
    y = addBinary(OpKind::Mul, addBinary(OpKind::Mul, x->node, x->node, index),
                  x->node, index);
  else if (p == 0.5)
    y = addUnary(OpKind::Sqrt, x->node, index);
  else if (p == -1)
    y = addBinary(OpKind::Div, addConstant(1.0, index), x->node, index);
  else
    return fail(index, "kiln imports a Pow by a constant 1, 2, 3, 0.5 or -1");
  define(index, y, x->dims);
  return true;
}

bool Importer::importGelu(int index) {
  auto x = tensors.find(geluAt[index]);
  if (x == tensors.end())
    return fail(index, "GELU of '" + geluAt[index] +
                           "', which is not computed from the input");
  unsigned id = addUnary(OpKind::Gelu, x->second.node, index);
  define(index, id, x->second.dims);
  return true;
}

bool Importer::importBatchNorm(int index) {
  std::optional<Tensor> x = tensor(index, 0);
  if (!x)
    return false;
  if (x->dims.size() != 1)
    return fail(index, "a batch norm over " + shapeText(x->dims, true) +
                           "; kiln imports one over [batch, features]");
  if (attrInt(index, "training_mode", 0) || outputUsed(index, 1) ||
      outputUsed(index, 2))
    return fail(index, "a batch norm in training mode (export the model "
                       "in eval mode)");
  int64_t n = x->dims[0];
  Node bn;
  bn.kind = OpKind::BatchNorm;
  bn.loc = {unsigned(index + 1), 1};
  bn.shape = {rows, n};
  bn.operands = {x->node};
  bn.eps = attrFloat(index, "epsilon", 1e-5);
  // ONNX's momentum weighs the running statistic, PyTorch's and kiln's
  // the batch's.
  bn.momentum = 1.0 - attrFloat(index, "momentum", 0.9);
  const StateRole roles[] = {StateRole::Parameter, StateRole::Parameter,
                             StateRole::RunningMean, StateRole::RunningVar};
  for (int operand = 1; operand <= 4; ++operand) {
    const Constant *c = constantOperand(index, operand);
    if (!c)
      return false;
    if (c->values.size() != size_t(n))
      return fail(index, "'" + c->name + "' has " + Twine(c->values.size()) +
                             " values for " + Twine(n) + " features");
    if (operand == 4 && llvm::any_of(c->values, [](double v) { return v < 0; }))
      return fail(index, "'" + c->name + "' holds a negative variance");
    bn.states.push_back(addState(c->name, {n}, roles[operand - 1],
                                 {c->values.begin(), c->values.end()}));
  }
  define(index, addNode(std::move(bn)), x->dims);
  return true;
}

bool Importer::importLayerNorm(int index) {
  std::optional<Tensor> x = tensor(index, 0);
  const Constant *scale = x ? constantOperand(index, 1) : nullptr;
  if (!scale)
    return false;
  int64_t axis = attrInt(index, "axis", -1);
  if (x->dims.size() != 1 || (axis != 1 && axis != -1))
    return fail(index, "a layer norm from axis " + Twine(axis) + " of " +
                           shapeText(x->dims, true) +
                           "; kiln imports one over the features of "
                           "[batch, features]");
  for (int output : {1, 2})
    if (outputUsed(index, output))
      return fail(index, "its mean or inverse deviation output is used");
  int64_t n = x->dims[0];
  Node ln;
  ln.kind = OpKind::LayerNorm;
  ln.loc = {unsigned(index + 1), 1};
  ln.shape = {rows, n};
  ln.operands = {x->node};
  ln.eps = attrFloat(index, "epsilon", 1e-5);
  std::vector<float> bias(n, 0.0f);
  std::string biasName =
      StringRef(scale->name).ends_with(".weight")
          ? StringRef(scale->name).drop_back(7).str() + ".bias"
          : scale->name + "_bias";
  if (hasOperand(index, 2)) {
    const Constant *b = constantOperand(index, 2);
    if (!b)
      return false;
    if (b->values.size() != size_t(n))
      return fail(index, "'" + b->name + "' has " + Twine(b->values.size()) +
                             " values for " + Twine(n) + " features");
    bias.assign(b->values.begin(), b->values.end());
    biasName = b->name;
  }
  if (scale->values.size() != size_t(n))
    return fail(index, "'" + scale->name + "' has " +
                           Twine(scale->values.size()) + " values for " +
                           Twine(n) + " features");
  ln.states = {addState(scale->name, {n}, StateRole::Parameter,
                        {scale->values.begin(), scale->values.end()}),
               addState(biasName, {n}, StateRole::Parameter, std::move(bias))};
  define(index, addNode(std::move(ln)), x->dims);
  return true;
}

} // namespace kiln::onnximport
