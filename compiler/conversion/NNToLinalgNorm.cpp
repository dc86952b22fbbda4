//===- NNToLinalgNorm.cpp - Lowering batch and layer norm -----------------===//
//
// Both norms work on [B, F]: batch norm normalizes each feature over the
// rows of the batch, layer norm each row over its features. The lowerings
// share everything but the axis, so each is written once with `overRows`
// choosing it.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/NN/NNOps.h"

#include "LinalgBuilder.h"
#include "NNToLinalgPatterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace kiln;

namespace {

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

/// Statistics of [B, F] along one axis, and how to read them and the
/// per-feature parameters from the 2-D iteration space.
struct NormAxis {
  const LinalgBuilder &lb;
  bool overRows; // batch norm: reduce over rows; layer norm: over columns

  AffineMap identity() const {
    return AffineMap::getMultiDimIdentityMap(2, lb.builder().getContext());
  }
  /// Map of a statistic (one per reduced-away slice).
  AffineMap statMap() const { return overRows ? lb.columnMap() : lb.rowMap(); }
  /// gamma and beta are per feature in both norms.
  AffineMap featureMap() const { return lb.columnMap(); }

  /// n, the number of elements each statistic averages.
  int64_t count(Value x) const { return shapeOf(x)[overRows ? 0 : 1]; }

  Value mean(Value x) const {
    double inv = 1.0 / count(x);
    Value sum = lb.reduce2D(x, {}, overRows, 0.0,
                            [](OpBuilder &b, Location l, ValueRange a) {
                              return b.create<arith::AddFOp>(l, a[1], a[0]);
                            });
    return scale(sum, inv);
  }

  /// The biased variance, from the mean (two passes, for accuracy).
  Value variance(Value x, Value mean) const {
    double inv = 1.0 / count(x);
    Value sum = lb.reduce2D(
        x, mean, overRows, 0.0, [](OpBuilder &b, Location l, ValueRange a) {
          Value d = b.create<arith::SubFOp>(l, a[0], a[1]);
          return b.create<arith::AddFOp>(
              l, a[2], b.create<arith::MulFOp>(l, d, d));
        });
    return scale(sum, inv);
  }

  /// 1 / sqrt(var + eps), per statistic.
  Value invStd(Value var, double eps) const {
    return lb.map(shapeOf(var), var, [&](OpBuilder &b, Location l,
                                         ValueRange a) {
      Value e = b.create<arith::ConstantOp>(l, b.getF32FloatAttr(eps));
      return b.create<math::RsqrtOp>(l, b.create<arith::AddFOp>(l, a[0], e));
    });
  }

  Value scale(Value v, double factor) const {
    return lb.map(shapeOf(v), v, [&](OpBuilder &b, Location l, ValueRange a) {
      return b.create<arith::MulFOp>(
          l, a[0], b.create<arith::ConstantOp>(l, b.getF32FloatAttr(factor)));
    });
  }

  /// gamma (x - mean) invStd + beta.
  Value normalize(Value x, Value mean, Value invStd, Value gamma,
                  Value beta) const {
    return lb
        .generic({x, mean, invStd, gamma, beta},
                 {identity(), statMap(), statMap(), featureMap(),
                  featureMap()},
                 lb.empty(shapeOf(x)), identity(),
                 {utils::IteratorType::parallel, utils::IteratorType::parallel},
                 [](OpBuilder &b, Location l, ValueRange a) {
                   Value xhat = b.create<arith::MulFOp>(
                       l, b.create<arith::SubFOp>(l, a[0], a[1]), a[2]);
                   Value y = b.create<arith::AddFOp>(
                       l, b.create<arith::MulFOp>(l, a[3], xhat), a[4]);
                   return SmallVector<Value>{y};
                 })
        .front();
  }

  /// The gradients of y = gamma xhat + beta, xhat = (x - mean) invStd,
  /// with the statistics taken along this axis:
  ///   dbeta = sum_rows dy, dgamma = sum_rows dy xhat (per feature), and
  ///   dx = invStd / n (n g - sum g - xhat sum g xhat), g = dy gamma,
  /// where the sums in dx run along the normalized axis.
  std::tuple<Value, Value, Value> gradients(Value x, Value gamma, Value dy,
                                            double eps) const {
    Value mu = mean(x);
    Value istd = invStd(variance(x, mu), eps);
    auto xhatOf = [](OpBuilder &b, Location l, Value xv, Value m, Value s) {
      return b.create<arith::MulFOp>(l, b.create<arith::SubFOp>(l, xv, m), s);
    };
    // Per feature, over rows: dbeta and dgamma. xhat needs the statistics,
    // which are per feature (batch norm) or per row (layer norm).
    auto parallel = utils::IteratorType::parallel;
    auto reduction = utils::IteratorType::reduction;
    int64_t features = shapeOf(x)[1];
    SmallVector<Value> paramGrads = lb.generic(
        {x, dy, mu, istd}, {identity(), identity(), statMap(), statMap()},
        {lb.filled({features}, 0.0), lb.filled({features}, 0.0)},
        {lb.columnMap(), lb.columnMap()}, {reduction, parallel},
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value xhat = xhatOf(b, l, a[0], a[2], a[3]);
          Value dgamma = b.create<arith::AddFOp>(
              l, a[4], b.create<arith::MulFOp>(l, a[1], xhat));
          Value dbeta = b.create<arith::AddFOp>(l, a[5], a[1]);
          return SmallVector<Value>{dgamma, dbeta};
        });
    Value dgamma = paramGrads[0], dbeta = paramGrads[1];

    // Along the normalized axis: sum g and sum g xhat, g = dy gamma.
    int64_t stats = shapeOf(mu)[0];
    SmallVector<Value> sums = lb.generic(
        {x, dy, mu, istd, gamma},
        {identity(), identity(), statMap(), statMap(), featureMap()},
        {lb.filled({stats}, 0.0), lb.filled({stats}, 0.0)},
        {statMap(), statMap()},
        {overRows ? reduction : parallel, overRows ? parallel : reduction},
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value xhat = xhatOf(b, l, a[0], a[2], a[3]);
          Value g = b.create<arith::MulFOp>(l, a[1], a[4]);
          Value sumG = b.create<arith::AddFOp>(l, a[5], g);
          Value sumGX = b.create<arith::AddFOp>(
              l, a[6], b.create<arith::MulFOp>(l, g, xhat));
          return SmallVector<Value>{sumG, sumGX};
        });

    double n = static_cast<double>(count(x));
    Value dx =
        lb.generic({x, dy, mu, istd, gamma, sums[0], sums[1]},
                   {identity(), identity(), statMap(), statMap(), featureMap(),
                    statMap(), statMap()},
                   lb.empty(shapeOf(x)), identity(), {parallel, parallel},
                   [&](OpBuilder &b, Location l, ValueRange a) {
                     Value xhat = xhatOf(b, l, a[0], a[2], a[3]);
                     Value g = b.create<arith::MulFOp>(l, a[1], a[4]);
                     Value nf = b.create<arith::ConstantOp>(
                         l, b.getF32FloatAttr(n));
                     Value t = b.create<arith::SubFOp>(
                         l,
                         b.create<arith::SubFOp>(
                             l, b.create<arith::MulFOp>(l, nf, g), a[5]),
                         b.create<arith::MulFOp>(l, xhat, a[6]));
                     Value k = b.create<arith::DivFOp>(l, a[3], nf);
                     return SmallVector<Value>{
                         b.create<arith::MulFOp>(l, k, t)};
                   })
            .front();
    return {dx, dgamma, dbeta};
  }
};

struct BatchNormLowering : OpRewritePattern<nn::BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(nn::BatchNormOp op,
                                PatternRewriter &rewriter) const override {
    LinalgBuilder lb(rewriter, op.getLoc());
    NormAxis axis{lb, /*overRows=*/true};
    double eps = op.getEps().convertToDouble();
    Value x = op.getInput();
    if (!op.getTraining()) {
      Value istd = axis.invStd(op.getRunningVar(), eps);
      Value y = axis.normalize(x, op.getRunningMean(), istd, op.getGamma(),
                               op.getBeta());
      rewriter.replaceOp(op, {y, op.getRunningMean(), op.getRunningVar()});
      return success();
    }
    Value mean = axis.mean(x);
    Value var = axis.variance(x, mean);
    Value y = axis.normalize(x, mean, axis.invStd(var, eps), op.getGamma(),
                             op.getBeta());
    // Running statistics: (1 - m) running + m batch, with the unbiased
    // variance as PyTorch keeps it.
    double m = op.getMomentum().convertToDouble();
    double rows = static_cast<double>(axis.count(x));
    auto blend = [&](Value running, Value batch, double correction) {
      return lb.map(shapeOf(running), {running, batch},
                    [&](OpBuilder &b, Location l, ValueRange a) {
                      auto c = [&](double v) {
                        return b.create<arith::ConstantOp>(
                            l, b.getF32FloatAttr(v));
                      };
                      return b.create<arith::AddFOp>(
                          l, b.create<arith::MulFOp>(l, c(1.0 - m), a[0]),
                          b.create<arith::MulFOp>(l, c(m * correction), a[1]));
                    });
    };
    Value newMean = blend(op.getRunningMean(), mean, 1.0);
    Value newVar = blend(op.getRunningVar(), var, rows / (rows - 1.0));
    rewriter.replaceOp(op, {y, newMean, newVar});
    return success();
  }
};

struct LayerNormLowering : OpRewritePattern<nn::LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(nn::LayerNormOp op,
                                PatternRewriter &rewriter) const override {
    LinalgBuilder lb(rewriter, op.getLoc());
    NormAxis axis{lb, /*overRows=*/false};
    Value x = op.getInput();
    Value mean = axis.mean(x);
    Value istd =
        axis.invStd(axis.variance(x, mean), op.getEps().convertToDouble());
    rewriter.replaceOp(
        op, axis.normalize(x, mean, istd, op.getGamma(), op.getBeta()));
    return success();
  }
};

template <typename OpT, bool OverRows>
struct NormGradLowering : OpRewritePattern<OpT> {
  using OpRewritePattern<OpT>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpT op,
                                PatternRewriter &rewriter) const override {
    LinalgBuilder lb(rewriter, op.getLoc());
    NormAxis axis{lb, OverRows};
    auto [dx, dgamma, dbeta] =
        axis.gradients(op.getInput(), op.getGamma(), op.getResultGrad(),
                       op.getEps().convertToDouble());
    rewriter.replaceOp(op, {dx, dgamma, dbeta});
    return success();
  }
};

} // namespace

void kiln::populateNNToLinalgNormPatterns(RewritePatternSet &patterns) {
  patterns.add<BatchNormLowering, LayerNormLowering,
               NormGradLowering<nn::BatchNormGradOp, true>,
               NormGradLowering<nn::LayerNormGradOp, false>>(
      patterns.getContext());
}
