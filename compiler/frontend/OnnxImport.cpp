//===- OnnxImport.cpp - An ONNX graph as a kiln model ---------------------===//
//
// The graph is read with Debian's libonnx protobuf classes and translated
// node by node into the Model that Sema makes of a spec, so that everything
// after the frontend (the row blocks of @predict, folding, codegen) treats
// an imported model as it treats a spec. The network is the graph's one
// input to its one output; the loss is mean squared error against the
// output, which only gives `eval` something to measure, since an imported
// model is built for prediction.
//
// Exporters spell some layers as several nodes: PyTorch's exact GELU is
// x * 0.5 * (1 + erf(x / sqrt 2)) and its SiLU x * sigmoid(x). Those
// patterns become the layer; every other node maps to one Model node, or to
// none (Identity, Dropout, Flatten). A node's location in the IR is
// FILE:N:1, N counting the graph's nodes from 1.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporter.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Path.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>

using namespace kiln;

namespace kiln::onnximport {

int64_t product(const std::vector<int64_t> &dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

std::string shapeText(const std::vector<int64_t> &dims, bool batch) {
  std::string s = "[";
  if (batch)
    s += "batch";
  for (auto [i, d] : llvm::enumerate(dims))
    s += (i || batch ? ", " : "") + std::to_string(d);
  return s + "]";
}

/// The values of a tensor as doubles; nullopt with `why` set when kiln
/// cannot read them.
static std::optional<Constant> decode(const onnx::TensorProto &t,
                                      std::string &why) {
  using TP = onnx::TensorProto;
  if (t.data_location() == TP::EXTERNAL) {
    why = "its data is in an external file, which kiln does not read";
    return std::nullopt;
  }
  Constant c;
  c.name = t.name();
  c.dims.assign(t.dims().begin(), t.dims().end());
  for (int64_t d : c.dims)
    if (d < 1 || d > kMaxElements) {
      why = "it has a dimension of " + std::to_string(d);
      return std::nullopt;
    }
  int64_t n = product(c.dims);
  if (n > kMaxElements) {
    why = "it has more than " + std::to_string(kMaxElements) + " elements";
    return std::nullopt;
  }
  const std::string &raw = t.raw_data();
  auto fromRaw = [&](auto sample) {
    using T = decltype(sample);
    if (raw.size() != size_t(n) * sizeof(T))
      return false;
    c.values.resize(n);
    for (int64_t i = 0; i < n; ++i) {
      T v;
      std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));
      c.values[i] = double(v);
    }
    return true;
  };
  auto fromField = [&](const auto &field) {
    if (field.size() != n)
      return false;
    c.values.assign(field.begin(), field.end());
    return true;
  };
  bool ok;
  switch (t.data_type()) {
  case TP::FLOAT:
    ok = t.has_raw_data() ? fromRaw(float()) : fromField(t.float_data());
    break;
  case TP::DOUBLE:
    ok = t.has_raw_data() ? fromRaw(double()) : fromField(t.double_data());
    break;
  case TP::INT64:
    ok = t.has_raw_data() ? fromRaw(int64_t()) : fromField(t.int64_data());
    break;
  case TP::INT32:
    ok = t.has_raw_data() ? fromRaw(int32_t()) : fromField(t.int32_data());
    break;
  case TP::BOOL: // a byte each, or one int32_data entry each
    ok = t.has_raw_data() ? fromRaw(uint8_t()) : fromField(t.int32_data());
    break;
  default:
    why = "its data type (" + TP::DataType_Name(TP::DataType(t.data_type())) +
          ") is none of float, double, int64, int32 and bool";
    return std::nullopt;
  }
  if (!ok) {
    why = "its data does not hold " + std::to_string(n) + " values";
    return std::nullopt;
  }
  return c;
}

/// `stem` as a C identifier, for the model's exported symbols.
static std::string modelName(StringRef path) {
  std::string name = llvm::sys::path::stem(path).str();
  for (char &ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch)))
      ch = '_';
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])))
    name = "model_" + name;
  return name;
}

bool Importer::fail(const Twine &message) {
  errs << path << ": error: " << message << "\n";
  return false;
}

bool Importer::fail(int index, const Twine &message) {
  const onnx::NodeProto &node = graph->node(index);
  std::string name =
      node.name().empty() ? "#" + std::to_string(index + 1) : node.name();
  return fail("node '" + name + "' (" + node.op_type() + "): " + message);
}

const Constant *Importer::constant(const std::string &name) const {
  auto it = constants.find(name);
  return it == constants.end() ? nullptr : &it->second;
}

std::optional<double> Importer::scalar(const std::string &name) const {
  const Constant *c = constant(name);
  if (!c || !c->isScalar())
    return std::nullopt;
  return c->values[0];
}

bool Importer::hasOperand(int index, int operand) const {
  const onnx::NodeProto &node = graph->node(index);
  return operand < node.input_size() && !node.input(operand).empty();
}

bool Importer::outputUsed(int index, int output) const {
  const onnx::NodeProto &node = graph->node(index);
  if (output >= node.output_size() || node.output(output).empty())
    return false;
  const std::string &name = node.output(output);
  return consumers.count(name) || graphOutputs.count(name);
}

std::optional<Tensor> Importer::tensor(int index, int operand) {
  const onnx::NodeProto &node = graph->node(index);
  if (!hasOperand(index, operand)) {
    fail(index, "input " + Twine(operand + 1) + " is missing");
    return std::nullopt;
  }
  auto it = tensors.find(node.input(operand));
  if (it != tensors.end())
    return it->second;
  if (constants.count(node.input(operand)))
    fail(index, "input '" + node.input(operand) +
                    "' is a constant where kiln needs a value computed "
                    "from the model's input");
  else
    fail(index, "input '" + node.input(operand) + "' is not defined before");
  return std::nullopt;
}

const Constant *Importer::constantOperand(int index, int operand) {
  const onnx::NodeProto &node = graph->node(index);
  if (!hasOperand(index, operand)) {
    fail(index, "input " + Twine(operand + 1) + " is missing");
    return nullptr;
  }
  if (const Constant *c = constant(node.input(operand)))
    return c;
  fail(index, "input '" + node.input(operand) +
                  "' must be a constant (an initializer): kiln compiles "
                  "the weights into the model");
  return nullptr;
}

int64_t Importer::attrInt(int index, StringRef name, int64_t otherwise) const {
  for (const onnx::AttributeProto &a : graph->node(index).attribute())
    if (a.name() == name)
      return a.i();
  return otherwise;
}

double Importer::attrFloat(int index, StringRef name, double otherwise) const {
  for (const onnx::AttributeProto &a : graph->node(index).attribute())
    if (a.name() == name) {
      // The float's shortest decimal, as the exporter's user wrote it
      // (eps=1e-3, not 1.0000000474974513e-3).
      char text[32];
      auto end = std::to_chars(text, text + sizeof text, a.f()).ptr;
      return std::strtod(std::string(text, end).c_str(), nullptr);
    }
  return otherwise;
}

std::string Importer::attrString(int index, StringRef name,
                                 StringRef otherwise) const {
  for (const onnx::AttributeProto &a : graph->node(index).attribute())
    if (a.name() == name)
      return a.s();
  return otherwise.str();
}

unsigned Importer::addNode(Node node) {
  model.nodes.push_back(std::move(node));
  return model.nodes.size() - 1;
}

unsigned Importer::addUnary(OpKind kind, unsigned operand, int index) {
  Node n;
  n.kind = kind;
  n.loc = {unsigned(index + 1), 1};
  n.shape = model.nodes[operand].shape;
  n.operands = {operand};
  return addNode(std::move(n));
}

unsigned Importer::addBinary(OpKind kind, unsigned lhs, unsigned rhs,
                             int index) {
  Node n;
  n.kind = kind;
  n.loc = {unsigned(index + 1), 1};
  const auto &a = model.nodes[lhs].shape, &b = model.nodes[rhs].shape;
  n.shape = a.size() >= b.size() ? a : b;
  n.operands = {lhs, rhs};
  return addNode(std::move(n));
}

unsigned Importer::addConstant(double value, int index) {
  Node n;
  n.kind = OpKind::Constant;
  n.loc = {unsigned(index + 1), 1};
  n.value = value;
  return addNode(std::move(n));
}

unsigned Importer::addState(std::string name, std::vector<int64_t> shape,
                            StateRole role, std::vector<float> values) {
  // An initializer that two nodes use alike is one state; used otherwise
  // (transposed for one of them, say), it is two.
  std::string base = name;
  for (int suffix = 1;; ++suffix) {
    auto it = weights.find(name);
    if (it == weights.end())
      break;
    if (it->second.shape == shape && it->second.values == values)
      return stateIds[name];
    name = base + "_" + std::to_string(suffix);
  }
  StateTensor s;
  s.name = name;
  s.shape = shape;
  s.role = role;
  s.fanIn = shape.size() == 2 ? shape[1] : shape[0];
  s.fanOut = shape[0];
  model.states.push_back(s);
  weights[name] = {std::move(shape), std::move(values)};
  return stateIds[name] = model.states.size() - 1;
}

/// A constant that broadcasts along the rows, [size] or [1, size], as a
/// Load of a state.
unsigned Importer::addVector(const Constant &c, int64_t size, int index) {
  std::vector<float> values(c.values.begin(), c.values.end());
  unsigned state = addState(c.name.empty() ? "constant" : c.name, {size},
                            StateRole::Parameter, std::move(values));
  Node n;
  n.kind = OpKind::Load;
  n.loc = {unsigned(index + 1), 1};
  n.shape = {size};
  n.states = {state};
  return addNode(std::move(n));
}

void Importer::define(int index, unsigned node, std::vector<int64_t> dims) {
  tensors[graph->node(index).output(0)] = {node, std::move(dims)};
}

bool Importer::run(const onnx::ModelProto &proto) {
  graph = &proto.graph();
  for (const onnx::OperatorSetIdProto &set : proto.opset_import())
    if (set.domain().empty() || set.domain() == "ai.onnx")
      opset = set.version();
  if (graph->sparse_initializer_size())
    return fail("sparse initializers are not supported");
  for (const onnx::TensorProto &init : graph->initializer()) {
    std::string why;
    std::optional<Constant> c = decode(init, why);
    if (!c)
      return fail("initializer '" + init.name() + "': " + why);
    constants[init.name()] = std::move(*c);
  }
  for (int i = 0; i < graph->node_size(); ++i) {
    const onnx::NodeProto &node = graph->node(i);
    if (!node.domain().empty() && node.domain() != "ai.onnx")
      return fail(i, "the operator domain '" + node.domain() +
                         "' is not ONNX's own");
    if (node.output_size() == 0)
      return fail(i, "it has no output");
    for (const std::string &in : node.input())
      if (!in.empty())
        consumers[in].push_back(i);
    if (node.op_type() == "Constant" && !importConstantNode(i))
      return false;
  }
  if (graph->output_size() != 1)
    return fail("the graph has " + Twine(graph->output_size()) +
                " outputs; kiln imports a graph with one");
  graphOutputs.insert(graph->output(0).name());

  // The input: the one graph input that is no initializer (older exporters
  // list the initializers among the inputs).
  const onnx::ValueInfoProto *input = nullptr;
  for (const onnx::ValueInfoProto &in : graph->input()) {
    if (constants.count(in.name()))
      continue;
    if (input)
      return fail("the graph has inputs '" + input->name() + "' and '" +
                  in.name() + "'; kiln imports a graph with one");
    input = &in;
  }
  if (!input)
    return fail("the graph has no input");
  const onnx::TypeProto &type = input->type();
  if (!type.has_tensor_type() ||
      type.tensor_type().elem_type() != onnx::TensorProto::FLOAT ||
      !type.tensor_type().has_shape())
    return fail("input '" + input->name() +
                "' is no float tensor of known rank");
  const onnx::TensorShapeProto &shape = type.tensor_type().shape();
  if (shape.dim_size() < 2)
    return fail("input '" + input->name() + "' has rank " +
                Twine(shape.dim_size()) + "; kiln needs [batch, features...]");
  std::vector<int64_t> dims;
  for (int d = 1; d < shape.dim_size(); ++d) {
    if (!shape.dim(d).has_dim_value() || shape.dim(d).dim_value() < 1)
      return fail("input '" + input->name() + "': dimension " + Twine(d) +
                  " is not a fixed size; only the batch dimension may vary");
    dims.push_back(shape.dim(d).dim_value());
    if (product(dims) > kMaxElements)
      return fail("input '" + input->name() + "' has more than " +
                  Twine(kMaxElements) + " features");
  }
  if (shape.dim(0).has_dim_value())
    staticBatch = shape.dim(0).dim_value();

  model.name = modelName(path);
  model.file = path;
  model.input = {input->name(), product(dims), {}};
  model.training.batchSize = rows;
  // Plain SGD keeps no optimizer state to lay out beside the weights.
  model.training.optimizer.kind = OptimizerKind::SGD;
  Node in;
  in.kind = OpKind::Input;
  in.shape = {rows, product(dims)};
  tensors[input->name()] = {addNode(std::move(in)), dims};

  matchGelu();
  for (int i = 0; i < graph->node_size(); ++i) {
    if (absorbed.count(i) || graph->node(i).op_type() == "Constant")
      continue;
    if (!(geluAt.count(i) ? importGelu(i) : importNode(i)))
      return false;
  }

  const std::string &outName = graph->output(0).name();
  auto out = tensors.find(outName);
  if (out == tensors.end())
    return fail("output '" + outName +
                "' is not computed from the model's input");
  if (out->second.dims.size() != 1)
    return fail("output '" + outName + "' has shape " +
                shapeText(out->second.dims, true) +
                "; kiln predicts [batch, outputs]");
  int64_t outputs = out->second.dims[0];
  model.target = {"target", TargetKind::Real, outputs, {}};
  Node target;
  target.kind = OpKind::Target;
  target.shape = {rows, outputs};
  model.loss.kind = LossKind::MSE;
  model.loss.prediction = out->second.node;
  model.loss.target = addNode(std::move(target));
  prune();
  return true;
}

bool Importer::importConstantNode(int index) {
  const onnx::NodeProto &node = graph->node(index);
  if (node.attribute_size() != 1)
    return fail(index, "a Constant needs one value attribute");
  const onnx::AttributeProto &a = node.attribute(0);
  Constant c;
  StringRef kind = a.name();
  if (kind == "value") {
    std::string why;
    std::optional<Constant> decoded = decode(a.t(), why);
    if (!decoded)
      return fail(index, why);
    c = std::move(*decoded);
  } else if (kind == "value_float" || kind == "value_int") {
    c.values = {kind == "value_float" ? double(a.f()) : double(a.i())};
  } else if (kind == "value_floats") {
    c.values.assign(a.floats().begin(), a.floats().end());
    c.dims = {int64_t(c.values.size())};
  } else if (kind == "value_ints") {
    c.values.assign(a.ints().begin(), a.ints().end());
    c.dims = {int64_t(c.values.size())};
  } else {
    return fail(index, "a Constant's '" + kind + "' is not supported");
  }
  c.name = node.output(0);
  constants[node.output(0)] = std::move(c);
  return true;
}

bool Importer::importNode(int index) {
  const onnx::NodeProto &node = graph->node(index);
  StringRef op = node.op_type();
  std::optional<OpKind> unary = llvm::StringSwitch<std::optional<OpKind>>(op)
                                    .Case("Relu", OpKind::Relu)
                                    .Case("Sigmoid", OpKind::Sigmoid)
                                    .Case("Tanh", OpKind::Tanh)
                                    .Case("Exp", OpKind::Exp)
                                    .Case("Log", OpKind::Log)
                                    .Case("Sqrt", OpKind::Sqrt)
                                    .Case("Abs", OpKind::Abs)
                                    .Case("Neg", OpKind::Neg)
                                    .Case("LeakyRelu", OpKind::LeakyRelu)
                                    .Case("Elu", OpKind::Elu)
                                    .Case("Softplus", OpKind::Softplus)
                                    .Case("Softmax", OpKind::Softmax)
                                    .Case("Gelu", OpKind::Gelu)
                                    .Default(std::nullopt);
  if (unary)
    return importUnary(index, *unary);
  std::optional<OpKind> binary = llvm::StringSwitch<std::optional<OpKind>>(op)
                                     .Case("Add", OpKind::Add)
                                     .Case("Sub", OpKind::Sub)
                                     .Case("Mul", OpKind::Mul)
                                     .Case("Div", OpKind::Div)
                                     .Default(std::nullopt);
  if (binary)
    return importBinary(index, *binary);
  if (op == "Identity" || op == "Dropout" || op == "Flatten" || op == "Reshape")
    return importAlias(index);
  if (op == "Gemm")
    return importGemm(index);
  if (op == "MatMul")
    return importMatMul(index);
  if (op == "Pow")
    return importPow(index);
  if (op == "Reciprocal") {
    std::optional<Tensor> x = tensor(index, 0);
    if (!x)
      return false;
    define(index,
           addBinary(OpKind::Div, addConstant(1.0, index), x->node, index),
           x->dims);
    return true;
  }
  if (op == "BatchNormalization")
    return importBatchNorm(index);
  if (op == "LayerNormalization")
    return importLayerNorm(index);
  if (op == "Erf")
    return fail(index, "kiln imports Erf only in GELU's pattern "
                       "x * 0.5 * (1 + erf(x / sqrt(2)))");
  if (op == "ReduceMean")
    return fail(index, "a ReduceMean is not supported (PyTorch exports "
                       "LayerNorm as ReduceMean, Sub, Pow... below opset "
                       "17: export with opset_version=17)");
  return fail(index, "the op type is not supported; kiln imports Gemm, "
                     "MatMul, Add, Sub, Mul, Div, Pow, Reciprocal, Relu, "
                     "LeakyRelu, Elu, Sigmoid, Tanh, Gelu, Softplus, "
                     "Softmax, Exp, Log, Sqrt, Abs, Neg, "
                     "BatchNormalization, LayerNormalization, Dropout, "
                     "Identity, Flatten, Reshape and Constant");
}
/// PyTorch's exact GELU, x * 0.5 * (1 + erf(x / sqrt 2)), as it exports it:
/// Div (or Mul by 1/sqrt 2), Erf, Add 1, then Mul by x and by 0.5 in either
/// order. Its intermediate values must have no other use.
void Importer::matchGelu() {
  const auto &nodes = graph->node();
  std::map<std::string, int> producer;
  for (int i = 0; i < nodes.size(); ++i)
    for (const std::string &out : nodes[i].output())
      producer[out] = i;
  auto soleUse = [&](const std::string &value) -> int {
    auto it = consumers.find(value);
    if (graphOutputs.count(value) || it == consumers.end() ||
        it->second.size() != 1)
      return -1;
    return it->second[0];
  };
  auto near = [](std::optional<double> v, double want) {
    return v && std::abs(*v - want) <= 1e-4 * std::abs(want);
  };
  // `node` is OP(value, constant) or OP(constant, value) with a constant
  // near `want`; returns the value.
  auto withConstant = [&](const onnx::NodeProto &node, StringRef op,
                          double want, bool commutes) -> std::string {
    if (node.op_type() != op || node.input_size() != 2)
      return "";
    if (near(scalar(node.input(1)), want))
      return node.input(0);
    if (commutes && near(scalar(node.input(0)), want))
      return node.input(1);
    return "";
  };
  for (int e = 0; e < nodes.size(); ++e) {
    if (nodes[e].op_type() != "Erf" || nodes[e].input_size() != 1)
      continue;
    auto d = producer.find(nodes[e].input(0));
    if (d == producer.end() || soleUse(nodes[e].input(0)) != e)
      continue;
    const onnx::NodeProto &scaled = nodes[d->second];
    std::string x = withConstant(scaled, "Div", std::sqrt(2.0), false);
    if (x.empty())
      x = withConstant(scaled, "Mul", std::sqrt(0.5), true);
    int a = soleUse(nodes[e].output(0));
    if (x.empty() || a < 0 ||
        withConstant(nodes[a], "Add", 1.0, true) != nodes[e].output(0))
      continue;
    int m = soleUse(nodes[a].output(0));
    if (m < 0 || nodes[m].op_type() != "Mul" || nodes[m].input_size() != 2)
      continue;
    const std::string &other = nodes[m].input(0) == nodes[a].output(0)
                                   ? nodes[m].input(1)
                                   : nodes[m].input(0);
    std::set<int> parts = {d->second, e, a, m};
    int last = -1;
    if (other == x) {
      // (x * (1 + erf)) * 0.5
      int h = soleUse(nodes[m].output(0));
      if (h >= 0 &&
          withConstant(nodes[h], "Mul", 0.5, true) == nodes[m].output(0)) {
        parts.insert(h);
        last = h;
      }
    } else if (auto h = producer.find(other);
               h != producer.end() && soleUse(other) == m &&
               withConstant(nodes[h->second], "Mul", 0.5, true) == x) {
      // (x * 0.5) * (1 + erf)
      parts.insert(h->second);
      last = m;
    }
    if (last < 0)
      continue;
    parts.erase(last);
    absorbed.insert(parts.begin(), parts.end());
    geluAt[last] = x;
  }
}

/// Drops what the output does not depend on (the Sigmoid of a SiLU, say),
/// and the states only that read.
void Importer::prune() {
  std::vector<bool> live(model.nodes.size(), false);
  live[model.loss.prediction] = live[model.loss.target] = true;
  for (unsigned id = model.nodes.size(); id-- > 0;) {
    if (model.nodes[id].kind == OpKind::Input)
      live[id] = true;
    if (live[id])
      for (unsigned operand : model.nodes[id].operands)
        live[operand] = true;
  }
  std::vector<unsigned> newNode(model.nodes.size());
  std::vector<bool> stateLive(model.states.size(), false);
  std::vector<Node> nodes;
  for (auto [id, node] : llvm::enumerate(model.nodes)) {
    if (!live[id])
      continue;
    newNode[id] = nodes.size();
    for (unsigned &operand : node.operands)
      operand = newNode[operand];
    for (unsigned s : node.states)
      stateLive[s] = true;
    nodes.push_back(std::move(node));
  }
  model.loss.prediction = newNode[model.loss.prediction];
  model.loss.target = newNode[model.loss.target];
  std::vector<unsigned> newState(model.states.size());
  std::vector<StateTensor> states;
  for (auto [id, state] : llvm::enumerate(model.states)) {
    if (!stateLive[id]) {
      weights.erase(state.name);
      continue;
    }
    newState[id] = states.size();
    states.push_back(std::move(state));
  }
  for (Node &node : nodes)
    for (unsigned &s : node.states)
      s = newState[s];
  model.nodes = std::move(nodes);
  model.states = std::move(states);
}

} // namespace kiln::onnximport

using namespace kiln::onnximport;

std::unique_ptr<OnnxModel> OnnxModel::read(StringRef path,
                                           llvm::raw_ostream &errs) {
  std::ifstream file(path.str(), std::ios::binary);
  if (!file) {
    errs << path << ": error: cannot read the file\n";
    return nullptr;
  }
  onnx::ModelProto proto;
  if (!proto.ParseFromIstream(&file)) {
    errs << path << ": error: not an ONNX model (protobuf parse failed)\n";
    return nullptr;
  }
  Importer importer(path, errs);
  if (!importer.run(proto))
    return nullptr;
  return std::unique_ptr<OnnxModel>(
      new OnnxModel(std::move(importer.model), std::move(importer.weights)));
}

Model OnnxModel::translate(int64_t rows) const {
  Model m = model;
  m.training.batchSize = rows;
  // Every node but loads and constants is a batch of rows.
  for (Node &node : m.nodes)
    if (node.kind != OpKind::Load && node.kind != OpKind::Constant)
      node.shape[0] = rows;
  return m;
}

bool OnnxModel::isOnnxPath(StringRef path) {
  return path.ends_with_insensitive(".onnx");
}
