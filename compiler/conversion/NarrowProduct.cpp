//===- NarrowProduct.cpp - x W^T with fewer columns than a vector ---------===//

#include "NarrowProduct.h"

#include "ParallelLoops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace {

/// Whether the last dimension of a buffer is contiguous.
bool rowsContiguous(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  return type && type.getRank() == 2 && type.getElementType().isF32() &&
         succeeded(getStridesAndOffset(type, strides, offset)) &&
         strides.back() == 1;
}

class NarrowProductBuilder {
public:
  NarrowProductBuilder(RewriterBase &rewriter, Location loc, Value a, Value w,
                       Value c, int64_t lanes)
      : b(rewriter), loc(loc), a(a), w(w), c(c), lanes(lanes) {
    auto aType = cast<MemRefType>(a.getType());
    k = aType.getDimSize(1);
    kFull = k / lanes * lanes;
    vector = VectorType::get({lanes}, b.getF32Type());
    zero = b.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(vector, APFloat(0.0f)));
    pad = b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(0.0f));
    if (k > kFull)
      tailMask = b.create<vector::CreateMaskOp>(
          loc, VectorType::get({lanes}, b.getI1Type()),
          ValueRange{index(k - kFull)});
  }

  Value index(int64_t v) { return b.create<arith::ConstantIndexOp>(loc, v); }

  /// Rows row..row+rows of C, columns col..col+cols.
  void tile(Value row, int64_t rows, int64_t col, int64_t cols) {
    SmallVector<Value> rowIndex, colIndex;
    for (int64_t r = 0; r < rows; ++r)
      rowIndex.push_back(r ? b.create<arith::AddIOp>(loc, row, index(r)) : row);
    for (int64_t j = 0; j < cols; ++j)
      colIndex.push_back(index(col + j));
    // accumulators[r * cols + j] for C[row + r, col + j].
    SmallVector<Value> accumulators(rows * cols, zero);
    auto step = [&](Value kk, Value mask, ArrayRef<Value> accs) {
      auto load = [&](Value buffer, Value i) -> Value {
        if (mask)
          return b.create<vector::MaskedLoadOp>(loc, vector, buffer,
                                                ValueRange{i, kk}, mask, zero);
        return b.create<vector::TransferReadOp>(
            loc, vector, buffer, ValueRange{i, kk}, pad, ArrayRef<bool>{true});
      };
      SmallVector<Value> as, next(accs.begin(), accs.end());
      for (int64_t r = 0; r < rows; ++r)
        as.push_back(load(a, rowIndex[r]));
      for (int64_t j = 0; j < cols; ++j) {
        Value wv = load(w, colIndex[j]);
        for (int64_t r = 0; r < rows; ++r)
          next[r * cols + j] =
              b.create<vector::FMAOp>(loc, as[r], wv, next[r * cols + j]);
      }
      return next;
    };
    if (kFull > 0) {
      auto loop = b.create<scf::ForOp>(
          loc, index(0), index(kFull), index(lanes), accumulators,
          [&](OpBuilder &, Location, Value kk, ValueRange iter) {
            b.create<scf::YieldOp>(loc,
                                   step(kk, nullptr, llvm::to_vector(iter)));
          });
      accumulators.assign(loop.getResults().begin(), loop.getResults().end());
    }
    if (tailMask)
      accumulators = step(index(kFull), tailMask, accumulators);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < cols; ++j) {
        SmallVector<Value, 2> at = {rowIndex[r], colIndex[j]};
        Value init = b.create<memref::LoadOp>(loc, c, at);
        Value sum = b.create<arith::AddFOp>(
            loc, init, sumLanes(accumulators[r * cols + j]));
        b.create<memref::StoreOp>(loc, sum, c, at);
      }
  }

private:
  /// The lanes added pairwise, halves first: a fixed order of log2(lanes)
  /// vector adds, where an in-order reduction would chain `lanes` adds.
  Value sumLanes(Value v) {
    for (int64_t width = lanes / 2; width >= 1; width /= 2) {
      auto half = [&](int64_t offset) -> Value {
        return b.create<vector::ExtractStridedSliceOp>(
            loc, v, ArrayRef<int64_t>{offset}, ArrayRef<int64_t>{width},
            ArrayRef<int64_t>{1});
      };
      v = b.create<arith::AddFOp>(loc, half(0), half(width));
    }
    return b.create<vector::ExtractOp>(loc, v, ArrayRef<int64_t>{0});
  }

  RewriterBase &b;
  Location loc;
  Value a, w, c;
  int64_t lanes, k, kFull;
  VectorType vector;
  Value zero, pad, tailMask;
};

} // namespace

LogicalResult kiln::lowerNarrowProduct(RewriterBase &rewriter,
                                       linalg::LinalgOp matmul, Value w,
                                       int64_t lanes) {
  if (!isa<linalg::MatmulOp>(matmul.getOperation()) || !w)
    return failure();
  Value a = matmul.getDpsInputs()[0], c = matmul.getDpsInits()[0];
  auto cType = dyn_cast<MemRefType>(c.getType());
  auto wType = dyn_cast<MemRefType>(w.getType());
  if (!cType || !wType || !rowsContiguous(a) || !rowsContiguous(w) ||
      !cType.getElementType().isF32() || !llvm::isPowerOf2_64(lanes))
    return failure();
  int64_t m = cType.getDimSize(0), n = cType.getDimSize(1);
  if (n >= lanes || wType.getDimSize(0) != n)
    return failure();

  // The targets' vector registers: 32 with AVX-512's 16 lanes, 16 with
  // AVX2's 8 (and SSE's 4).
  int64_t registers = lanes >= 16 ? 32 : 16;
  // The outputs of a tile live in registers beside one vector per row of
  // A and the weight vector being multiplied: rows x cols + rows + 1 of
  // them, two left for the mask and spills. Wider than maxCols, the
  // columns go in balanced groups, A's rows read from L1 again per group.
  int64_t budget = registers - 2, maxCols = registers / 4;
  int64_t groups = llvm::divideCeil(n, maxCols);
  int64_t cols = llvm::divideCeil(n, groups);
  int64_t maxRows = std::clamp<int64_t>((budget - 1) / (cols + 1), 1, 8);
  // As many tiles as maxRows needs, of balanced rows (8 = 4 + 4, not 7 + 1).
  int64_t rows = llvm::divideCeil(m, llvm::divideCeil(m, maxRows));

  Location loc = matmul.getLoc();
  rewriter.setInsertionPoint(matmul);
  NarrowProductBuilder builder(rewriter, loc, a, w, c, lanes);
  auto tileRows = [&](Value row, int64_t count) {
    for (int64_t col = 0; col < n; col += cols)
      builder.tile(row, count, col, std::min(cols, n - col));
  };
  int64_t full = m / rows * rows;
  if (full > 0) {
    auto loop = rewriter.create<scf::ForOp>(
        loc, builder.index(0), builder.index(full), builder.index(rows));
    kiln::markParallel(loop);
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(loop.getBody());
    tileRows(loop.getInductionVar(), rows);
  }
  if (full < m)
    tileRows(builder.index(full), m - full);
  rewriter.eraseOp(matmul);
  return success();
}
