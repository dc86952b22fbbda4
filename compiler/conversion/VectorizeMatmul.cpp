//===- VectorizeMatmul.cpp - Register-blocked matmul kernels --------------===//
//
// What made generated matmuls fast on this kind of machine (see
// shared/notes/gemm.md): an 8 x 32 output tile held in registers across
// the whole reduction, one row of B (contiguous) and eight broadcast
// elements of A per step, i.e. 16 FMAs on 16-wide vectors per k. Tiles at
// the edges are peeled so that every tile has a static shape and
// vectorizes; each then becomes outer products.
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_VECTORIZEMATMUL
#include "kiln/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

bool isKernelMatmul(Operation *op) {
  if (!isa<linalg::MatmulOp, linalg::MatmulTransposeAOp>(op))
    return false;
  auto linalgOp = cast<linalg::LinalgOp>(op);
  return linalgOp.hasPureBufferSemantics() && !linalgOp.hasDynamicShape();
}

struct VectorizeMatmulPass
    : kiln::impl::VectorizeMatmulBase<VectorizeMatmulPass> {
  using VectorizeMatmulBase::VectorizeMatmulBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    IRRewriter rewriter(&getContext());

    // 1. Tile M x N x K by tileM x tileN x 1, then peel the M and N loops
    //    whose trip does not divide, innermost first, so that every tile is
    //    static.
    SmallVector<Operation *> matmuls;
    func.walk([&](Operation *op) {
      if (isKernelMatmul(op))
        matmuls.push_back(op);
    });
    for (Operation *op : matmuls) {
      rewriter.setInsertionPoint(op);
      SmallVector<OpFoldResult> sizes = {rewriter.getIndexAttr(tileM),
                                         rewriter.getIndexAttr(tileN),
                                         rewriter.getIndexAttr(1)};
      scf::SCFTilingOptions options;
      options.setTileSizes(sizes);
      FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
          rewriter, cast<TilingInterface>(op), options);
      if (failed(tiled)) {
        op->emitWarning("matmul could not be tiled; left to LLVM");
        continue;
      }
      rewriter.eraseOp(op);
      // loops = [m, n, k]; peel n, then m.
      for (int i = 1; i >= 0; --i) {
        auto loop = dyn_cast<scf::ForOp>(tiled->loops[i].getOperation());
        scf::ForOp partial;
        if (loop)
          (void)scf::peelForLoopAndSimplifyBounds(rewriter, loop, partial);
      }
    }
    if (failed(canonicalize(func)))
      return signalPassFailure();

    // 2. Vectorize the now static tiles.
    SmallVector<Operation *> tiles;
    func.walk([&](Operation *op) {
      if (isKernelMatmul(op))
        tiles.push_back(op);
    });
    for (Operation *op : tiles) {
      rewriter.setInsertionPoint(op);
      // On success the op is replaced (and erased) by its vector form.
      (void)linalg::vectorize(rewriter, op);
    }

    // 3. Keep the accumulator in registers across the k loop: fold the
    //    subviews into the transfers so that their indices become the same
    //    SSA values, then hoist the C read and write out of the loop.
    {
      RewritePatternSet patterns(&getContext());
      // The vectorizer writes broadcasts, a multiply and a reduction;
      // these make a vector.contract of them again.
      vector::populateVectorReductionToContractPatterns(patterns);
      vector::populateSinkVectorBroadcastPatterns(patterns);
      vector::TransferReadOp::getCanonicalizationPatterns(patterns,
                                                          &getContext());
      vector::TransferWriteOp::getCanonicalizationPatterns(patterns,
                                                           &getContext());
      memref::populateFoldMemRefAliasOpPatterns(patterns);
      vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
      if (failed(applyPatternsAndFoldGreedily(func, std::move(patterns))))
        return signalPassFailure();
    }
    if (failed(canonicalize(func)))
      return signalPassFailure();
    linalg::hoistRedundantVectorTransfers(func);

    // 4. Contractions become outer products: per k, a row of B times each
    //    broadcast element of A, accumulated with FMAs.
    {
      RewritePatternSet patterns(&getContext());
      vector::VectorTransformsOptions vectorOptions;
      vectorOptions.setVectorTransformsOptions(
          vector::VectorContractLowering::OuterProduct);
      vector::populateVectorContractLoweringPatterns(patterns, vectorOptions);
      vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
      if (failed(applyPatternsAndFoldGreedily(func, std::move(patterns))))
        return signalPassFailure();
    }
  }

  LogicalResult canonicalize(func::FuncOp func) {
    RewritePatternSet patterns(&getContext());
    for (RegisteredOperationName op :
         getContext().getRegisteredOperations())
      op.getCanonicalizationPatterns(patterns, &getContext());
    affine::AffineMinOp::getCanonicalizationPatterns(patterns, &getContext());
    return applyPatternsAndFoldGreedily(func, std::move(patterns));
  }
};

} // namespace
