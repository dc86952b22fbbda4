//===- PredictionState.h - What @prepare derives for @predict ---*- C++ -*-===//
//
// The inference passes rewrite @predict to read `prepared` states (folded,
// relaid-out weights) that @prepare computes once from the state when
// weights are loaded. @prepare reads the state and writes the prediction
// state; every state that @predict reads unchanged is copied across, so
// that @predict reads the prediction state alone.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TRANSFORMS_PREDICTIONSTATE_H
#define KILN_TRANSFORMS_PREDICTIONSTATE_H

#include "kiln/Dialect/NN/NNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"

namespace kiln {

/// A `prepared` state named `name`, declared right after `after`.
nn::StateOp declarePrepared(mlir::SymbolTable &symbols, nn::StateOp after,
                            llvm::StringRef name,
                            mlir::RankedTensorType type);

/// The module's @prepare, created empty (before `predict`) when absent.
mlir::func::FuncOp getOrCreatePrepare(mlir::ModuleOp module,
                                      mlir::func::FuncOp predict);

/// Makes @prepare copy exactly the unprepared states that `predict` reads,
/// and drops what @prepare computes that nothing stores.
void copyUnpreparedStates(mlir::SymbolTable &symbols, mlir::func::FuncOp predict,
                          mlir::func::FuncOp prepare);

} // namespace kiln

#endif // KILN_TRANSFORMS_PREDICTIONSTATE_H
