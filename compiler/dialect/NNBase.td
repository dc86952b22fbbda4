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
    I32EnumAttrCase<"prepared", 4>]> {
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

#endif // KILN_NN_BASE
