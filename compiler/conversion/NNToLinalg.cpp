//===- NNToLinalg.cpp - Lowering nn ops to linalg on tensors --------------===//

#include "kiln/Conversion/Passes.h"
#include "kiln/Dialect/NN/NNOps.h"

#include "LinalgBuilder.h"
#include "NNToLinalgPatterns.h"
#include "Philox.h"
#include "kiln/Dialect/NN/ActivationMath.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/DialectConversion.h"

namespace kiln {
#define GEN_PASS_DEF_CONVERTNNTOLINALG
#include "kiln/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

using nn::shapeOf;

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

/// lhs rhs^T for rhs stored [N, K]. The matmul kernel reads its right-hand
/// side by rows, which a transposed operand would turn into strided reads
/// (4-16x slower here); copying it to [K, N] first costs N K moves against
/// M N K multiply-adds.
Value matmulTransposedRhs(const LinalgBuilder &lb, Value lhs, Value rhs,
                          Value init) {
  ArrayRef<int64_t> shape = shapeOf(rhs);
  OpBuilder &b = lb.builder();
  Value transposed =
      b.create<linalg::TransposeOp>(lb.location(), rhs,
                                    lb.fresh({shape[1], shape[0]}),
                                    ArrayRef<int64_t>{1, 0})
          .getResult()[0];
  return b
      .create<linalg::MatmulOp>(lb.location(), ValueRange{lhs, transposed},
                                init)
      .getResult(0);
}

/// x W^T, then bias and activation in one elementwise epilogue.
struct DenseLowering : OpRewritePattern<nn::DenseOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(nn::DenseOp op,
                                PatternRewriter &rewriter) const override {
    LinalgBuilder lb(rewriter, op.getLoc());
    ArrayRef<int64_t> shape = shapeOf(op.getResult());
    Value init = lb.freshFilled(shape, 0.0);
    Value acc =
        op.getTransposedWeight()
            ? rewriter
                  .create<linalg::MatmulOp>(
                      op.getLoc(), ValueRange{op.getInput(), op.getWeight()},
                      init)
                  .getResult(0)
            : matmulTransposedRhs(lb, op.getInput(), op.getWeight(), init);
    nn::ActivationAttr act = op.getActivationAttr();
    if (!op.getBias() && !act) {
      rewriter.replaceOp(op, acc);
      return success();
    }
    SmallVector<Value> inputs = {acc};
    if (op.getBias())
      inputs.push_back(op.getBias());
    Value result = lb.map(shape, inputs, [&](OpBuilder &b, Location loc,
                                             ValueRange args) {
      Value v = args.size() > 1 ? b.create<arith::AddFOp>(loc, args[0], args[1])
                                : args[0];
      return act ? emitActivation(b, loc, act, v) : v;
    }, /*into=*/acc);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct MatMulLowering : OpRewritePattern<nn::MatMulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(nn::MatMulOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    LinalgBuilder lb(rewriter, loc);
    Value init = lb.freshFilled(shapeOf(op.getResult()), 0.0);
    Value lhs = op.getLhs(), rhs = op.getRhs();
    if (op.getTransposeLhs() && op.getTransposeRhs()) {
      // A^T B^T = (B A)^T: rare enough that A^T is simply materialized.
      ArrayRef<int64_t> a = shapeOf(lhs);
      lhs = rewriter
                .create<linalg::TransposeOp>(loc, lhs, lb.empty({a[1], a[0]}),
                                             ArrayRef<int64_t>{1, 0})
                .getResult()[0];
    }
    Value result;
    if (op.getTransposeRhs()) {
      result = matmulTransposedRhs(lb, lhs, rhs, init);
    } else if (op.getTransposeLhs()) {
      // A stored [K, M]: the kernel reads 8 contiguous elements of a row of
      // it per step, as fast as the untransposed case.
      result = rewriter
                   .create<linalg::MatmulTransposeAOp>(
                       loc, ValueRange{lhs, rhs}, init)
                   .getResult(0);
    } else {
      result = rewriter.create<linalg::MatmulOp>(loc, ValueRange{lhs, rhs}, init)
                   .getResult(0);
    }
    if (nn::ActivationAttr act = op.getEpilogueAttr()) {
      // The fused activation gradient: one elementwise pass right after the
      // product, which the matmul kernel then folds into its register tile.
      bool fromOutput = op.getEpilogueFromOutput();
      result = lb.map(shapeOf(result), {result, op.getEpilogueInput()},
                      [&](OpBuilder &b, Location l, ValueRange a) {
                        return emitActivationGrad(b, l, act, fromOutput, a[1],
                                                  a[0]);
                      },
                      /*into=*/result);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

/// Every op of ElementwiseOpInterface: one linalg.generic whose body is
/// the op's own scalar computation.
struct ElementwiseLowering
    : OpInterfaceRewritePattern<nn::ElementwiseOpInterface> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;
  LogicalResult matchAndRewrite(nn::ElementwiseOpInterface op,
                                PatternRewriter &rewriter) const override {
    LinalgBuilder lb(rewriter, op->getLoc());
    Value result = lb.map(shapeOf(op->getResult(0)), op->getOperands(),
                          [&](OpBuilder &b, Location loc, ValueRange args) {
                            return op.buildScalar(b, loc, args);
                          });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// A fused nn.elementwise kernel: one linalg.generic with its body.
struct FusedElementwiseLowering : OpRewritePattern<nn::ElementwiseOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(nn::ElementwiseOp op,
                                PatternRewriter &rewriter) const override {
    LinalgBuilder lb(rewriter, op.getLoc());
    ArrayRef<int64_t> shape = shapeOf(op.getResult(0));
    SmallVector<AffineMap> maps;
    for (Value input : op.getInputs())
      maps.push_back(lb.broadcastMap(shapeOf(input), shape));
    SmallVector<Value> inits;
    for (size_t i = 0; i < op.getNumResults(); ++i)
      inits.push_back(lb.empty(shape));
    SmallVector<AffineMap> initMaps(
        inits.size(),
        AffineMap::getMultiDimIdentityMap(shape.size(), rewriter.getContext()));
    SmallVector<utils::IteratorType> iterators(shape.size(),
                                               utils::IteratorType::parallel);
    Block &body = op.getBody().front();
    SmallVector<Value> results = lb.generic(
        op.getInputs(), maps, inits, initMaps, iterators,
        [&](OpBuilder &b, Location, ValueRange args) {
          IRMapping mapping;
          mapping.map(body.getArguments(),
                      args.take_front(body.getNumArguments()));
          for (Operation &inner : body.without_terminator())
            b.clone(inner, mapping);
          SmallVector<Value> yielded;
          for (Value v : cast<nn::YieldOp>(body.getTerminator()).getValues())
            yielded.push_back(mapping.lookup(v));
          return yielded;
        });
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// Softmax and its gradient work along the last axis of any rank: the
/// reductions drop that axis, and the per-row values broadcast back along
/// it.
struct LastAxis {
  const LinalgBuilder &lb;
  ArrayRef<int64_t> shape;

  MLIRContext *ctx() const { return lb.builder().getContext(); }
  AffineMap full() const {
    return AffineMap::getMultiDimIdentityMap(shape.size(), ctx());
  }
  /// The map of a per-row value: every dim but the last.
  AffineMap row() const {
    SmallVector<AffineExpr> dims;
    for (unsigned i = 0; i + 1 < shape.size(); ++i)
      dims.push_back(getAffineDimExpr(i, ctx()));
    return AffineMap::get(shape.size(), 0, dims, ctx());
  }
  SmallVector<utils::IteratorType> iterators(bool reduce) const {
    SmallVector<utils::IteratorType> it(shape.size(),
                                        utils::IteratorType::parallel);
    if (reduce)
      it.back() = utils::IteratorType::reduction;
    return it;
  }
  /// Reduces `inputs` (full shape) and `rows` (per row) along the last axis;
  /// `fn` gets their scalars and the accumulator.
  Value reduce(ValueRange inputs, ValueRange rows, double init,
               ScalarFn fn) const {
    SmallVector<Value> operands(inputs);
    operands.append(rows.begin(), rows.end());
    SmallVector<AffineMap> maps(inputs.size(), full());
    maps.append(rows.size(), row());
    return lb
        .generic(operands, maps, lb.filled(shape.drop_back(), init), row(),
                 iterators(true),
                 [&](OpBuilder &b, Location l, ValueRange a) {
                   return SmallVector<Value>{fn(b, l, a)};
                 })
        .front();
  }
  /// Maps `inputs` (full shape) and `rows` to a full-shape result.
  Value map(ValueRange inputs, ValueRange rows, ScalarFn fn) const {
    SmallVector<Value> operands(inputs);
    operands.append(rows.begin(), rows.end());
    SmallVector<AffineMap> maps(inputs.size(), full());
    maps.append(rows.size(), row());
    return lb
        .generic(operands, maps, lb.empty(shape), full(), iterators(false),
                 [&](OpBuilder &b, Location l, ValueRange a) {
                   return SmallVector<Value>{fn(b, l, a.drop_back())};
                 })
        .front();
  }
};

/// dx = y (dy - sum(dy y)) along the last axis.
struct SoftmaxGradLowering : OpRewritePattern<nn::SoftmaxGradOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(nn::SoftmaxGradOp op,
                                PatternRewriter &rewriter) const override {
    Value y = op.getOutput(), dy = op.getResultGrad();
    LinalgBuilder lb(rewriter, op.getLoc());
    LastAxis axis{lb, shapeOf(y)};
    Value dot = axis.reduce({y, dy}, {}, 0.0,
                            [](OpBuilder &b, Location loc, ValueRange a) {
                              return b.create<arith::AddFOp>(
                                  loc, a[2],
                                  b.create<arith::MulFOp>(loc, a[0], a[1]));
                            });
    Value result = axis.map({y, dy}, dot,
                            [](OpBuilder &b, Location loc, ValueRange a) {
                              Value d = b.create<arith::SubFOp>(loc, a[1], a[2]);
                              return b.create<arith::MulFOp>(loc, a[0], d);
                            });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// exp(x - max) / sum(exp(x - max)) along the last axis.
struct SoftmaxLowering : OpRewritePattern<nn::SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(nn::SoftmaxOp op,
                                PatternRewriter &rewriter) const override {
    Value x = op.getInput();
    LinalgBuilder lb(rewriter, op.getLoc());
    LastAxis axis{lb, shapeOf(x)};
    Value max = axis.reduce(
        x, {}, -INFINITY, [](OpBuilder &b, Location loc, ValueRange a) -> Value {
          return b.create<arith::MaximumFOp>(loc, a[0], a[1]);
        });
    Value sum = axis.reduce(x, max, 0.0,
                            [](OpBuilder &b, Location loc, ValueRange a) {
                              Value e = b.create<math::ExpOp>(
                                  loc, b.create<arith::SubFOp>(loc, a[0], a[1]));
                              return b.create<arith::AddFOp>(loc, a[2], e);
                            });
    Value result = axis.map(x, {max, sum},
                            [](OpBuilder &b, Location loc, ValueRange a) {
                              Value e = b.create<math::ExpOp>(
                                  loc, b.create<arith::SubFOp>(loc, a[0], a[1]));
                              return b.create<arith::DivFOp>(loc, e, a[2]);
                            });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Each element is kept with probability 1 - p (scaled by 1 / (1 - p)) by a
/// Philox draw keyed by its linear index, the op's stream, step and seed.
struct DropoutLowering : OpRewritePattern<nn::DropoutOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(nn::DropoutOp op,
                                PatternRewriter &rewriter) const override {
    double p = op.getP().convertToDouble();
    if (p == 0.0) {
      rewriter.replaceOp(op, op.getInput());
      return success();
    }
    LinalgBuilder lb(rewriter, op.getLoc());
    ArrayRef<int64_t> shape = shapeOf(op.getInput());
    Value seed = op.getSeed(), step = op.getStep();
    int32_t stream = op.getStream();
    // A shard's first row is row `row_offset` of the whole batch.
    Value rowOffset;
    if (Value offset = op.getRowOffset())
      rowOffset = rewriter.create<arith::IndexCastOp>(
          op.getLoc(), rewriter.getIndexType(), offset);
    Value result = lb.map(shape, op.getInput(), [&](OpBuilder &b, Location loc,
                                                    ValueRange args) {
      // Row-major linear index of the element in the whole batch.
      Value linear = b.create<arith::ConstantIndexOp>(loc, 0);
      for (auto [dim, size] : llvm::enumerate(shape)) {
        Value scaled = b.create<arith::MulIOp>(
            loc, linear, b.create<arith::ConstantIndexOp>(loc, size));
        Value index = b.create<linalg::IndexOp>(loc, dim);
        if (dim == 0 && rowOffset)
          index = b.create<arith::AddIOp>(loc, index, rowOffset);
        linear = b.create<arith::AddIOp>(loc, scaled, index);
      }
      Value index32 =
          b.create<arith::IndexCastOp>(loc, b.getI32Type(), linear);
      Value streamValue =
          b.create<arith::ConstantOp>(loc, b.getI32IntegerAttr(stream));
      Value keep =
          emitDropoutKeep(b, loc, seed, step, streamValue, index32, p);
      Value scaled = b.create<arith::MulFOp>(
          loc, args[0],
          b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(1.0 / (1.0 - p))));
      Value zero = b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(0.0f));
      return b.create<arith::SelectOp>(loc, keep, scaled, zero);
    });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Reductions and broadcasts
//===----------------------------------------------------------------------===//

struct MeanLowering : OpRewritePattern<nn::MeanOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(nn::MeanOp op,
                                PatternRewriter &rewriter) const override {
    LinalgBuilder lb(rewriter, op.getLoc());
    auto type = cast<RankedTensorType>(op.getInput().getType());
    Value sum = lb.sumAll(op.getInput());
    double scale = 1.0 / static_cast<double>(type.getNumElements());
    Value mean = lb.map({}, sum, [&](OpBuilder &b, Location loc,
                                     ValueRange args) {
      return b.create<arith::MulFOp>(
          loc, args[0],
          b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(scale)));
    });
    rewriter.replaceOp(op, mean);
    return success();
  }
};

/// Sums over the dims that broadcasting added: the leading ones the result
/// lacks and those where the result has size 1.
struct SumToLowering : OpRewritePattern<nn::SumToOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(nn::SumToOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    LinalgBuilder lb(rewriter, loc);
    ArrayRef<int64_t> in = shapeOf(op.getInput()), out = shapeOf(op.getResult());
    unsigned offset = in.size() - out.size();
    SmallVector<bool> reduced;
    SmallVector<AffineExpr> kept;
    SmallVector<int64_t> keptShape;
    SmallVector<utils::IteratorType> iterators;
    for (auto [dim, size] : llvm::enumerate(in)) {
      reduced.push_back(dim < offset || (out[dim - offset] == 1 && size != 1));
      iterators.push_back(reduced.back() ? utils::IteratorType::reduction
                                         : utils::IteratorType::parallel);
      if (!reduced.back()) {
        kept.push_back(rewriter.getAffineDimExpr(dim));
        keptShape.push_back(size);
      }
    }
    AffineMap id =
        AffineMap::getMultiDimIdentityMap(in.size(), rewriter.getContext());
    AffineMap keptMap =
        AffineMap::get(in.size(), 0, kept, rewriter.getContext());
    Value sum = lb.generic(op.getInput(), id, lb.filled(keptShape, 0.0),
                           keptMap, iterators,
                           [](OpBuilder &b, Location l, ValueRange args) {
                             return SmallVector<Value>{
                                 b.create<arith::AddFOp>(l, args[0], args[1])};
                           })
                    .front();
    if (ArrayRef<int64_t>(keptShape) != out) {
      // Put back the summed-away unit dims of `out`: each joins the group
      // of the kept dim before it (or after it, when it leads).
      SmallVector<ReassociationIndices> groups;
      ReassociationIndices leadingUnits;
      for (int64_t dim = 0, e = out.size(); dim < e; ++dim) {
        if (!reduced[dim + offset]) {
          groups.push_back(leadingUnits);
          groups.back().push_back(dim);
          leadingUnits.clear();
        } else if (groups.empty()) {
          leadingUnits.push_back(dim);
        } else {
          groups.back().push_back(dim);
        }
      }
      sum = rewriter.create<tensor::ExpandShapeOp>(loc, lb.f32Tensor(out), sum,
                                                   groups);
    }
    rewriter.replaceOp(op, sum);
    return success();
  }
};

/// Through a rank-1 view: collapse to one dimension, expand to the result.
struct ReshapeLowering : OpRewritePattern<nn::ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(nn::ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto in = cast<RankedTensorType>(op.getInput().getType());
    auto out = cast<RankedTensorType>(op.getType());
    auto all = [](int64_t rank) {
      ReassociationIndices group;
      for (int64_t i = 0; i < rank; ++i)
        group.push_back(i);
      return SmallVector<ReassociationIndices>(rank > 0 ? 1 : 0, group);
    };
    Value flat = op.getInput();
    auto flatType =
        RankedTensorType::get({in.getNumElements()}, in.getElementType());
    if (in.getRank() != 1)
      flat = in.getRank() == 0
                 ? rewriter.create<tensor::ExpandShapeOp>(
                       loc, flatType, flat, ArrayRef<ReassociationIndices>{})
                       .getResult()
                 : rewriter.create<tensor::CollapseShapeOp>(loc, flat,
                                                            all(in.getRank()))
                       .getResult();
    Value result = flat;
    if (out.getRank() == 0)
      result = rewriter.create<tensor::CollapseShapeOp>(
          loc, out, flat, ArrayRef<ReassociationIndices>{});
    else if (out.getRank() != 1)
      result = rewriter.create<tensor::ExpandShapeOp>(loc, out, flat,
                                                      all(out.getRank()));
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct TransposeLowering : OpRewritePattern<nn::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(nn::TransposeOp op,
                                PatternRewriter &rewriter) const override {
    LinalgBuilder lb(rewriter, op.getLoc());
    rewriter.replaceOp(op, rewriter
                               .create<linalg::TransposeOp>(
                                   op.getLoc(), op.getInput(),
                                   lb.empty(shapeOf(op.getResult())),
                                   ArrayRef<int64_t>{1, 0})
                               .getResult()[0]);
    return success();
  }
};

struct BroadcastToLowering : OpRewritePattern<nn::BroadcastToOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(nn::BroadcastToOp op,
                                PatternRewriter &rewriter) const override {
    LinalgBuilder lb(rewriter, op.getLoc());
    Value result = lb.map(shapeOf(op.getResult()), op.getInput(),
                          [](OpBuilder &, Location, ValueRange args) {
                            return args[0];
                          });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void kiln::populateNNToLinalgCorePatterns(RewritePatternSet &patterns) {
  patterns.add<DenseLowering, MatMulLowering, ElementwiseLowering,
               FusedElementwiseLowering, SoftmaxLowering, SoftmaxGradLowering,
               DropoutLowering, MeanLowering, SumToLowering,
               ReshapeLowering, TransposeLowering, BroadcastToLowering>(patterns.getContext());
}

namespace {

struct ConvertNNToLinalgPass
    : kiln::impl::ConvertNNToLinalgBase<ConvertNNToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    populateNNToLinalgCorePatterns(patterns);
    populateNNToLinalgNormPatterns(patterns);
    populateNNToLinalgLossPatterns(patterns);

    ConversionTarget target(*ctx);
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect,
                           bufferization::BufferizationDialect,
                           arith::ArithDialect, math::MathDialect,
                           func::FuncDialect>();
    target.addIllegalDialect<nn::NNDialect>();
    target.addLegalOp<nn::StateOp, nn::LoadOp, nn::StoreOp>();
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
