//===- MLIRGen.h - From the checked model to the nn dialect -----*- C++ -*-===//

#ifndef KILN_FRONTEND_MLIRGEN_H
#define KILN_FRONTEND_MLIRGEN_H

#include "kiln/Frontend/Model.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace kiln {

/// Builds the nn module of a checked model: the `nn.model` configuration,
/// one `nn.state` per state tensor, and `@forward(x, y, step, seed)`, which
/// returns the mean loss of a batch in training mode. Every op carries the
/// file:line:col of the spec construct it comes from. Data paths become
/// absolute, relative to the spec's folder. The module's `kiln.spec`
/// attribute names the spec (absolute), for a pipeline that goes on from a
/// dump of this IR (`kiln emit --from`).
mlir::OwningOpRef<mlir::ModuleOp> buildModule(mlir::MLIRContext &ctx,
                                              const Model &model);

} // namespace kiln

#endif // KILN_FRONTEND_MLIRGEN_H
