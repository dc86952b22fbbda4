//===- Descriptor.cpp - The kiln_model constant in LLVM IR ----------------===//
//
// The struct types below mirror kiln_rt.h field by field; LLVM lays them
// out with the C ABI of the target, so the runtime reads them as C structs.
// test/unit/codegen/DescriptorLayoutTest.cpp compares every field's
// offset with the header's offsetof.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Codegen.h"

#include "kiln_rt.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/Support/Format.h"

using namespace llvm;
using namespace kiln;

namespace {

/// The optimizer and what acts on the gradients, e.g.
/// "adam(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-08), weight_decay=0.0001
/// (weights), clip_norm=1".
std::string describeOptimizer(const nn::ModelConfig &c) {
  const nn::OptimizerConfig &o = c.optimizer;
  std::string s;
  raw_string_ostream os(s);
  auto g = [](double v) { return format("%g", v); };
  bool adam = o.kind == "adam" || o.kind == "adamw";
  os << o.kind << "(lr=" << g(o.lr);
  if (o.kind == "momentum" || o.kind == "nesterov")
    os << ", momentum=" << g(o.momentum);
  if (o.kind == "rmsprop")
    os << ", rho=" << g(o.rho);
  if (adam)
    os << ", beta1=" << g(o.beta1) << ", beta2=" << g(o.beta2);
  if (o.kind == "adagrad" || o.kind == "rmsprop" || adam)
    os << ", eps=" << g(o.eps);
  if (o.kind == "adamw")
    os << ", weight_decay=" << g(o.weightDecay);
  os << ")";
  if (c.weightDecay > 0)
    os << ", weight_decay=" << g(c.weightDecay);
  if (c.weightDecay > 0 || (o.kind == "adamw" && o.weightDecay > 0))
    os << " (" << c.decayScope << ")";
  if (c.clipNorm > 0)
    os << ", clip_norm=" << g(c.clipNorm);
  return s;
}

/// The schedule as the spec writes it, e.g. "cosine(t_max=90, min_lr=0,
/// per=step) after warmup(iters=10, start_factor=0.1)".
std::string describeSchedule(const nn::ScheduleConfig &s) {
  std::string out;
  raw_string_ostream os(out);
  auto g = [](double v) { return format("%g", v); };
  StringRef kind = s.kind == "exp_decay" ? StringRef("exponential_decay")
                                         : StringRef(s.kind);
  os << kind << "(";
  if (s.kind == "step_decay")
    os << "step_size=" << s.stepSize << ", gamma=" << g(s.gamma) << ", ";
  else if (s.kind == "exponential_decay")
    os << "gamma=" << g(s.gamma) << ", ";
  else if (s.kind == "exp_decay")
    os << "k=" << g(s.k) << ", ";
  else if (s.kind == "linear_decay")
    os << "iters=" << s.iters << ", end_factor=" << g(s.endFactor)
       << ", start_factor=" << g(s.startFactor) << ", ";
  else if (s.kind == "cosine")
    os << "t_max=" << s.tMax << ", min_lr=" << g(s.minLr) << ", ";
  os << "per=" << s.unit << ")";
  if (s.warmupIters > 0)
    os << " after warmup(iters=" << s.warmupIters
       << ", start_factor=" << g(s.warmupStartFactor) << ")";
  return out;
}

class DescriptorBuilder {
public:
  DescriptorBuilder(Module &module, const ModelInfo &info)
      : m(module), ctx(module.getContext()), info(info),
        ptr(PointerType::getUnqual(ctx)), i32(Type::getInt32Ty(ctx)),
        i64(Type::getInt64Ty(ctx)), f64(Type::getDoubleTy(ctx)) {}

  GlobalVariable *build();

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
                                 info.config.name + ".str");
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
                              info.config.name + "." + name);
  }
  Constant *tensorTable();
  Constant *predictBlocks();
  Constant *weights();
  Constant *columns(ArrayRef<nn::ColumnConfig> cols, StringRef name);

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

Constant *DescriptorBuilder::predictBlocks() {
  auto *type = StructType::get(ctx, {i64, ptr}); // kiln_predict_block
  std::vector<Constant *> rows;
  for (const auto &[count, name] : info.predictBlocks)
    rows.push_back(ConstantStruct::get(type, {c64(count), function(name)}));
  return array(type, rows, "predict_blocks");
}

Constant *DescriptorBuilder::weights() {
  if (info.weights.empty())
    return ConstantPointerNull::get(ptr);
  Constant *init = ConstantDataArray::get(ctx, ArrayRef<float>(info.weights));
  auto *g = new GlobalVariable(m, init->getType(), /*isConstant=*/true,
                               GlobalValue::PrivateLinkage, init,
                               info.config.name + ".weights");
  g->setAlignment(Align(64)); // as the runtime aligns the buffers it allocates
  return g;
}

Constant *DescriptorBuilder::columns(ArrayRef<nn::ColumnConfig> cols,
                                     StringRef name) {
  auto *type = StructType::get(ctx, {ptr, i64}); // kiln_column
  std::vector<Constant *> rows;
  for (const nn::ColumnConfig &c : cols)
    rows.push_back(ConstantStruct::get(
        type, {string(c.name), c64(c.name.empty() ? c.index : -1)}));
  return array(type, rows, name);
}

GlobalVariable *DescriptorBuilder::build() {
  const nn::ModelConfig &c = info.config;
  // kiln_model
  auto *type = StructType::get(
      ctx, {i32, i32, ptr, i64, i64, i64, i64, i64, i64, i64, i64, i64, i32,
            i32, ptr, ptr, ptr, ptr, ptr, ptr, i64, i64, i32, i32, i64, f64,
            f64, ptr, ptr, i32, i32, ptr, ptr, ptr, i32, i32, ptr, ptr,
            ptr});
  Constant *init = ConstantStruct::get(
      type,
      {c32(KILN_ABI_VERSION), c32(info.targetKindCode()), string(c.name),
       c64(c.batchSize), c64(c.inputDim), c64(c.targetDim), c64(c.numClasses),
       c64(info.outputDim), c64(info.stateSize), c64(info.predictStateSize),
       c64(info.workspaceSize), c64(info.flopsPerSample),
       c32(info.tensors.size()), c32(0), tensorTable(),
       function(info.trainStep), function(info.evalStep),
       function(info.predict), function(info.prepare),
       string(describeOptimizer(c)), c64(c.epochs), c64(c.seed),
       c32(c.earlyStopping), c32(info.monitorCode()), c64(c.patience),
       cf(c.minDelta), cf(c.valSplit), string(c.trainPath),
       string(c.testPath), c32(c.targetColumns.size()),
       c32(c.featureColumns.size()), columns(c.targetColumns, "targets"),
       columns(c.featureColumns, "features"), weights(),
       c32(info.predictBlocks.size()), c32(0), predictBlocks(),
       string(info.trainStep.empty() ? "" : describeSchedule(c.schedule)),
       function(info.learningRate)});
  return new GlobalVariable(m, type, /*isConstant=*/true,
                            GlobalValue::ExternalLinkage, init,
                            c.name + "_model");
}

} // namespace

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
      info.config.name + "_init", module);
  {
    IRBuilder<> b(BasicBlock::Create(ctx, "entry", init));
    b.CreateRet(b.CreateCall(initState, {model, init->getArg(0),
                                         init->getArg(1),
                                         ConstantPointerNull::get(ptr)}));
  }

  if (!withMain)
    return;
  FunctionCallee kilnMain = module.getOrInsertFunction(
      "kiln_main", FunctionType::get(i32, {i32, ptr, ptr}, false));
  Function *main =
      Function::Create(FunctionType::get(i32, {i32, ptr}, false),
                       GlobalValue::ExternalLinkage, "main", module);
  IRBuilder<> b(BasicBlock::Create(ctx, "entry", main));
  b.CreateRet(b.CreateCall(kilnMain, {main->getArg(0), main->getArg(1), model}));
}
