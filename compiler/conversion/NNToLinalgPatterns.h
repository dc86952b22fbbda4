//===- NNToLinalgPatterns.h - The nn to linalg lowering patterns -*- C++ -*-===//

#ifndef KILN_CONVERSION_NNTOLINALGPATTERNS_H
#define KILN_CONVERSION_NNTOLINALGPATTERNS_H

#include "mlir/IR/PatternMatch.h"

namespace kiln {

/// dense, matmul, elementwise arithmetic, activations, softmax, dropout,
/// reductions and broadcasts.
void populateNNToLinalgCorePatterns(mlir::RewritePatternSet &patterns);
/// batch and layer normalization, forward and backward.
void populateNNToLinalgNormPatterns(mlir::RewritePatternSet &patterns);
/// The losses and their gradients.
void populateNNToLinalgLossPatterns(mlir::RewritePatternSet &patterns);

} // namespace kiln

#endif // KILN_CONVERSION_NNTOLINALGPATTERNS_H
