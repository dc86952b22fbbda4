//===- OnnxExport.cpp - @predict as an ONNX model -------------------------===//
//
// `kiln build --emit=onnx --weights W`: the inference graph after folding
// (batch norms folded into dense layers, dropout gone, weights transposed
// as @prepare lays them out) with the folded weights as initializers, for
// any ONNX runtime. The graph is @predict at the predict stage built without
// activation and norm fusion, so that each nn op has an ONNX counterpart;
// an activation ONNX lacks is written as the nodes PyTorch writes for it
// (GELU as Div, Erf, Add, Mul, Mul), which kiln's importer reads back as
// the activation (OnnxImport.cpp). The batch dimension is dynamic.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Codegen.h"
#include "kiln/Dialect/NN/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <map>

using namespace mlir;
using namespace kiln;

namespace {

/// The ONNX opset written: LayerNormalization needs 17.
constexpr int64_t kOpset = 17;

class Exporter {
public:
  Exporter(const ModelInfo &info, ArrayRef<float> weights,
           onnx::GraphProto &graph)
      : weights(weights), graph(graph) {
    for (const auto *list : {&info.tensors, &info.preparedTensors})
      for (const TensorInfo &t : *list)
        offsets[t.name] = t.offset;
  }

  LogicalResult run(func::FuncOp predict);

private:
  LogicalResult exportOp(Operation *op);
  /// The value's name in the graph.
  std::string &name(Value v) { return names[v]; }
  std::string fresh(StringRef hint) {
    return (hint + "_" + Twine(counter++)).str();
  }
  onnx::NodeProto &node(StringRef opType, ArrayRef<std::string> inputs,
                        const std::string &output);
  std::string unary(StringRef opType, const std::string &x);
  std::string binary(StringRef opType, const std::string &a,
                     const std::string &b);
  std::string scalar(float value);
  LogicalResult initializer(StringRef stateName, RankedTensorType type,
                            Operation *op);
  /// `x` through the activation, as ONNX nodes; returns the result.
  std::string activation(nn::ActivationAttr act, const std::string &x);

  ArrayRef<float> weights;
  onnx::GraphProto &graph;
  std::map<std::string, int64_t> offsets;
  llvm::DenseMap<Value, std::string> names;
  std::map<std::string, bool> written; // initializers
  int counter = 0;
};

void addIntAttr(onnx::NodeProto &n, StringRef name, int64_t v) {
  onnx::AttributeProto *a = n.add_attribute();
  a->set_name(name.str());
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

void addFloatAttr(onnx::NodeProto &n, StringRef name, double v) {
  onnx::AttributeProto *a = n.add_attribute();
  a->set_name(name.str());
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(float(v));
}

onnx::NodeProto &Exporter::node(StringRef opType, ArrayRef<std::string> inputs,
                                const std::string &output) {
  onnx::NodeProto *n = graph.add_node();
  n->set_op_type(opType.str());
  n->set_name(output);
  for (const std::string &in : inputs)
    n->add_input(in);
  n->add_output(output);
  return *n;
}

std::string Exporter::unary(StringRef opType, const std::string &x) {
  std::string out = fresh(opType);
  node(opType, {x}, out);
  return out;
}

std::string Exporter::binary(StringRef opType, const std::string &a,
                             const std::string &b) {
  std::string out = fresh(opType);
  node(opType, {a, b}, out);
  return out;
}

std::string Exporter::scalar(float value) {
  onnx::TensorProto *t = graph.add_initializer();
  t->set_name(fresh("const"));
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_float_data(value);
  return t->name();
}

LogicalResult Exporter::initializer(StringRef stateName, RankedTensorType type,
                                    Operation *op) {
  std::string key = stateName.str();
  if (written[key])
    return success();
  auto offset = offsets.find(key);
  int64_t numel = type.getNumElements();
  if (offset == offsets.end() ||
      offset->second + numel > int64_t(weights.size()))
    return op->emitError("internal error: no weights for state '")
           << stateName << "'";
  onnx::TensorProto *t = graph.add_initializer();
  t->set_name(key);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : type.getShape())
    t->add_dims(d);
  t->set_raw_data(weights.data() + offset->second, numel * sizeof(float));
  written[key] = true;
  return success();
}

std::string Exporter::activation(nn::ActivationAttr act, const std::string &x) {
  double p = act.getParamValue();
  switch (act.getKind()) {
  case nn::ActivationKind::sigmoid:
    return unary("Sigmoid", x);
  case nn::ActivationKind::tanh:
    return unary("Tanh", x);
  case nn::ActivationKind::relu:
    return unary("Relu", x);
  case nn::ActivationKind::leaky_relu: {
    std::string out = fresh("LeakyRelu");
    addFloatAttr(node("LeakyRelu", {x}, out), "alpha", p);
    return out;
  }
  case nn::ActivationKind::elu: {
    std::string out = fresh("Elu");
    addFloatAttr(node("Elu", {x}, out), "alpha", p);
    return out;
  }
  case nn::ActivationKind::gelu: {
    // x * (1 + erf(x / sqrt 2)) * 0.5, as PyTorch exports nn.GELU().
    std::string erf =
        unary("Erf", binary("Div", x, scalar(float(std::sqrt(2.0)))));
    std::string xp = binary("Mul", x, binary("Add", erf, scalar(1.0f)));
    return binary("Mul", xp, scalar(0.5f));
  }
  case nn::ActivationKind::gelu_sigmoid:
    return binary("Mul", x, unary("Sigmoid", binary("Mul", x, scalar(1.702f))));
  case nn::ActivationKind::softplus:
    if (p == 1.0)
      return unary("Softplus", x);
    return binary("Div", unary("Softplus", binary("Mul", x, scalar(float(p)))),
                  scalar(float(p)));
  case nn::ActivationKind::swish:
    return binary(
        "Mul", x,
        unary("Sigmoid", p == 1.0 ? x : binary("Mul", x, scalar(float(p)))));
  }
  llvm_unreachable("unknown activation");
}

LogicalResult Exporter::run(func::FuncOp predict) {
  if (predict.getNumArguments() != 1 || predict.getNumResults() != 1)
    return predict.emitError("internal error: @predict is not (x) -> y");
  names[predict.getArgument(0)] = "x";
  for (Operation &op : predict.getBody().front())
    if (failed(exportOp(&op)))
      return failure();
  return success();
}

LogicalResult Exporter::exportOp(Operation *op) {
  auto unsupported = [&]() -> LogicalResult {
    return op->emitError("cannot export '") << op->getName() << "' to ONNX";
  };
  auto fuse = [&](std::string out, nn::ActivationAttr act) {
    return act ? activation(act, out) : out;
  };
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](nn::LoadOp load) {
        name(load) = load.getState().str();
        return initializer(load.getState(), load.getType(), op);
      })
      .Case([&](arith::ConstantOp c) {
        auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
        auto type = dyn_cast<RankedTensorType>(c.getType());
        if (!dense || !type || !type.getElementType().isF32())
          return unsupported();
        onnx::TensorProto *t = graph.add_initializer();
        t->set_name(fresh("const"));
        t->set_data_type(onnx::TensorProto::FLOAT);
        for (int64_t d : type.getShape())
          t->add_dims(d);
        for (const APFloat &v : dense.getValues<APFloat>())
          t->add_float_data(v.convertToFloat());
        name(c) = t->name();
        return success();
      })
      .Case([&](nn::DenseOp dense) {
        std::vector<std::string> in = {name(dense.getInput()),
                                       name(dense.getWeight())};
        if (dense.getBias())
          in.push_back(name(dense.getBias()));
        std::string out = fresh("Gemm");
        // kiln's [out, in] weight is torch.nn.Linear's; @prepare's
        // transposed one is [in, out].
        addIntAttr(node("Gemm", in, out), "transB",
                   dense.getTransposedWeight() ? 0 : 1);
        name(dense) = fuse(out, dense.getActivationAttr());
        return success();
      })
      .Case([&](nn::MatMulOp mm) {
        if (mm.getEpilogueInput())
          return unsupported();
        std::string a = name(mm.getLhs()), b = name(mm.getRhs());
        auto transpose = [&](const std::string &x) {
          std::string out = fresh("Transpose");
          onnx::NodeProto &n = node("Transpose", {x}, out);
          onnx::AttributeProto *perm = n.add_attribute();
          perm->set_name("perm");
          perm->set_type(onnx::AttributeProto::INTS);
          perm->add_ints(1);
          perm->add_ints(0);
          return out;
        };
        if (mm.getTransposeLhs())
          a = transpose(a);
        if (mm.getTransposeRhs())
          b = transpose(b);
        name(mm) = binary("MatMul", a, b);
        return success();
      })
      .Case<nn::AddOp, nn::SubOp, nn::MulOp, nn::DivOp>([&](auto binop) {
        StringRef opType = llvm::TypeSwitch<Operation *, StringRef>(op)
                               .Case([](nn::AddOp) { return "Add"; })
                               .Case([](nn::SubOp) { return "Sub"; })
                               .Case([](nn::MulOp) { return "Mul"; })
                               .Default([](Operation *) { return "Div"; });
        name(binop) =
            binary(opType, name(binop.getLhs()), name(binop.getRhs()));
        return success();
      })
      .Case<nn::NegOp, nn::ExpOp, nn::LogOp, nn::SqrtOp, nn::AbsOp, nn::SignOp>(
          [&](auto un) {
            StringRef opType = llvm::TypeSwitch<Operation *, StringRef>(op)
                                   .Case([](nn::NegOp) { return "Neg"; })
                                   .Case([](nn::ExpOp) { return "Exp"; })
                                   .Case([](nn::LogOp) { return "Log"; })
                                   .Case([](nn::SqrtOp) { return "Sqrt"; })
                                   .Case([](nn::AbsOp) { return "Abs"; })
                                   .Default([](Operation *) { return "Sign"; });
            name(un) = unary(opType, name(un.getInput()));
            return success();
          })
      .Case([&](nn::ActivationOpInterface act) {
        name(op->getResult(0)) =
            activation(act.getActivation(), name(op->getOperand(0)));
        return success();
      })
      .Case([&](nn::SoftmaxOp softmax) {
        std::string out = fresh("Softmax");
        addIntAttr(node("Softmax", {name(softmax.getInput())}, out), "axis",
                   -1);
        name(softmax) = out;
        return success();
      })
      .Case([&](nn::LayerNormOp ln) {
        std::string out = fresh("LayerNormalization");
        onnx::NodeProto &n =
            node("LayerNormalization",
                 {name(ln.getInput()), name(ln.getGamma()), name(ln.getBeta())},
                 out);
        addIntAttr(n, "axis", -1);
        addFloatAttr(n, "epsilon", ln.getEps().convertToDouble());
        name(ln) = fuse(out, ln.getActivationAttr());
        return success();
      })
      .Case([&](nn::BatchNormOp bn) {
        if (bn.getTraining())
          return unsupported();
        std::string out = fresh("BatchNormalization");
        addFloatAttr(
            node("BatchNormalization",
                 {name(bn.getInput()), name(bn.getGamma()), name(bn.getBeta()),
                  name(bn.getRunningMean()), name(bn.getRunningVar())},
                 out),
            "epsilon", bn.getEps().convertToDouble());
        name(bn.getResult()) = fuse(out, bn.getActivationAttr());
        return success();
      })
      .Case([&](nn::PredictionOp p) {
        name(p) = name(p.getInput());
        return success();
      })
      .Case([&](func::ReturnOp ret) {
        // The output gets the name "y" through an Identity, so that the
        // graph's interface does not depend on the ops before it.
        node("Identity", {name(ret.getOperand(0))}, "y");
        return success();
      })
      .Default([&](Operation *) { return unsupported(); });
}

void setShape(onnx::ValueInfoProto &v, StringRef name, int64_t columns) {
  v.set_name(name.str());
  onnx::TypeProto_Tensor *t = v.mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  t->mutable_shape()->add_dim()->set_dim_param("batch");
  t->mutable_shape()->add_dim()->set_dim_value(columns);
}

} // namespace

LogicalResult kiln::exportOnnx(ModuleOp graph, const ModelInfo &info,
                               ArrayRef<float> weights, llvm::raw_ostream &os) {
  auto predict = graph.lookupSymbol<func::FuncOp>("predict");
  if (!predict)
    return graph.emitError("internal error: no @predict to export");
  onnx::ModelProto model;
  model.set_ir_version(onnx::IR_VERSION);
  model.set_producer_name("kiln");
  model.set_producer_version(KILN_PROJECT_VERSION);
  onnx::OperatorSetIdProto *opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOpset);
  onnx::GraphProto &g = *model.mutable_graph();
  g.set_name(info.config.getName().str());
  setShape(*g.add_input(), "x", info.config.getInputDim());
  setShape(*g.add_output(), "y", info.outputDim);
  Exporter exporter(info, weights, g);
  if (failed(exporter.run(predict)))
    return failure();
  std::string bytes;
  if (!model.SerializeToString(&bytes))
    return graph.emitError("cannot serialize the ONNX model");
  os << bytes;
  return success();
}
