//===- ParallelLoops.h - Loops whose iterations are independent -*- C++ -*-===//
//
// The kernel generators know which of the loops they build iterate over
// independent outputs (a matmul's column panels and row tiles, the rows of
// an elementwise kernel); they say so with an attribute, and
// kiln-parallelize-loops later decides from each loop nest's size which of
// them run on all cores.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CONVERSION_PARALLELLOOPS_H
#define KILN_CONVERSION_PARALLELLOOPS_H

#include "mlir/Dialect/SCF/IR/SCF.h"

namespace kiln {

/// Set on an scf.for whose iterations write disjoint outputs and read
/// nothing another iteration writes.
constexpr llvm::StringLiteral kParallelAttr = "kiln.parallel";

inline void markParallel(mlir::scf::ForOp loop) {
  mlir::Builder b(loop.getContext());
  loop->setAttr(kParallelAttr, b.getUnitAttr());
}

} // namespace kiln

#endif // KILN_CONVERSION_PARALLELLOOPS_H
