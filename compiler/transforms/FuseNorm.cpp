//===- FuseNorm.cpp - Batch and layer norm in few passes ------------------===//

#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_FUSENORM
#include "kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// The norm op whose normalized result is `v` (or whose result feeds the
/// activation op that produces `v`, with `throughActivation`).
Operation *normBehind(Value v, bool throughActivation) {
  if (throughActivation) {
    auto act = v.getDefiningOp<nn::ActivationOpInterface>();
    if (!act)
      return nullptr;
    v = act->getOperand(0);
  }
  Operation *def = v.getDefiningOp();
  if (isa_and_nonnull<nn::BatchNormOp, nn::LayerNormOp>(def) &&
      v == def->getResult(0))
    return def;
  return nullptr;
}

/// activation_grad(z or act(z), dy) feeding the gradient of the norm that
/// computed z -> the norm's gradient kernel applies the activation itself.
template <typename GradOpT>
struct FuseActivationIntoNormGrad : OpRewritePattern<GradOpT> {
  using OpRewritePattern<GradOpT>::OpRewritePattern;
  LogicalResult matchAndRewrite(GradOpT grad,
                                PatternRewriter &rewriter) const override {
    if (grad.getActivationAttr())
      return failure();
    auto actGrad = grad.getResultGrad().template getDefiningOp<nn::ActivationGradOp>();
    if (!actGrad || !actGrad->hasOneUse())
      return rewriter.notifyMatchFailure(grad, "no activation gradient of its own");
    Operation *norm = normBehind(actGrad.getInput(), actGrad.getFromOutput());
    if (!norm || norm->getOperand(0) != grad.getInput() ||
        norm->getOperand(1) != grad.getGamma())
      return rewriter.notifyMatchFailure(grad, "not the norm's activation");
    if (auto act = dyn_cast<nn::ActivationOpInterface>(
            actGrad.getInput().getDefiningOp());
        act && act.getActivation() != actGrad.getActivation())
      return failure();
    rewriter.replaceOpWithNewOp<GradOpT>(
        grad, grad->getResultTypes(), grad.getInput(), grad.getGamma(),
        actGrad.getResultGrad(), norm->getOperand(2), grad.getEpsAttr(),
        actGrad.getActivation(), /*fused=*/UnitAttr()); // set for all below
    rewriter.eraseOp(actGrad);
    return success();
  }
};

/// act(norm(x)) -> norm(x) {activation}
struct FuseNormActivation
    : OpInterfaceRewritePattern<nn::ActivationOpInterface> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;
  LogicalResult matchAndRewrite(nn::ActivationOpInterface act,
                                PatternRewriter &rewriter) const override {
    Operation *norm = normBehind(act->getOperand(0), false);
    if (!norm || !norm->getResult(0).hasOneUse() ||
        norm->hasAttr("activation"))
      return rewriter.notifyMatchFailure(act, "no norm of its own before");
    rewriter.modifyOpInPlace(
        norm, [&] { norm->setAttr("activation", act.getActivation()); });
    rewriter.replaceOp(act, norm->getResult(0));
    return success();
  }
};

struct FuseNormPass : kiln::impl::FuseNormBase<FuseNormPass> {
  void runOnOperation() override {
    // The backward fusions first: they remove the activation gradient's use
    // of the pre-activation, which then lets the forward one fire.
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseActivationIntoNormGrad<nn::BatchNormGradOp>,
                 FuseActivationIntoNormGrad<nn::LayerNormGradOp>>(
        &getContext(), /*benefit=*/2);
    patterns.add<FuseNormActivation>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(),
                                            std::move(patterns))))
      return signalPassFailure();
    getOperation().walk([&](Operation *op) {
      if (isa<nn::BatchNormOp, nn::LayerNormOp, nn::BatchNormGradOp,
              nn::LayerNormGradOp>(op))
        op->setAttr("fused", UnitAttr::get(&getContext()));
    });
  }
};

} // namespace
