//===- NNToLinalgLoss.cpp - Lowering the losses and their gradients -------===//
//
// Each loss is a per-element term summed (or averaged) over the outputs of
// a sample; each gradient is that term's derivative scaled by the gradient
// of the sample's loss. Both are written from one description per loss.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/NN/NNOps.h"

#include "LinalgBuilder.h"
#include "NNToLinalgPatterns.h"
#include "kiln/Dialect/NN/FloatBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace kiln;

namespace {

using nn::shapeOf;

using Scalar = FloatBuilder;

/// A loss on [B, K] predictions and targets, described by its per-element
/// term, the term's derivative in the prediction, and whether the sample's
/// loss is the mean or the sum of its terms (the op's `reduction`).
struct ElementLoss {
  std::function<Value(Scalar &, Value pred, Value target)> term;
  std::function<Value(Scalar &, Value pred, Value target)> derivative;
  bool mean = false;
};

ElementLoss describeTerm(Operation *op) {
  if (auto bce = dyn_cast<nn::BCEOp>(op); bce || isa<nn::BCEGradOp>(op)) {
    bool fromLogits = bce ? bce.getFromLogits()
                          : cast<nn::BCEGradOp>(op).getFromLogits();
    if (fromLogits)
      // max(z, 0) - z t + log(1 + e^-|z|); d/dz = sigmoid(z) - t.
      return {[](Scalar &s, Value z, Value t) {
                Value softplus = s.log1p(s.exp(s.sub(s.c(0), s.abs(z))));
                return s.add(s.sub(s.max(z, s.c(0)), s.mul(z, t)), softplus);
              },
              [](Scalar &s, Value z, Value t) {
                return s.sub(s.sigmoid(z), t);
              }};
    // -(t log p + (1 - t) log(1 - p)), logs clamped at -100 as in BCELoss;
    // d/dp = (p - t) / max(p (1 - p), 1e-12), as BCELoss's backward.
    return {[](Scalar &s, Value p, Value t) {
              Value lp = s.max(s.log(p), s.c(-100));
              Value lq = s.max(s.log(s.sub(s.c(1), p)), s.c(-100));
              return s.sub(s.c(0), s.add(s.mul(t, lp),
                                         s.mul(s.sub(s.c(1), t), lq)));
            },
            [](Scalar &s, Value p, Value t) {
              Value denom = s.max(s.mul(p, s.sub(s.c(1), p)), s.c(1e-12));
              return s.div(s.sub(p, t), denom);
            }};
  }
  if (isa<nn::MSEOp, nn::MSEGradOp>(op))
    return {[](Scalar &s, Value p, Value t) {
              Value d = s.sub(p, t);
              return s.mul(d, d);
            },
            [](Scalar &s, Value p, Value t) {
              return s.mul(s.c(2), s.sub(p, t));
            }};
  if (isa<nn::MAEOp, nn::MAEGradOp>(op))
    return {[](Scalar &s, Value p, Value t) { return s.abs(s.sub(p, t)); },
            [](Scalar &s, Value p, Value t) { return s.sign(s.sub(p, t)); }};
  double delta = isa<nn::HuberOp>(op)
                     ? cast<nn::HuberOp>(op).getDelta().convertToDouble()
                     : cast<nn::HuberGradOp>(op).getDelta().convertToDouble();
  // 0.5 a^2 if |a| <= delta, else delta (|a| - delta / 2); a = p - t.
  return {[delta](Scalar &s, Value p, Value t) {
            Value a = s.sub(p, t), abs = s.abs(a);
            return s.select(s.le(abs, s.c(delta)), s.mul(s.c(0.5), s.mul(a, a)),
                            s.mul(s.c(delta), s.sub(abs, s.c(delta / 2))));
          },
          [delta](Scalar &s, Value p, Value t) {
            Value a = s.sub(p, t);
            return s.select(s.le(s.abs(a), s.c(delta)), a,
                            s.mul(s.c(delta), s.sign(a)));
          }};
}

ElementLoss describe(Operation *op) {
  ElementLoss loss = describeTerm(op);
  auto reduction = op->getAttrOfType<nn::LossReductionAttr>("reduction");
  loss.mean = reduction && reduction.getValue() == nn::LossReduction::mean;
  return loss;
}

/// Per-sample loss [B] of an elementwise loss.
template <typename OpT>
struct ElementLossLowering : OpRewritePattern<OpT> {
  using OpRewritePattern<OpT>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpT op,
                                PatternRewriter &rewriter) const override {
    LinalgBuilder lb(rewriter, op.getLoc());
    ElementLoss loss = describe(op);
    Value pred = op.getPrediction(), target = op.getTarget();
    double scale = loss.mean ? 1.0 / shapeOf(pred)[1] : 1.0;
    Value result = lb.reduce2D(
        {pred, target}, {}, /*overRows=*/false, 0.0,
        [&](OpBuilder &b, Location l, ValueRange a) {
          Scalar s(b, l);
          return s.add(a[2], s.mul(s.c(scale), loss.term(s, a[0], a[1])));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// d loss / d pred [B, K] = dl[b] * scale * term'(pred, target).
template <typename OpT>
struct ElementLossGradLowering : OpRewritePattern<OpT> {
  using OpRewritePattern<OpT>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpT op,
                                PatternRewriter &rewriter) const override {
    LinalgBuilder lb(rewriter, op.getLoc());
    ElementLoss loss = describe(op);
    Value pred = op.getPrediction();
    double scale = loss.mean ? 1.0 / shapeOf(pred)[1] : 1.0;
    AffineMap id = AffineMap::getMultiDimIdentityMap(2, rewriter.getContext());
    Value result =
        lb.generic({pred, op.getTarget(), op.getResultGrad()},
                   {id, id, lb.rowMap()}, lb.empty(shapeOf(pred)), id,
                   {utils::IteratorType::parallel, utils::IteratorType::parallel},
                   [&](OpBuilder &b, Location l, ValueRange a) {
                     Scalar s(b, l);
                     Value d = loss.derivative(s, a[0], a[1]);
                     return SmallVector<Value>{
                         s.mul(s.mul(a[2], s.c(scale)), d)};
                   })
            .front();
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Row max and sum of exp(z - max) of logits [B, N]: logsumexp = m + log s.
std::pair<Value, Value> logSumExpParts(const LinalgBuilder &lb, Value z) {
  Value max = lb.reduce2D(z, {}, false, -INFINITY,
                          [](OpBuilder &b, Location l, ValueRange a) -> Value {
                            return b.create<arith::MaximumFOp>(l, a[0], a[1]);
                          });
  Value sum = lb.reduce2D(z, max, false, 0.0,
                          [](OpBuilder &b, Location l, ValueRange a) {
                            Scalar s(b, l);
                            return s.add(a[2], s.exp(s.sub(a[0], a[1])));
                          });
  return {max, sum};
}

/// Whether column index `j` is the label (a class index stored as f32).
Value isLabel(OpBuilder &b, Location l, Value label) {
  Value j = b.create<arith::IndexCastOp>(l, b.getI32Type(),
                                         b.create<linalg::IndexOp>(l, 1));
  Value jf = b.create<arith::SIToFPOp>(l, b.getF32Type(), j);
  return b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OEQ, jf, label);
}

/// loss = logsumexp(z) - sum_j y'_j z_j, y' = (1 - a) onehot + a / N.
struct CrossEntropyLowering : OpRewritePattern<nn::CrossEntropyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(nn::CrossEntropyOp op,
                                PatternRewriter &rewriter) const override {
    LinalgBuilder lb(rewriter, op.getLoc());
    Value z = op.getPrediction(), labels = op.getTarget();
    double alpha = op.getLabelSmoothing().convertToDouble();
    double n = static_cast<double>(shapeOf(z)[1]);
    auto [max, sum] = logSumExpParts(lb, z);
    // sum_j y'_j z_j, accumulated along the row.
    Value dot = lb.reduce2D(z, labels, false, 0.0,
                            [&](OpBuilder &b, Location l, ValueRange a) {
                              Scalar s(b, l);
                              Value weight = s.select(isLabel(b, l, a[1]),
                                                      s.c(1 - alpha + alpha / n),
                                                      s.c(alpha / n));
                              return s.add(a[2], s.mul(weight, a[0]));
                            });
    Value loss = lb.map(shapeOf(labels), {max, sum, dot},
                        [](OpBuilder &b, Location l, ValueRange a) {
                          Scalar s(b, l);
                          return s.sub(s.add(a[0], s.log(a[1])), a[2]);
                        });
    rewriter.replaceOp(op, loss);
    return success();
  }
};

/// dz = dl (softmax(z) - y').
struct CrossEntropyGradLowering : OpRewritePattern<nn::CrossEntropyGradOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(nn::CrossEntropyGradOp op,
                                PatternRewriter &rewriter) const override {
    LinalgBuilder lb(rewriter, op.getLoc());
    Value z = op.getPrediction();
    double alpha = op.getLabelSmoothing().convertToDouble();
    double n = static_cast<double>(shapeOf(z)[1]);
    auto [max, sum] = logSumExpParts(lb, z);
    AffineMap id = AffineMap::getMultiDimIdentityMap(2, rewriter.getContext());
    AffineMap row = lb.rowMap();
    Value result =
        lb.generic({z, op.getTarget(), op.getResultGrad(), max, sum},
                   {id, row, row, row, row}, lb.empty(shapeOf(z)), id,
                   {utils::IteratorType::parallel, utils::IteratorType::parallel},
                   [&](OpBuilder &b, Location l, ValueRange a) {
                     Scalar s(b, l);
                     Value p = s.div(s.exp(s.sub(a[0], a[3])), a[4]);
                     Value y = s.select(isLabel(b, l, a[1]),
                                        s.c(1 - alpha + alpha / n),
                                        s.c(alpha / n));
                     return SmallVector<Value>{s.mul(a[2], s.sub(p, y))};
                   })
            .front();
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void kiln::populateNNToLinalgLossPatterns(RewritePatternSet &patterns) {
  patterns.add<ElementLossLowering<nn::BCEOp>, ElementLossLowering<nn::MSEOp>,
               ElementLossLowering<nn::MAEOp>, ElementLossLowering<nn::HuberOp>,
               ElementLossGradLowering<nn::BCEGradOp>,
               ElementLossGradLowering<nn::MSEGradOp>,
               ElementLossGradLowering<nn::MAEGradOp>,
               ElementLossGradLowering<nn::HuberGradOp>, CrossEntropyLowering,
               CrossEntropyGradLowering>(patterns.getContext());
}
