//===- FoldInference.cpp - Batch norm folded into dense layers ------------===//
//
// In inference a batch norm is an affine map per feature, x s + t with
// s = gamma / sqrt(running_var + eps) and t = beta - running_mean s, and a
// dense layer next to it absorbs it:
//  - after the layer (dense -> batchnorm): W' = diag(s) W, b' = (b - mean)
//    s + beta, keeping the norm's activation;
//  - before the layer (batchnorm -> dense, a norm on the inputs):
//    W' = W diag(s), b' = b + W t, keeping the layer's activation.
// The folded weights are prepared states, computed once by @prepare.
//
//===----------------------------------------------------------------------===//

#include "PredictionState.h"

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
  void fold(nn::DenseOp dense, nn::BatchNormOp bn);
  void foldInto(nn::BatchNormOp bn, nn::DenseOp dense);
  /// The folded weight and bias states of `dense`, declared after its
  /// weight's state.
  std::pair<nn::StateOp, nn::StateOp> declareFolded(nn::DenseOp dense);
  /// The norm's parameters and statistics loaded in @prepare, and its
  /// scale s = gamma / sqrt(var + eps).
  struct Norm {
    Value gamma, beta, mean, var, scale;
  };
  Norm loadNorm(OpBuilder &b, nn::BatchNormOp bn);
  Value loadInPrepare(OpBuilder &b, Value predictValue);
  /// Stores the folded W' and b' in @prepare, and replaces `last` (the
  /// later of the pair) in @predict by one dense layer over them.
  void replaceByFolded(nn::DenseOp dense, nn::BatchNormOp bn, Operation *last,
                       Value input, nn::ActivationAttr activation, Value w,
                       Value bias);

  ModuleOp module;
  func::FuncOp predict;
  SymbolTable symbols;
  func::FuncOp prepare;
};

std::pair<nn::StateOp, nn::StateOp> Folder::declareFolded(nn::DenseOp dense) {
  auto weightSym = loadedFrom(dense.getWeight());
  auto weightState = symbols.lookup<nn::StateOp>(weightSym.getAttr());
  RankedTensorType wType = typeOf(dense.getWeight());
  auto bType = RankedTensorType::get({wType.getDimSize(0)},
                                     wType.getElementType());
  StringRef base = weightSym.getValue();
  base.consume_back(".weight");
  nn::StateOp foldedW = declarePrepared(
      symbols, weightState, (base + ".weight.folded").str(), wType);
  nn::StateOp foldedB =
      declarePrepared(symbols, foldedW, (base + ".bias.folded").str(), bType);
  return {foldedW, foldedB};
}

Value Folder::loadInPrepare(OpBuilder &b, Value predictValue) {
  return b.create<nn::LoadOp>(predictValue.getLoc(), typeOf(predictValue),
                              loadedFrom(predictValue));
}

Folder::Norm Folder::loadNorm(OpBuilder &b, nn::BatchNormOp bn) {
  Location loc = bn.getLoc();
  RankedTensorType vType = typeOf(bn.getGamma());
  auto scalarType = RankedTensorType::get({}, b.getF32Type());
  auto eps = b.create<arith::ConstantOp>(
      loc, scalarType,
      DenseElementsAttr::get(scalarType,
                             static_cast<float>(bn.getEps().convertToDouble())));
  Norm n;
  n.gamma = loadInPrepare(b, bn.getGamma());
  n.beta = loadInPrepare(b, bn.getBeta());
  n.mean = loadInPrepare(b, bn.getRunningMean());
  n.var = loadInPrepare(b, bn.getRunningVar());
  n.scale = b.create<nn::DivOp>(
      loc, vType, n.gamma,
      b.create<nn::SqrtOp>(loc, b.create<nn::AddOp>(loc, vType, n.var, eps)));
  return n;
}

void Folder::fold(nn::DenseOp dense, nn::BatchNormOp bn) {
  Location loc = bn.getLoc();
  RankedTensorType wType = typeOf(dense.getWeight());
  auto bType = RankedTensorType::get({wType.getDimSize(0)},
                                     wType.getElementType());
  // In @prepare: W' = W s (per output row); b' = (b - mean) s + beta.
  auto b = OpBuilder::atBlockTerminator(&prepare.front());
  Norm norm = loadNorm(b, bn);
  Value s = norm.scale;
  Value column = b.create<nn::ReshapeOp>(
      loc, RankedTensorType::get({bType.getDimSize(0), 1}, b.getF32Type()), s);
  Value w = b.create<nn::MulOp>(loc, wType, loadInPrepare(b, dense.getWeight()),
                                column);
  Value bias =
      dense.getBias()
          ? b.create<nn::SubOp>(loc, bType, loadInPrepare(b, dense.getBias()),
                                norm.mean)
                .getResult()
          : b.create<nn::NegOp>(loc, norm.mean).getResult();
  Value newBias = b.create<nn::AddOp>(
      loc, bType, b.create<nn::MulOp>(loc, bType, bias, s), norm.beta);
  // In @predict: one dense layer, with the norm's activation.
  replaceByFolded(dense, bn, bn, dense.getInput(), bn.getActivationAttr(), w,
                  newBias);
}

void Folder::foldInto(nn::BatchNormOp bn, nn::DenseOp dense) {
  Location loc = bn.getLoc();
  RankedTensorType wType = typeOf(dense.getWeight());
  int64_t out = wType.getDimSize(0), in = wType.getDimSize(1);
  auto bType = RankedTensorType::get({out}, wType.getElementType());
  // In @prepare: W' = W s (per input column); b' = b + W t with
  // t = beta - mean s.
  auto b = OpBuilder::atBlockTerminator(&prepare.front());
  Type f32 = b.getF32Type();
  RankedTensorType vType = typeOf(bn.getGamma());
  Norm norm = loadNorm(b, bn);
  Value s = norm.scale;
  Value t = b.create<nn::SubOp>(
      loc, vType, norm.beta, b.create<nn::MulOp>(loc, vType, norm.mean, s));
  Value weight = loadInPrepare(b, dense.getWeight());
  Value row = b.create<nn::ReshapeOp>(loc, RankedTensorType::get({1, in}, f32),
                                      s);
  Value w = b.create<nn::MulOp>(loc, wType, weight, row);
  Value wt = b.create<nn::MatMulOp>(
      loc, RankedTensorType::get({out, 1}, f32), weight,
      b.create<nn::ReshapeOp>(loc, RankedTensorType::get({in, 1}, f32), t),
      /*transposeLhs=*/false, /*transposeRhs=*/false);
  Value shift = b.create<nn::ReshapeOp>(loc, bType, wt);
  Value newBias =
      dense.getBias()
          ? b.create<nn::AddOp>(loc, bType, loadInPrepare(b, dense.getBias()),
                                shift)
                .getResult()
          : shift;
  // In @predict: the dense layer on the norm's input, with its activation.
  replaceByFolded(dense, bn, dense, bn.getInput(), dense.getActivationAttr(),
                  w, newBias);
}

void Folder::replaceByFolded(nn::DenseOp dense, nn::BatchNormOp bn,
                             Operation *last, Value input,
                             nn::ActivationAttr activation, Value w,
                             Value bias) {
  auto [foldedW, foldedB] = declareFolded(dense);
  OpBuilder b(w.getContext());
  b.setInsertionPointAfterValue(bias);
  b.create<nn::StoreOp>(bn.getLoc(), w, foldedW.getSymName());
  b.create<nn::StoreOp>(bn.getLoc(), bias, foldedB.getSymName());
  OpBuilder p(last);
  Value fw = p.create<nn::LoadOp>(bn.getLoc(), typeOf(w), foldedW.getSymName());
  Value fb =
      p.create<nn::LoadOp>(bn.getLoc(), typeOf(bias), foldedB.getSymName());
  auto folded = p.create<nn::DenseOp>(
      FusedLoc::get(module.getContext(), {dense.getLoc(), bn.getLoc()}),
      last->getResult(0).getType(), input, fw, fb, activation);
  last->getResult(0).replaceAllUsesWith(folded.getResult());
  bn.erase();
  dense.erase();
}

void Folder::run() {
  // A norm whose updated running statistics are read is in training mode
  // in all but name; it stays. Its parameters and the layer's must be
  // states, for @prepare to read.
  auto foldable = [](nn::BatchNormOp bn) {
    return !bn.getTraining() && bn.getNewRunningMean().use_empty() &&
           bn.getNewRunningVar().use_empty() && loadedFrom(bn.getGamma()) &&
           loadedFrom(bn.getBeta()) && loadedFrom(bn.getRunningMean()) &&
           loadedFrom(bn.getRunningVar());
  };
  auto weightsAreStates = [](nn::DenseOp dense) {
    return loadedFrom(dense.getWeight()) &&
           (!dense.getBias() || loadedFrom(dense.getBias()));
  };
  SmallVector<std::pair<nn::DenseOp, nn::BatchNormOp>> after;
  SmallVector<std::pair<nn::BatchNormOp, nn::DenseOp>> before;
  llvm::SmallPtrSet<Operation *, 8> taken;
  // Into the layer before first: that fold keeps the norm's activation.
  predict.walk([&](nn::BatchNormOp bn) {
    auto dense = bn.getInput().getDefiningOp<nn::DenseOp>();
    if (foldable(bn) && dense && dense->hasOneUse() &&
        !dense.getActivationAttr() && weightsAreStates(dense)) {
      after.push_back({dense, bn});
      taken.insert(dense);
      taken.insert(bn);
    }
  });
  // A norm on a dense layer's input: only without an activation of its
  // own (the map must stay affine), and one fold per layer.
  predict.walk([&](nn::BatchNormOp bn) {
    if (taken.contains(bn) || !foldable(bn) || bn.getActivationAttr() ||
        !bn->hasOneUse())
      return;
    auto next = dyn_cast<nn::DenseOp>(*bn->getUsers().begin());
    if (next && next.getInput() == bn.getResult() &&
        weightsAreStates(next) && taken.insert(next).second)
      before.push_back({bn, next});
  });
  if (after.empty() && before.empty())
    return; // nothing to fold: predict reads the state itself

  prepare = getOrCreatePrepare(module, predict);

  for (auto [dense, bn] : after)
    fold(dense, bn);
  for (auto [bn, dense] : before)
    foldInto(bn, dense);

  copyUnpreparedStates(symbols, predict, prepare);
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
