//===- VectorizeElementwise.cpp - Vector code for the small kernels -------===//

#include "kiln/Conversion/Passes.h"

#include "BufferAccess.h"
#include "ParallelLoops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace kiln {
#define GEN_PASS_DEF_VECTORIZEELEMENTWISE
#include "kiln/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using kiln::markParallel;
using kiln::mayAccess;

namespace {

bool isCandidate(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || !isa<linalg::GenericOp, linalg::FillOp>(op))
    return false;
  if (!linalgOp.hasPureBufferSemantics() || linalgOp.hasDynamicShape() ||
      linalgOp.getNumLoops() == 0)
    return false;
  // Only the f32 kernels of the lowering: the vector ops must be what the
  // body computes on. Bodies that read their position (dropout's counter)
  // stay scalar: their 2-D vector forms (index vectors, mului_extended)
  // have no lowering to LLVM.
  bool positional = false;
  op->walk([&](Operation *inner) {
    positional |= isa<linalg::IndexOp, arith::MulUIExtendedOp>(inner);
  });
  return !positional && llvm::all_of(op->getOperandTypes(), [](Type t) {
    auto m = dyn_cast<MemRefType>(t);
    return !m || m.getElementType().isF32();
  });
}

/// The element of the reduction kind that changes nothing, for the float
/// kinds that a body's combiner lowers to; nothing for the others.
std::optional<APFloat> identityOf(vector::CombiningKind kind,
                                  const llvm::fltSemantics &sem) {
  using vector::CombiningKind;
  switch (kind) {
  case CombiningKind::ADD:
    return APFloat::getZero(sem);
  case CombiningKind::MUL:
    return APFloat(sem, 1);
  case CombiningKind::MAXIMUMF:
  case CombiningKind::MAXNUMF:
    return APFloat::getInf(sem, /*Negative=*/true);
  case CombiningKind::MINIMUMF:
  case CombiningKind::MINNUMF:
    return APFloat::getInf(sem, /*Negative=*/false);
  default:
    return std::nullopt;
  }
}

/// One reduction into a scalar kept in memory across a loop: `read` loads
/// it, `reduction` folds a vector into it, `write` stores it back.
struct ScalarAccumulator {
  vector::TransferReadOp read;
  vector::ReductionOp reduction;
  vector::TransferWriteOp write;
  SmallVector<Operation *> glue; // between reduction and write, in order
};

/// A vector.reduction in `loop`'s body whose accumulator is read from and
/// written back to one loop-invariant element each iteration.
std::optional<ScalarAccumulator> matchAccumulator(scf::ForOp loop,
                                                  vector::ReductionOp red) {
  auto elem = dyn_cast<FloatType>(red.getSourceVectorType().getElementType());
  if (!elem || !red.getAcc() || red->getBlock() != loop.getBody() ||
      !identityOf(red.getKind(), elem.getFloatSemantics()))
    return std::nullopt;
  Value acc = red.getAcc();
  while (Operation *def = acc.getDefiningOp()) {
    if (!isa<vector::ExtractOp, vector::ExtractElementOp>(def))
      break;
    acc = def->getOperand(0);
  }
  auto read = acc.getDefiningOp<vector::TransferReadOp>();
  if (!read || read->getBlock() != loop.getBody() || read.getMask() ||
      read.getVectorType().getNumElements() != 1 ||
      !llvm::all_of(read->getOperands(), [&](Value v) {
        return loop.isDefinedOutsideOfLoop(v);
      }))
    return std::nullopt;
  ScalarAccumulator a{read, red, {}, {}};
  Value v = red.getResult();
  while (v.hasOneUse()) {
    Operation *user = *v.getUsers().begin();
    if (auto write = dyn_cast<vector::TransferWriteOp>(user)) {
      if (write->getBlock() != loop.getBody() || write.getMask() ||
          write.getSource() != read.getSource() ||
          write.getIndices() != read.getIndices() ||
          write.getVector() != v)
        return std::nullopt;
      a.write = write;
      return a;
    }
    if (!isa<vector::InsertOp, vector::InsertElementOp, vector::BroadcastOp>(
            user) ||
        user->getNumResults() != 1)
      return std::nullopt;
    a.glue.push_back(user);
    v = user->getResult(0);
  }
  return std::nullopt;
}

/// Tiled by vectors, a reduction along the innermost dimension (a row's sum
/// or maximum: layer norm's statistics, softmax, losses) reads its scalar
/// result, reduces one vector into it across the lanes, and writes it back,
/// once per vector: an in-order chain of lane-by-lane adds through memory.
/// Instead, each lane accumulates its own partial result in a register
/// across the loop, and the lanes are reduced into the scalar once, after
/// it. The order of the additions changes, the same for every thread count.
void hoistScalarAccumulators(func::FuncOp func, RewriterBase &rewriter) {
  SmallVector<scf::ForOp> loops;
  func.walk([&](scf::ForOp loop) { loops.push_back(loop); });
  for (scf::ForOp loop : loops) {
    auto reductions = loop.getBody()->getOps<vector::ReductionOp>();
    if (llvm::none_of(reductions,
                      [](vector::ReductionOp r) { return r.getAcc(); }))
      continue;
    // The accumulator's view is made in the body, from the outer indices.
    moveLoopInvariantCode(cast<LoopLikeOpInterface>(loop.getOperation()));
    SmallVector<ScalarAccumulator> accs;
    for (auto red : loop.getBody()->getOps<vector::ReductionOp>())
      if (std::optional<ScalarAccumulator> a = matchAccumulator(loop, red))
        accs.push_back(std::move(*a));
    if (accs.empty())
      continue;
    // The accumulators must be the body's only writes, and read only by
    // their own reads (through any view: BufferAccess), for them to live in
    // registers meanwhile.
    bool alone = true;
    loop.getBody()->walk([&](Operation *op) {
      if (llvm::any_of(accs, [&](ScalarAccumulator &a) {
            return a.write == op || a.read == op;
          }))
        return;
      auto effects = dyn_cast<MemoryEffectOpInterface>(op);
      if (!effects) {
        alone &= op->hasTrait<OpTrait::HasRecursiveMemoryEffects>() ||
                 isa<scf::YieldOp>(op);
        return;
      }
      if (effects.hasEffect<MemoryEffects::Write>() ||
          effects.hasEffect<MemoryEffects::Free>() ||
          effects.hasEffect<MemoryEffects::Allocate>())
        alone = false;
      for (ScalarAccumulator &a : accs)
        alone &= !mayAccess(op, a.read.getSource());
    });
    if (!alone)
      continue;

    Location loc = loop.getLoc();
    rewriter.setInsertionPoint(loop);
    SmallVector<Value> inits;
    for (ScalarAccumulator &a : accs) {
      VectorType type = a.reduction.getSourceVectorType();
      auto elem = cast<FloatType>(type.getElementType());
      APFloat identity =
          *identityOf(a.reduction.getKind(), elem.getFloatSemantics());
      inits.push_back(rewriter.create<arith::ConstantOp>(
          loc, DenseElementsAttr::get(type, identity)));
    }
    FailureOr<LoopLikeOpInterface> grown = loop.replaceWithAdditionalYields(
        rewriter, inits, /*replaceInitOperandUsesInLoop=*/false,
        [&](OpBuilder &b, Location yieldLoc, ArrayRef<BlockArgument> args) {
          SmallVector<Value> combined;
          for (auto [a, arg] : llvm::zip(accs, args))
            combined.push_back(vector::makeArithReduction(
                b, yieldLoc, a.reduction.getKind(), a.reduction.getVector(),
                arg));
          return combined;
        });
    if (failed(grown))
      continue;
    auto newLoop = cast<scf::ForOp>(grown->getOperation());
    ValueRange partials =
        newLoop.getResults().take_back(static_cast<int64_t>(accs.size()));
    rewriter.setInsertionPointAfter(newLoop);
    for (auto [a, partial] : llvm::zip(accs, partials)) {
      // After the loop: read, reduce the lanes into it, write, through
      // clones of the body's own ops.
      IRMapping map;
      rewriter.clone(*a.read, map);
      for (Operation *op = a.read->getNextNode(); op != a.reduction;
           op = op->getNextNode())
        if (llvm::any_of(op->getOperands(),
                         [&](Value v) { return map.contains(v); }) &&
            isa<vector::ExtractOp, vector::ExtractElementOp>(op))
          rewriter.clone(*op, map);
      map.map(a.reduction.getVector(), partial);
      rewriter.clone(*a.reduction, map);
      for (Operation *op : a.glue)
        rewriter.clone(*op, map);
      rewriter.clone(*a.write, map);
    }
    // The body keeps the lane-by-lane combination only.
    for (ScalarAccumulator &a : accs) {
      rewriter.eraseOp(a.write);
      for (Operation *op : llvm::reverse(a.glue))
        rewriter.eraseOp(op);
      rewriter.eraseOp(a.reduction);
    }
    // The reads and extracts that fed the body's reductions.
    for (Operation &op :
         llvm::make_early_inc_range(llvm::reverse(*newLoop.getBody())))
      if (isOpTriviallyDead(&op))
        rewriter.eraseOp(&op);
  }
}

struct VectorizeElementwisePass
    : kiln::impl::VectorizeElementwiseBase<VectorizeElementwisePass> {
  using VectorizeElementwiseBase::VectorizeElementwiseBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    IRRewriter rewriter(&getContext());
    SmallVector<Operation *> ops;
    func.walk([&](Operation *op) {
      if (isCandidate(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      auto linalgOp = cast<linalg::LinalgOp>(op);
      unsigned loops = linalgOp.getNumLoops();
      int64_t inner = linalgOp.getStaticLoopRanges().back();
      SmallVector<OpFoldResult> sizes(loops, rewriter.getIndexAttr(1));
      sizes.back() = rewriter.getIndexAttr(std::min(inner, (int64_t)lanes));
      rewriter.setInsertionPoint(op);
      scf::SCFTilingOptions options;
      options.setTileSizes(sizes);
      FailureOr<scf::SCFTilingResult> tiled =
          scf::tileUsingSCF(rewriter, cast<TilingInterface>(op), options);
      if (failed(tiled))
        continue;
      // One loop per dimension, outermost first: those over the leading
      // parallel dimensions write disjoint outputs.
      SmallVector<utils::IteratorType> iterators =
          linalgOp.getIteratorTypesArray();
      for (auto [loop, iterator] : llvm::zip(tiled->loops, iterators)) {
        auto forOp = dyn_cast<scf::ForOp>(loop.getOperation());
        if (!forOp || iterator != utils::IteratorType::parallel)
          break;
        markParallel(forOp);
      }
      rewriter.eraseOp(op);
      if (auto last = dyn_cast<scf::ForOp>(tiled->loops.back().getOperation())) {
        scf::ForOp partial;
        (void)scf::peelForLoopAndSimplifyBounds(rewriter, last, partial);
      }
    }

    // Canonicalize so that the peeled tiles get static shapes, then
    // vectorize every static tile.
    {
      RewritePatternSet patterns(&getContext());
      for (RegisteredOperationName op : getContext().getRegisteredOperations())
        op.getCanonicalizationPatterns(patterns, &getContext());
      if (failed(applyPatternsAndFoldGreedily(func, std::move(patterns))))
        return signalPassFailure();
    }
    SmallVector<Operation *> tiles;
    func.walk([&](Operation *op) {
      if (isCandidate(op))
        tiles.push_back(op);
    });
    for (Operation *op : tiles) {
      rewriter.setInsertionPoint(op);
      (void)linalg::vectorize(rewriter, op);
    }
    RewritePatternSet patterns(&getContext());
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::populateVectorMultiReductionLoweringPatterns(
        patterns, vector::VectorMultiReductionLowering::InnerReduction);
    if (failed(applyPatternsAndFoldGreedily(func, std::move(patterns))))
      return signalPassFailure();
    hoistScalarAccumulators(func, rewriter);
  }
};

} // namespace
