//===- Descriptor.cpp - The kiln_model constant in LLVM IR ----------------===//
//
// kiln_model is built from one table of its fields (name, value; the type
// is the value's), in kiln_rt.h's order; LLVM lays the struct out with the
// C ABI of the target, so the runtime reads it as the C struct.
// test/unit/codegen/DescriptorLayoutTest.cpp checks the table's names and
// every field's offset against the header's offsetof.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Codegen.h"

#include "kiln_rt.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"

#include <fmt/format.h>

using namespace llvm;
using namespace kiln;

namespace {

/// One field of kiln_model: its name in kiln_rt.h and its value, whose
/// type is the field's.
struct DescriptorField {
  const char *name;
  Constant *value;
};

/// The optimizer and what acts on the gradients, e.g.
/// "adam(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-08), weight_decay=0.0001
/// (weights), clip_norm=1".
std::string describeOptimizer(nn::ModelAttr c) {
  nn::OptimizerAttr o = c.getOptimizer();
  using OK = nn::OptimizerKind;
  OK kind = o.getKind();
  bool adam = kind == OK::adam || kind == OK::adamw;
  std::string s =
      fmt::format("{}(lr={:g}", nn::stringifyEnum(kind).str(), o.getLr());
  if (kind == OK::momentum || kind == OK::nesterov)
    s += fmt::format(", momentum={:g}", o.getMomentum());
  if (kind == OK::rmsprop)
    s += fmt::format(", rho={:g}", o.getRho());
  if (adam)
    s += fmt::format(", beta1={:g}, beta2={:g}", o.getBeta1(), o.getBeta2());
  if (kind == OK::adagrad || kind == OK::rmsprop || adam)
    s += fmt::format(", eps={:g}", o.getEps());
  if (kind == OK::adamw)
    s += fmt::format(", weight_decay={:g}", o.getWeightDecay());
  s += ")";
  double decay = c.getWeightDecay();
  if (decay > 0)
    s += fmt::format(", weight_decay={:g}", decay);
  if (decay > 0 || (kind == OK::adamw && o.getWeightDecay() > 0))
    s += fmt::format(" ({})", nn::stringifyEnum(c.getDecayScope()).str());
  if (c.getClipNorm() > 0)
    s += fmt::format(", clip_norm={:g}", c.getClipNorm());
  return s;
}

/// The schedule as the spec writes it, e.g. "cosine(t_max=90, min_lr=0,
/// per=step) after warmup(iters=10, start_factor=0.1)".
std::string describeSchedule(nn::ScheduleAttr s) {
  using SK = nn::ScheduleKind;
  std::string args;
  switch (s.getKind()) {
  case SK::constant:
    break;
  case SK::step_decay:
    args = fmt::format("step_size={}, gamma={:g}, ", s.getStepSize(),
                       s.getGamma());
    break;
  case SK::exponential_decay:
    args = fmt::format("gamma={:g}, ", s.getGamma());
    break;
  case SK::exp_decay:
    args = fmt::format("k={:g}, ", s.getK());
    break;
  case SK::linear_decay:
    args = fmt::format("iters={}, end_factor={:g}, start_factor={:g}, ",
                       s.getIters(), s.getEndFactor(), s.getStartFactor());
    break;
  case SK::cosine:
    args = fmt::format("t_max={}, min_lr={:g}, ", s.getTMax(), s.getMinLr());
    break;
  }
  // exp_decay is exponential_decay(k = ...) in the spec.
  SK spelled =
      s.getKind() == SK::exp_decay ? SK::exponential_decay : s.getKind();
  std::string out =
      fmt::format("{}({}per={})", nn::stringifyEnum(spelled).str(), args,
                  nn::stringifyEnum(s.getUnit()).str());
  if (s.getWarmupIters() > 0)
    out += fmt::format(" after warmup(iters={}, start_factor={:g})",
                       s.getWarmupIters(), s.getWarmupStartFactor());
  return out;
}

class DescriptorBuilder {
public:
  DescriptorBuilder(Module &module, const ModelInfo &info)
      : m(module), ctx(module.getContext()), info(info),
        ptr(PointerType::getUnqual(ctx)), i32(Type::getInt32Ty(ctx)),
        i64(Type::getInt64Ty(ctx)), f64(Type::getDoubleTy(ctx)) {}

  GlobalVariable *build();
  /// The kiln_model fields, with their values for this model.
  std::vector<DescriptorField> fields();

private:
  Constant *string(StringRef s) {
    if (s.empty())
      return ConstantPointerNull::get(ptr);
    auto it = strings.find(s);
    if (it != strings.end())
      return it->second;
    Constant *init = ConstantDataArray::getString(ctx, s);
    auto *g = new GlobalVariable(m, init->getType(), true,
                                 GlobalValue::PrivateLinkage, init,
                                 (info.config.getName() + ".str").str());
    g->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
    return strings[s] = g;
  }
  Constant *c32(int64_t v) { return ConstantInt::get(i32, v); }
  Constant *c64(int64_t v) { return ConstantInt::get(i64, v); }
  Constant *cf(double v) { return ConstantFP::get(f64, v); }
  Constant *function(StringRef name) {
    if (name.empty())
      return ConstantPointerNull::get(ptr);
    Function *f = m.getFunction(name);
    return f ? static_cast<Constant *>(f) : ConstantPointerNull::get(ptr);
  }
  Constant *array(StructType *type, ArrayRef<Constant *> elements,
                  StringRef name) {
    if (elements.empty())
      return ConstantPointerNull::get(ptr);
    auto *arrayType = ArrayType::get(type, elements.size());
    return new GlobalVariable(m, arrayType, true, GlobalValue::PrivateLinkage,
                              ConstantArray::get(arrayType, elements),
                              (info.config.getName() + "." + name).str());
  }
  Constant *tensorTable();
  /// An array of {rows, function} pairs.
  Constant *blocks(ArrayRef<std::pair<int64_t, std::string>> functions,
                   StringRef name);
  Constant *weights();
  Constant *columns(ArrayRef<nn::ColumnAttr> cols, StringRef name);

  Module &m;
  LLVMContext &ctx;
  const ModelInfo &info;
  PointerType *ptr;
  Type *i32, *i64, *f64;
  StringMap<Constant *> strings;
};

Constant *DescriptorBuilder::tensorTable() {
  // kiln_tensor_info
  auto *type = StructType::get(
      ctx, {ptr, i32, i32, i32, i32, ArrayType::get(i64, 4), i64, i64, f64,
            f64, i64, i64});
  std::vector<Constant *> rows;
  for (const TensorInfo &t : info.tensors) {
    SmallVector<Constant *, 4> shape;
    int64_t numel = 1;
    for (int i = 0; i < 4; ++i) {
      int64_t d = i < static_cast<int>(t.shape.size()) ? t.shape[i] : 0;
      shape.push_back(c64(d));
      if (i < static_cast<int>(t.shape.size()))
        numel *= d;
    }
    rows.push_back(ConstantStruct::get(
        type, {string(t.name), c32(t.role), c32(t.init),
               c32(t.shape.size()), c32(0),
               ConstantArray::get(ArrayType::get(i64, 4), shape), c64(numel),
               c64(t.offset), cf(t.initA), cf(t.initB), c64(t.fanIn),
               c64(t.fanOut)}));
  }
  return array(type, rows, "tensors");
}

Constant *DescriptorBuilder::blocks(
    ArrayRef<std::pair<int64_t, std::string>> functions, StringRef name) {
  // kiln_predict_block and kiln_grad_block: {rows, function}
  auto *type = StructType::get(ctx, {i64, ptr});
  std::vector<Constant *> rows;
  for (const auto &[count, function_] : functions)
    rows.push_back(ConstantStruct::get(type, {c64(count), function(function_)}));
  return array(type, rows, name);
}

Constant *DescriptorBuilder::weights() {
  if (info.weights.empty())
    return ConstantPointerNull::get(ptr);
  Constant *init = ConstantDataArray::get(ctx, ArrayRef<float>(info.weights));
  auto *g = new GlobalVariable(m, init->getType(), /*isConstant=*/true,
                               GlobalValue::PrivateLinkage, init,
                               (info.config.getName() + ".weights").str());
  g->setAlignment(Align(64)); // as the runtime aligns the buffers it allocates
  return g;
}

Constant *DescriptorBuilder::columns(ArrayRef<nn::ColumnAttr> cols,
                                     StringRef name) {
  auto *type = StructType::get(ctx, {ptr, i64}); // kiln_column
  std::vector<Constant *> rows;
  for (nn::ColumnAttr c : cols)
    rows.push_back(
        ConstantStruct::get(type, {string(c.getName()), c64(c.getIndex())}));
  return array(type, rows, name);
}

std::vector<DescriptorField> DescriptorBuilder::fields() {
  nn::ModelAttr c = info.config;
  // Without early stopping or a data section, their fields are zeros and
  // empty tables.
  nn::EarlyStoppingAttr es = c.getEarlyStopping();
  nn::DataAttr data = c.getData();
  ArrayRef<nn::ColumnAttr> targets, features;
  if (data) {
    targets = data.getTargets();
    features = data.getFeatures();
  }
  // kiln_model, field by field, in kiln_rt.h's order.
  return {
      {"abi_version", c32(KILN_ABI_VERSION)},
      {"target_kind", c32(info.targetKindCode())},
      {"name", string(c.getName())},
      {"batch_size", c64(c.getBatchSize())},
      {"input_dim", c64(c.getInputDim())},
      {"target_dim", c64(c.getTargetDim())},
      {"num_classes", c64(c.getNumClasses())},
      {"output_dim", c64(info.outputDim)},
      {"state_size", c64(info.stateSize)},
      {"predict_state_size", c64(info.predictStateSize)},
      {"workspace_size", c64(info.workspaceSize)},
      {"flops_per_sample", c64(info.flopsPerSample)},
      {"num_tensors", c32(info.tensors.size())},
      {"reserved", c32(0)},
      {"tensors", tensorTable()},
      {"train_step", function(info.trainStep)},
      {"eval_step", function(info.evalStep)},
      {"predict", function(info.predict)},
      {"prepare", function(info.prepare)},
      {"optimizer", string(describeOptimizer(c))},
      {"epochs", c64(c.getEpochs())},
      {"seed", c64(c.getSeed())},
      {"early_stopping", c32(bool(es))},
      {"monitor", c32(info.monitorCode())},
      {"patience", c64(es ? es.getPatience() : 0)},
      {"min_delta", cf(es ? es.getMinDelta() : 0.0)},
      {"val_split", cf(data ? data.getValSplit() : 0.0)},
      {"train_path", string(data ? data.getTrain() : "")},
      {"test_path", string(data ? data.getTest() : "")},
      {"num_target_columns", c32(targets.size())},
      {"num_feature_columns", c32(features.size())},
      {"target_columns", columns(targets, "targets")},
      {"feature_columns", columns(features, "features")},
      {"weights", weights()},
      {"num_predict_blocks", c32(info.predictBlocks.size())},
      {"reserved2", c32(0)},
      {"predict_blocks", blocks(info.predictBlocks, "predict_blocks")},
      {"schedule",
       string(info.trainStep.empty() ? "" : describeSchedule(c.getSchedule()))},
      {"learning_rate", function(info.learningRate)},
      {"grad_offset", c64(info.gradOffset)},
      {"grad_size", c64(info.gradSize)},
      {"num_grad_blocks", c32(info.gradBlocks.size())},
      {"reserved3", c32(0)},
      {"grad_blocks", blocks(info.gradBlocks, "grad_blocks")},
      {"apply_update", function(info.applyUpdate)},
      {"num_eval_blocks", c32(info.evalBlocks.size())},
      {"reserved4", c32(0)},
      {"eval_blocks", blocks(info.evalBlocks, "eval_blocks")},
  };
}

GlobalVariable *DescriptorBuilder::build() {
  std::vector<DescriptorField> table = fields();
  SmallVector<Type *> types;
  SmallVector<Constant *> values;
  for (const DescriptorField &f : table) {
    types.push_back(f.value->getType());
    values.push_back(f.value);
  }
  auto *type = StructType::get(ctx, types);
  return new GlobalVariable(m, type, /*isConstant=*/true,
                            GlobalValue::ExternalLinkage,
                            ConstantStruct::get(type, values),
                            (info.config.getName() + "_model").str());
}

} // namespace

std::vector<std::string> kiln::descriptorFieldNames(Module &module,
                                                   const ModelInfo &info) {
  std::vector<std::string> names;
  for (const DescriptorField &f : DescriptorBuilder(module, info).fields())
    names.push_back(f.name);
  return names;
}

void kiln::emitDescriptor(Module &module, const ModelInfo &info,
                          bool withMain) {
  GlobalVariable *model = DescriptorBuilder(module, info).build();
  LLVMContext &ctx = module.getContext();
  PointerType *ptr = PointerType::getUnqual(ctx);
  Type *i32 = Type::getInt32Ty(ctx), *i64 = Type::getInt64Ty(ctx);

  // <model>_init(float *state, uint64_t seed): kiln_init_state(&model, ...)
  FunctionCallee initState = module.getOrInsertFunction(
      "kiln_init_state", FunctionType::get(i32, {ptr, ptr, i64, ptr}, false));
  Function *init = Function::Create(
      FunctionType::get(i32, {ptr, i64}, false), GlobalValue::ExternalLinkage,
      (info.config.getName() + "_init").str(), module);
  {
    IRBuilder<> b(BasicBlock::Create(ctx, "entry", init));
    b.CreateRet(b.CreateCall(initState, {model, init->getArg(0),
                                         init->getArg(1),
                                         ConstantPointerNull::get(ptr)}));
  }

  if (!withMain)
    return;
  // A data-parallel build starts MPI first (libkiln_rt_mpi.a).
  FunctionCallee kilnMain = module.getOrInsertFunction(
      info.gradBlocks.empty() ? "kiln_main" : "kiln_mpi_main",
      FunctionType::get(i32, {i32, ptr, ptr}, false));
  Function *main =
      Function::Create(FunctionType::get(i32, {i32, ptr}, false),
                       GlobalValue::ExternalLinkage, "main", module);
  IRBuilder<> b(BasicBlock::Create(ctx, "entry", main));
  b.CreateRet(b.CreateCall(kilnMain, {main->getArg(0), main->getArg(1), model}));
}
