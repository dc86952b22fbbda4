//===- Autodiff.cpp - Reverse-mode differentiation on the nn dialect ------===//

#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/ADT/SetVector.h"

namespace kiln {
#define GEN_PASS_DEF_AUTODIFF
#include "kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

class ReverseSweep {
public:
  ReverseSweep(func::FuncOp func, Value loss) : func(func), loss(loss) {}

  /// Builds the gradient of `loss` with respect to each value of `params`
  /// (null where the loss does not depend on it) before the terminator.
  FailureOr<SmallVector<Value>> run(ArrayRef<Value> params);

private:
  void markActive(ArrayRef<Value> params);
  void accumulate(OpBuilder &b, Value v, Value grad);

  func::FuncOp func;
  Value loss;
  /// Values that depend on a parameter and that the loss depends on.
  llvm::DenseSet<Value> active;
  llvm::DenseMap<Value, Value> grads;
};

/// Forward from the parameters, backward from the loss; active values are
/// in both sets.
void ReverseSweep::markActive(ArrayRef<Value> params) {
  llvm::DenseSet<Value> fromParams(params.begin(), params.end());
  Block &body = func.getBody().front();
  for (Operation &op : body)
    if (llvm::any_of(op.getOperands(),
                     [&](Value v) { return fromParams.contains(v); }))
      fromParams.insert(op.result_begin(), op.result_end());

  llvm::DenseSet<Value> toLoss = {loss};
  for (Operation &op : llvm::reverse(body))
    if (llvm::any_of(op.getResults(),
                     [&](Value v) { return toLoss.contains(v); }))
      toLoss.insert(op.operand_begin(), op.operand_end());

  for (Value v : fromParams)
    if (toLoss.contains(v))
      active.insert(v);
}

void ReverseSweep::accumulate(OpBuilder &b, Value v, Value grad) {
  auto [it, inserted] = grads.try_emplace(v, grad);
  if (!inserted)
    it->second = b.create<nn::AddOp>(grad.getLoc(), v.getType(), it->second,
                                     grad);
}

FailureOr<SmallVector<Value>> ReverseSweep::run(ArrayRef<Value> params) {
  markActive(params);
  Block &body = func.getBody().front();
  OpBuilder b(body.getTerminator());
  auto scalarType = cast<RankedTensorType>(loss.getType());
  grads[loss] = b.create<arith::ConstantOp>(
      loss.getLoc(), scalarType, DenseElementsAttr::get(scalarType, 1.0f));

  SmallVector<Operation *> forward;
  for (Operation &op : body)
    if (&op != body.getTerminator())
      forward.push_back(&op);
  for (Operation *op : llvm::reverse(forward)) {
    SmallVector<Value> resultGrads;
    bool any = false;
    for (Value r : op->getResults()) {
      resultGrads.push_back(active.contains(r) ? grads.lookup(r) : Value());
      any |= static_cast<bool>(resultGrads.back());
    }
    if (!any)
      continue;
    SmallVector<bool> needed;
    for (Value operand : op->getOperands())
      needed.push_back(active.contains(operand));
    if (llvm::none_of(needed, [](bool n) { return n; }))
      continue; // a parameter itself: its gradient is complete
    auto differentiable = dyn_cast<nn::DifferentiableOpInterface>(op);
    if (!differentiable)
      return op->emitOpError("lies between a parameter and the loss but has "
                             "no derivative rule");
    b.setInsertionPoint(body.getTerminator());
    SmallVector<Value> operandGrads;
    if (failed(differentiable.buildVJP(b, resultGrads, needed, operandGrads)))
      return failure();
    for (auto [operand, grad] : llvm::zip(op->getOperands(), operandGrads))
      if (grad && active.contains(operand))
        accumulate(b, operand, grad);
  }

  SmallVector<Value> result;
  for (Value p : params)
    result.push_back(grads.lookup(p));
  return result;
}

struct AutodiffPass : kiln::impl::AutodiffBase<AutodiffPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto func = module.lookupSymbol<func::FuncOp>("forward");
    if (!func) {
      module.emitError("no @forward function to differentiate");
      return signalPassFailure();
    }
    if (failed(differentiate(module, func)))
      signalPassFailure();
  }

  LogicalResult differentiate(ModuleOp module, func::FuncOp func) {
    Block &body = func.getBody().front();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    if (ret.getNumOperands() != 1 ||
        cast<RankedTensorType>(ret.getOperand(0).getType()).getRank() != 0)
      return func.emitError("@forward must return one scalar loss");

    // One load per parameter, in declaration order; a parameter read twice
    // would get its gradient split across the loads.
    SymbolTable symbols(module);
    llvm::MapVector<StringAttr, Value> loads;
    for (auto state : module.getOps<nn::StateOp>())
      if (state.getRole() == nn::StateRole::param)
        loads[state.getSymNameAttr()] = Value();
    for (auto load : func.getOps<nn::LoadOp>()) {
      auto it = loads.find(load.getStateAttr().getAttr());
      if (it == loads.end())
        continue;
      if (it->second)
        return load.emitOpError("reads a parameter that is already loaded");
      it->second = load;
    }

    SmallVector<Value> params;
    SmallVector<StringAttr> names;
    for (auto [name, value] : loads) {
      if (!value)
        continue; // not used by this function
      params.push_back(value);
      names.push_back(name);
    }
    ReverseSweep sweep(func, ret.getOperand(0));
    FailureOr<SmallVector<Value>> grads = sweep.run(params);
    if (failed(grads))
      return failure();

    OpBuilder b(ret);
    SmallVector<Value> results = {ret.getOperand(0)};
    for (auto [param, grad] : llvm::zip(params, *grads)) {
      if (!grad) { // the loss does not depend on it: a zero gradient
        auto type = cast<RankedTensorType>(param.getType());
        grad = b.create<arith::ConstantOp>(
            param.getLoc(), type, DenseElementsAttr::get(type, 0.0f));
      }
      results.push_back(grad);
    }
    b.create<func::ReturnOp>(ret.getLoc(), results);
    ret.erase();

    func.setSymName("train_step");
    func.setType(FunctionType::get(func.getContext(), func.getArgumentTypes(),
                                   ValueRange(results).getTypes()));
    for (auto [i, name] : llvm::enumerate(names))
      func.setResultAttr(i + 1, "nn.grad_of", FlatSymbolRefAttr::get(name));
    return success();
  }
};

} // namespace
