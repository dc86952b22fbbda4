//===- ForwardCopies.cpp - Results written where they are copied to -------===//
//
// Bufferization gives a kernel's result a buffer of its own and then copies
// it where it belongs: an optimizer's new weights and moments into the
// state buffer, a prediction into the caller's output. Each such copy reads
// and writes the whole tensor once more (for a wide model's update, as
// much memory traffic as the update itself). Where the destination is not
// otherwise used while the temporary lives, the temporary is replaced by
// it outright; else, when the kernel that last writes the temporary is
// elementwise, that kernel writes the destination itself: it reads nothing
// of it but, at most, each element it is about to replace.
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/Passes.h"

#include "BufferAccess.h"

namespace kiln {
#define GEN_PASS_DEF_FORWARDCOPIES
#include "kiln/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// The ancestor of `op` in `block`.
Operation *inBlock(Operation *op, Block *block) {
  return block->findAncestorOpInBlock(*op);
}

/// Whether every use of `src` may take `dst` instead (ops that accept any
/// memref layout, when the types differ).
bool canReplaceUses(Value src, Value dst, ArrayRef<OpOperand *> uses) {
  return src.getType() == dst.getType() ||
         llvm::all_of(uses, [](OpOperand *use) {
           return isa<linalg::LinalgOp, memref::CopyOp>(use->getOwner());
         });
}

/// Replaces the temporary by the target everywhere: when the target is
/// neither read nor written from the temporary's first use to the copy,
/// every op can work on it directly (a prediction computed in the caller's
/// output, a product and its epilogue in place).
bool replaceWhole(memref::CopyOp copy, Operation *first,
                  ArrayRef<OpOperand *> uses) {
  Value src = copy.getSource(), dst = copy.getTarget();
  Operation *def = dst.getDefiningOp();
  Operation *defAt = def ? inBlock(def, copy->getBlock()) : nullptr;
  if ((def && (!defAt || !defAt->isBeforeInBlock(first))) ||
      !canReplaceUses(src, dst, uses))
    return false;
  for (Operation *op = first; op != copy; op = op->getNextNode())
    if (mayAccess(op, dst))
      return false;
  for (OpOperand *use : uses)
    use->set(dst);
  copy.erase();
  return true;
}

/// Makes the last writer of the copy's source write its target instead,
/// and erases the copy; false when that would change what is computed.
bool forward(memref::CopyOp copy) {
  Value src = copy.getSource(), dst = copy.getTarget();
  Block *block = copy->getBlock();
  if (!src.getDefiningOp<memref::AllocOp>() || src == dst)
    return false;
  // Every use of the temporary is in this block, before the copy.
  Operation *writer = nullptr, *first = copy;
  SmallVector<OpOperand *> uses;
  for (OpOperand &use : src.getUses()) {
    Operation *user = use.getOwner();
    Operation *at = inBlock(user, block);
    if (!at || (at != copy && !at->isBeforeInBlock(copy)))
      return false;
    if (user == copy.getOperation())
      continue;
    uses.push_back(&use);
    if (at->isBeforeInBlock(first))
      first = at;
    auto linalgOp = dyn_cast<linalg::LinalgOp>(user);
    bool writes = !linalgOp || llvm::is_contained(linalgOp.getDpsInits(), src);
    if (writes && (!writer || writer->isBeforeInBlock(at)))
      writer = at;
  }
  if (replaceWhole(copy, first, uses))
    return true;
  auto generic = dyn_cast_or_null<linalg::GenericOp>(writer);
  if (!generic || !generic.hasPureBufferSemantics() ||
      generic.getNumReductionLoops() != 0)
    return false;
  // The writer overwrites the temporary without reading it, and reads of
  // the target's memory are reads of the very element it writes.
  OpOperand *init = nullptr;
  for (OpOperand &out : generic.getDpsInitsMutable())
    if (out.get() == src)
      init = init ? nullptr : &out;
  if (!init || generic.payloadUsesValueFromOperand(init))
    return false;
  AffineMap written = generic.getMatchingIndexingMap(init);
  for (OpOperand &operand : generic->getOpOperands()) {
    if (&operand == init || !mayAlias(operand.get(), dst))
      continue;
    if (generic.isDpsInit(&operand) || operand.get() != dst ||
        generic.getMatchingIndexingMap(&operand) != written)
      return false;
  }
  // Between the writer and the copy, the target keeps its old value: no
  // op reads or writes it, and whatever reads the temporary can read the
  // target instead.
  SmallVector<OpOperand *> laterReads;
  for (Operation *op = generic->getNextNode(); op != copy;
       op = op->getNextNode()) {
    if (mayAccess(op, dst))
      return false;
    for (OpOperand &operand : op->getOpOperands())
      if (operand.get() == src) {
        if (!isa<linalg::LinalgOp, memref::CopyOp>(op))
          return false;
        laterReads.push_back(&operand);
      }
  }
  init->set(dst);
  for (OpOperand *operand : laterReads)
    operand->set(dst);
  copy.erase();
  return true;
}

struct ForwardCopiesPass : kiln::impl::ForwardCopiesBase<ForwardCopiesPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp c) { copies.push_back(c); });
    for (memref::CopyOp copy : copies)
      (void)forward(copy);
  }
};

} // namespace
