//===- Passes.td - kiln's passes on the nn dialect ----------*- tablegen -*-===//

#ifndef KILN_TRANSFORMS_PASSES
#define KILN_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def DeriveInference : Pass<"nn-derive-inference", "::mlir::ModuleOp"> {
  let summary = "Builds eval_step and predict from the forward function";
  let description = [{
    Clones `@forward` into `@eval_step(x, y) -> (losses, output)` and
    `@predict(x) -> output`, in inference mode: dropout becomes the
    identity, batch norm normalizes with its running statistics, and no
    state is written. The output is what the loss reads the prediction as:
    class probabilities (softmax) for cross-entropy, a probability
    (sigmoid) for bce from logits, the prediction itself otherwise. The
    losses are per sample, so that a caller can drop padded rows.
  }];
  let dependentDialects = ["::kiln::nn::NNDialect"];
}

def Autodiff : Pass<"nn-autodiff", "::mlir::ModuleOp"> {
  let summary = "Reverse-mode differentiation of the forward function";
  let description = [{
    Turns `@forward(x, y, step, seed) -> loss` into `@train_step`, which
    returns the loss and then the gradient of every parameter, in the order
    of their `nn.state` declarations; each gradient result carries
    `nn.grad_of = @param`. The pass walks the function backwards and asks
    each op for its rule through DifferentiableOpInterface. Gradients of
    values used several times are summed. Only values that depend on a
    parameter and reach the loss get a gradient, so no gradient that
    nobody needs is built (the inputs and targets get none).
  }];
  let dependentDialects = ["::kiln::nn::NNDialect",
                           "::mlir::arith::ArithDialect"];
}

def LowerOptimizer : Pass<"nn-lower-optimizer", "::mlir::ModuleOp"> {
  let summary = "Turns the gradients of train_step into parameter updates";
  let description = [{
    Reads the optimizer, schedule and weight decay of `nn.model` and, in
    `@train_step`, replaces each gradient result by the update of its
    parameter: the learning rate of the current epoch (a new `epoch`
    argument after `step`), L2 weight decay added to the gradient, the
    optimizer's state tensors (new `nn.state`s of role optimizer, zero at
    start, named as in torch.optim: momentum_buffer, sum, square_avg,
    exp_avg, exp_avg_sq) and the new parameter, all stored back. Each
    formula term is its own elementwise op; optimizer fusion makes one
    kernel of them. train_step then returns only the loss. An
    `@apply_update(step, epoch)` (BuildApplyUpdate) is lowered the same
    way and returns nothing.
  }];
  let dependentDialects = ["::kiln::nn::NNDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect"];
}

def ShardForward : Pass<"nn-shard-forward", "::mlir::ModuleOp"> {
  let summary = "Makes @forward the loss of one shard of a larger batch";
  let description = [{
    For data-parallel training (docs/distributed.md): `@forward(x, y, step,
    seed)` on `rows` rows becomes `@forward(x, y, step, seed, row_offset)`,
    the part of a batch of `global-batch` rows that starts at row
    `row_offset`. Every dropout draws its masks as that batch would (its
    `row_offset` operand), and the loss, a mean over the shard's rows, is
    scaled by rows / global-batch, so that the shards' losses and
    gradients sum to the whole batch's.
  }];
  let options = [
    Option<"globalBatch", "global-batch", "int64_t", /*default=*/"0",
           "Rows of the batch that the shards make up">,
  ];
  let dependentDialects = ["::kiln::nn::NNDialect",
                           "::mlir::arith::ArithDialect"];
}

def StoreGradients : Pass<"nn-store-gradients", "::mlir::ModuleOp"> {
  let summary = "Turns @train_step's gradient results into gradient states";
  let description = [{
    `@train_step`, as Autodiff built it (the loss, then gradients marked
    `nn.grad_of`), becomes `@grad_step`: each gradient is stored into the
    state `<param>.grad` (role gradient, declared after every other state)
    and only the loss is returned. The gradients then wait in the state
    buffer for an allreduce and `@apply_update`.
  }];
  let dependentDialects = ["::kiln::nn::NNDialect"];
}

def BuildApplyUpdate : Pass<"nn-build-apply-update", "::mlir::ModuleOp"> {
  let summary = "Adds @apply_update: the update from the stored gradients";
  let description = [{
    For data-parallel training: next to `@train_step(...) -> (loss,
    gradients)`, adds `@apply_update(step, epoch) -> (gradients)` whose
    gradients are loaded from the states `<param>.grad` (declared after
    every other state when absent, so that they form one contiguous
    buffer). LowerOptimizer then turns both into parameter updates, with
    the same formulas; `@train_step` is unchanged.
  }];
  let dependentDialects = ["::kiln::nn::NNDialect"];
}

def FuseActivation : Pass<"nn-fuse-activation", "::mlir::ModuleOp"> {
  let summary = "Fuses activations into the dense layers and matmuls around them";
  let description = [{
    Forward: `act(dense(x, W, b))` becomes `dense(x, W, b) {activation}`,
    whose lowering applies bias and activation to the output tile while it
    is in registers. Backward: `activation_grad(z, matmul(a, b))` becomes
    `matmul(a, b) epilogue(z) {epilogue}`, so that the gradient through the
    activation is applied to the product tile and the unscaled gradient is
    never written out. Neither fires when the intermediate has another use
    (its value must then exist in memory anyway).
  }];
  let dependentDialects = ["::kiln::nn::NNDialect"];
}

def FuseNorm : Pass<"nn-fuse-norm", "::mlir::ModuleOp"> {
  let summary = "Batch and layer norm in few passes, with their activation";
  let description = [{
    Marks every batch and layer norm and their gradients `fused`: the
    statistics come from one pass over the input (shifted sums of x and
    x^2) and the normalization from a second, instead of one pass per step
    (mean, variance, normalize). An activation that is the norm's only user
    moves into the norm's second pass; in the backward pass, the gradient
    through that activation moves into the norm's gradient kernel, which
    recomputes the normalized values instead of reading them.
  }];
  let dependentDialects = ["::kiln::nn::NNDialect"];
}

def FuseOptimizer : Pass<"nn-fuse-optimizer", "::mlir::ModuleOp"> {
  let summary = "Makes each parameter's update one elementwise kernel";
  let description = [{
    In `@train_step` and `@apply_update`, gathers the elementwise ops that compute the new
    values of a parameter and of its optimizer state (weight decay, state
    updates, bias correction, the update itself) into one `nn.elementwise`
    whose body applies them element by element: one pass over memory per
    parameter instead of one per term of the formula. An op joins only if
    its every use is in the kernel or stores a state, so nothing else needs
    an intermediate that the kernel no longer writes.
  }];
  let dependentDialects = ["::kiln::nn::NNDialect",
                           "::mlir::arith::ArithDialect"];
}

def FoldInference : Pass<"nn-fold-inference", "::mlir::ModuleOp"> {
  let summary = "Folds batch norm into the dense layer before it, for predict";
  let description = [{
    In `@predict` (already in inference mode: no dropout, batch norm on
    running statistics), a dense layer whose only user is a batch norm
    becomes one dense layer with W' = W s and b' = (b - mean) s + beta,
    s = gamma / sqrt(var + eps), keeping the norm's activation. W' and b'
    are `prepared` states that a new `@prepare` function computes once from
    the state, when weights are loaded, never per call; `@prepare` also
    copies every other state that predict reads, so that predict reads the
    prediction state alone.
  }];
  let dependentDialects = ["::kiln::nn::NNDialect",
                           "::mlir::arith::ArithDialect"];
}

def TransposeInferenceWeights
    : Pass<"nn-transpose-inference-weights", "::mlir::ModuleOp"> {
  let summary = "Lays dense weights out as W^T for predict, once, in @prepare";
  let description = [{
    Every dense layer of `@predict` whose weight is a state (a parameter,
    or a weight that batch-norm folding prepared) reads a `prepared` state
    `<weight>.transposed` of shape [in, out] instead, written once by
    `@prepare` (created when absent) with `nn.transpose`, and carries the
    `transposed_weight` unit attribute. The matmul kernels read their
    right-hand side by rows: without this, every call would transpose
    every weight first. Training functions are left alone.
  }];
  let dependentDialects = ["::kiln::nn::NNDialect"];
}

#endif // KILN_TRANSFORMS_PASSES
