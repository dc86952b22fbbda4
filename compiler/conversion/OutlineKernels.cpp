//===- OutlineKernels.cpp - Large functions as calls of bounded pieces ----===//
//
// A compiled function is one long block of fully unrolled vector code; the
// instruction schedulers of LLVM's backend take time quadratic in the size
// of a block, so a model twice as deep took three times as long to compile.
// This pass cuts each function whose body holds more than `max-ops`
// operations into consecutive pieces of about that many, each moved into a
// private function that must not be inlined, and calls them in order: the
// backend's work grows linearly with the model, and a call costs a few
// nanoseconds against a piece's thousands of instructions. Small functions
// (every small model's) are left whole.
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/IRMapping.h"

namespace kiln {
#define GEN_PASS_DEF_OUTLINEKERNELS
#include "kiln/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// Operations in `op`, itself included.
int64_t size(Operation *op) {
  int64_t n = 0;
  op->walk([&](Operation *) { ++n; });
  return n;
}

/// Ops the caller keeps: they cost nothing, and a piece that needs one
/// clones it (constants) or receives its value (views of the buffers).
bool staysInCaller(Operation *op) {
  return op->hasTrait<OpTrait::ConstantLike>() ||
         isa<memref::ViewOp, memref::ReinterpretCastOp, memref::GetGlobalOp>(
             op);
}

struct OutlineKernelsPass
    : kiln::impl::OutlineKernelsBase<OutlineKernelsPass> {
  using OutlineKernelsBase::OutlineKernelsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> funcs(module.getOps<func::FuncOp>());
    for (func::FuncOp func : funcs)
      if (!func.isExternal() && size(func) > maxOps)
        outline(func);
  }

  void outline(func::FuncOp func) {
    // Pieces: runs of consecutive ops of the body of about maxOps each.
    Block &body = func.getBody().front();
    SmallVector<SmallVector<Operation *>> pieces(1);
    int64_t count = 0;
    for (Operation &op : body.without_terminator()) {
      if (staysInCaller(&op))
        continue;
      int64_t n = size(&op);
      if (count > 0 && count + n > maxOps) {
        pieces.emplace_back();
        count = 0;
      }
      pieces.back().push_back(&op);
      count += n;
    }
    if (pieces.size() < 2)
      return;
    for (auto [i, piece] : llvm::enumerate(pieces))
      outlinePiece(func, piece, i);
  }

  void outlinePiece(func::FuncOp func, ArrayRef<Operation *> piece,
                    size_t index) {
    llvm::SmallPtrSet<Operation *, 32> inPiece(piece.begin(), piece.end());
    auto inside = [&](Operation *op) {
      for (; op; op = op->getParentOp())
        if (inPiece.contains(op))
          return true;
      return false;
    };
    // Values the piece reads from the caller: arguments, except constants,
    // which it clones; values it defines that the caller reads later:
    // results.
    SetVector<Value> captured;
    SmallVector<Operation *> constants;
    llvm::SmallPtrSet<Operation *, 8> cloned;
    for (Operation *op : piece)
      op->walk([&](Operation *nested) {
        for (Value v : nested->getOperands()) {
          // A loop's induction variable belongs to the loop.
          Operation *def = v.getDefiningOp();
          Operation *owner =
              def ? def : cast<BlockArgument>(v).getOwner()->getParentOp();
          if (inside(owner))
            continue;
          if (def && def->hasTrait<OpTrait::ConstantLike>()) {
            if (cloned.insert(def).second)
              constants.push_back(def);
            continue;
          }
          captured.insert(v);
        }
      });
    SmallVector<Value> results;
    for (Operation *op : piece)
      for (Value r : op->getResults())
        if (llvm::any_of(r.getUsers(),
                         [&](Operation *u) { return !inside(u); }))
          results.push_back(r);

    OpBuilder b(func);
    auto type = b.getFunctionType(ValueRange(captured.getArrayRef()).getTypes(),
                                  ValueRange(results).getTypes());
    auto callee = b.create<func::FuncOp>(
        func.getLoc(), (func.getName() + "_part" + Twine(index)).str(), type);
    callee.setPrivate();
    // Inlined back, the piece would rebuild the block this pass splits.
    callee->setAttr("no_inline", b.getUnitAttr());
    Block *entry = callee.addEntryBlock();
    IRMapping map;
    for (auto [v, arg] : llvm::zip(captured, entry->getArguments()))
      map.map(v, arg);
    b.setInsertionPointToStart(entry);
    for (Operation *c : constants)
      b.clone(*c, map);

    // The call takes the place of the piece's last op.
    OpBuilder at(piece.back()->getNextNode());
    auto call = at.create<func::CallOp>(piece.back()->getLoc(), callee,
                                        captured.getArrayRef());
    for (Operation *op : piece) {
      op->remove();
      entry->push_back(op);
    }
    // One walk: the piece reads arguments and its own constants.
    callee.walk([&](Operation *op) {
      for (OpOperand &operand : op->getOpOperands())
        if (Value to = map.lookupOrNull(operand.get()))
          operand.set(to);
    });
    for (auto [r, out] : llvm::zip(results, call.getResults()))
      r.replaceUsesWithIf(out, [&](OpOperand &use) {
        return !callee->isProperAncestor(use.getOwner());
      });
    b.setInsertionPointToEnd(entry);
    b.create<func::ReturnOp>(func.getLoc(), results);
  }
};

} // namespace
