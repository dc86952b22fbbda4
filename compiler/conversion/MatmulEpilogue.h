//===- MatmulEpilogue.h - Elementwise work in the matmul's tile -*- C++ -*-===//
//
// A matmul is often followed by an elementwise kernel over its result: the
// bias and activation of a dense layer, the activation gradient of a fused
// backward matmul. Such an epilogue is applied to each output tile right
// after the tile's reduction loop, while the accumulator is in registers,
// instead of in a second pass over the whole result.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CONVERSION_MATMULEPILOGUE_H
#define KILN_CONVERSION_MATMULEPILOGUE_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace kiln {

/// Marks the tiles of epilogues, so that they are vectorized with their
/// matmul tile.
constexpr llvm::StringLiteral kEpilogueAttr = "kiln.epilogue";

/// The elementwise kernel that right after `matmul` reads its result C, if
/// it can be applied tile by tile: all-parallel, 2-D, C read with the
/// identity map and nothing else reading C, other inputs read per element,
/// per row, per column or as scalars, one output of C's shape.
mlir::linalg::GenericOp findEpilogue(mlir::linalg::LinalgOp matmul);

/// A copy of `epilogue` restricted to the columns [col, col + width) of
/// the result, reading the matmul's result from `panelResult` (the result's
/// columns themselves). Inserted at the rewriter's insertion point.
mlir::linalg::GenericOp sliceEpilogue(mlir::RewriterBase &rewriter,
                                      mlir::linalg::GenericOp epilogue,
                                      mlir::Value matmulResult,
                                      mlir::Value panelResult,
                                      mlir::OpFoldResult col, int64_t width);

/// After the reduction loop `k` of the tile loops `m` and `n` of a tiled
/// matmul whose result is `matmulResult` (tiles of tileM x tileN), applies
/// `epilogue` to the tile at (m, n). The tile op is marked with kEpilogueAttr.
void tileEpilogueInto(mlir::RewriterBase &rewriter,
                      mlir::linalg::GenericOp epilogue,
                      mlir::Value matmulResult, mlir::scf::ForOp m,
                      mlir::scf::ForOp n, mlir::scf::ForOp k, int64_t tileM,
                      int64_t tileN);

} // namespace kiln

#endif // KILN_CONVERSION_MATMULEPILOGUE_H
