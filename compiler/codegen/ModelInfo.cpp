//===- ModelInfo.cpp - What the descriptor and header describe ------------===//

#include "kiln/Codegen/ModelInfo.h"
#include "kiln/Dialect/NN/NNOps.h"
#include "kiln_rt.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace kiln;

namespace {

int64_t numElements(Value v) {
  return cast<RankedTensorType>(v.getType()).getNumElements();
}

/// Forward FLOPs of one batch: 2 in out + out per dense layer (multiply-add
/// and bias), 2 M K N per matmul, and one per result element for every
/// other op, counting a fused activation as the op it was. Coarse for
/// transcendental functions, exact for the matmuls that dominate.
int64_t countFlops(func::FuncOp func) {
  int64_t flops = 0;
  func.walk([&](Operation *op) {
    if (!isa<nn::NNDialect>(op->getDialect()) ||
        isa<nn::LoadOp, nn::StoreOp>(op))
      return;
    if (auto dense = dyn_cast<nn::DenseOp>(op)) {
      auto w = cast<RankedTensorType>(dense.getWeight().getType());
      int64_t batch =
          cast<RankedTensorType>(dense.getInput().getType()).getDimSize(0);
      flops += batch * w.getNumElements() * 2 + numElements(dense.getResult());
      if (dense.getActivationAttr())
        flops += numElements(dense.getResult());
    } else if (auto matmul = dyn_cast<nn::MatMulOp>(op)) {
      auto a = cast<RankedTensorType>(matmul.getLhs().getType());
      int64_t k = matmul.getTransposeLhs() ? a.getDimSize(0) : a.getDimSize(1);
      flops += 2 * k * numElements(matmul.getResult());
    } else {
      for (Value result : op->getResults())
        flops += numElements(result);
      if (op->hasAttr("activation")) // a norm with a fused activation
        flops += numElements(op->getResult(0));
    }
  });
  return flops;
}

int32_t roleOf(nn::StateRole role) { return static_cast<int32_t>(role); }
int32_t initOf(nn::InitKind init) { return static_cast<int32_t>(init); }

} // namespace

FailureOr<ModelInfo> ModelInfo::fromNN(ModuleOp module) {
  FailureOr<nn::ModelConfig> config = nn::ModelConfig::of(module);
  if (failed(config))
    return failure();
  ModelInfo info;
  info.config = *config;
  auto predict = module.lookupSymbol<func::FuncOp>("predict");
  if (!predict || predict.getNumResults() != 1)
    return module.emitError("the module has no @predict(x) -> output");
  auto output = cast<RankedTensorType>(predict.getResultTypes()[0]);
  info.outputDim = output.getRank() == 2 ? output.getDimSize(1) : 1;
  info.flopsPerSample = countFlops(predict) / info.config.batchSize;
  return info;
}

LogicalResult ModelInfo::addLayout(ModuleOp module) {
  auto stateSizeAttr = module->getAttrOfType<IntegerAttr>("kiln.state_size");
  if (!stateSizeAttr)
    return module.emitError("the state layout has not been assigned");
  stateSize = stateSizeAttr.getInt();
  if (auto size = module->getAttrOfType<IntegerAttr>("kiln.predict_state_size"))
    predictStateSize = size.getInt();
  tensors.clear();
  for (auto state : module.getOps<nn::StateOp>()) {
    // The table describes the state; prepared tensors live only in the
    // prediction state, which @prepare fills.
    if (state.getRole() == nn::StateRole::prepared)
      continue;
    TensorInfo t;
    t.name = state.getSymName().str();
    t.role = roleOf(state.getRole());
    t.init = initOf(state.getInit());
    RankedTensorType type = state.getTensorType();
    t.shape.assign(type.getShape().begin(), type.getShape().end());
    t.offset = state.getOffset().value_or(0);
    t.initA = state.getInitA().convertToDouble();
    t.initB = state.getInitB().convertToDouble();
    t.fanIn = state.getFanIn();
    t.fanOut = state.getFanOut();
    if (t.shape.size() > 4)
      return state.emitOpError("has more than 4 dimensions");
    tensors.push_back(std::move(t));
  }
  workspaceSize = 0;
  predictBlocks.clear();
  std::string prefix = config.name + "_";
  for (auto func : module.getOps<func::FuncOp>()) {
    if (auto ws = func->getAttrOfType<IntegerAttr>("kiln.workspace_size"))
      workspaceSize = std::max(workspaceSize, ws.getInt());
    StringRef name = func.getSymName();
    if (!name.starts_with(prefix))
      continue;
    StringRef kind = name.drop_front(prefix.size());
    if (kind == "train_step")
      trainStep = name.str();
    else if (kind == "eval_step")
      evalStep = name.str();
    else if (kind == "predict")
      predict = name.str();
    else if (kind == "prepare")
      prepare = name.str();
    else if (kind == "learning_rate")
      learningRate = name.str();
    if (std::optional<int64_t> rows =
            nn::predictFunctionRows(kind, config.batchSize))
      predictBlocks.push_back({*rows, name.str()});
  }
  llvm::sort(predictBlocks, [](const auto &a, const auto &b) {
    return a.first > b.first;
  });
  return success();
}

int32_t ModelInfo::targetKindCode() const {
  return llvm::StringSwitch<int32_t>(config.targetKind)
      .Case("class", KILN_TARGET_CLASS)
      .Case("binary", KILN_TARGET_BINARY)
      .Case("multilabel", KILN_TARGET_MULTILABEL)
      .Default(KILN_TARGET_REAL);
}

int32_t ModelInfo::monitorCode() const {
  return llvm::StringSwitch<int32_t>(config.monitor)
      .Case("accuracy", KILN_METRIC_ACCURACY)
      .Case("mse", KILN_METRIC_MSE)
      .Case("mae", KILN_METRIC_MAE)
      .Case("r2", KILN_METRIC_R2)
      .Default(KILN_METRIC_LOSS);
}
