//===- NNInterfaces.h - Interfaces of the nn dialect ------------*- C++ -*-===//

#ifndef KILN_DIALECT_NN_NNINTERFACES_H
#define KILN_DIALECT_NN_NNINTERFACES_H

#include "kiln/Dialect/NN/NNDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"

#include "kiln/Dialect/NN/NNInterfaces.h.inc"

#endif // KILN_DIALECT_NN_NNINTERFACES_H
