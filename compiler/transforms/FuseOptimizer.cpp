//===- FuseOptimizer.cpp - One elementwise kernel per parameter update ----===//

#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/EquivalenceClasses.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

namespace kiln {
#define GEN_PASS_DEF_FUSEOPTIMIZER
#include "kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

using nn::shapeOf;

/// A splat f32 constant tensor, which a kernel folds into its body.
std::optional<float> splatValue(Value v) {
  DenseElementsAttr attr;
  if (matchPattern(v, m_Constant(&attr)) && attr.isSplat() &&
      attr.getElementType().isF32())
    return attr.getSplatValue<float>();
  return std::nullopt;
}

bool isStateStore(Operation *op, SymbolTable &symbols) {
  auto store = dyn_cast<nn::StoreOp>(op);
  if (!store)
    return false;
  auto state = symbols.lookup<nn::StateOp>(store.getState());
  return state && (state.getRole() == nn::StateRole::param ||
                   state.getRole() == nn::StateRole::optimizer);
}

class UpdateFusion {
public:
  UpdateFusion(func::FuncOp func, SymbolTable &symbols)
      : func(func), symbols(symbols) {}

  void run();

private:
  /// The elementwise ops of the stored value's shape that compute it.
  llvm::SetVector<Operation *> slice(Value stored);
  void fuse(ArrayRef<Operation *> cluster);

  func::FuncOp func;
  SymbolTable &symbols;
};

llvm::SetVector<Operation *> UpdateFusion::slice(Value stored) {
  llvm::SetVector<Operation *> ops;
  SmallVector<Value> worklist = {stored};
  ArrayRef<int64_t> shape = shapeOf(stored);
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    Operation *op = v.getDefiningOp();
    if (!op || !isa<nn::ElementwiseOpInterface>(op) || shapeOf(v) != shape ||
        ops.contains(op))
      continue;
    ops.insert(op);
    worklist.append(op->operand_begin(), op->operand_end());
  }
  return ops;
}

void UpdateFusion::run() {
  // Candidates: the slices of all stored states, merged where they share
  // ops (Adam's new parameter reads its new moments).
  llvm::EquivalenceClasses<Operation *> clusters;
  llvm::DenseSet<Operation *> candidates;
  func.walk([&](Operation *op) {
    if (!isStateStore(op, symbols))
      return;
    llvm::SetVector<Operation *> ops = slice(op->getOperand(0));
    for (Operation *member : ops) {
      candidates.insert(member);
      clusters.unionSets(ops.front(), member);
    }
  });
  // Drop the ops whose results something other than the kernel or a store
  // reads, until none is left.
  bool changed = true;
  while (changed) {
    changed = false;
    for (Operation *op : llvm::to_vector(candidates)) {
      bool escapes = llvm::any_of(op->getUsers(), [&](Operation *user) {
        return !candidates.contains(user) && !isStateStore(user, symbols);
      });
      if (escapes) {
        candidates.erase(op);
        changed = true;
      }
    }
  }
  // One kernel per cluster, its ops in program order. (Dropping an op
  // drops every candidate that feeds it too, as those then have a user
  // outside: no kernel can need a value computed after it.)
  llvm::MapVector<Operation *, SmallVector<Operation *>> members;
  for (Operation &op : func.getBody().front())
    if (candidates.contains(&op))
      members[clusters.getLeaderValue(&op)].push_back(&op);
  for (auto &[leader, ops] : members)
    if (ops.size() > 1)
      fuse(ops);
}

void UpdateFusion::fuse(ArrayRef<Operation *> cluster) {
  llvm::DenseSet<Operation *> inCluster(cluster.begin(), cluster.end());
  Operation *last = cluster.back();
  Location loc = FusedLoc::get(
      func.getContext(),
      llvm::map_to_vector(cluster, [](Operation *op) { return op->getLoc(); }));

  // Inputs: operands from outside, but for splat constants, which become
  // scalars of the body. Outputs: results read outside (by stores).
  llvm::SetVector<Value> inputs;
  SmallVector<Value> outputs;
  for (Operation *op : cluster) {
    for (Value operand : op->getOperands()) {
      Operation *def = operand.getDefiningOp();
      if ((!def || !inCluster.contains(def)) && !splatValue(operand))
        inputs.insert(operand);
    }
    for (Value result : op->getResults())
      if (llvm::any_of(result.getUsers(), [&](Operation *user) {
            return !inCluster.contains(user);
          }))
        outputs.push_back(result);
  }

  OpBuilder b(last);
  auto kernel = b.create<nn::ElementwiseOp>(
      loc, ValueRange(outputs).getTypes(), inputs.getArrayRef());
  Block *body = b.createBlock(&kernel.getBody());
  IRMapping scalars;
  for (Value input : inputs)
    scalars.map(input, body->addArgument(b.getF32Type(), input.getLoc()));
  b.setInsertionPointToStart(body);
  for (Operation *op : cluster) {
    SmallVector<Value> operands;
    for (Value operand : op->getOperands()) {
      if (Value mapped = scalars.lookupOrNull(operand))
        operands.push_back(mapped);
      else
        operands.push_back(b.create<arith::ConstantOp>(
            op->getLoc(), b.getF32FloatAttr(*splatValue(operand))));
    }
    Value scalar = cast<nn::ElementwiseOpInterface>(op).buildScalar(
        b, op->getLoc(), operands);
    scalars.map(op->getResult(0), scalar);
  }
  b.create<nn::YieldOp>(loc, llvm::map_to_vector(outputs, [&](Value v) {
                          return scalars.lookup(v);
                        }));

  // The stores of the outputs come after the kernel now.
  for (auto [output, fused] : llvm::zip(outputs, kernel.getResults())) {
    for (Operation *user : llvm::to_vector(output.getUsers()))
      if (user->isBeforeInBlock(kernel))
        user->moveAfter(kernel);
    output.replaceAllUsesWith(fused);
  }
  for (Operation *op : llvm::reverse(cluster))
    op->erase();
}

struct FuseOptimizerPass : kiln::impl::FuseOptimizerBase<FuseOptimizerPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    // Nothing trains in a predict-only module: nothing to fuse.
    for (StringRef name : {"train_step", "apply_update"})
      if (auto func = module.lookupSymbol<func::FuncOp>(name))
        UpdateFusion(func, symbols).run();
  }
};

} // namespace
