//===- MLIRGen.cpp - From the checked model to the nn dialect -------------===//
//
// Sema has resolved names, inlined blocks and checked every shape and
// argument, so this is a direct translation: one nn op per model node.
//
//===----------------------------------------------------------------------===//

#include "kiln/Frontend/MLIRGen.h"
#include "kiln/Frontend/AST.h"
#include "kiln/Dialect/NN/ModelConfig.h"
#include "kiln/Dialect/NN/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace kiln;

namespace {

// The frontend's kinds as the dialect's (NNBase.td); -Wswitch keeps the
// two in step.

nn::OptimizerKind optimizerKind(OptimizerKind kind) {
  switch (kind) {
  case OptimizerKind::SGD:
    return nn::OptimizerKind::sgd;
  case OptimizerKind::Momentum:
    return nn::OptimizerKind::momentum;
  case OptimizerKind::Nesterov:
    return nn::OptimizerKind::nesterov;
  case OptimizerKind::Adagrad:
    return nn::OptimizerKind::adagrad;
  case OptimizerKind::RMSProp:
    return nn::OptimizerKind::rmsprop;
  case OptimizerKind::Adam:
    return nn::OptimizerKind::adam;
  case OptimizerKind::AdamW:
    return nn::OptimizerKind::adamw;
  }
  llvm_unreachable("unknown optimizer");
}

nn::ScheduleKind scheduleKind(ScheduleKind kind) {
  switch (kind) {
  case ScheduleKind::Constant:
    return nn::ScheduleKind::constant;
  case ScheduleKind::StepDecay:
    return nn::ScheduleKind::step_decay;
  case ScheduleKind::ExponentialDecay:
    return nn::ScheduleKind::exponential_decay;
  case ScheduleKind::ExpDecay:
    return nn::ScheduleKind::exp_decay;
  case ScheduleKind::LinearDecay:
    return nn::ScheduleKind::linear_decay;
  case ScheduleKind::Cosine:
    return nn::ScheduleKind::cosine;
  }
  llvm_unreachable("unknown schedule");
}

nn::Metric metric(Metric m) {
  switch (m) {
  case Metric::Loss:
    return nn::Metric::loss;
  case Metric::Accuracy:
    return nn::Metric::accuracy;
  case Metric::MSE:
    return nn::Metric::mse;
  case Metric::MAE:
    return nn::Metric::mae;
  case Metric::R2:
    return nn::Metric::r2;
  }
  llvm_unreachable("unknown metric");
}

nn::TargetKind targetKind(TargetKind kind) {
  switch (kind) {
  case TargetKind::Class:
    return nn::TargetKind::class_;
  case TargetKind::Binary:
    return nn::TargetKind::binary;
  case TargetKind::MultiLabel:
    return nn::TargetKind::multilabel;
  case TargetKind::Real:
    return nn::TargetKind::real;
  }
  llvm_unreachable("unknown target kind");
}

/// A data path as written in the spec, made absolute against the spec's
/// folder so that the compiled model finds its data from anywhere.
std::string resolveDataPath(StringRef specFile, StringRef path) {
  if (path.empty() || llvm::sys::path::is_absolute(path))
    return path.str();
  SmallString<256> result(llvm::sys::path::parent_path(specFile));
  llvm::sys::path::append(result, path);
  llvm::sys::fs::make_absolute(result);
  llvm::sys::path::remove_dots(result, /*remove_dot_dot=*/true);
  return std::string(result);
}

SmallVector<nn::ColumnAttr> columns(MLIRContext *ctx,
                                    const std::vector<ColumnRef> &refs) {
  SmallVector<nn::ColumnAttr> result;
  for (const ColumnRef &ref : refs)
    result.push_back(
        nn::ColumnAttr::get(ctx, ref.name, ref.name.empty() ? ref.index : -1));
  return result;
}

/// The `nn.model` attribute. Sema has checked what its verifiers check,
/// and the module's verification checks it again (NNDialect.cpp).
nn::ModelAttr buildConfig(MLIRContext *ctx, const Model &model) {
  const Training &t = model.training;
  const Optimizer &o = t.optimizer;
  auto optimizer = nn::OptimizerAttr::get(
      ctx, optimizerKind(o.kind), o.lr, o.momentum, o.rho, o.beta1, o.beta2,
      o.eps,
      /*weight_decay=*/o.kind == OptimizerKind::AdamW ? o.weightDecay : 0.0);
  const Schedule &s = t.schedule;
  auto schedule = nn::ScheduleAttr::get(
      ctx, scheduleKind(s.kind),
      s.unit == ScheduleUnit::Step ? nn::ScheduleUnit::step
                                   : nn::ScheduleUnit::epoch,
      s.gamma, s.stepSize, s.k, s.startFactor, s.endFactor, s.iters, s.tMax,
      s.minLr, s.warmupIters, s.warmupStartFactor);
  const EarlyStopping &es = t.earlyStopping;
  nn::EarlyStoppingAttr earlyStopping;
  if (es.enabled)
    earlyStopping = nn::EarlyStoppingAttr::get(ctx, metric(es.monitor),
                                               es.patience, es.minDelta);
  const DataSource &d = model.data;
  auto data = nn::DataAttr::get(ctx, resolveDataPath(model.file, d.trainPath),
                                resolveDataPath(model.file, d.testPath),
                                columns(ctx, d.targets),
                                columns(ctx, d.features), d.valSplit);
  bool isClass = model.target.kind == TargetKind::Class;
  return nn::ModelAttr::get(
      ctx, model.name, t.batchSize, model.input.size,
      targetKind(model.target.kind),
      /*target_dim=*/isClass ? 1 : model.target.size,
      /*num_classes=*/isClass ? model.target.size : 0, optimizer, schedule,
      t.weightDecay,
      t.decayScope == DecayScope::All ? nn::DecayScope::all
                                      : nn::DecayScope::weights,
      t.clipNorm, t.epochs, static_cast<int64_t>(t.seed), earlyStopping, data);
}

nn::InitKind initKind(InitKind kind) {
  switch (kind) {
  case InitKind::Zeros:
    return nn::InitKind::zeros;
  case InitKind::Ones:
    return nn::InitKind::ones;
  case InitKind::Normal:
    return nn::InitKind::normal;
  case InitKind::Uniform:
    return nn::InitKind::uniform;
  case InitKind::XavierUniform:
    return nn::InitKind::xavier_uniform;
  case InitKind::XavierNormal:
    return nn::InitKind::xavier_normal;
  case InitKind::HeNormal:
    return nn::InitKind::he_normal;
  case InitKind::HeUniform:
    return nn::InitKind::he_uniform;
  }
  llvm_unreachable("unknown init kind");
}

nn::StateRole stateRole(StateRole role) {
  switch (role) {
  case StateRole::Parameter:
    return nn::StateRole::param;
  case StateRole::RunningMean:
    return nn::StateRole::running_mean;
  case StateRole::RunningVar:
    return nn::StateRole::running_var;
  }
  llvm_unreachable("unknown state role");
}

class ModuleBuilder {
public:
  ModuleBuilder(MLIRContext &ctx, const Model &model)
      : model(model), b(&ctx),
        fileName(StringAttr::get(&ctx, model.file)) {}

  OwningOpRef<ModuleOp> build();

private:
  mlir::Location loc(SourceLoc l) {
    return FileLineColLoc::get(fileName, l.line, l.col);
  }
  RankedTensorType tensorType(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, b.getF32Type());
  }
  Value load(unsigned stateId, mlir::Location l);
  Value constant(double v, mlir::Location l);
  Value emitNode(const Node &node);
  Value emitLoss();
  Value emitReduction(const Node &node, mlir::Location l);

  const Model &model;
  OpBuilder b;
  StringAttr fileName;
  std::vector<Value> values; // per node id
  llvm::DenseMap<unsigned, Value> loads; // per state id: one load each
  Value seed, step;
  int32_t dropoutStreams = 0;
};

} // namespace

Value ModuleBuilder::load(unsigned stateId, mlir::Location l) {
  auto it = loads.find(stateId);
  if (it != loads.end())
    return it->second;
  const StateTensor &s = model.states[stateId];
  Value v = b.create<nn::LoadOp>(l, tensorType(s.shape), s.name);
  loads[stateId] = v;
  return v;
}

Value ModuleBuilder::constant(double v, mlir::Location l) {
  auto type = tensorType({});
  return b.create<arith::ConstantOp>(
      l, type, DenseElementsAttr::get(type, static_cast<float>(v)));
}

Value ModuleBuilder::emitNode(const Node &node) {
  mlir::Location l = loc(node.loc);
  auto type = tensorType(node.shape);
  auto operand = [&](unsigned i) { return values[node.operands[i]]; };
  auto f64 = [&](double v) { return b.getF64FloatAttr(v); };

  switch (node.kind) {
  case OpKind::Input:
  case OpKind::Target:
    llvm_unreachable("arguments are bound before the nodes are emitted");
  case OpKind::Load:
    return load(node.states[0], l);
  case OpKind::Constant:
    return constant(node.value, l);
  case OpKind::Dense: {
    Value weight = load(node.states[0], l);
    Value bias = node.states.size() > 1 ? load(node.states[1], l) : Value();
    return b.create<nn::DenseOp>(l, type, operand(0), weight, bias,
                                 nn::ActivationAttr());
  }
  case OpKind::MatMul:
    return b.create<nn::MatMulOp>(l, type, operand(0), operand(1), false, false);
  case OpKind::Add:
    return b.create<nn::AddOp>(l, type, operand(0), operand(1));
  case OpKind::Sub:
    return b.create<nn::SubOp>(l, type, operand(0), operand(1));
  case OpKind::Mul:
    return b.create<nn::MulOp>(l, type, operand(0), operand(1));
  case OpKind::Div:
    return b.create<nn::DivOp>(l, type, operand(0), operand(1));
  case OpKind::Neg:
    return b.create<nn::NegOp>(l, operand(0));
  case OpKind::Exp:
    return b.create<nn::ExpOp>(l, operand(0));
  case OpKind::Log:
    return b.create<nn::LogOp>(l, operand(0));
  case OpKind::Sqrt:
    return b.create<nn::SqrtOp>(l, operand(0));
  case OpKind::Abs:
    return b.create<nn::AbsOp>(l, operand(0));
  case OpKind::Sigmoid:
    return b.create<nn::SigmoidOp>(l, operand(0));
  case OpKind::Tanh:
    return b.create<nn::TanhOp>(l, operand(0));
  case OpKind::Relu:
    return b.create<nn::ReluOp>(l, operand(0));
  case OpKind::LeakyRelu:
    return b.create<nn::LeakyReluOp>(l, operand(0), f64(node.alpha));
  case OpKind::Elu:
    return b.create<nn::EluOp>(l, operand(0), f64(node.alpha));
  case OpKind::Gelu:
    return b.create<nn::GeluOp>(l, operand(0), node.approximate);
  case OpKind::Softplus:
    return b.create<nn::SoftplusOp>(l, operand(0), f64(node.beta));
  case OpKind::Swish:
    return b.create<nn::SwishOp>(l, operand(0), f64(node.beta));
  case OpKind::Softmax:
    return b.create<nn::SoftmaxOp>(l, operand(0));
  case OpKind::Dropout:
    return b.create<nn::DropoutOp>(l, operand(0), seed, step, Value(), f64(node.p),
                                   b.getI32IntegerAttr(dropoutStreams++));
  case OpKind::BatchNorm: {
    Value gamma = load(node.states[0], l), beta = load(node.states[1], l);
    Value mean = load(node.states[2], l), var = load(node.states[3], l);
    auto bn = b.create<nn::BatchNormOp>(
        l, TypeRange{type, mean.getType(), var.getType()}, operand(0), gamma,
        beta, mean, var, f64(node.eps), f64(node.momentum),
        b.getBoolAttr(true), nn::ActivationAttr(), UnitAttr());
    b.create<nn::StoreOp>(l, bn.getNewRunningMean(),
                          model.states[node.states[2]].name);
    b.create<nn::StoreOp>(l, bn.getNewRunningVar(),
                          model.states[node.states[3]].name);
    return bn.getResult();
  }
  case OpKind::LayerNorm: {
    Value gamma = load(node.states[0], l), beta = load(node.states[1], l);
    return b.create<nn::LayerNormOp>(l, type, operand(0), gamma, beta,
                                     f64(node.eps), nn::ActivationAttr(),
                                     UnitAttr());
  }
  case OpKind::Sum:
  case OpKind::Mean:
    return emitReduction(node, l);
  }
  llvm_unreachable("unknown node kind");
}

/// Over all axes: nn.mean, or nn.sum_to a scalar. Over one axis: nn.sum_to
/// the shape with that axis 1, reshaped without it (and scaled for a mean).
Value ModuleBuilder::emitReduction(const Node &node, mlir::Location l) {
  Value x = values[node.operands[0]];
  auto inType = cast<RankedTensorType>(x.getType());
  if (!node.axis) {
    if (node.kind == OpKind::Mean)
      return b.create<nn::MeanOp>(l, tensorType({}), x);
    return b.create<nn::SumToOp>(l, tensorType({}), x);
  }
  SmallVector<int64_t> kept(inType.getShape());
  int64_t n = kept[*node.axis];
  kept[*node.axis] = 1;
  Value sum = b.create<nn::SumToOp>(
      l, RankedTensorType::get(kept, b.getF32Type()), x);
  Value result = b.create<nn::ReshapeOp>(l, tensorType(node.shape), sum);
  if (node.kind == OpKind::Mean)
    result = b.create<nn::MulOp>(l, tensorType(node.shape), result,
                                 constant(1.0 / double(n), l));
  return result;
}

Value ModuleBuilder::emitLoss() {
  const Loss &loss = model.loss;
  mlir::Location l = loc(loss.loc);
  Value pred = values[loss.prediction], target = values[loss.target];
  auto perSample = tensorType({model.training.batchSize});
  auto reduction = nn::LossReductionAttr::get(
      b.getContext(), loss.reduction == LossReduction::Sum
                          ? nn::LossReduction::sum
                          : nn::LossReduction::mean);
  Value samples;
  switch (loss.kind) {
  case LossKind::CrossEntropy:
    samples = b.create<nn::CrossEntropyOp>(
        l, perSample, pred, target, b.getF64FloatAttr(loss.labelSmoothing));
    break;
  case LossKind::BCE:
  case LossKind::MultiLabelBCE:
    samples = b.create<nn::BCEOp>(l, perSample, pred, target,
                                  b.getBoolAttr(loss.fromLogits), reduction);
    break;
  case LossKind::MSE:
    samples = b.create<nn::MSEOp>(l, perSample, pred, target, reduction);
    break;
  case LossKind::MAE:
    samples = b.create<nn::MAEOp>(l, perSample, pred, target, reduction);
    break;
  case LossKind::Huber:
    samples = b.create<nn::HuberOp>(l, perSample, pred, target,
                                    b.getF64FloatAttr(loss.delta), reduction);
    break;
  case LossKind::Expression: // the block's per-row loss, already emitted
    samples = values[loss.perSample];
    break;
  }
  return b.create<nn::MeanOp>(l, tensorType({}), samples);
}

OwningOpRef<ModuleOp> ModuleBuilder::build() {
  mlir::Location moduleLoc = FileLineColLoc::get(fileName, 1, 1);
  OwningOpRef<ModuleOp> module = ModuleOp::create(moduleLoc, model.name);
  MLIRContext *ctx = b.getContext();
  (*module)->setAttr(nn::ModelAttr::kAttrName, buildConfig(ctx, model));
  SmallString<256> spec(model.file);
  (void)llvm::sys::fs::make_absolute(spec);
  (*module)->setAttr(nn::kSpecPathAttr, b.getStringAttr(spec));
  b.setInsertionPointToEnd(module->getBody());

  for (const StateTensor &s : model.states) {
    b.create<nn::StateOp>(
        loc(s.loc), b.getStringAttr(s.name), TypeAttr::get(tensorType(s.shape)),
        nn::StateRoleAttr::get(ctx, stateRole(s.role)),
        nn::InitKindAttr::get(ctx, initKind(s.init.kind)),
        b.getF64FloatAttr(s.init.a), b.getF64FloatAttr(s.init.b),
        b.getI64IntegerAttr(s.fanIn), b.getI64IntegerAttr(s.fanOut),
        IntegerAttr());
  }

  int64_t batch = model.training.batchSize;
  auto inputType = tensorType({batch, model.input.size});
  const Node &targetNode = model.nodes[model.loss.target];
  auto targetType = tensorType(targetNode.shape);
  auto i64 = b.getI64Type();
  // forward(x, y, step, seed): the order of the compiled train step's
  // arguments, which inserts the epoch after step.
  auto funcType = b.getFunctionType({inputType, targetType, i64, i64},
                                    {tensorType({})});
  auto func = b.create<func::FuncOp>(loc(model.loss.loc), "forward", funcType);
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  step = entry->getArgument(2);
  seed = entry->getArgument(3);

  values.resize(model.nodes.size());
  for (auto [id, node] : llvm::enumerate(model.nodes)) {
    if (node.kind == OpKind::Input)
      values[id] = entry->getArgument(0);
    else if (node.kind == OpKind::Target)
      values[id] = entry->getArgument(1);
    else
      values[id] = emitNode(node);
    // A loss written as an expression has no loss op to say what predict
    // returns: mark the prediction for DeriveInference.
    if (id == model.loss.prediction && model.loss.kind == LossKind::Expression)
      values[id] = b.create<nn::PredictionOp>(loc(node.loc), values[id]);
  }
  Value loss = emitLoss();
  b.create<func::ReturnOp>(loc(model.loss.loc), loss);
  return module;
}

OwningOpRef<ModuleOp> kiln::buildModule(MLIRContext &ctx, const Model &model) {
  ctx.getOrLoadDialect<nn::NNDialect>();
  ctx.getOrLoadDialect<arith::ArithDialect>();
  ctx.getOrLoadDialect<func::FuncDialect>();
  return ModuleBuilder(ctx, model).build();
}
