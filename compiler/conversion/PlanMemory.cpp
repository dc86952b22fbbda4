//===- PlanMemory.cpp - One workspace for every temporary -----------------===//
//
// After bufferization every temporary of a function is a static
// memref.alloc in its entry block. Each gets a live range (from the alloc
// to the last use of it or of a view of it) and an offset in one workspace
// buffer; buffers whose ranges do not overlap may share bytes. The greedy
// placement (largest first, lowest offset that fits) is the classic one
// and close to optimal on the chain-shaped graphs of MLPs.
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/MemoryPlan.h"
#include "kiln/Conversion/Passes.h"

#include "mlir/Interfaces/ViewLikeInterface.h"

namespace kiln {
#define GEN_PASS_DEF_PLANMEMORY
#include "kiln/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

MemoryPlan MemoryPlan::place(ArrayRef<Buffer> buffers, int64_t alignment) {
  MemoryPlan plan;
  plan.offsets.assign(buffers.size(), 0);
  SmallVector<size_t> order(buffers.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  llvm::stable_sort(order, [&](size_t a, size_t b) {
    return buffers[a].size > buffers[b].size;
  });
  SmallVector<size_t> placed;
  for (size_t i : order) {
    const Buffer &buf = buffers[i];
    // Offsets taken by live-overlapping buffers, sorted, so that the first
    // gap that fits is found in one sweep.
    SmallVector<std::pair<int64_t, int64_t>> taken;
    for (size_t j : placed) {
      const Buffer &other = buffers[j];
      if (other.start <= buf.end && buf.start <= other.end)
        taken.push_back({plan.offsets[j], plan.offsets[j] + other.size});
    }
    llvm::sort(taken);
    int64_t offset = 0;
    for (auto [begin, end] : taken) {
      if (offset + buf.size <= begin)
        break;
      offset = std::max<int64_t>(offset, llvm::alignTo(end, alignment));
    }
    plan.offsets[i] = offset;
    plan.size = std::max(plan.size, offset + buf.size);
    placed.push_back(i);
  }
  plan.size = llvm::alignTo(plan.size, alignment);
  return plan;
}

namespace {

/// The op of `block` that contains `op`.
Operation *ancestorIn(Block &block, Operation *op) {
  return block.findAncestorOpInBlock(*op);
}

/// The position of the last op of `block` that uses `value` or a view of
/// it.
int64_t lastUse(Block &block, Value value,
                const llvm::DenseMap<Operation *, int64_t> &position) {
  int64_t last = -1;
  SmallVector<Value> worklist = {value};
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    for (Operation *user : v.getUsers()) {
      if (Operation *top = ancestorIn(block, user))
        last = std::max(last, position.lookup(top));
      if (auto view = dyn_cast<ViewLikeOpInterface>(user))
        if (view.getViewSource() == v)
          worklist.append(user->result_begin(), user->result_end());
    }
  }
  return last;
}

struct PlanMemoryPass : kiln::impl::PlanMemoryBase<PlanMemoryPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (!func.isExternal() && failed(plan(func)))
        return signalPassFailure();
  }

  LogicalResult plan(func::FuncOp func) {
    Block &entry = func.getBody().front();
    llvm::DenseMap<Operation *, int64_t> position;
    for (auto [i, op] : llvm::enumerate(entry))
      position[&op] = i;

    SmallVector<memref::AllocOp> allocs;
    SmallVector<MemoryPlan::Buffer> buffers;
    WalkResult walk = func.walk([&](Operation *op) -> WalkResult {
      if (isa<memref::DeallocOp>(op)) {
        op->erase();
        return WalkResult::skip();
      }
      auto alloc = dyn_cast<memref::AllocOp>(op);
      if (!alloc)
        return WalkResult::advance();
      MemRefType type = alloc.getType();
      if (alloc->getBlock() != &entry || !type.hasStaticShape() ||
          !type.getLayout().isIdentity() || !type.getElementType().isIntOrFloat())
        return alloc.emitOpError(
            "cannot be planned: the workspace holds only static, "
            "identity-layout buffers of the function's top level");
      int64_t bytes = type.getNumElements() *
                      llvm::divideCeil(type.getElementTypeBitWidth(), 8);
      allocs.push_back(alloc);
      buffers.push_back({position[alloc], lastUse(entry, alloc, position),
                         std::max<int64_t>(bytes, 1)});
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();

    MemoryPlan plan = MemoryPlan::place(buffers, kWorkspaceAlignment);
    int64_t size = std::max<int64_t>(plan.size, kWorkspaceAlignment);
    OpBuilder b(func.getContext());
    auto workspaceType = MemRefType::get({size}, b.getI8Type());
    // The workspace comes right after the state buffer.
    unsigned index = func.getNumArguments() > 0 ? 1 : 0;
    func.insertArgument(index, workspaceType, {}, func.getLoc());
    Value workspace = func.getArgument(index);
    for (auto [alloc, offset] : llvm::zip(allocs, plan.offsets)) {
      b.setInsertionPoint(alloc);
      Value shift = b.create<arith::ConstantIndexOp>(alloc.getLoc(), offset);
      Value view = b.create<memref::ViewOp>(alloc.getLoc(), alloc.getType(),
                                            workspace, shift, ValueRange());
      alloc.replaceAllUsesWith(view);
      alloc.erase();
    }
    func->setAttr("kiln.workspace_size", b.getI64IntegerAttr(size));
    return success();
  }
};

} // namespace
