//===- BufferAccess.h - Which buffers an op may read or write ---*- C++ -*-===//
//
// After bufferization the kernel generators and buffer rewrites ask the
// same questions: is this the same buffer, may two views share an element,
// may an op read or write a buffer. Every temporary is still its own
// allocation then, and the C ABI's buffers (state, inputs, outputs) never
// overlap, so the answers are exact for distinct buffers and for views of
// one buffer at offsets known at compile time.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CONVERSION_BUFFERACCESS_H
#define KILN_CONVERSION_BUFFERACCESS_H

#include "mlir/IR/Operation.h"

namespace kiln {

/// The buffer a view is a view of.
mlir::Value baseOf(mlir::Value v);

/// Whether `a` and `b` may share an element: views of one buffer whose
/// extents are not known to be disjoint.
bool mayAlias(mlir::Value a, mlir::Value b);

/// Whether `op`, or an op nested in it, may write (or, unless
/// `writesOnly`, read) memory that `v` may alias. Unknown ops may.
bool mayAccess(mlir::Operation *op, mlir::Value v, bool writesOnly = false);

} // namespace kiln

#endif // KILN_CONVERSION_BUFFERACCESS_H
