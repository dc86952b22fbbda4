//===- BufferAccess.cpp - Which buffers an op may read or write -----------===//

#include "BufferAccess.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;

Value kiln::baseOf(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

/// The elements [first, last] of its base buffer that `v` covers, when
/// known at compile time: the whole buffer, or a reinterpret_cast of it
/// with static offset, sizes and strides.
static std::optional<std::pair<int64_t, int64_t>> extent(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  if (!type || !type.hasStaticShape() || type.getNumElements() == 0)
    return std::nullopt;
  if (v == kiln::baseOf(v))
    return std::make_pair<int64_t, int64_t>(0, type.getNumElements() - 1);
  auto cast = v.getDefiningOp<memref::ReinterpretCastOp>();
  if (!cast || cast.getSource() != kiln::baseOf(v))
    return std::nullopt;
  int64_t offset;
  SmallVector<int64_t> strides;
  if (failed(getStridesAndOffset(type, strides, offset)) ||
      ShapedType::isDynamic(offset) ||
      llvm::any_of(strides, ShapedType::isDynamic))
    return std::nullopt;
  int64_t last = offset;
  for (auto [size, stride] : llvm::zip(type.getShape(), strides))
    last += (size - 1) * stride;
  return std::make_pair(offset, last);
}

bool kiln::mayAlias(Value a, Value b) {
  if (baseOf(a) != baseOf(b))
    return false;
  auto ea = extent(a), eb = extent(b);
  return !ea || !eb || !(ea->second < eb->first || eb->second < ea->first);
}

bool kiln::mayAccess(Operation *op, Value v, bool writesOnly) {
  bool recursive = op->hasTrait<OpTrait::HasRecursiveMemoryEffects>();
  if (auto effects = dyn_cast<MemoryEffectOpInterface>(op)) {
    SmallVector<MemoryEffects::EffectInstance> instances;
    effects.getEffects(instances);
    for (MemoryEffects::EffectInstance &e : instances) {
      if (isa<MemoryEffects::Allocate, MemoryEffects::Free>(e.getEffect()) ||
          (writesOnly && !isa<MemoryEffects::Write>(e.getEffect())))
        continue;
      if (!e.getValue() || mayAlias(e.getValue(), v))
        return true;
    }
  } else if (!recursive) {
    return true; // nothing known
  }
  // Ops such as loops have the effects of what they hold; any other op's
  // interface speaks for its regions too (a linalg payload).
  if (recursive)
    for (Region &region : op->getRegions())
      for (Operation &nested : region.getOps())
        if (mayAccess(&nested, v, writesOnly))
          return true;
  return false;
}
