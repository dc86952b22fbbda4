//===- NarrowProduct.h - x W^T with fewer columns than a vector -*- C++ -*-===//
//
// An output layer (10 classes, 7, 3 or 1 outputs) multiplies by a weight of
// fewer rows than a vector has lanes. The register-tiled kernel would hold
// a fraction of a register per row of its tile; instead, each output is a
// dot product along K, where both the input row and the weight row are
// contiguous, accumulated lane by lane in full vectors.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CONVERSION_NARROWPRODUCT_H
#define KILN_CONVERSION_NARROWPRODUCT_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace kiln {

/// Replaces `matmul` (C += A B on buffers, B = W^T for the weight `w`
/// [N, K], N < lanes) with loops over tiles of rows of A and groups of W's
/// rows: per tile, one vector accumulator per output, fed by FMAs of
/// contiguous vectors of A's and W's rows along K (the last, partial one
/// masked), each reduced across its lanes into C's element once, after K.
/// The row loop is marked parallel. Fails, changing nothing, when the
/// product does not fit: other element types, K rows of A or W not
/// contiguous.
mlir::LogicalResult lowerNarrowProduct(mlir::RewriterBase &rewriter,
                                       mlir::linalg::LinalgOp matmul,
                                       mlir::Value w, int64_t lanes);

} // namespace kiln

#endif // KILN_CONVERSION_NARROWPRODUCT_H
