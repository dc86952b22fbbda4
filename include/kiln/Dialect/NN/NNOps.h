//===- NNOps.h - Operations of the nn dialect -------------------*- C++ -*-===//

#ifndef KILN_DIALECT_NN_NNOPS_H
#define KILN_DIALECT_NN_NNOPS_H

#include "kiln/Dialect/NN/NNDialect.h"
#include "kiln/Dialect/NN/NNInterfaces.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "kiln/Dialect/NN/NNOps.h.inc"

namespace kiln::nn {

/// The static shape of a value of ranked tensor type: every nn value is one.
inline llvm::ArrayRef<int64_t> shapeOf(mlir::Value v) {
  return llvm::cast<mlir::RankedTensorType>(v.getType()).getShape();
}

/// The NumPy broadcast of two static shapes, or failure if they do not
/// broadcast.
mlir::FailureOr<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs);

} // namespace kiln::nn

#endif // KILN_DIALECT_NN_NNOPS_H
