//===- LinalgBuilder.h - Building linalg.generic ops concisely --*- C++ -*-===//
//
// The nn lowerings are mostly elementwise maps and row or column
// reductions over small static tensors. These helpers build them as
// linalg.generic ops so that each lowering reads as its formula.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CONVERSION_LINALGBUILDER_H
#define KILN_CONVERSION_LINALGBUILDER_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"

namespace kiln {

/// Computes a scalar from the scalars of a generic's operands.
using ScalarFn = llvm::function_ref<mlir::Value(mlir::OpBuilder &,
                                                mlir::Location,
                                                mlir::ValueRange)>;
/// Computes several scalars (a multi-result generic's yields).
using ScalarsFn = llvm::function_ref<llvm::SmallVector<mlir::Value>(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

class LinalgBuilder {
public:
  LinalgBuilder(mlir::OpBuilder &b, mlir::Location loc) : b(b), loc(loc) {}

  mlir::RankedTensorType f32Tensor(llvm::ArrayRef<int64_t> shape) const;
  mlir::Value f32(double v) const;
  mlir::Value index(int64_t v) const;
  /// A tensor of `shape` filled with `v`.
  mlir::Value filled(llvm::ArrayRef<int64_t> shape, double v) const;
  mlir::Value empty(llvm::ArrayRef<int64_t> shape) const;
  /// An uninitialized tensor that bufferizes to a buffer of its own, never
  /// shared with another tensor's: what a kernel generator must find
  /// written only by the op it matches (a transposed weight that the
  /// matmul kernel packs directly, a matmul's accumulator).
  mlir::Value fresh(llvm::ArrayRef<int64_t> shape) const;
  /// A fresh tensor filled with `v` (a matmul's accumulator: a fill shared
  /// by several matmuls would be copied for each).
  mlir::Value freshFilled(llvm::ArrayRef<int64_t> shape, double v) const;

  /// The NumPy-broadcast map from a result of `resultShape` to an operand
  /// of `shape`: dims missing on the left are dropped, dims of size 1 that
  /// stretch read index 0.
  mlir::AffineMap broadcastMap(llvm::ArrayRef<int64_t> shape,
                               llvm::ArrayRef<int64_t> resultShape) const;

  /// result[i] = fn(inputs[i]...) over `resultShape`, inputs broadcast.
  /// `into`, a tensor of `resultShape` whose values fn does not need, is
  /// the init: bufferization then writes the result into its buffer when
  /// nothing reads it later (a matmul's epilogue on the product's tile).
  mlir::Value map(llvm::ArrayRef<int64_t> resultShape, mlir::ValueRange inputs,
                  ScalarFn fn, mlir::Value into = {}) const;

  /// A generic with any maps and iterators over explicit inits (outs);
  /// `fn` gets the input scalars then the init scalars and yields one value
  /// per init.
  llvm::SmallVector<mlir::Value>
  generic(mlir::ValueRange inputs, llvm::ArrayRef<mlir::AffineMap> inputMaps,
          mlir::ValueRange inits, llvm::ArrayRef<mlir::AffineMap> initMaps,
          llvm::ArrayRef<mlir::utils::IteratorType> iterators,
          ScalarsFn fn) const;

  /// Reduces a rank-2 [R, C] `input` (and optional same-shaped extras) over
  /// columns (`overRows` false: result [R]) or over rows (`overRows` true:
  /// result [C]); `fn` gets (input scalars..., accumulator) and returns the
  /// new accumulator. Extra rank-1 operands of the result's shape may be
  /// passed in `perResult`; they are given after the rank-2 inputs.
  mlir::Value reduce2D(mlir::ValueRange inputs, mlir::ValueRange perResult,
                       bool overRows, double init, ScalarFn fn) const;

  /// Sum of all elements of `input` as a rank-0 tensor.
  mlir::Value sumAll(mlir::Value input) const;

  /// Like reduce2D, but several accumulators at once; `fn` gets (inputs...,
  /// perResult..., accumulators...) and returns the new accumulators.
  llvm::SmallVector<mlir::Value> reduce2DMulti(mlir::ValueRange inputs,
                                               mlir::ValueRange perResult,
                                               bool overRows,
                                               llvm::ArrayRef<double> inits,
                                               ScalarsFn fn) const;

  /// Reads a rank-1 tensor [R] broadcast along the columns of [R, C]
  /// (`alongRows` false) or a tensor [C] along the rows (true): the map
  /// from the 2-D iteration space.
  mlir::AffineMap rowMap() const;    // (d0, d1) -> (d0)
  mlir::AffineMap columnMap() const; // (d0, d1) -> (d1)

  mlir::OpBuilder &builder() const { return b; }
  mlir::Location location() const { return loc; }

private:
  mlir::OpBuilder &b;
  mlir::Location loc;
};

} // namespace kiln

#endif // KILN_CONVERSION_LINALGBUILDER_H
