//===- FuseActivation.cpp - Activations into dense layers and matmuls -----===//

#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_FUSEACTIVATION
#include "kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// act(dense(x, W, b)) -> dense(x, W, b) {activation = act}
struct FuseDenseActivation
    : OpInterfaceRewritePattern<nn::ActivationOpInterface> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;
  LogicalResult matchAndRewrite(nn::ActivationOpInterface act,
                                PatternRewriter &rewriter) const override {
    auto dense = act->getOperand(0).getDefiningOp<nn::DenseOp>();
    if (!dense || dense.getActivationAttr())
      return rewriter.notifyMatchFailure(act, "no plain dense layer before");
    if (!dense->hasOneUse())
      return rewriter.notifyMatchFailure(
          act, "the pre-activation is used elsewhere");
    rewriter.replaceOpWithNewOp<nn::DenseOp>(
        act, act->getResult(0).getType(), dense.getInput(), dense.getWeight(),
        dense.getBias(), act.getActivation());
    rewriter.eraseOp(dense);
    return success();
  }
};

/// activation_grad(z, matmul(a, b)) -> matmul(a, b) epilogue(z)
struct FuseMatMulActivationGrad : OpRewritePattern<nn::ActivationGradOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(nn::ActivationGradOp grad,
                                PatternRewriter &rewriter) const override {
    auto matmul = grad.getResultGrad().getDefiningOp<nn::MatMulOp>();
    if (!matmul || matmul.getEpilogueAttr())
      return rewriter.notifyMatchFailure(grad, "no plain matmul produces dy");
    if (!matmul->hasOneUse())
      return rewriter.notifyMatchFailure(grad, "dy is used elsewhere");
    rewriter.replaceOpWithNewOp<nn::MatMulOp>(
        grad, grad.getType(), matmul.getLhs(), matmul.getRhs(),
        grad.getInput(), matmul.getTransposeLhs(), matmul.getTransposeRhs(),
        grad.getActivation(), grad.getFromOutput());
    rewriter.eraseOp(matmul);
    return success();
  }
};

struct FuseActivationPass
    : kiln::impl::FuseActivationBase<FuseActivationPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseDenseActivation, FuseMatMulActivationGrad>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                            std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
