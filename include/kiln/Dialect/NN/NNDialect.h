//===- NNDialect.h - The nn dialect -----------------------------*- C++ -*-===//

#ifndef KILN_DIALECT_NN_NNDIALECT_H
#define KILN_DIALECT_NN_NNDIALECT_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectImplementation.h"

#include "kiln/Dialect/NN/NNDialect.h.inc"
#include "kiln/Dialect/NN/NNEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "kiln/Dialect/NN/NNAttrs.h.inc"

#endif // KILN_DIALECT_NN_NNDIALECT_H
