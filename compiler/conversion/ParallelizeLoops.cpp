//===- ParallelizeLoops.cpp - The loop nests that run on every core -------===//
//
// Each outermost loop nest of a function either runs on all threads or
// stays serial, decided here at compile time from its size: a fork/join
// costs about a microsecond with the OpenMP runtime's workers spinning
// (docs/threads.md), so a nest whose serial work is below `min-work` keeps
// its single thread. Only the outermost loop of a nest is split, and only
// over independent iterations (loops marked kiln.parallel, or scf.parallel
// from linalg's own loop lowering); every reduction stays inside one
// iteration, in its serial order, so a result is bit-identical for any
// thread count. Everything nested inside a nest becomes scf.for.
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/Passes.h"

#include "ParallelLoops.h"

#include "mlir/IR/PatternMatch.h"

namespace kiln {
#define GEN_PASS_DEF_PARALLELIZELOOPS
#include "kiln/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// Iterations of a loop with constant bounds, else `unknown`.
int64_t tripCount(ArrayRef<OpFoldResult> lbs, ArrayRef<OpFoldResult> ubs,
                  ArrayRef<OpFoldResult> steps, int64_t unknown) {
  int64_t trips = 1;
  for (auto [lb, ub, step] : llvm::zip(lbs, ubs, steps)) {
    std::optional<int64_t> l = getConstantIntValue(lb),
                           u = getConstantIntValue(ub),
                           s = getConstantIntValue(step);
    if (!l || !u || !s || *s <= 0)
      return unknown;
    trips *= std::max<int64_t>(0, llvm::divideCeil(*u - *l, *s));
  }
  return trips;
}

int64_t tripCount(Operation *loop) {
  // A bound known only at run time (a row count): assume it is large
  // enough that splitting pays.
  constexpr int64_t kUnknownTrips = 1 << 10;
  if (auto f = dyn_cast<scf::ForOp>(loop))
    return tripCount({f.getLowerBound()}, {f.getUpperBound()}, {f.getStep()},
                     kUnknownTrips);
  auto p = cast<scf::ParallelOp>(loop);
  return tripCount(getAsOpFoldResult(p.getLowerBound()),
                   getAsOpFoldResult(p.getUpperBound()),
                   getAsOpFoldResult(p.getStep()), kUnknownTrips);
}

/// The serial work of `op`, in vector operations of at most 16 lanes: a
/// measure of time that needs no model of the machine, only consistent
/// with the `min-work` threshold it is compared with. Saturates.
uint64_t work(Operation *op) {
  // Moving a vector in or out of a register tile costs nothing once the
  // tile lives in registers, and neither does taking a register out of a
  // wider vector or putting it back (the kernels' per-register split).
  bool free = isa<arith::ConstantOp, vector::InsertOp, vector::ExtractOp,
                  vector::ShapeCastOp, vector::ExtractStridedSliceOp,
                  vector::InsertStridedSliceOp>(op);
  uint64_t own = free ? 0 : 1;
  for (Type t : op->getResultTypes())
    if (auto v = dyn_cast<VectorType>(t); v && !free)
      own = std::max<uint64_t>(own, llvm::divideCeil(v.getNumElements(), 16));
  uint64_t inner = 0;
  for (Region &region : op->getRegions())
    for (Operation &nested : region.getOps())
      inner = llvm::SaturatingAdd(inner, work(&nested));
  if (isa<scf::ForOp, scf::ParallelOp>(op))
    inner = llvm::SaturatingMultiply(inner, uint64_t(tripCount(op)));
  return llvm::SaturatingAdd(own, inner);
}

bool isSplittable(Operation *op) {
  if (auto f = dyn_cast<scf::ForOp>(op))
    return f->hasAttr(kParallelAttr) && f.getInitArgs().empty();
  auto p = dyn_cast<scf::ParallelOp>(op);
  return p && p.getInitVals().empty();
}

/// scf.for → a one-dimensional scf.parallel over the same iterations.
void toParallel(RewriterBase &rewriter, scf::ForOp loop) {
  rewriter.setInsertionPoint(loop);
  auto parallel = rewriter.create<scf::ParallelOp>(
      loop.getLoc(), ValueRange{loop.getLowerBound()},
      ValueRange{loop.getUpperBound()}, ValueRange{loop.getStep()});
  Block *body = loop.getBody();
  rewriter.eraseOp(body->getTerminator());
  rewriter.inlineBlockBefore(body, parallel.getBody()->getTerminator(),
                             parallel.getInductionVars());
  rewriter.eraseOp(loop);
}

/// scf.parallel → nested scf.for over the same iterations, in order.
void toSerial(RewriterBase &rewriter, scf::ParallelOp loop) {
  rewriter.setInsertionPoint(loop);
  Block *body = loop.getBody();
  rewriter.eraseOp(body->getTerminator());
  scf::buildLoopNest(
      rewriter, loop.getLoc(), loop.getLowerBound(), loop.getUpperBound(),
      loop.getStep(), [&](OpBuilder &b, Location, ValueRange ivs) {
        rewriter.inlineBlockBefore(body, b.getInsertionBlock(),
                                   b.getInsertionPoint(), ivs);
      });
  rewriter.eraseOp(loop);
}

struct ParallelizeLoopsPass
    : kiln::impl::ParallelizeLoopsBase<ParallelizeLoopsPass> {
  using ParallelizeLoopsBase::ParallelizeLoopsBase;

  void runOnOperation() override {
    SmallVector<Operation *> outermost;
    collectOutermost(getOperation().getBody(), outermost);
    IRRewriter rewriter(&getContext());
    for (Operation *nest : outermost) {
      bool split = isSplittable(nest) && tripCount(nest) >= 2 &&
                   work(nest) >= uint64_t(std::max<int64_t>(minWork, 0));
      serializeInside(rewriter, nest, /*andSelf=*/!split);
      if (split)
        if (auto loop = dyn_cast<scf::ForOp>(nest))
          toParallel(rewriter, loop);
    }
  }

  /// The loops of `region` that no loop encloses.
  void collectOutermost(Region &region, SmallVectorImpl<Operation *> &out) {
    for (Block &block : region)
      for (Operation &op : block) {
        if (isa<scf::ForOp, scf::ParallelOp>(op)) {
          out.push_back(&op);
          continue;
        }
        for (Region &inner : op.getRegions())
          collectOutermost(inner, out);
      }
  }

  void serializeInside(RewriterBase &rewriter, Operation *nest,
                       bool andSelf) {
    SmallVector<Operation *> loops;
    nest->walk([&](Operation *op) {
      if (op != nest || andSelf)
        if (isa<scf::ForOp, scf::ParallelOp>(op))
          loops.push_back(op);
    });
    // The walk is post-order: inner loops first, so that an outer one is
    // rebuilt around bodies already serial.
    for (Operation *op : loops) {
      op->removeAttr(kParallelAttr);
      if (auto parallel = dyn_cast<scf::ParallelOp>(op))
        toSerial(rewriter, parallel);
    }
  }
};

} // namespace
