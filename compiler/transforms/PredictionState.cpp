//===- PredictionState.cpp - What @prepare derives for @predict -----------===//

#include "PredictionState.h"

#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace kiln;

nn::StateOp kiln::declarePrepared(SymbolTable &symbols, nn::StateOp after,
                                  StringRef name, RankedTensorType type) {
  OpBuilder b(after);
  b.setInsertionPointAfter(after);
  MLIRContext *ctx = after.getContext();
  auto state = b.create<nn::StateOp>(
      after.getLoc(), b.getStringAttr(name), TypeAttr::get(type),
      nn::StateRoleAttr::get(ctx, nn::StateRole::prepared),
      nn::InitKindAttr::get(ctx, nn::InitKind::zeros), b.getF64FloatAttr(0),
      b.getF64FloatAttr(0), b.getI64IntegerAttr(1), b.getI64IntegerAttr(1),
      IntegerAttr());
  symbols.insert(state);
  return state;
}

func::FuncOp kiln::getOrCreatePrepare(ModuleOp module, func::FuncOp predict) {
  if (auto prepare = module.lookupSymbol<func::FuncOp>("prepare"))
    return prepare;
  OpBuilder b(predict);
  auto prepare = b.create<func::FuncOp>(predict.getLoc(), "prepare",
                                        b.getFunctionType({}, {}));
  b.setInsertionPointToStart(prepare.addEntryBlock());
  b.create<func::ReturnOp>(predict.getLoc());
  return prepare;
}

void kiln::copyUnpreparedStates(SymbolTable &symbols, func::FuncOp predict,
                                func::FuncOp prepare) {
  auto isPrepared = [&](FlatSymbolRefAttr sym) {
    return symbols.lookup<nn::StateOp>(sym.getAttr()).getRole() ==
           nn::StateRole::prepared;
  };
  // In @prepare, a store to an unprepared state is such a copy.
  Block &body = prepare.front();
  for (auto store : llvm::make_early_inc_range(body.getOps<nn::StoreOp>()))
    if (!isPrepared(store.getStateAttr()))
      store.erase();
  Block &entry = predict.getBody().front();
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(entry)))
    if (isOpTriviallyDead(&op))
      op.erase();
  llvm::SetVector<Attribute> copied;
  OpBuilder b = OpBuilder::atBlockTerminator(&body);
  for (auto load : predict.getOps<nn::LoadOp>()) {
    if (isPrepared(load.getStateAttr()) ||
        !copied.insert(load.getStateAttr()))
      continue;
    Value v = b.create<nn::LoadOp>(load.getLoc(), load.getType(),
                                   load.getStateAttr());
    b.create<nn::StoreOp>(load.getLoc(), v, load.getStateAttr());
  }
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
    if (isOpTriviallyDead(&op))
      op.erase();
}
