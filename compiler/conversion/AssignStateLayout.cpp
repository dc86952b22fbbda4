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
    // The state first; the prepared tensors after it, in the prediction
    // state, which starts with a copy of the state.
    int64_t offset = 0;
    auto place = [&](bool prepared) {
      for (auto state : module.getOps<nn::StateOp>()) {
        if ((state.getRole() == nn::StateRole::prepared) != prepared)
          continue;
        state.setOffsetAttr(b.getI64IntegerAttr(offset));
        int64_t size = state.getTensorType().getNumElements();
        offset += llvm::alignTo(size, kAlignFloats);
      }
    };
    place(false);
    module->setAttr("kiln.state_size", b.getI64IntegerAttr(offset));
    int64_t stateSize = offset;
    place(true);
    if (offset > stateSize)
      module->setAttr("kiln.predict_state_size", b.getI64IntegerAttr(offset));
  }
};

} // namespace
