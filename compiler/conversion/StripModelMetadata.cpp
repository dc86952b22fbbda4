//===- StripModelMetadata.cpp - Drop what only the descriptor needs -------===//

#include "kiln/Conversion/Passes.h"
#include "kiln/Dialect/NN/ModelConfig.h"
#include "kiln/Dialect/NN/NNOps.h"

namespace kiln {
#define GEN_PASS_DEF_STRIPMODELMETADATA
#include "kiln/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {
struct StripModelMetadataPass
    : kiln::impl::StripModelMetadataBase<StripModelMetadataPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (auto state : llvm::make_early_inc_range(
             module.getOps<kiln::nn::StateOp>()))
      state.erase();
    module->removeAttr(kiln::nn::ModelAttr::kAttrName);
    module->removeAttr(kiln::nn::kSpecPathAttr);
    module->removeAttr("kiln.state_size");
    module->removeAttr("kiln.predict_state_size");
    module.walk([](func::FuncOp func) {
      func->removeAttr("kiln.workspace_size");
    });
  }
};
} // namespace
