//===- VectorizeElementwise.cpp - Vector code for the small kernels -------===//

#include "kiln/Conversion/Passes.h"

#include "ParallelLoops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_VECTORIZEELEMENTWISE
#include "kiln/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using kiln::markParallel;

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
      signalPassFailure();
  }
};

} // namespace
