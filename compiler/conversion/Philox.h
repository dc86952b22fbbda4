//===- Philox.h - Counter-based random numbers in IR ------------*- C++ -*-===//
//
// Philox4x32-10 as scalar arith code, for dropout masks: the same generator
// and keying as the runtime's kiln_dropout_keep, so that tests can predict
// every mask.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CONVERSION_PHILOX_H
#define KILN_CONVERSION_PHILOX_H

#include "mlir/IR/Builders.h"

#include <array>

namespace kiln {

/// Philox4x32-10 on i32 scalars: counter (4 words) and key (2 words).
std::array<mlir::Value, 4> emitPhilox(mlir::OpBuilder &b, mlir::Location loc,
                                      std::array<mlir::Value, 4> counter,
                                      std::array<mlir::Value, 2> key);

/// Whether dropout keeps element `linearIndex` (i32) of stream `stream`
/// (i32) at `step` (i64) with `seed` (i64): the runtime's
/// kiln_dropout_keep(seed, stream, step, index, p), as an i1.
mlir::Value emitDropoutKeep(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value seed, mlir::Value step,
                            mlir::Value stream, mlir::Value linearIndex,
                            double p);

} // namespace kiln

#endif // KILN_CONVERSION_PHILOX_H
