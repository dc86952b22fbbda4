//===- AssignStateLayout.cpp - Placing state tensors in one buffer --------===//

#include "kiln/Conversion/Passes.h"
#include "kiln/Dialect/NN/NNOps.h"

namespace kiln {
#define GEN_PASS_DEF_ASSIGNSTATELAYOUT
#include "kiln/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// 16 floats: a tensor starts on a 64-byte boundary (a cache line, and an
/// AVX-512 vector).
constexpr int64_t kAlignFloats = 16;

struct AssignStateLayoutPass
    : kiln::impl::AssignStateLayoutBase<AssignStateLayoutPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    Builder b(module.getContext());
    // The state first, its gradients (data-parallel builds) last, so that
    // they are one span for the allreduce; the prepared tensors after the
    // state, in the prediction state, which starts with a copy of it.
    using Role = nn::StateRole;
    int64_t offset = 0;
    auto place = [&](llvm::function_ref<bool(Role)> takes) {
      for (auto state : module.getOps<nn::StateOp>()) {
        if (!takes(state.getRole()))
          continue;
        state.setOffsetAttr(b.getI64IntegerAttr(offset));
        int64_t size = state.getTensorType().getNumElements();
        offset += llvm::alignTo(size, kAlignFloats);
      }
    };
    place([](Role r) { return r != Role::prepared && r != Role::gradient; });
    place([](Role r) { return r == Role::gradient; });
    module->setAttr("kiln.state_size", b.getI64IntegerAttr(offset));
    int64_t stateSize = offset;
    place([](Role r) { return r == Role::prepared; });
    if (offset > stateSize)
      module->setAttr("kiln.predict_state_size", b.getI64IntegerAttr(offset));
  }
};

} // namespace
