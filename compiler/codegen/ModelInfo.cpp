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
  FailureOr<nn::ModelAttr> config = nn::ModelAttr::of(module);
  if (failed(config))
    return failure();
  ModelInfo info;
  info.config = *config;
  auto predict = module.lookupSymbol<func::FuncOp>("predict");
  if (!predict || predict.getNumResults() != 1)
    return module.emitError("the module has no @predict(x) -> output");
  auto output = cast<RankedTensorType>(predict.getResultTypes()[0]);
  info.outputDim = output.getRank() == 2 ? output.getDimSize(1) : 1;
  info.flopsPerSample = countFlops(predict) / info.config.getBatchSize();
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
  preparedTensors.clear();
  gradOffset = gradSize = 0;
  for (auto state : module.getOps<nn::StateOp>()) {
    TensorInfo t;
    t.name = state.getSymName().str();
    t.role = roleOf(state.getRole());
    t.init = initOf(state.getInit());
    RankedTensorType type = state.getTensorType();
    t.shape.assign(type.getShape().begin(), type.getShape().end());
    t.offset = state.getOffset().value_or(0);
    // The table describes the state; prepared tensors live only in the
    // prediction state, which @prepare fills.
    if (state.getRole() == nn::StateRole::prepared) {
      preparedTensors.push_back(std::move(t));
      continue;
    }
    t.initA = state.getInitA().convertToDouble();
    t.initB = state.getInitB().convertToDouble();
    t.fanIn = state.getFanIn();
    t.fanOut = state.getFanOut();
    if (t.shape.size() > 4)
      return state.emitOpError("has more than 4 dimensions");
    // The gradients are the state's last span (AssignStateLayout).
    if (state.getRole() == nn::StateRole::gradient && gradSize == 0) {
      gradOffset = t.offset;
      gradSize = stateSize - t.offset;
    }
    tensors.push_back(std::move(t));
  }
  workspaceSize = 0;
  predictBlocks.clear();
  evalBlocks.clear();
  gradBlocks.clear();
  std::string prefix = (config.getName() + "_").str();
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
    else if (kind == "apply_update")
      applyUpdate = name.str();
    if (std::optional<int64_t> rows = nn::gradFunctionRows(kind))
      gradBlocks.push_back({*rows, name.str()});
    if (std::optional<int64_t> rows =
            nn::predictFunctionRows(kind, config.getBatchSize()))
      predictBlocks.push_back({*rows, name.str()});
    if (std::optional<int64_t> rows =
            nn::evalFunctionRows(kind, config.getBatchSize()))
      evalBlocks.push_back({*rows, name.str()});
  }
  auto mostRowsFirst = [](const auto &a, const auto &b) {
    return a.first > b.first;
  };
  llvm::sort(predictBlocks, mostRowsFirst);
  llvm::sort(evalBlocks, mostRowsFirst);
  llvm::sort(gradBlocks, mostRowsFirst);
  return success();
}

// NNBase.td declares these kinds with kiln_rt.h's values.
static_assert(int(nn::TargetKind::class_) == KILN_TARGET_CLASS &&
              int(nn::TargetKind::binary) == KILN_TARGET_BINARY &&
              int(nn::TargetKind::multilabel) == KILN_TARGET_MULTILABEL &&
              int(nn::TargetKind::real) == KILN_TARGET_REAL);
static_assert(int(nn::Metric::loss) == KILN_METRIC_LOSS &&
              int(nn::Metric::accuracy) == KILN_METRIC_ACCURACY &&
              int(nn::Metric::mse) == KILN_METRIC_MSE &&
              int(nn::Metric::mae) == KILN_METRIC_MAE &&
              int(nn::Metric::r2) == KILN_METRIC_R2);
static_assert(int(nn::StateRole::param) == KILN_ROLE_PARAM &&
              int(nn::StateRole::running_mean) == KILN_ROLE_RUNNING_MEAN &&
              int(nn::StateRole::running_var) == KILN_ROLE_RUNNING_VAR &&
              int(nn::StateRole::optimizer) == KILN_ROLE_OPTIMIZER &&
              int(nn::StateRole::gradient) == KILN_ROLE_GRADIENT);
static_assert(int(nn::InitKind::zeros) == KILN_INIT_ZEROS &&
              int(nn::InitKind::ones) == KILN_INIT_ONES &&
              int(nn::InitKind::normal) == KILN_INIT_NORMAL &&
              int(nn::InitKind::uniform) == KILN_INIT_UNIFORM &&
              int(nn::InitKind::xavier_uniform) == KILN_INIT_XAVIER_UNIFORM &&
              int(nn::InitKind::xavier_normal) == KILN_INIT_XAVIER_NORMAL &&
              int(nn::InitKind::he_normal) == KILN_INIT_HE_NORMAL &&
              int(nn::InitKind::he_uniform) == KILN_INIT_HE_UNIFORM);

int32_t ModelInfo::targetKindCode() const {
  return static_cast<int32_t>(config.getTarget());
}

int32_t ModelInfo::monitorCode() const {
  // Without early stopping nothing is monitored; loss is the code 0.
  nn::EarlyStoppingAttr es = config.getEarlyStopping();
  return static_cast<int32_t>(es ? es.getMonitor() : nn::Metric::loss);
}
