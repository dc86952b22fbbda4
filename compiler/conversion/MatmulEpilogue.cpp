//===- MatmulEpilogue.cpp - Elementwise work in the matmul's tile ---------===//

#include "MatmulEpilogue.h"
#include "BufferAccess.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;
using namespace kiln;

namespace {

/// How an epilogue operand is indexed by the 2-D iteration (d0, d1).
enum class Access { Element, Row, Column, Scalar, Other };

Access accessOf(AffineMap map) {
  if (map.isIdentity() && map.getNumDims() == 2)
    return Access::Element;
  if (map.getNumResults() == 0)
    return Access::Scalar;
  if (map.getNumResults() == 1) {
    if (auto dim = dyn_cast<AffineDimExpr>(map.getResult(0)))
      return dim.getPosition() == 0 ? Access::Row : Access::Column;
  }
  return Access::Other;
}

/// A static-stride view of `source` at `offsets` with `sizes` (unit
/// strides), of the same rank.
Value subview(RewriterBase &rewriter, Location loc, Value source,
              ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes) {
  SmallVector<OpFoldResult> strides(offsets.size(), rewriter.getIndexAttr(1));
  return rewriter.create<memref::SubViewOp>(loc, source, offsets, sizes,
                                            strides);
}

/// The operands of `epilogue` for the block (offsets, sizes) of its 2-D
/// iteration space; the matmul's result is `result` (already that block).
SmallVector<Value> blockOperands(RewriterBase &rewriter,
                                 linalg::GenericOp epilogue, Value matmulResult,
                                 Value result, ArrayRef<OpFoldResult> offsets,
                                 ArrayRef<OpFoldResult> sizes) {
  Location loc = epilogue.getLoc();
  SmallVector<Value> operands;
  for (OpOperand &operand : epilogue->getOpOperands()) {
    Value v = operand.get();
    if (v == matmulResult) {
      operands.push_back(result);
      continue;
    }
    switch (accessOf(epilogue.getMatchingIndexingMap(&operand))) {
    case Access::Element:
      operands.push_back(subview(rewriter, loc, v, offsets, sizes));
      break;
    case Access::Row:
      operands.push_back(subview(rewriter, loc, v, offsets[0], sizes[0]));
      break;
    case Access::Column:
      operands.push_back(subview(rewriter, loc, v, offsets[1], sizes[1]));
      break;
    case Access::Scalar:
    case Access::Other:
      operands.push_back(v);
      break;
    }
  }
  return operands;
}

} // namespace

linalg::GenericOp kiln::findEpilogue(linalg::LinalgOp matmul) {
  auto epilogue =
      dyn_cast_or_null<linalg::GenericOp>(matmul->getNextNode());
  Value c = matmul.getDpsInits()[0];
  if (!epilogue || !epilogue.hasPureBufferSemantics() ||
      epilogue.getNumDpsInits() != 1 || epilogue.getNumLoops() != 2 ||
      epilogue.getNumReductionLoops() != 0 || epilogue.hasDynamicShape())
    return {};
  OpOperand *out = epilogue.getDpsInitOperand(0);
  if (out->get().getType() != c.getType() &&
      cast<MemRefType>(out->get().getType()).getShape() !=
          cast<MemRefType>(c.getType()).getShape())
    return {};
  if (!epilogue.getMatchingIndexingMap(out).isIdentity())
    return {};
  bool readsResult = false;
  for (OpOperand *input : epilogue.getDpsInputOperands()) {
    Access access = accessOf(epilogue.getMatchingIndexingMap(input));
    if (access == Access::Other)
      return {};
    if (input->get() == c) {
      if (access != Access::Element)
        return {};
      readsResult = true;
    }
  }
  if (!readsResult)
    return {};
  // Once the epilogue moves into the tiles, C holds the product nowhere
  // (unless the epilogue writes back into C): nothing after may read it.
  Value d = out->get();
  if (baseOf(d) != baseOf(c))
    for (Operation *user : c.getUsers())
      if (user != epilogue && epilogue->isBeforeInBlock(user))
        return {};
  // The epilogue's output is written while the matmul still reads its
  // operands: it must not be one of them (bufferization may have put it in
  // the buffer of a transposed weight that dies with the matmul).
  for (Value input : matmul.getDpsInputs())
    if (baseOf(input) == baseOf(d))
      return {};
  return epilogue;
}

linalg::GenericOp kiln::sliceEpilogue(RewriterBase &rewriter,
                                      linalg::GenericOp epilogue,
                                      Value matmulResult, Value panelResult,
                                      OpFoldResult col, int64_t width) {
  int64_t rows = cast<MemRefType>(panelResult.getType()).getDimSize(0);
  SmallVector<OpFoldResult> offsets = {rewriter.getIndexAttr(0), col};
  SmallVector<OpFoldResult> sizes = {rewriter.getIndexAttr(rows),
                                     rewriter.getIndexAttr(width)};
  SmallVector<Value> operands = blockOperands(
      rewriter, epilogue, matmulResult, panelResult, offsets, sizes);
  Operation *clone = rewriter.clone(*epilogue);
  clone->setOperands(operands);
  return cast<linalg::GenericOp>(clone);
}

void kiln::tileEpilogueInto(RewriterBase &rewriter, linalg::GenericOp epilogue,
                            Value matmulResult, scf::ForOp m, scf::ForOp n,
                            scf::ForOp k, int64_t tileM, int64_t tileN) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointAfter(k);
  Location loc = epilogue.getLoc();
  auto shape = cast<MemRefType>(matmulResult.getType()).getShape();
  // min(tile, extent - iv): the tile's size, static once the loops are
  // peeled, and from the start when the tile divides the extent.
  auto size = [&](scf::ForOp loop, int64_t tile, int64_t extent) {
    if (extent % tile == 0)
      return OpFoldResult(rewriter.getIndexAttr(tile));
    AffineExpr d0 = rewriter.getAffineDimExpr(0);
    AffineMap map = AffineMap::get(
        1, 0, {rewriter.getAffineConstantExpr(tile), extent - d0},
        rewriter.getContext());
    return affine::makeComposedFoldedAffineMin(
        rewriter, loc, map, {OpFoldResult(loop.getInductionVar())});
  };
  SmallVector<OpFoldResult> offsets = {m.getInductionVar(),
                                       n.getInductionVar()};
  SmallVector<OpFoldResult> sizes = {size(m, tileM, shape[0]),
                                     size(n, tileN, shape[1])};
  Value tile = subview(rewriter, loc, matmulResult, offsets, sizes);
  SmallVector<Value> operands =
      blockOperands(rewriter, epilogue, matmulResult, tile, offsets, sizes);
  Operation *clone = rewriter.clone(*epilogue);
  clone->setOperands(operands);
  clone->setAttr(kEpilogueAttr, rewriter.getUnitAttr());
}
