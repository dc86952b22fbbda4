//===- NNBase.td - The nn dialect, its enums and attributes -*- tablegen -*-===//

#ifndef KILN_NN_BASE
#define KILN_NN_BASE

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def NN_Dialect : Dialect {
  let name = "nn";
  let cppNamespace = "::kiln::nn";
  let summary = "Neural-network graphs with static shapes, as kiln compiles them";
  let description = [{
    The nn dialect holds a model as a graph of tensor ops: the forward
    network and its loss as the frontend writes them, the gradient ops that
    autodiff adds, and the fused ops that the fusion passes form. Shapes are
    static and the element type is f32 throughout. Model state (parameters,
    batch-norm statistics, optimizer state) lives in `nn.state` symbols that
    functions read with `nn.load` and write with `nn.store`.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasOperationAttrVerify = 1;
}

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def NN_StateRole : I32EnumAttr<"StateRole", "what a state tensor is for", [
    I32EnumAttrCase<"param", 0>,
    I32EnumAttrCase<"running_mean", 1>,
    I32EnumAttrCase<"running_var", 2>,
    I32EnumAttrCase<"optimizer", 3>,
    I32EnumAttrCase<"prepared", 4>,
    I32EnumAttrCase<"gradient", 5>]> {
  let cppNamespace = "::kiln::nn";
  let genSpecializedAttr = 0;
}
def NN_StateRoleAttr : EnumAttr<NN_Dialect, NN_StateRole, "role"> {
  let assemblyFormat = "`<` $value `>`";
}

def NN_InitKind : I32EnumAttr<"InitKind", "how a state tensor is initialized", [
    I32EnumAttrCase<"zeros", 0>,
    I32EnumAttrCase<"ones", 1>,
    I32EnumAttrCase<"normal", 2>,
    I32EnumAttrCase<"uniform", 3>,
    I32EnumAttrCase<"xavier_uniform", 4>,
    I32EnumAttrCase<"xavier_normal", 5>,
    I32EnumAttrCase<"he_normal", 6>,
    I32EnumAttrCase<"he_uniform", 7>]> {
  let cppNamespace = "::kiln::nn";
  let genSpecializedAttr = 0;
}
def NN_InitKindAttr : EnumAttr<NN_Dialect, NN_InitKind, "init"> {
  let assemblyFormat = "`<` $value `>`";
}

//===----------------------------------------------------------------------===//
// The model configuration's kinds (#nn.model, NNModel.td). The target
// kind and the metric have kiln_rt.h's values (KILN_TARGET_*, KILN_METRIC_*;
// static_asserts in ModelInfo.cpp keep them equal); #nn.model writes every
// kind as its keyword.
//===----------------------------------------------------------------------===//

class NN_ConfigEnum<string name, string summary, list<I32EnumAttrCase> cases>
    : I32EnumAttr<name, summary, cases> {
  let cppNamespace = "::kiln::nn";
  let genSpecializedAttr = 0;
}

def NN_TargetKind : NN_ConfigEnum<"TargetKind", "what a model predicts", [
    I32EnumAttrCase<"class_", 0, "class">,
    I32EnumAttrCase<"binary", 1>,
    I32EnumAttrCase<"multilabel", 2>,
    I32EnumAttrCase<"real", 3>]>;
def NN_Metric : NN_ConfigEnum<"Metric", "a metric on the validation set", [
    I32EnumAttrCase<"loss", 0>,
    I32EnumAttrCase<"accuracy", 1>,
    I32EnumAttrCase<"mse", 2>,
    I32EnumAttrCase<"mae", 3>,
    I32EnumAttrCase<"r2", 4>]>;
def NN_OptimizerKind : NN_ConfigEnum<"OptimizerKind", "an optimizer", [
    I32EnumAttrCase<"sgd", 0>,
    I32EnumAttrCase<"momentum", 1>,
    I32EnumAttrCase<"nesterov", 2>,
    I32EnumAttrCase<"adagrad", 3>,
    I32EnumAttrCase<"rmsprop", 4>,
    I32EnumAttrCase<"adam", 5>,
    I32EnumAttrCase<"adamw", 6>]>;
def NN_ScheduleKind : NN_ConfigEnum<"ScheduleKind", "a learning-rate schedule", [
    I32EnumAttrCase<"constant", 0>,
    I32EnumAttrCase<"step_decay", 1>,
    I32EnumAttrCase<"exponential_decay", 2>, // lr gamma^t
    I32EnumAttrCase<"exp_decay", 3>,         // lr e^(-k t)
    I32EnumAttrCase<"linear_decay", 4>,
    I32EnumAttrCase<"cosine", 5>]>;
def NN_ScheduleUnit : NN_ConfigEnum<"ScheduleUnit", "what a schedule counts", [
    I32EnumAttrCase<"epoch", 0>,
    I32EnumAttrCase<"step", 1>]>;
def NN_DecayScope : NN_ConfigEnum<"DecayScope", "what weight decay applies to", [
    I32EnumAttrCase<"weights", 0>, // parameters of rank >= 2
    I32EnumAttrCase<"all", 1>]>;

def NN_LossReduction : I32EnumAttr<"LossReduction",
    "how a loss combines the outputs of a sample", [
    I32EnumAttrCase<"mean", 0>,
    I32EnumAttrCase<"sum", 1>]> {
  let cppNamespace = "::kiln::nn";
  let genSpecializedAttr = 0;
}
def NN_LossReductionAttr : EnumAttr<NN_Dialect, NN_LossReduction,
                                    "reduction"> {
  let assemblyFormat = "`<` $value `>`";
}
/// The reduction a loss op takes when none is given.
class NN_ReductionDefault<string value>
    : DefaultValuedAttr<NN_LossReductionAttr,
                        "::kiln::nn::LossReduction::" # value>;

def NN_ActivationKind : I32EnumAttr<"ActivationKind", "an activation function", [
    I32EnumAttrCase<"sigmoid", 0>,
    I32EnumAttrCase<"tanh", 1>,
    I32EnumAttrCase<"relu", 2>,
    I32EnumAttrCase<"leaky_relu", 3>,   // param: alpha
    I32EnumAttrCase<"gelu", 4>,         // x * Phi(x)
    I32EnumAttrCase<"gelu_sigmoid", 5>, // x * sigmoid(1.702 x)
    I32EnumAttrCase<"softplus", 6>,     // param: beta
    I32EnumAttrCase<"swish", 7>,        // param: beta
    I32EnumAttrCase<"elu", 8>]> {       // param: alpha
  let cppNamespace = "::kiln::nn";
  let genSpecializedAttr = 0;
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

class NN_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<NN_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def NN_ActivationAttr : NN_Attr<"Activation", "act"> {
  let summary = "An activation function and its parameter";
  let description = [{
    `#nn.act<relu>`, `#nn.act<leaky_relu, 0.01>`, `#nn.act<swish, 1.0>`.
    The parameter is alpha for leaky_relu and elu, and beta for softplus and
    swish;
    the other kinds have none. Activation ops, their gradient op and dense
    layers with a fused activation all describe the function with it, so
    that one piece of code computes each function and its derivative.
  }];
  let parameters = (ins "ActivationKind":$kind,
                        APFloatParameter<"alpha or beta">:$param);
  let builders = [
    AttrBuilder<(ins "ActivationKind":$kind, CArg<"double", "0.0">:$param), [{
      return $_get($_ctxt, kind, ::llvm::APFloat(param));
    }]>
  ];
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// True for the kinds that take a parameter.
    static bool hasParam(ActivationKind kind);
    double getParamValue() const { return getParam().convertToDouble(); }
  }];
}

include "NNModel.td"

#endif // KILN_NN_BASE
