//===- NNInterfaces.td - Interfaces of the nn dialect -------*- tablegen -*-===//

#ifndef KILN_NN_INTERFACES
#define KILN_NN_INTERFACES

include "mlir/IR/OpBase.td"

def DifferentiableOpInterface : OpInterface<"DifferentiableOpInterface"> {
  let cppNamespace = "::kiln::nn";
  let description = [{
    An op that knows its own reverse-mode derivative (its vector-Jacobian
    product). Autodiff walks a function backwards and asks each op for its
    rule; it knows no op by name.
  }];
  let methods = [
    InterfaceMethod<[{
        Builds, at the builder's insertion point, the gradients of this op's
        operands from the gradients of its results. `resultGrads` holds one
        value per result, null where no gradient flows back. `needed` says
        which operands the caller wants a gradient for; the op leaves the
        others null and should not build work only they need. Returns failure
        (after emitting a diagnostic) if the op cannot be differentiated.
      }],
      "::mlir::LogicalResult", "buildVJP",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ValueRange":$resultGrads,
           "::llvm::ArrayRef<bool>":$needed,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>,
  ];
}

def ElementwiseOpInterface : OpInterface<"ElementwiseOpInterface"> {
  let cppNamespace = "::kiln::nn";
  let description = [{
    An op that computes each element of its result from the elements of its
    (broadcast) operands at the same position. The op builds that scalar
    computation itself, so that its lowering and every fusion that absorbs
    it share one definition of what it computes.
  }];
  let methods = [
    InterfaceMethod<[{
        Builds the op's computation on one element: `operands` are f32
        scalars (or vectors of f32), one per operand of the op, and the
        result has their type.
      }],
      "::mlir::Value", "buildScalar",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Location":$loc,
           "::mlir::ValueRange":$operands)>,
  ];
}

def ActivationOpInterface : OpInterface<"ActivationOpInterface"> {
  let cppNamespace = "::kiln::nn";
  let description = [{
    An elementwise activation op (relu, gelu, ...). Lowering, fusion and
    autodiff treat them all alike through the `#nn.act` that describes them.
  }];
  let methods = [
    InterfaceMethod<"The activation this op applies.",
      "::kiln::nn::ActivationAttr", "getActivation">,
  ];
}

#endif // KILN_NN_INTERFACES
