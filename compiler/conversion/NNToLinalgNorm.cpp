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
#include "kiln/Dialect/NN/ActivationMath.h"

using namespace mlir;
using namespace kiln;

namespace {

using nn::shapeOf;

/// Statistics of [B, F] along one axis, and how to read them and the
/// per-feature parameters from the 2-D iteration space.
/// xhat = (x - mean) invStd, in a kernel body.
Value xhatOf(OpBuilder &b, Location l, Value x, Value mean, Value invStd) {
  return b.create<arith::MulFOp>(l, b.create<arith::SubFOp>(l, x, mean),
                                 invStd);
}

/// dx = invStd / n (n g - sum g - xhat sum g xhat), in a kernel body.
Value dxOf(OpBuilder &b, Location l, Value g, Value xhat, Value invStd,
           Value sumG, Value sumGX, double n) {
  Value nf = b.create<arith::ConstantOp>(l, b.getF32FloatAttr(n));
  Value t = b.create<arith::SubFOp>(
      l, b.create<arith::SubFOp>(l, b.create<arith::MulFOp>(l, nf, g), sumG),
      b.create<arith::MulFOp>(l, xhat, sumGX));
  Value k = b.create<arith::DivFOp>(l, invStd, nf);
  return b.create<arith::MulFOp>(l, k, t);
}

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

  /// mean and 1 / sqrt(var + eps) in one pass over x: sums of x - K and of
  /// its square, with K the first element along the axis (so that the
  /// difference of the two sums does not cancel when |mean| >> std).
  /// Returns mean, the biased variance and 1 / sqrt(var + eps).
  std::tuple<Value, Value, Value> fusedStats(Value x, double eps) const {
    OpBuilder &b = lb.builder();
    MLIRContext *ctx = b.getContext();
    int64_t stats = shapeOf(x)[overRows ? 1 : 0];
    AffineExpr zero = b.getAffineConstantExpr(0);
    // K read from the 2-D iteration space and from the 1-D statistics one.
    AffineMap shift2D =
        overRows ? AffineMap::get(2, 0, {zero, b.getAffineDimExpr(1)}, ctx)
                 : AffineMap::get(2, 0, {b.getAffineDimExpr(0), zero}, ctx);
    AffineMap shift1D =
        overRows ? AffineMap::get(1, 0, {zero, b.getAffineDimExpr(0)}, ctx)
                 : AffineMap::get(1, 0, {b.getAffineDimExpr(0), zero}, ctx);
    auto parallel = utils::IteratorType::parallel;
    auto reduction = utils::IteratorType::reduction;
    SmallVector<Value> sums = lb.generic(
        {x, x}, {identity(), shift2D},
        {lb.filled({stats}, 0.0), lb.filled({stats}, 0.0)},
        {statMap(), statMap()},
        {overRows ? reduction : parallel, overRows ? parallel : reduction},
        [](OpBuilder &b, Location l, ValueRange a) {
          Value d = b.create<arith::SubFOp>(l, a[0], a[1]);
          return SmallVector<Value>{
              b.create<arith::AddFOp>(l, a[2], d),
              b.create<arith::AddFOp>(l, a[3],
                                      b.create<arith::MulFOp>(l, d, d))};
        });
    double inv = 1.0 / count(x);
    AffineMap id1 = AffineMap::getMultiDimIdentityMap(1, ctx);
    SmallVector<Value> stat = lb.generic(
        {sums[0], sums[1], x}, {id1, id1, shift1D},
        {lb.empty({stats}), lb.empty({stats}), lb.empty({stats})},
        {id1, id1, id1}, {parallel},
        [&](OpBuilder &b, Location l, ValueRange a) {
          auto c = [&](double v) {
            return b.create<arith::ConstantOp>(l, b.getF32FloatAttr(v));
          };
          Value m1 = b.create<arith::MulFOp>(l, a[0], c(inv));
          Value m2 = b.create<arith::MulFOp>(l, a[1], c(inv));
          Value var = b.create<arith::MaximumFOp>(
              l, b.create<arith::SubFOp>(l, m2, b.create<arith::MulFOp>(l, m1, m1)),
              c(0.0));
          Value istd = b.create<math::RsqrtOp>(
              l, b.create<arith::AddFOp>(l, var, c(eps)));
          return SmallVector<Value>{b.create<arith::AddFOp>(l, a[2], m1), var,
                                    istd};
        });
    return {stat[0], stat[1], stat[2]};
  }

  /// act(gamma (x - mean) invStd + beta), one pass (no act: the identity).
  Value normalizeAct(Value x, Value mean, Value invStd, Value gamma,
                     Value beta, nn::ActivationAttr act) const {
    return lb
        .generic({x, mean, invStd, gamma, beta},
                 {identity(), statMap(), statMap(), featureMap(),
                  featureMap()},
                 lb.empty(shapeOf(x)), identity(),
                 {utils::IteratorType::parallel, utils::IteratorType::parallel},
                 [&](OpBuilder &b, Location l, ValueRange a) {
                   Value xhat = b.create<arith::MulFOp>(
                       l, b.create<arith::SubFOp>(l, a[0], a[1]), a[2]);
                   Value y = b.create<arith::AddFOp>(
                       l, b.create<arith::MulFOp>(l, a[3], xhat), a[4]);
                   if (act)
                     y = emitActivation(b, l, act, y);
                   return SmallVector<Value>{y};
                 })
        .front();
  }

  /// The fused gradients: statistics in one pass, the gradient of z =
  /// gamma xhat + beta recomputed inside each pass (through the activation,
  /// if any, from its output's gradient dy), and the same formulas as
  /// `gradients`.
  std::tuple<Value, Value, Value> fusedGradients(Value x, Value gamma,
                                                 Value beta, Value dy,
                                                 double eps,
                                                 nn::ActivationAttr act) const {
    auto [mu, var, istd] = fusedStats(x, eps);
    (void)var;
    // dz at one element: dy, or dy act'(gamma xhat + beta).
    auto dzOf = [&](OpBuilder &b, Location l, Value xhat, Value g, Value bt,
                    Value dyv) -> Value {
      if (!act)
        return dyv;
      Value z = b.create<arith::AddFOp>(l, b.create<arith::MulFOp>(l, g, xhat),
                                        bt);
      return emitActivationGrad(b, l, act, /*fromOutput=*/false, z, dyv);
    };
    Value betaOrGamma = beta ? beta : gamma; // unused without activation
    auto parallel = utils::IteratorType::parallel;
    auto reduction = utils::IteratorType::reduction;
    int64_t features = shapeOf(x)[1];
    SmallVector<Value> operands = {x, dy, mu, istd, gamma, betaOrGamma};
    SmallVector<AffineMap> maps = {identity(), identity(), statMap(),
                                   statMap(), featureMap(), featureMap()};
    // Per feature over rows: dgamma = sum dz xhat, dbeta = sum dz.
    SmallVector<Value> paramGrads = lb.generic(
        operands, maps,
        {lb.filled({features}, 0.0), lb.filled({features}, 0.0)},
        {lb.columnMap(), lb.columnMap()}, {reduction, parallel},
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value xhat = xhatOf(b, l, a[0], a[2], a[3]);
          Value dz = dzOf(b, l, xhat, a[4], a[5], a[1]);
          return SmallVector<Value>{
              b.create<arith::AddFOp>(l, a[6],
                                      b.create<arith::MulFOp>(l, dz, xhat)),
              b.create<arith::AddFOp>(l, a[7], dz)};
        });
    // Along the normalized axis: sum g and sum g xhat, g = dz gamma. For
    // batch norm the axis is the rows and these are gamma dbeta and gamma
    // dgamma; layer norm needs a pass of its own.
    Value sumG, sumGX;
    if (overRows) {
      AffineMap id1 =
          AffineMap::getMultiDimIdentityMap(1, lb.builder().getContext());
      SmallVector<Value> s = lb.generic(
          {paramGrads[0], paramGrads[1], gamma}, {id1, id1, id1},
          {lb.empty({features}), lb.empty({features})}, {id1, id1},
          {parallel},
          [](OpBuilder &b, Location l, ValueRange a) {
            return SmallVector<Value>{b.create<arith::MulFOp>(l, a[2], a[1]),
                                      b.create<arith::MulFOp>(l, a[2], a[0])};
          });
      sumG = s[0];
      sumGX = s[1];
    } else {
      int64_t rows = shapeOf(x)[0];
      SmallVector<Value> s = lb.generic(
          operands, maps, {lb.filled({rows}, 0.0), lb.filled({rows}, 0.0)},
          {lb.rowMap(), lb.rowMap()}, {parallel, reduction},
          [&](OpBuilder &b, Location l, ValueRange a) {
            Value xhat = xhatOf(b, l, a[0], a[2], a[3]);
            Value g = b.create<arith::MulFOp>(
                l, dzOf(b, l, xhat, a[4], a[5], a[1]), a[4]);
            return SmallVector<Value>{
                b.create<arith::AddFOp>(l, a[6], g),
                b.create<arith::AddFOp>(l, a[7],
                                        b.create<arith::MulFOp>(l, g, xhat))};
          });
      sumG = s[0];
      sumGX = s[1];
    }
    double n = static_cast<double>(count(x));
    operands.append({sumG, sumGX});
    maps.append({statMap(), statMap()});
    Value dx =
        lb.generic(operands, maps, lb.empty(shapeOf(x)), identity(),
                   {parallel, parallel},
                   [&](OpBuilder &b, Location l, ValueRange a) {
                     Value xhat = xhatOf(b, l, a[0], a[2], a[3]);
                     Value g = b.create<arith::MulFOp>(
                         l, dzOf(b, l, xhat, a[4], a[5], a[1]), a[4]);
                     return SmallVector<Value>{
                         dxOf(b, l, g, xhat, a[3], a[6], a[7], n)};
                   })
            .front();
    return {dx, paramGrads[0], paramGrads[1]};
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
                     return SmallVector<Value>{
                         dxOf(b, l, g, xhat, a[3], a[5], a[6], n)};
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
    nn::ActivationAttr act = op.getActivationAttr();
    if (!op.getTraining()) {
      Value istd = axis.invStd(op.getRunningVar(), eps);
      Value y = axis.normalizeAct(x, op.getRunningMean(), istd, op.getGamma(),
                                  op.getBeta(), act);
      rewriter.replaceOp(op, {y, op.getRunningMean(), op.getRunningVar()});
      return success();
    }
    Value mean, var, y;
    if (op.getFused()) {
      auto [m, v, istd] = axis.fusedStats(x, eps);
      mean = m;
      var = v;
      y = axis.normalizeAct(x, mean, istd, op.getGamma(), op.getBeta(), act);
    } else {
      mean = axis.mean(x);
      var = axis.variance(x, mean);
      y = axis.normalizeAct(x, mean, axis.invStd(var, eps), op.getGamma(),
                            op.getBeta(), act);
    }
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
    double eps = op.getEps().convertToDouble();
    if (op.getFused()) {
      auto [mean, var, istd] = axis.fusedStats(x, eps);
      (void)var;
      rewriter.replaceOp(op, axis.normalizeAct(x, mean, istd, op.getGamma(),
                                               op.getBeta(),
                                               op.getActivationAttr()));
      return success();
    }
    Value mean = axis.mean(x);
    Value istd = axis.invStd(axis.variance(x, mean), eps);
    rewriter.replaceOp(op, axis.normalizeAct(x, mean, istd, op.getGamma(),
                                             op.getBeta(),
                                             op.getActivationAttr()));
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
    double eps = op.getEps().convertToDouble();
    auto [dx, dgamma, dbeta] =
        op.getFused() || op.getActivationAttr()
            ? axis.fusedGradients(op.getInput(), op.getGamma(),
                                            op.getBeta(), op.getResultGrad(),
                                            eps, op.getActivationAttr())
                      : axis.gradients(op.getInput(), op.getGamma(),
                                       op.getResultGrad(), eps);
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
