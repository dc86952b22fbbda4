//===- FoldInference.cpp - Batch norm folded into dense layers ------------===//

#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

namespace kiln {
#define GEN_PASS_DEF_FOLDINFERENCE
#include "kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// The symbol a value was loaded from, if it was.
FlatSymbolRefAttr loadedFrom(Value v) {
  auto load = v.getDefiningOp<nn::LoadOp>();
  return load ? load.getStateAttr() : FlatSymbolRefAttr();
}

class Folder {
public:
  Folder(ModuleOp module, func::FuncOp predict)
      : module(module), predict(predict), symbols(module) {}

  void run();

private:
  /// A prepared state declared after `after`, and its load in predict.
  nn::StateOp declarePrepared(nn::StateOp after, StringRef name,
                              RankedTensorType type);
  void fold(nn::DenseOp dense, nn::BatchNormOp bn);

  ModuleOp module;
  func::FuncOp predict;
  SymbolTable symbols;
  func::FuncOp prepare;
};

nn::StateOp Folder::declarePrepared(nn::StateOp after, StringRef name,
                                    RankedTensorType type) {
  OpBuilder b(after);
  b.setInsertionPointAfter(after);
  MLIRContext *ctx = module.getContext();
  auto state = b.create<nn::StateOp>(
      after.getLoc(), b.getStringAttr(name), TypeAttr::get(type),
      nn::StateRoleAttr::get(ctx, nn::StateRole::prepared),
      nn::InitKindAttr::get(ctx, nn::InitKind::zeros), b.getF64FloatAttr(0),
      b.getF64FloatAttr(0), b.getI64IntegerAttr(1), b.getI64IntegerAttr(1),
      IntegerAttr());
  symbols.insert(state);
  return state;
}

void Folder::fold(nn::DenseOp dense, nn::BatchNormOp bn) {
  Location loc = bn.getLoc();
  auto weightSym = loadedFrom(dense.getWeight());
  auto weightState = symbols.lookup<nn::StateOp>(weightSym.getAttr());
  RankedTensorType wType = typeOf(dense.getWeight());
  auto bType = RankedTensorType::get({wType.getDimSize(0)},
                                     wType.getElementType());
  StringRef base = weightSym.getValue();
  base.consume_back(".weight");
  nn::StateOp foldedW =
      declarePrepared(weightState, (base + ".weight.folded").str(), wType);
  nn::StateOp foldedB =
      declarePrepared(foldedW, (base + ".bias.folded").str(), bType);

  // In @prepare: s = gamma / sqrt(var + eps); W' = W s (per output row);
  // b' = (b - mean) s + beta.
  auto b = OpBuilder::atBlockTerminator(&prepare.front());
  auto load = [&](Value v) -> Value {
    auto sym = loadedFrom(v);
    return b.create<nn::LoadOp>(loc, typeOf(v), sym);
  };
  auto scalarType = RankedTensorType::get({}, b.getF32Type());
  auto eps = b.create<arith::ConstantOp>(
      loc, scalarType,
      DenseElementsAttr::get(scalarType,
                             static_cast<float>(bn.getEps().convertToDouble())));
  Value gamma = load(bn.getGamma()), beta = load(bn.getBeta());
  Value mean = load(bn.getRunningMean()), var = load(bn.getRunningVar());
  Value s = b.create<nn::DivOp>(
      loc, bType, gamma,
      b.create<nn::SqrtOp>(loc, b.create<nn::AddOp>(loc, bType, var, eps)));
  Value column = b.create<nn::ReshapeOp>(
      loc, RankedTensorType::get({bType.getDimSize(0), 1}, b.getF32Type()), s);
  Value w = b.create<nn::MulOp>(loc, wType, load(dense.getWeight()), column);
  Value bias = dense.getBias()
                   ? b.create<nn::SubOp>(loc, bType, load(dense.getBias()), mean)
                         .getResult()
                   : b.create<nn::NegOp>(loc, mean).getResult();
  Value newBias = b.create<nn::AddOp>(
      loc, bType, b.create<nn::MulOp>(loc, bType, bias, s), beta);
  b.create<nn::StoreOp>(loc, w, foldedW.getSymName());
  b.create<nn::StoreOp>(loc, newBias, foldedB.getSymName());

  // In @predict: one dense layer, with the norm's activation.
  OpBuilder p(bn);
  Value fw = p.create<nn::LoadOp>(loc, wType, foldedW.getSymName());
  Value fb = p.create<nn::LoadOp>(loc, bType, foldedB.getSymName());
  auto folded = p.create<nn::DenseOp>(
      FusedLoc::get(module.getContext(), {dense.getLoc(), loc}),
      bn.getResult().getType(), dense.getInput(), fw, fb,
      bn.getActivationAttr());
  bn.getResult().replaceAllUsesWith(folded.getResult());
  bn.erase();
  dense.erase();
}

void Folder::run() {
  SmallVector<std::pair<nn::DenseOp, nn::BatchNormOp>> pairs;
  predict.walk([&](nn::BatchNormOp bn) {
    auto dense = bn.getInput().getDefiningOp<nn::DenseOp>();
    // A norm whose updated running statistics are read is in training
    // mode in all but name; it stays.
    if (bn.getTraining() || !bn.getNewRunningMean().use_empty() ||
        !bn.getNewRunningVar().use_empty() || !dense || !dense->hasOneUse() ||
        dense.getActivationAttr() || !loadedFrom(dense.getWeight()) ||
        (dense.getBias() && !loadedFrom(dense.getBias())) ||
        !loadedFrom(bn.getGamma()) || !loadedFrom(bn.getBeta()) ||
        !loadedFrom(bn.getRunningMean()) || !loadedFrom(bn.getRunningVar()))
      return;
    pairs.push_back({dense, bn});
  });
  if (pairs.empty())
    return; // nothing to fold: predict reads the state itself

  OpBuilder b(predict);
  prepare = b.create<func::FuncOp>(
      predict.getLoc(), "prepare", b.getFunctionType({}, {}));
  b.setInsertionPointToStart(prepare.addEntryBlock());
  b.create<func::ReturnOp>(predict.getLoc());

  for (auto [dense, bn] : pairs)
    fold(dense, bn);

  // Dead loads of the folded tensors go; every state predict still reads
  // is copied into the prediction state.
  Block &entry = predict.getBody().front();
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(entry)))
    if (isOpTriviallyDead(&op))
      op.erase();
  b.setInsertionPoint(prepare.front().getTerminator());
  for (auto load : predict.getOps<nn::LoadOp>()) {
    auto state = symbols.lookup<nn::StateOp>(load.getStateAttr().getAttr());
    if (state.getRole() == nn::StateRole::prepared)
      continue;
    Value v = b.create<nn::LoadOp>(load.getLoc(), load.getType(),
                                   load.getStateAttr());
    b.create<nn::StoreOp>(load.getLoc(), v, load.getStateAttr());
  }
}

struct FoldInferencePass
    : kiln::impl::FoldInferenceBase<FoldInferencePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto predict = module.lookupSymbol<func::FuncOp>("predict");
    if (!predict)
      return; // nothing predicts here
    Folder(module, predict).run();
  }
};

} // namespace
