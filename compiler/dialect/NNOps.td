//===- NNOps.td - Operations of the nn dialect --------------*- tablegen -*-===//

#ifndef KILN_NN_OPS
#define KILN_NN_OPS

include "NNBase.td"
include "NNInterfaces.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

class NN_Op<string mnemonic, list<Trait> traits = []>
    : Op<NN_Dialect, mnemonic, traits>;

def NN_Tensor : StaticShapeTensorOf<[F32]>;

defvar NN_Differentiable = DeclareOpInterfaceMethods<DifferentiableOpInterface>;
defvar NN_Elementwise = DeclareOpInterfaceMethods<ElementwiseOpInterface>;
def NN_Scalar : 0DTensorOf<[F32]>;

//===----------------------------------------------------------------------===//
// State
//===----------------------------------------------------------------------===//

def NN_StateOp : NN_Op<"state", [Symbol, HasParent<"::mlir::ModuleOp">]> {
  let summary = "A tensor of the model's state buffer";
  let description = [{
    Declares a named tensor that lives in the state buffer across calls:
    a parameter, a batch-norm running statistic, or optimizer state. The
    name is the checkpoint name. `fan_in` and `fan_out` feed the Xavier and
    He initializers; `init_a` and `init_b` are normal's mean and std or
    uniform's bounds. `offset` (in floats) is set by the state layout pass.
    A `prepared` tensor is derived from the others by `@prepare` (e.g. a
    dense layer with batch norm folded in) and lives in the prediction
    state only, after a copy of the state. A `gradient` tensor holds a
    parameter's gradient between a data-parallel build's `@grad_<rows>`
    and `@apply_update` (docs/distributed.md); the gradients come last in
    the state, one contiguous buffer for the allreduce.

    ```mlir
    nn.state @l1.weight : tensor<128x64xf32> {role = #nn.role<param>,
        init = #nn.init<he_uniform>, fan_in = 64 : i64, fan_out = 128 : i64}
    ```
  }];
  let arguments = (ins
    SymbolNameAttr:$sym_name,
    TypeAttrOf<NN_Tensor>:$type,
    NN_StateRoleAttr:$role,
    NN_InitKindAttr:$init,
    DefaultValuedAttr<F64Attr, "0.0">:$init_a,
    DefaultValuedAttr<F64Attr, "0.0">:$init_b,
    DefaultValuedAttr<I64Attr, "1">:$fan_in,
    DefaultValuedAttr<I64Attr, "1">:$fan_out,
    OptionalAttr<I64Attr>:$offset);
  let assemblyFormat = "$sym_name `:` $type attr-dict";
  let extraClassDeclaration = [{
    ::mlir::RankedTensorType getTensorType() {
      return ::llvm::cast<::mlir::RankedTensorType>(getType());
    }
  }];
}

def NN_LoadOp : NN_Op<"load", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>,
    MemoryEffects<[MemRead]>]> {
  let summary = "Reads a state tensor";
  let arguments = (ins FlatSymbolRefAttr:$state);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$state attr-dict `:` type($result)";
}

def NN_StoreOp : NN_Op<"store", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>,
    MemoryEffects<[MemWrite]>]> {
  let summary = "Writes a state tensor";
  let arguments = (ins NN_Tensor:$value, FlatSymbolRefAttr:$state);
  let assemblyFormat = "$value `,` $state attr-dict `:` type($value)";
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

def NN_DenseOp : NN_Op<"dense", [Pure, NN_Differentiable]> {
  let summary = "A fully connected layer: x W^T + b, then an optional activation";
  let description = [{
    `x` is `[B, in]`, the weight `[out, in]` as in torch.nn.Linear, the
    optional bias `[out]`; the result is `[B, out]`. The activation, when
    present, has been fused into the layer by the activation fusion pass.
    With `transposed_weight`, the weight is `[in, out]`: W^T, as @prepare
    lays it out for prediction (the transpose-inference-weights pass).
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$weight,
                       Optional<NN_Tensor>:$bias,
                       OptionalAttr<NN_ActivationAttr>:$activation,
                       UnitAttr:$transposed_weight);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_MatMulOp : NN_Op<"matmul", [Pure, NN_Differentiable]> {
  let summary = "Matrix product, with either operand optionally transposed";
  let description = [{
    With an `epilogue` activation and its `epilogue_input` (the same shape
    as the result), the product is multiplied elementwise by the
    activation's derivative at that input: the gradient through an
    activation, fused by the activation fusion pass into the matmul that
    produces the gradient it scales. With `epilogue_from_output`, the
    input is the activation's output rather than its argument.
  }];
  let arguments = (ins NN_Tensor:$lhs, NN_Tensor:$rhs,
                       Optional<NN_Tensor>:$epilogue_input,
                       DefaultValuedAttr<BoolAttr, "false">:$transpose_lhs,
                       DefaultValuedAttr<BoolAttr, "false">:$transpose_rhs,
                       OptionalAttr<NN_ActivationAttr>:$epilogue,
                       DefaultValuedAttr<BoolAttr, "false">:$epilogue_from_output);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`epilogue` `(` $epilogue_input^ `)`)? attr-dict `:`
    functional-type(operands, results)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Type":$result, "::mlir::Value":$lhs,
                   "::mlir::Value":$rhs, "bool":$transposeLhs,
                   "bool":$transposeRhs), [{
      build($_builder, $_state, result, lhs, rhs, ::mlir::Value(),
            transposeLhs, transposeRhs, ActivationAttr(), false);
    }]>
  ];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise arithmetic
//===----------------------------------------------------------------------===//

class NN_BinaryOp<string mnemonic, list<Trait> traits = []>
    : NN_Op<mnemonic, !listconcat([Pure, NN_Differentiable, NN_Elementwise],
                                  traits)> {
  let description = [{
    Elementwise, with NumPy broadcasting: shapes are aligned on the right,
    and a dimension of size 1 (or a missing one) stretches to the other.
  }];
  let arguments = (ins NN_Tensor:$lhs, NN_Tensor:$rhs);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def NN_AddOp : NN_BinaryOp<"add", [Commutative]> { let summary = "lhs + rhs"; }
def NN_SubOp : NN_BinaryOp<"sub"> { let summary = "lhs - rhs"; }
def NN_MulOp : NN_BinaryOp<"mul", [Commutative]> { let summary = "lhs * rhs"; }
def NN_DivOp : NN_BinaryOp<"div"> { let summary = "lhs / rhs"; }

class NN_UnaryOp<string mnemonic, list<Trait> traits = []>
    : NN_Op<mnemonic, !listconcat([Pure, SameOperandsAndResultType,
                                   NN_Differentiable], traits)> {
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def NN_NegOp : NN_UnaryOp<"neg", [NN_Elementwise]> { let summary = "-x"; }
def NN_ExpOp : NN_UnaryOp<"exp", [NN_Elementwise]> { let summary = "e^x"; }
def NN_LogOp : NN_UnaryOp<"log", [NN_Elementwise]> { let summary = "natural logarithm"; }
def NN_SqrtOp : NN_UnaryOp<"sqrt", [NN_Elementwise]> { let summary = "square root"; }
def NN_AbsOp : NN_UnaryOp<"abs", [NN_Elementwise]> { let summary = "|x|"; }
def NN_SignOp : NN_UnaryOp<"sign", [NN_Elementwise]> {
  let summary = "-1, 0 or 1 by the sign of x (the derivative of |x|)";
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

class NN_ActivationOp<string mnemonic, dag params = (ins)>
    : NN_UnaryOp<mnemonic, [DeclareOpInterfaceMethods<ActivationOpInterface>,
                            NN_Elementwise]> {
  let arguments = !con((ins NN_Tensor:$input), params);
}

def NN_SigmoidOp : NN_ActivationOp<"sigmoid"> {
  let summary = "1 / (1 + e^-x)";
}
def NN_TanhOp : NN_ActivationOp<"tanh"> {
  let summary = "hyperbolic tangent";
}
def NN_ReluOp : NN_ActivationOp<"relu"> {
  let summary = "max(x, 0)";
}
def NN_LeakyReluOp : NN_ActivationOp<"leaky_relu",
    (ins DefaultValuedAttr<F64Attr, "0.01">:$alpha)> {
  let summary = "x for x >= 0, alpha x otherwise";
}
def NN_EluOp : NN_ActivationOp<"elu",
    (ins DefaultValuedAttr<F64Attr, "1.0">:$alpha)> {
  let summary = "x for x > 0, alpha (e^x - 1) otherwise";
  let hasVerifier = 1;
}
def NN_GeluOp : NN_ActivationOp<"gelu",
    (ins DefaultValuedAttr<BoolAttr, "false">:$approximate)> {
  let summary = "x Phi(x), or x sigmoid(1.702 x) when approximate";
}
def NN_SoftplusOp : NN_ActivationOp<"softplus",
    (ins DefaultValuedAttr<F64Attr, "1.0">:$beta)> {
  let summary = "log(1 + e^(beta x)) / beta";
  let hasVerifier = 1;
}
def NN_SwishOp : NN_ActivationOp<"swish",
    (ins DefaultValuedAttr<F64Attr, "1.0">:$beta)> {
  let summary = "x sigmoid(beta x)";
  let hasVerifier = 1;
}

def NN_SoftmaxOp : NN_UnaryOp<"softmax"> {
  let summary = "softmax over the last axis";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Regularization and normalization
//===----------------------------------------------------------------------===//

def NN_DropoutOp : NN_Op<"dropout", [Pure, AllTypesMatch<["input", "result"]>,
    NN_Differentiable]> {
  let summary = "Zeroes elements with probability p, scales the rest by 1/(1-p)";
  let description = [{
    The mask comes from Philox4x32-10 keyed by `seed`, with the counter
    (element index, `stream`, `step`): the same seed gives the same masks,
    whatever the thread count. `stream` tells the dropout ops of a model
    apart. The inference passes replace the op by its input.

    `row_offset`, when given, is the row of a larger batch that the input's
    first row is: the element index counts from there, so that a shard of a
    batch (data-parallel training, docs/distributed.md) draws the masks the
    whole batch would.
  }];
  let arguments = (ins NN_Tensor:$input, I64:$seed, I64:$step,
                       Optional<I64>:$row_offset, F64Attr:$p,
                       I32Attr:$stream);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $seed `,` $step (`rows` `+` $row_offset^)? attr-dict `:`
    type($input)
  }];
  let hasVerifier = 1;
}

def NN_BatchNormOp : NN_Op<"batch_norm", [Pure, NN_Differentiable]> {
  let summary = "Batch normalization over the batch axis of [B, F]";
  let description = [{
    In training mode the batch's mean and biased variance normalize `x`,
    and the results `new_running_mean` and `new_running_var` are
    `(1 - momentum) * running + momentum * batch`, with the unbiased variance
    (PyTorch's convention). In inference mode the running statistics
    normalize `x` and are returned unchanged.

    The normalization fusion pass sets `fused` (the statistics in one pass
    over the input, the normalization in a second) and may absorb the
    following activation into `activation`.
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$gamma, NN_Tensor:$beta,
                       NN_Tensor:$running_mean, NN_Tensor:$running_var,
                       F64Attr:$eps, F64Attr:$momentum, BoolAttr:$training,
                       OptionalAttr<NN_ActivationAttr>:$activation,
                       UnitAttr:$fused);
  let results = (outs NN_Tensor:$result, NN_Tensor:$new_running_mean,
                      NN_Tensor:$new_running_var);
  let assemblyFormat = [{
    $input `,` $gamma `,` $beta `,` $running_mean `,` $running_var attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_LayerNormOp : NN_Op<"layer_norm", [Pure, NN_Differentiable]> {
  let summary = "Layer normalization over the feature axis of [B, F]";
  let description = [{
    `fused` and `activation` as for nn.batch_norm.
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$gamma, NN_Tensor:$beta,
                       F64Attr:$eps, OptionalAttr<NN_ActivationAttr>:$activation,
                       UnitAttr:$fused);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $gamma `,` $beta attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Losses: each gives one loss per sample, [B]
//===----------------------------------------------------------------------===//

class NN_LossOp<string mnemonic, dag attrs = (ins)>
    : NN_Op<mnemonic, [Pure, NN_Differentiable]> {
  let arguments = !con((ins NN_Tensor:$prediction, NN_Tensor:$target), attrs);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $prediction `,` $target attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_CrossEntropyOp : NN_LossOp<"cross_entropy",
    (ins DefaultValuedAttr<F64Attr, "0.0">:$label_smoothing)> {
  let summary = "Softmax cross-entropy of logits [B, N] against labels [B]";
  let description = [{
    Labels are class indices stored as f32. With label smoothing alpha the
    target distribution is y(1 - alpha) + alpha / N.
  }];
}
def NN_BCEOp : NN_LossOp<"bce",
    (ins DefaultValuedAttr<BoolAttr, "false">:$from_logits,
         NN_ReductionDefault<"sum">:$reduction)> {
  let summary = "Binary cross-entropy over the labels of a sample";
  let description = [{
    On probabilities, logs are clamped at -100 as in torch.nn.BCELoss; from
    logits, the stable form max(z, 0) - z y + log(1 + e^-|z|).
  }];
}
def NN_MSEOp : NN_LossOp<"mse", (ins NN_ReductionDefault<"mean">:$reduction)> {
  let summary = "Squared error over the outputs of a sample";
}
def NN_MAEOp : NN_LossOp<"mae", (ins NN_ReductionDefault<"mean">:$reduction)> {
  let summary = "Absolute error over the outputs of a sample";
}
def NN_HuberOp : NN_LossOp<"huber",
    (ins F64Attr:$delta, NN_ReductionDefault<"mean">:$reduction)> {
  let summary = "Huber loss over the outputs of a sample";
}

//===----------------------------------------------------------------------===//
// Reductions and broadcasts
//===----------------------------------------------------------------------===//

def NN_MeanOp : NN_Op<"mean", [Pure, NN_Differentiable]> {
  let summary = "Mean of all elements";
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Scalar:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def NN_SumToOp : NN_Op<"sum_to", [Pure, NN_Differentiable]> {
  let summary = "Sums a tensor down to a shape it was broadcast from";
  let description = [{
    The adjoint of broadcasting: sums over the leading dimensions that the
    result lacks and over the dimensions where the result has size 1.
  }];
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def NN_ReshapeOp : NN_Op<"reshape", [Pure, NN_Differentiable]> {
  let summary = "The same elements in row-major order, in another shape";
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def NN_PredictionOp : NN_Op<"prediction", [Pure, SameOperandsAndResultType]> {
  let summary = "Marks the value @predict returns: the identity";
  let description = [{
    A loss written as an expression of the spec has no loss op whose first
    operand is the prediction. MLIRGen marks the prediction with this op;
    DeriveInference returns its operand from @predict and @eval_step and
    removes every marker, so no later pass sees one.
  }];
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def NN_TransposeOp : NN_Op<"transpose", [Pure]> {
  let summary = "The transpose of a matrix";
  let description = [{
    Only @prepare uses it, to lay weights out for prediction; it has no
    derivative rule.
  }];
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def NN_BroadcastToOp : NN_Op<"broadcast_to", [Pure, NN_Differentiable]> {
  let summary = "Broadcasts a tensor to a larger shape, NumPy style";
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Gradients: the ops that the derivative rules build
//===----------------------------------------------------------------------===//

def NN_ActivationGradOp : NN_Op<"activation_grad", [Pure,
    AllTypesMatch<["input", "result_grad", "result"]>, NN_Elementwise]> {
  let summary = "dy * act'(x): the gradient through an activation";
  let description = [{
    With `from_output`, `input` is the activation's output y = act(x)
    rather than x; relu, leaky_relu, sigmoid and tanh have derivatives that
    are functions of their output, which lets the forward pass forget x.
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$result_grad,
                       NN_ActivationAttr:$activation,
                       DefaultValuedAttr<BoolAttr, "false">:$from_output);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $result_grad attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

def NN_SoftmaxGradOp : NN_Op<"softmax_grad", [Pure,
    AllTypesMatch<["output", "result_grad", "result"]>]> {
  let summary = "y * (dy - sum(dy * y)) over the last axis, y = softmax(x)";
  let arguments = (ins NN_Tensor:$output, NN_Tensor:$result_grad);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $output `,` $result_grad attr-dict `:` type($output)
  }];
  let hasVerifier = 1;
}

class NN_NormGradOp<string mnemonic> : NN_Op<mnemonic, [Pure]> {
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$gamma,
                       NN_Tensor:$result_grad, Optional<NN_Tensor>:$beta,
                       F64Attr:$eps, OptionalAttr<NN_ActivationAttr>:$activation,
                       UnitAttr:$fused);
  let results = (outs NN_Tensor:$input_grad, NN_Tensor:$gamma_grad,
                      NN_Tensor:$beta_grad);
  let assemblyFormat = [{
    $input `,` $gamma `,` $result_grad (`beta` `(` $beta^ `)`)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  string extraDescription = [{
    With an `activation` (and `beta`), `result_grad` is the gradient of the
    activation's output, and the kernel recomputes the normalized values
    (gamma xhat + beta) to apply the activation's derivative itself: the
    fused gradient of norm + activation. `fused` selects the kernel that
    reads the input and the gradient twice instead of once per step.
  }];
}

def NN_BatchNormGradOp : NN_NormGradOp<"batch_norm_grad"> {
  let summary = "The gradients of training-mode batch norm";
  let description = [{
    Recomputes the batch statistics from the input rather than keeping
    them from the forward pass: one pass over [B, F] is cheaper than
    holding them in the workspace across the whole backward pass.
  }];
}

def NN_LayerNormGradOp : NN_NormGradOp<"layer_norm_grad"> {
  let summary = "The gradients of layer norm";
}

class NN_LossGradOp<string mnemonic, dag attrs = (ins)>
    : NN_Op<mnemonic, [Pure, AllTypesMatch<["prediction", "result"]>]> {
  let summary = "The gradient of a loss with respect to its prediction";
  let description = [{
    Given the gradient of the per-sample losses ([B]), the gradient of the
    prediction ([B, K]).
  }];
  let arguments = !con((ins NN_Tensor:$prediction, NN_Tensor:$target,
                            NN_Tensor:$result_grad), attrs);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $prediction `,` $target `,` $result_grad attr-dict
    `:` functional-type(operands, results)
  }];
}

def NN_CrossEntropyGradOp : NN_LossGradOp<"cross_entropy_grad",
    (ins DefaultValuedAttr<F64Attr, "0.0">:$label_smoothing)>;
def NN_BCEGradOp : NN_LossGradOp<"bce_grad",
    (ins DefaultValuedAttr<BoolAttr, "false">:$from_logits,
         NN_ReductionDefault<"sum">:$reduction)>;
def NN_MSEGradOp : NN_LossGradOp<"mse_grad",
    (ins NN_ReductionDefault<"mean">:$reduction)>;
def NN_MAEGradOp : NN_LossGradOp<"mae_grad",
    (ins NN_ReductionDefault<"mean">:$reduction)>;
def NN_HuberGradOp : NN_LossGradOp<"huber_grad",
    (ins F64Attr:$delta, NN_ReductionDefault<"mean">:$reduction)>;

//===----------------------------------------------------------------------===//
// Fused elementwise kernels
//===----------------------------------------------------------------------===//

def NN_ElementwiseOp : NN_Op<"elementwise", [Pure, IsolatedFromAbove,
    SingleBlockImplicitTerminator<"YieldOp">]> {
  let summary = "Several elementwise computations as one kernel";
  let description = [{
    Computes every result element by element from the inputs, broadcast
    NumPy-style to the results' common shape, with the scalar body of its
    region: one pass over memory instead of one per op it replaces. The
    fusion passes form it; it lowers to one linalg.generic.

    ```mlir
    %w2, %m2 = nn.elementwise ins(%w, %g, %m, %lr : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f32>) {
    ^bb0(%a: f32, %b: f32, %c: f32, %d: f32):
      ...
      nn.yield %x, %y : f32, f32
    } -> tensor<4xf32>, tensor<4xf32>
    ```
  }];
  let arguments = (ins Variadic<NN_Tensor>:$inputs);
  let results = (outs Variadic<NN_Tensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    (`ins` `(` $inputs^ `:` type($inputs) `)`)? $body attr-dict
    `->` type($results)
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
}

def NN_YieldOp : NN_Op<"yield", [Pure, Terminator, HasParent<"ElementwiseOp">]> {
  let summary = "The elements that an nn.elementwise body computes";
  let arguments = (ins Variadic<F32>:$values);
  let assemblyFormat = "$values attr-dict `:` type($values)";
  let builders = [OpBuilder<(ins), [{
    build($_builder, $_state, ::mlir::ValueRange());
  }]>];
}

#endif // KILN_NN_OPS
