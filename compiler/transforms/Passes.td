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

#endif // KILN_TRANSFORMS_PASSES
