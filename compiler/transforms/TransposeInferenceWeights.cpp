//===- TransposeInferenceWeights.cpp - Weights laid out for predict -------===//
//
// A dense layer computes x W^T with W stored [out, in], as training keeps
// it. The matmul kernels read their right-hand side by rows, so each call
// would first copy W^T out of W: per call a pass over every weight, which
// at one row costs more than the product itself. In @predict the layers
// read W^T instead, computed once by @prepare when weights are loaded.
//
//===----------------------------------------------------------------------===//

#include "PredictionState.h"

#include "kiln/Transforms/Passes.h"

namespace kiln {
#define GEN_PASS_DEF_TRANSPOSEINFERENCEWEIGHTS
#include "kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// The value @prepare stores to `state`, if it stores one.
Value storedIn(func::FuncOp prepare, StringRef state) {
  for (auto store : prepare.front().getOps<nn::StoreOp>())
    if (store.getState() == state)
      return store.getValue();
  return {};
}

struct TransposeInferenceWeightsPass
    : kiln::impl::TransposeInferenceWeightsBase<
          TransposeInferenceWeightsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto predict = module.lookupSymbol<func::FuncOp>("predict");
    if (!predict)
      return;
    SymbolTable symbols(module);
    SmallVector<std::pair<nn::DenseOp, nn::LoadOp>> layers;
    predict.walk([&](nn::DenseOp dense) {
      if (auto load = dense.getWeight().getDefiningOp<nn::LoadOp>();
          load && !dense.getTransposedWeight())
        layers.push_back({dense, load});
    });
    if (layers.empty())
      return;
    func::FuncOp prepare = getOrCreatePrepare(module, predict);
    OpBuilder b = OpBuilder::atBlockTerminator(&prepare.front());
    SmallVector<nn::StateOp> sources;
    for (auto [dense, load] : layers) {
      auto source = symbols.lookup<nn::StateOp>(load.getState());
      RankedTensorType w = typeOf(load.getResult());
      auto wt = RankedTensorType::get({w.getDimSize(1), w.getDimSize(0)},
                                      w.getElementType());
      std::string name = (load.getState() + ".transposed").str();
      // A weight shared by several layers is transposed once.
      auto transposed = symbols.lookup<nn::StateOp>(name);
      if (!transposed) {
        transposed = declarePrepared(symbols, source, name, wt);
        // A prepared weight (folded) is transposed as @prepare computes it.
        Value value =
            source.getRole() == nn::StateRole::prepared
                ? storedIn(prepare, source.getSymName())
                : b.create<nn::LoadOp>(load.getLoc(), w, load.getStateAttr())
                      .getResult();
        if (!value) {
          source.emitOpError("is a prepared state that @prepare never stores");
          return signalPassFailure();
        }
        Value t = b.create<nn::TransposeOp>(load.getLoc(), wt, value);
        b.create<nn::StoreOp>(load.getLoc(), t, transposed.getSymName());
        sources.push_back(source);
      }
      OpBuilder p(dense);
      Value weight =
          p.create<nn::LoadOp>(load.getLoc(), wt, transposed.getSymName());
      auto replacement = p.create<nn::DenseOp>(
          dense.getLoc(), dense.getType(), dense.getInput(), weight,
          dense.getBias(), dense.getActivationAttr(), p.getUnitAttr());
      dense.replaceAllUsesWith(replacement.getResult());
      dense.erase();
    }
    copyUnpreparedStates(symbols, predict, prepare);
    // A prepared weight that only its transpose reads is no state of its
    // own any more.
    for (nn::StateOp source : sources) {
      if (source.getRole() != nn::StateRole::prepared ||
          !SymbolTable::symbolKnownUseEmpty(source, predict))
        continue;
      for (auto store :
           llvm::make_early_inc_range(prepare.front().getOps<nn::StoreOp>()))
        if (store.getState() == source.getSymName())
          store.erase();
      symbols.erase(source);
    }
  }
};

} // namespace
