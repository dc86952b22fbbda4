//===- NNDialect.h - The nn dialect -----------------------------*- C++ -*-===//

#ifndef KILN_DIALECT_NN_NNDIALECT_H
#define KILN_DIALECT_NN_NNDIALECT_H

#include "kiln/Dialect/NN/NNAttrParams.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectImplementation.h"

#include "kiln/Dialect/NN/NNDialect.h.inc"
#include "kiln/Dialect/NN/NNEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "kiln/Dialect/NN/NNAttrs.h.inc"

namespace kiln::nn {
/// The syntax of #nn.data's columns, `["label", 3]`: each by name or by
/// index (NNModel.td).
mlir::FailureOr<llvm::SmallVector<ColumnAttr>>
parseColumns(mlir::AsmParser &parser);
void printColumns(mlir::AsmPrinter &printer, llvm::ArrayRef<ColumnAttr> cols);
} // namespace kiln::nn

#endif // KILN_DIALECT_NN_NNDIALECT_H
