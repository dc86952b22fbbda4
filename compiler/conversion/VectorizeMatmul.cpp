//===- VectorizeMatmul.cpp - Register-blocked matmul kernels --------------===//
//
// What made generated matmuls fast on this kind of machine (measured with
// throwaway kernels; bench/README.md has kiln's own figures): an 8 x 32
// output tile held in registers across
// the whole reduction, one row of B (contiguous) and eight broadcast
// elements of A per step, i.e. 16 FMAs on 16-wide vectors per k. Tiles at
// the edges are peeled so that every tile has a static shape and
// vectorizes; each then becomes outer products. Both operands are read
// contiguously: B from column panels packed once, and a transposed A (a
// weight gradient's dY^T) from blocks packed tile by tile.
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/Passes.h"

#include "BufferAccess.h"
#include "MatmulEpilogue.h"
#include "NarrowProduct.h"
#include "ParallelLoops.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_VECTORIZEMATMUL
#include "kiln/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// Whether an op between `from` and `to` (exclusive, same block) may write
/// the buffer under `v`.
bool writtenBetween(Value v, Operation *from, Operation *to) {
  for (Operation *op = from->getNextNode(); op && op != to;
       op = op->getNextNode())
    if (mayAccess(op, v, /*writesOnly=*/true))
      return true;
  return false;
}

/// The transpose that writes `b` when `b` only holds W^T for this matmul:
/// written by a linalg.transpose of W (its input), read by nothing else,
/// with W unchanged until the matmul.
linalg::TransposeOp transposeOf(Value b, Operation *matmul) {
  linalg::TransposeOp transpose;
  for (Operation *user : b.getUsers()) {
    if (user == matmul)
      continue;
    auto t = dyn_cast<linalg::TransposeOp>(user);
    if (!t || t.getInit() != b || transpose)
      return {};
    transpose = t;
  }
  if (!transpose || transpose->getBlock() != matmul->getBlock() ||
      transpose.getPermutation() != ArrayRef<int64_t>{1, 0} ||
      writtenBetween(transpose.getInput(), transpose, matmul))
    return {};
  return transpose;
}

class RhsPacker {
public:
  RhsPacker(IRRewriter &rewriter, Location loc, int64_t tileN)
      : rewriter(rewriter), loc(loc), tileN(tileN) {}

  Value index(int64_t v) {
    return rewriter.create<arith::ConstantIndexOp>(loc, v);
  }

  /// Copies `width` columns of panel `p` (columns p tileN ...) of the K x N
  /// right-hand side into pack[p][0..K)[0..width). The source is B itself,
  /// or W = B^T (`transposed`), read 8 columns of it at a time and
  /// transposed in registers, so that both read whole cache lines.
  void packPanel(Value source, bool transposed, Value pack, Value p,
                 int64_t k, int64_t width) {
    Type f32 = rewriter.getF32Type();
    Value pad = rewriter.create<arith::ConstantOp>(loc, rewriter.getZeroAttr(f32));
    Value col = rewriter.create<arith::MulIOp>(loc, p, index(tileN));
    Value zero = index(0);
    int64_t step = transposed ? 8 : 1;
    int64_t full = k / step * step;
    auto copy = [&](Value kk, int64_t rows) {
      Value block;
      if (transposed) {
        Value read = rewriter.create<vector::TransferReadOp>(
            loc, VectorType::get({width, rows}, f32), source,
            ValueRange{col, kk}, pad, ArrayRef<bool>{true, true});
        block = rewriter.create<vector::TransposeOp>(loc, read,
                                                     ArrayRef<int64_t>{1, 0});
      } else {
        block = rewriter.create<vector::TransferReadOp>(
            loc, VectorType::get({rows, width}, f32), source,
            ValueRange{kk, col}, pad, ArrayRef<bool>{true, true});
      }
      rewriter.create<vector::TransferWriteOp>(
          loc, block, pack, ValueRange{p, kk, zero}, ArrayRef<bool>{true, true});
    };
    if (full > 0) {
      auto loop = rewriter.create<scf::ForOp>(loc, zero, index(full),
                                              index(step));
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(loop.getBody());
      copy(loop.getInductionVar(), step);
    }
    for (int64_t kk = full; kk < k; ++kk)
      copy(index(kk), 1);
  }

  /// A rank-reduced static view of `source`.
  Value view(Value source, ArrayRef<OpFoldResult> offsets,
             ArrayRef<int64_t> sizes, int64_t rank) {
    SmallVector<OpFoldResult> sz, st;
    for (int64_t s : sizes)
      sz.push_back(rewriter.getIndexAttr(s));
    st.assign(sizes.size(), rewriter.getIndexAttr(1));
    auto type = memref::SubViewOp::inferRankReducedResultType(
        ArrayRef<int64_t>(sizes).take_back(rank),
        cast<MemRefType>(source.getType()), offsets, sz, st);
    return rewriter.create<memref::SubViewOp>(loc, cast<MemRefType>(type),
                                              source, offsets, sz, st);
  }

private:
  IRRewriter &rewriter;
  Location loc;
  int64_t tileN;
};

/// The rows of A that one block of a product reads in L2 (GotoBLAS's mc):
/// a multiple of the register tile's rows whose K floats fit the budget,
/// or all of them when they fit or a block would be too thin to repay its
/// pass over the packed panels.
int64_t blockRows(int64_t m, int64_t k, int64_t tileM) {
  // Half of a 512 KiB L2, the smallest of the targets' cores, for A.
  constexpr int64_t kBlockBytes = 256 * 1024;
  int64_t rows = kBlockBytes / (k * 4) / tileM * tileM;
  return rows < 4 * tileM || rows >= m ? m : rows;
}

/// Splits C = A B into one matmul per column panel of B (tileN columns),
/// reading the panel from a packed copy P[panel][k][0..tileN): the kernel
/// then streams B rows 64 bytes apart instead of N floats apart, which
/// thrashes the caches once N is large. When B is a transposed copy of a
/// weight W, the pack reads W directly and the transpose goes away. A
/// small M does not repay the copy.
void packRightHandSide(
    IRRewriter &rewriter, linalg::LinalgOp op, int64_t tileM, int64_t tileN,
    llvm::DenseMap<Operation *, linalg::GenericOp> &epilogues) {
  Value a = op.getDpsInputs()[0], b = op.getDpsInputs()[1];
  Value c = op.getDpsInits()[0];
  auto bType = cast<MemRefType>(b.getType());
  int64_t k = bType.getDimSize(0), n = bType.getDimSize(1);
  int64_t m = cast<MemRefType>(c.getType()).getDimSize(0);
  if (n < tileN || m < 2 * tileM || !bType.getElementType().isF32())
    return;
  linalg::TransposeOp transpose = transposeOf(b, op);
  Value w = transpose ? transpose.getInput() : Value();
  Value source = w ? w : b;
  linalg::GenericOp epilogue = epilogues.lookup(op);
  int64_t panels = llvm::divideCeil(n, tileN), full = n / tileN;
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  RhsPacker packer(rewriter, loc, tileN);
  Value pack = rewriter.create<memref::AllocOp>(
      loc, MemRefType::get({panels, k, tileN}, rewriter.getF32Type()));

  // Rows `row`.. of C (`rows` of them) times panel `p` of the pack.
  bool transposedA = isa<linalg::MatmulTransposeAOp>(op.getOperation());
  auto multiply = [&](Value p, int64_t width, OpFoldResult row,
                      int64_t rows) {
    Value col = rewriter.create<arith::MulIOp>(loc, p, packer.index(tileN));
    Value pp = packer.view(pack, {p, rewriter.getIndexAttr(0),
                                  rewriter.getIndexAttr(0)},
                           {1, k, width}, 2);
    Value cp = packer.view(c, {row, col}, {rows, width}, 2);
    OpFoldResult zero = rewriter.getIndexAttr(0);
    Value ap = rows == m ? a
               : transposedA
                   ? packer.view(a, {zero, row}, {k, rows}, 2)
                   : packer.view(a, {row, zero}, {rows, k}, 2);
    // The panel's epilogue views come before its matmul, so that they
    // dominate the tile loops that the matmul becomes.
    linalg::GenericOp panelEpilogue =
        epilogue ? sliceEpilogue(rewriter, epilogue, c, cp, col, width)
                 : linalg::GenericOp();
    Operation *panelOp = rewriter.clone(*op.getOperation());
    panelOp->setOperands(ValueRange{ap, pp, cp});
    if (panelEpilogue) {
      panelEpilogue->moveAfter(panelOp);
      epilogues[panelOp] = panelEpilogue;
    }
  };
  // `body(p, width)` for every panel: the full ones in a loop whose
  // iterations touch disjoint panels and columns, then the partial one.
  auto forPanels = [&](llvm::function_ref<void(Value, int64_t)> body) {
    if (full > 0) {
      auto loop = rewriter.create<scf::ForOp>(loc, packer.index(0),
                                              packer.index(full),
                                              packer.index(1));
      markParallel(loop);
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(loop.getBody());
      body(loop.getInductionVar(), tileN);
    }
    if (full < panels)
      body(packer.index(full), n - full * tileN);
  };
  // dY^T X reads A transposed: a tile's tileM floats per k step lie 4M
  // bytes apart. Blocks of A's rows are then packed, tile by tile, so that
  // the kernel reads them contiguously from L2 for every panel (GotoBLAS's
  // packed A); the panels are packed once for all blocks.
  int64_t mc = epilogue || !transposedA || m % tileM != 0
                   ? m
                   : blockRows(m, k, tileM);
  if (mc == m) {
    // One panel at a time: pack it, then multiply by it.
    forPanels([&](Value p, int64_t width) {
      packer.packPanel(source, static_cast<bool>(w), pack, p, k, width);
      multiply(p, width, rewriter.getIndexAttr(0), m);
    });
  } else {
    forPanels([&](Value p, int64_t width) {
      packer.packPanel(source, static_cast<bool>(w), pack, p, k, width);
    });
    // A pack per block, so that the blocks are independent iterations.
    int64_t blocks = m / mc, packs = llvm::divideCeil(m, mc);
    Type f32 = rewriter.getF32Type();
    Value aPack = rewriter.create<memref::AllocOp>(
        loc, MemRefType::get({packs, mc / tileM, k, tileM}, f32));
    Value pad = rewriter.create<arith::ConstantOp>(loc, rewriter.getZeroAttr(f32));
    auto tileRow = [&](Value row, Value t) -> Value {
      return rewriter.create<arith::AddIOp>(
          loc, row,
          rewriter.create<arith::MulIOp>(loc, t, packer.index(tileM)));
    };
    // Rows row.. (a multiple of tileM of them) of C: pack A's, then
    // multiply them by every panel.
    auto rowBlock = [&](Value block, Value row, int64_t rows) {
      int64_t tiles = rows / tileM;
      Value blockPack = packer.view(
          aPack, {block, rewriter.getIndexAttr(0), rewriter.getIndexAttr(0),
                  rewriter.getIndexAttr(0)},
          {1, mc / tileM, k, tileM}, 3);
      auto packLoop = rewriter.create<scf::ForOp>(
          loc, packer.index(0), packer.index(tiles), packer.index(1));
      markParallel(packLoop);
      {
        OpBuilder::InsertionGuard guard(rewriter);
        rewriter.setInsertionPointToStart(packLoop.getBody());
        Value t = packLoop.getInductionVar();
        Value r = tileRow(row, t);
        auto kLoop = rewriter.create<scf::ForOp>(loc, packer.index(0),
                                                 packer.index(k),
                                                 packer.index(1));
        rewriter.setInsertionPointToStart(kLoop.getBody());
        Value kk = kLoop.getInductionVar();
        Value piece = rewriter.create<vector::TransferReadOp>(
            loc, VectorType::get({tileM}, f32), a, ValueRange{kk, r}, pad,
            ArrayRef<bool>{true});
        rewriter.create<vector::TransferWriteOp>(
            loc, piece, blockPack, ValueRange{t, kk, packer.index(0)},
            ArrayRef<bool>{true});
      }
      forPanels([&](Value p, int64_t width) {
        Value col = rewriter.create<arith::MulIOp>(loc, p, packer.index(tileN));
        Value pp = packer.view(pack, {p, rewriter.getIndexAttr(0),
                                      rewriter.getIndexAttr(0)},
                               {1, k, width}, 2);
        auto tLoop = rewriter.create<scf::ForOp>(
            loc, packer.index(0), packer.index(tiles), packer.index(1));
        OpBuilder::InsertionGuard guard(rewriter);
        rewriter.setInsertionPointToStart(tLoop.getBody());
        Value t = tLoop.getInductionVar();
        Value ap = packer.view(blockPack, {t, rewriter.getIndexAttr(0),
                                           rewriter.getIndexAttr(0)},
                               {1, k, tileM}, 2);
        Value cp = packer.view(c, {tileRow(row, t), col}, {tileM, width}, 2);
        Operation *tileOp = rewriter.clone(*op.getOperation());
        tileOp->setOperands(ValueRange{ap, pp, cp});
      });
    };
    auto loop = rewriter.create<scf::ForOp>(loc, packer.index(0),
                                            packer.index(blocks),
                                            packer.index(1));
    markParallel(loop);
    {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(loop.getBody());
      Value block = loop.getInductionVar();
      rowBlock(block,
               rewriter.create<arith::MulIOp>(loc, block, packer.index(mc)),
               mc);
    }
    if (blocks < packs)
      rowBlock(packer.index(blocks), packer.index(blocks * mc),
               m - blocks * mc);
  }
  if (transpose)
    rewriter.eraseOp(transpose);
  if (epilogue) {
    epilogues.erase(op);
    rewriter.eraseOp(epilogue);
  }
  rewriter.eraseOp(op);
}

/// The fill that initializes the matmul's C just before it, with nothing
/// else touching C in between; null if none.
linalg::FillOp fillBefore(linalg::LinalgOp op) {
  Value c = op.getDpsInits()[0];
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode()) {
    if (auto fill = dyn_cast<linalg::FillOp>(prev);
        fill && fill.getDpsInits()[0] == c)
      return fill;
    if (mayAccess(prev, c))
      break;
  }
  return {};
}

/// A product narrower than a vector whose width is no power of two (an
/// output layer of 7 columns) runs on a B and a C padded with zero columns
/// to the next power of two; C's columns are copied back after it. The
/// target has no 7-float registers: LLVM moved each row of B and of the
/// tile as 4 + 2 + 1 floats, at 0.70x the speed of 8 columns. The padded
/// buffers are written where B and C were: the transpose of a weight writes
/// the padded B, and a fill of C fills the padded C, so that only C's
/// copy back is added. An epilogue then runs as an op of its own.
void padNarrowColumns(IRRewriter &rewriter, linalg::LinalgOp op,
                      int64_t tileM, int64_t lanes,
                      llvm::DenseMap<Operation *, linalg::GenericOp> &epilogues) {
  Value a = op.getDpsInputs()[0], b = op.getDpsInputs()[1];
  Value c = op.getDpsInits()[0];
  auto bType = cast<MemRefType>(b.getType());
  auto cType = cast<MemRefType>(c.getType());
  int64_t k = bType.getDimSize(0), n = bType.getDimSize(1);
  int64_t m = cType.getDimSize(0);
  if (n >= lanes || llvm::isPowerOf2_64(n) || m < tileM ||
      !bType.getElementType().isF32() || !bType.getLayout().isIdentity())
    return;
  linalg::FillOp fill = fillBefore(op);
  int64_t padded = static_cast<int64_t>(llvm::PowerOf2Ceil(n));
  Location loc = op.getLoc();
  Type f32 = rewriter.getF32Type();
  auto narrow = [&](Value wide, int64_t rows) -> Value {
    SmallVector<OpFoldResult> offsets(2, rewriter.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes = {rewriter.getIndexAttr(rows),
                                       rewriter.getIndexAttr(n)};
    SmallVector<OpFoldResult> strides(2, rewriter.getIndexAttr(1));
    return rewriter.create<memref::SubViewOp>(loc, wide, offsets, sizes,
                                              strides);
  };
  auto alloc = [&](int64_t rows) -> Value {
    return rewriter.create<memref::AllocOp>(
        loc, MemRefType::get({rows, padded}, f32));
  };
  Value zero;
  auto zeros = [&](Value wide) {
    if (!zero)
      zero = rewriter.create<arith::ConstantOp>(loc, rewriter.getZeroAttr(f32));
    rewriter.create<linalg::FillOp>(loc, zero, wide);
  };
  // B: the weight transposed straight into it, or copied.
  linalg::TransposeOp transpose = transposeOf(b, op);
  rewriter.setInsertionPoint(transpose ? transpose.getOperation()
                                       : op.getOperation());
  Value wideB = alloc(k);
  zeros(wideB);
  if (transpose) {
    rewriter.create<linalg::TransposeOp>(loc, transpose.getInput(),
                                         narrow(wideB, k),
                                         ArrayRef<int64_t>{1, 0});
    rewriter.eraseOp(transpose);
  } else {
    rewriter.create<linalg::CopyOp>(loc, b, narrow(wideB, k));
  }
  // C: filled as C was, or copied.
  rewriter.setInsertionPoint(fill ? fill.getOperation() : op.getOperation());
  Value wideC = alloc(m);
  if (fill) {
    rewriter.create<linalg::FillOp>(loc, fill.getDpsInputs()[0], wideC);
    rewriter.eraseOp(fill);
  } else {
    rewriter.setInsertionPoint(op);
    zeros(wideC);
    rewriter.create<linalg::CopyOp>(loc, c, narrow(wideC, m));
  }
  rewriter.setInsertionPoint(op);
  Operation *wideOp = rewriter.clone(*op.getOperation());
  wideOp->setOperands(ValueRange{a, wideB, wideC});
  rewriter.create<linalg::CopyOp>(loc, narrow(wideC, m), c);
  epilogues.erase(op);
  rewriter.eraseOp(op);
}

/// The register tile of an M-row product. With fewer rows than a full
/// tile, all of them, and as many columns as keep the full tile's number
/// of accumulators (it is 2 vectors wide): one row's FMAs then still have
/// enough independent chains to hide their latency, and each weight row
/// streams through once, in as long contiguous pieces as the registers
/// allow (a one-row prediction is a matrix-vector product bound by reading
/// the weights: 16 vectors rather than 8 took 9% off a one-row
/// 784-512-512-10 prediction on AVX-512). A power of two of vectors: LLVM
/// splits 3 or 5 vectors into slow code.
std::pair<int64_t, int64_t> registerTile(int64_t m, int64_t tileM,
                                         int64_t tileN, int64_t lanes) {
  if (m >= tileM)
    return {tileM, tileN};
  auto vectors = static_cast<uint64_t>(std::max<int64_t>(2 * tileM / m, 2));
  return {m, static_cast<int64_t>(llvm::bit_floor(vectors)) * lanes};
}

/// The transfer_write in `body` that stores back what `read` loaded: the
/// same buffer, indices and vector type, after it; null if none.
vector::TransferWriteOp storeBack(vector::TransferReadOp read, Block *body) {
  for (Operation *op = read->getNextNode(); op; op = op->getNextNode()) {
    auto write = dyn_cast<vector::TransferWriteOp>(op);
    if (write && write.getSource() == read.getSource() &&
        write.getIndices() == read.getIndices() &&
        write.getVectorType() == read.getVectorType() &&
        write.getPermutationMap() == read.getPermutationMap() &&
        !write.getMask())
      return write;
  }
  return nullptr;
}

/// Holds a tile that a loop reads and writes back in every iteration in
/// registers across the loop, as linalg::hoistRedundantVectorTransfers
/// does, for tiles of a view too, which it leaves alone: a product written
/// straight into a view of the state (a data-parallel build's gradients)
/// would otherwise load and store its whole tile at every step of the
/// reduction (1.6x the time of the gradient block of
/// bench/threads/mlp_bn_gelu.kiln). BufferAccess knows the ABI's buffers
/// and the allocations never overlap, so it can tell that nothing else in
/// the loop touches the tile. Returns whether it hoisted one.
bool hoistViewAccumulator(scf::ForOp loop, RewriterBase &rewriter) {
  Block *body = loop.getBody();
  for (auto read : body->getOps<vector::TransferReadOp>()) {
    auto invariant = [&](Value v) { return loop.isDefinedOutsideOfLoop(v); };
    if (read.getMask() || !invariant(read.getSource()) ||
        !invariant(read.getPadding()) ||
        !llvm::all_of(read.getIndices(), invariant))
      continue;
    vector::TransferWriteOp write = storeBack(read, body);
    if (!write)
      continue;
    bool alone = true;
    for (Operation &op : body->without_terminator())
      if (&op != read.getOperation() && &op != write.getOperation() &&
          mayAccess(&op, read.getSource()))
        alone = false;
    if (!alone)
      continue;
    read->moveBefore(loop);
    rewriter.setInsertionPoint(loop);
    Value stored = write.getVector();
    FailureOr<LoopLikeOpInterface> grown = loop.replaceWithAdditionalYields(
        rewriter, read.getVector(), /*replaceInitOperandUsesInLoop=*/true,
        [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
          return SmallVector<Value>{stored};
        });
    if (failed(grown))
      return false;
    auto newLoop = cast<scf::ForOp>(grown->getOperation());
    rewriter.setInsertionPointAfter(newLoop);
    rewriter.create<vector::TransferWriteOp>(
        write.getLoc(), newLoop.getResults().back(), write.getSource(),
        write.getIndices(), write.getPermutationMapAttr(),
        write.getInBoundsAttr());
    rewriter.eraseOp(write);
    return true;
  }
  return false;
}

bool isKernelMatmul(Operation *op) {
  if (!isa<linalg::MatmulOp, linalg::MatmulTransposeAOp>(op))
    return false;
  auto linalgOp = cast<linalg::LinalgOp>(op);
  return linalgOp.hasPureBufferSemantics() && !linalgOp.hasDynamicShape();
}

/// Set on a matmul whose C a fill with this constant initialized just
/// before it (the fill itself erased): its tiles start from the constant.
constexpr llvm::StringLiteral kFilledAttr = "kiln.filled";
/// Set on the fill of one tile of such a matmul.
constexpr llvm::StringLiteral kTileFillAttr = "kiln.tile_fill";

/// A matmul's C is usually a buffer that a fill zeroed right before it (a
/// weight gradient: 8 to 16 MB each in the wide model of bench/). Filled
/// whole, it is written once by the fill and read and written again by the
/// tiles: one pass over memory more than needed. The fill moves into the
/// tiles instead (tileFill), where its vector store forwards to the
/// accumulator's load and both disappear. Marks the matmul and erases the
/// fill.
void moveFillIntoTiles(linalg::LinalgOp op) {
  linalg::FillOp fill = fillBefore(op);
  FloatAttr value;
  if (!fill || !matchPattern(fill.getDpsInputs()[0], m_Constant(&value)))
    return;
  op->setAttr(kFilledAttr, value);
  fill->erase();
}

/// Fills the whole C of `op` (marked kFilledAttr) with its constant again,
/// before `before`: where its tiles cannot be filled one by one.
void fillWhole(RewriterBase &rewriter, linalg::LinalgOp op, FloatAttr value,
               Operation *before) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(before);
  Value constant = rewriter.create<arith::ConstantOp>(op.getLoc(), value);
  rewriter.create<linalg::FillOp>(op.getLoc(), constant, op.getDpsInits()[0]);
}

/// Fills the C tile of `tiled` (a tile of a matmul marked kFilledAttr)
/// before the loop `k` over the reduction, recomputing the tile's view
/// there. Fails, changing nothing, if the view depends on k.
LogicalResult tileFill(RewriterBase &rewriter, linalg::LinalgOp tiled,
                       Operation *k, FloatAttr value) {
  Value tile = tiled.getDpsInits()[0];
  SetVector<Operation *> slice;
  BackwardSliceOptions options;
  options.inclusive = true;
  options.filter = [&](Operation *op) { return k->isProperAncestor(op); };
  getBackwardSlice(tile, &slice, options);
  auto loop = dyn_cast<scf::ForOp>(k);
  for (Operation *op : slice)
    if (op->getNumRegions() != 0 ||
        (loop && llvm::is_contained(op->getOperands(),
                                    loop.getInductionVar())))
      return failure();
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(k);
  IRMapping map;
  for (Operation *op : slice)
    rewriter.clone(*op, map);
  Value constant = rewriter.create<arith::ConstantOp>(tiled.getLoc(), value);
  auto fill = rewriter.create<linalg::FillOp>(tiled.getLoc(), constant,
                                              map.lookupOrDefault(tile));
  fill->setAttr(kTileFillAttr, rewriter.getUnitAttr());
  return success();
}

struct VectorizeMatmulPass
    : kiln::impl::VectorizeMatmulBase<VectorizeMatmulPass> {
  using VectorizeMatmulBase::VectorizeMatmulBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    IRRewriter rewriter(&getContext());

    // 0. Find each matmul's elementwise epilogue, and pack B into column
    //    panels where the matmul is big enough.
    llvm::DenseMap<Operation *, linalg::GenericOp> epilogues;
    SmallVector<Operation *> candidates;
    func.walk([&](Operation *op) {
      if (isKernelMatmul(op))
        candidates.push_back(op);
    });
    for (Operation *op : candidates) {
      // Bufferization allocates the epilogue's result right before the
      // epilogue; above the matmul, the allocation dominates the tile loops
      // the epilogue moves into.
      while (auto alloc =
                 dyn_cast_or_null<memref::AllocOp>(op->getNextNode())) {
        if (alloc->getNumOperands() != 0)
          break;
        alloc->moveBefore(op);
      }
      if (linalg::GenericOp epilogue =
              findEpilogue(cast<linalg::LinalgOp>(op)))
        epilogues[op] = epilogue;
    }
    // A weight's product with fewer columns than a vector: dot products
    // along K (NarrowProduct.h). Its epilogue stays a pass of its own.
    for (Operation *&op : candidates) {
      auto matmul = cast<linalg::LinalgOp>(op);
      linalg::TransposeOp transpose = transposeOf(matmul.getDpsInputs()[1], op);
      if (transpose && succeeded(lowerNarrowProduct(
                           rewriter, matmul, transpose.getInput(), lanes))) {
        rewriter.eraseOp(transpose);
        epilogues.erase(op);
        op = nullptr;
      }
    }
    for (Operation *op : candidates)
      if (op)
        padNarrowColumns(rewriter, cast<linalg::LinalgOp>(op), tileM, lanes,
                         epilogues);
    candidates.clear();
    func.walk([&](Operation *op) {
      if (isKernelMatmul(op))
        candidates.push_back(op);
    });
    for (Operation *op : candidates) {
      moveFillIntoTiles(cast<linalg::LinalgOp>(op));
      packRightHandSide(rewriter, cast<linalg::LinalgOp>(op), tileM, tileN,
                        epilogues);
    }

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
      auto [rows, cols] = registerTile(
          cast<MemRefType>(
              cast<linalg::LinalgOp>(op).getDpsInits()[0].getType())
              .getDimSize(0),
          tileM, tileN, lanes);
      SmallVector<OpFoldResult> sizes = {rewriter.getIndexAttr(rows),
                                         rewriter.getIndexAttr(cols),
                                         rewriter.getIndexAttr(1)};
      scf::SCFTilingOptions options;
      options.setTileSizes(sizes);
      FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
          rewriter, cast<TilingInterface>(op), options);
      auto filled = op->getAttrOfType<FloatAttr>(kFilledAttr);
      if (failed(tiled)) {
        op->emitWarning("matmul could not be tiled; left to LLVM");
        if (filled)
          fillWhole(rewriter, cast<linalg::LinalgOp>(op), filled, op);
        continue;
      }
      // Every loop but the innermost, over k, writes its own output tiles.
      for (LoopLikeOpInterface loop : ArrayRef(tiled->loops).drop_back())
        if (auto forOp = dyn_cast<scf::ForOp>(loop.getOperation()))
          markParallel(forOp);
      if (filled) {
        // The reduction's loop, the innermost, exists when K needs more
        // than one step.
        auto tiledOp = cast<linalg::LinalgOp>(tiled->tiledOps.back());
        int64_t k = cast<MemRefType>(
                        cast<linalg::LinalgOp>(op).getDpsInputs()[1].getType())
                        .getDimSize(0);
        Operation *kLoop = k > 1 ? tiled->loops.back().getOperation() : nullptr;
        if (!kLoop || failed(tileFill(rewriter, tiledOp, kLoop, filled)))
          fillWhole(rewriter, cast<linalg::LinalgOp>(op), filled,
                    tiled->loops.empty() ? tiledOp.getOperation()
                                         : tiled->loops.front().getOperation());
      }
      linalg::GenericOp epilogue = epilogues.lookup(op);
      // Tiling makes no loop for a dimension that one tile covers; the
      // epilogue then stays a pass of its own after the matmul.
      if (epilogue && tiled->loops.size() == 3 &&
          llvm::all_of(tiled->loops, [](LoopLikeOpInterface l) {
            return isa<scf::ForOp>(l.getOperation());
          })) {
        auto loop = [&](int i) {
          return cast<scf::ForOp>(tiled->loops[i].getOperation());
        };
        tileEpilogueInto(rewriter, epilogue,
                         cast<linalg::LinalgOp>(op).getDpsInits()[0], loop(0),
                         loop(1), loop(2), rows, cols);
        rewriter.eraseOp(epilogue);
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
      if (isKernelMatmul(op) || op->hasAttr(kEpilogueAttr) ||
          op->hasAttr(kTileFillAttr))
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
    // A tile's read and write of C must use the same index values to be
    // matched: a row block's offset is an affine.apply per transfer.
    {
      DominanceInfo dominance(func);
      eliminateCommonSubExpressions(rewriter, dominance, func);
    }
    linalg::hoistRedundantVectorTransfers(func);
    for (bool hoisted = true; hoisted;) {
      hoisted = false;
      func.walk([&](scf::ForOp loop) {
        hoisted = hoistViewAccumulator(loop, rewriter);
        return hoisted ? WalkResult::interrupt() : WalkResult::advance();
      });
    }
    // The epilogue reads the tile that the matmul just wrote: forward the
    // accumulator to it and drop the write that the epilogue overwrites.
    vector::transferOpflowOpt(rewriter, func);

    // 4. Contractions become outer products: per k, a row of B times each
    //    broadcast element of A, accumulated with FMAs.
    {
      RewritePatternSet patterns(&getContext());
      vector::VectorTransformsOptions vectorOptions;
      vectorOptions.setVectorTransformsOptions(
          vector::VectorContractLowering::OuterProduct);
      vector::populateVectorContractLoweringPatterns(patterns, vectorOptions);
      vector::populateVectorTransposeLoweringPatterns(patterns, vectorOptions);
      vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
      if (failed(applyPatternsAndFoldGreedily(func, std::move(patterns))))
        return signalPassFailure();
    }

    // 5. Rows wider than a register become one op per register, in
    //    ascending address order. Left to LLVM, a row of 8 vectors was split
    //    late and streamed downwards within each weight row, which the
    //    hardware prefetchers follow badly: a one-row product took 1.6x as
    //    long here.
    {
      RewritePatternSet patterns(&getContext());
      vector::populateVectorUnrollPatterns(
          patterns, vector::UnrollVectorOptions().setNativeShapeFn(
                        [&](Operation *op) { return registerShape(op); }));
      if (failed(applyPatternsAndFoldGreedily(func, std::move(patterns))))
        return signalPassFailure();
    }
  }

  /// One register of a 1-D vector op, or of a one-row 2-D one, when the
  /// vector is several registers wide.
  std::optional<SmallVector<int64_t>> registerShape(Operation *op) const {
    VectorType type;
    if (auto read = dyn_cast<vector::TransferReadOp>(op))
      type = read.getVectorType();
    else if (auto write = dyn_cast<vector::TransferWriteOp>(op))
      type = write.getVectorType();
    else if (op->getNumResults() == 1)
      type = dyn_cast<VectorType>(op->getResult(0).getType());
    if (!type || type.getRank() > 2 || type.isScalable())
      return std::nullopt;
    ArrayRef<int64_t> shape = type.getShape();
    int64_t width = shape.back();
    if ((type.getRank() == 2 && shape[0] != 1) || width <= lanes ||
        width % lanes != 0)
      return std::nullopt;
    SmallVector<int64_t> native(type.getRank(), 1);
    native.back() = lanes;
    return native;
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
