//===- DataParallel.cpp - The training step split around an allreduce ----===//
//
// Data-parallel training (docs/distributed.md) needs the gradients apart
// from the update: each rank computes its shard's gradients (@grad_<rows>),
// the ranks sum them, and every rank applies the same update
// (@apply_update). The single-process @train_step stays as it is.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

namespace kiln {
#define GEN_PASS_DEF_SHARDFORWARD
#define GEN_PASS_DEF_STOREGRADIENTS
#define GEN_PASS_DEF_BUILDAPPLYUPDATE
#include "kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

constexpr llvm::StringLiteral kGradOf = "nn.grad_of";

std::string gradientStateName(StringRef param) {
  return (param + ".grad").str();
}

/// Declares `<param>.grad` after every other state (AssignStateLayout
/// places the gradients last, so they are one span of the state), unless
/// it exists.
nn::StateOp declareGradient(ModuleOp module, SymbolTable &symbols,
                            nn::StateOp param) {
  std::string name = gradientStateName(param.getSymName());
  if (auto existing = symbols.lookup<nn::StateOp>(name))
    return existing;
  Operation *last = nullptr;
  for (auto state : module.getOps<nn::StateOp>())
    last = state;
  OpBuilder b(module.getContext());
  b.setInsertionPointAfter(last);
  MLIRContext *ctx = module.getContext();
  auto state = b.create<nn::StateOp>(
      param.getLoc(), b.getStringAttr(name), param.getTypeAttr(),
      nn::StateRoleAttr::get(ctx, nn::StateRole::gradient),
      nn::InitKindAttr::get(ctx, nn::InitKind::zeros), b.getF64FloatAttr(0),
      b.getF64FloatAttr(0), b.getI64IntegerAttr(param.getFanIn()),
      b.getI64IntegerAttr(param.getFanOut()), IntegerAttr());
  symbols.insert(state);
  return state;
}

/// @train_step as Autodiff built it and the parameters whose gradients it
/// returns (results 1..), in order; `missing` says what the pass wanted it
/// for when there is none.
struct GradientResults {
  func::FuncOp func;
  SmallVector<nn::StateOp> params;
};
FailureOr<GradientResults> trainStepGradients(ModuleOp module,
                                              SymbolTable &symbols,
                                              StringRef missing) {
  auto func = module.lookupSymbol<func::FuncOp>("train_step");
  if (!func)
    return module.emitError("no @train_step ") << missing;
  SmallVector<nn::StateOp> params;
  for (unsigned i = 1, e = func.getNumResults(); i < e; ++i) {
    auto ref = func.getResultAttrOfType<FlatSymbolRefAttr>(i, kGradOf);
    auto param = ref ? symbols.lookup<nn::StateOp>(ref.getAttr()) : nullptr;
    if (!param)
      return func.emitError() << "result " << i
                              << " is no gradient of a declared parameter";
    params.push_back(param);
  }
  return GradientResults{func, std::move(params)};
}

struct ShardForwardPass : kiln::impl::ShardForwardBase<ShardForwardPass> {
  using ShardForwardBase::ShardForwardBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto func = module.lookupSymbol<func::FuncOp>("forward");
    if (!func || func.getNumArguments() != 4 || func.getNumResults() != 1) {
      module.emitError("no @forward(x, y, step, seed) -> loss to shard");
      return signalPassFailure();
    }
    int64_t rows = nn::shapeOf(func.getArgument(0))[0];
    int64_t global = globalBatch;
    if (global < rows) {
      func.emitError() << "a shard of " << rows
                       << " rows of a batch of global-batch = " << global
                       << " rows";
      return signalPassFailure();
    }
    Block &body = func.getBody().front();
    Value rowOffset = body.addArgument(IntegerType::get(&getContext(), 64),
                                       func.getLoc());
    func.setType(FunctionType::get(&getContext(), body.getArgumentTypes(),
                                   func.getResultTypes()));
    func.walk([&](nn::DropoutOp dropout) {
      dropout.getRowOffsetMutable().assign(rowOffset);
    });
    if (rows == global)
      return;
    // The shard's mean loss, as its share of the batch's mean.
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    OpBuilder b(ret);
    Value loss = ret.getOperand(0);
    auto scalar = cast<RankedTensorType>(loss.getType());
    Value share = b.create<arith::ConstantOp>(
        func.getLoc(), scalar,
        DenseElementsAttr::get(scalar, float(double(rows) / double(global))));
    ret.setOperand(0, b.create<nn::MulOp>(func.getLoc(), scalar, loss, share));
  }
};

struct StoreGradientsPass
    : kiln::impl::StoreGradientsBase<StoreGradientsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    FailureOr<GradientResults> train =
        trainStepGradients(module, symbols, "whose gradients to store");
    if (failed(train))
      return signalPassFailure();
    func::FuncOp func = train->func;
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    OpBuilder b(ret);
    for (auto [param, grad] :
         llvm::zip(train->params, ret.getOperands().drop_front())) {
      nn::StateOp state = declareGradient(module, symbols, param);
      b.create<nn::StoreOp>(grad.getLoc(), grad, state.getSymName());
    }
    Value loss = ret.getOperand(0);
    b.create<func::ReturnOp>(ret.getLoc(), loss);
    ret.erase();
    func.setResAttrsAttr(nullptr);
    func.setType(FunctionType::get(&getContext(), func.getArgumentTypes(),
                                   loss.getType()));
    func.setSymName("grad_step");
  }
};

struct BuildApplyUpdatePass
    : kiln::impl::BuildApplyUpdateBase<BuildApplyUpdatePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    FailureOr<GradientResults> gradients =
        trainStepGradients(module, symbols, "to take the gradients from");
    if (failed(gradients))
      return signalPassFailure();
    func::FuncOp train = gradients->func;
    SmallVector<nn::StateOp> params = gradients->params;

    // apply_update(step, epoch) -> (gradients), each read from its state,
    // beside a load of its parameter for LowerOptimizer to update.
    OpBuilder b(train);
    b.setInsertionPointAfter(train);
    Location loc = train.getLoc();
    Type i64 = b.getI64Type();
    SmallVector<Type> gradTypes = llvm::map_to_vector(
        params, [](nn::StateOp p) -> Type { return p.getTensorType(); });
    auto apply = b.create<func::FuncOp>(
        loc, "apply_update", b.getFunctionType({i64, i64}, gradTypes));
    b.setInsertionPointToStart(apply.addEntryBlock());
    SmallVector<Value> grads;
    for (nn::StateOp param : params) {
      nn::StateOp state = declareGradient(module, symbols, param);
      b.create<nn::LoadOp>(param.getLoc(), param.getTensorType(),
                           param.getSymName());
      grads.push_back(b.create<nn::LoadOp>(param.getLoc(),
                                           param.getTensorType(),
                                           state.getSymName()));
    }
    b.create<func::ReturnOp>(loc, grads);
    for (auto [i, param] : llvm::enumerate(params))
      apply.setResultAttr(i, kGradOf,
                          FlatSymbolRefAttr::get(param.getSymNameAttr()));
  }
};

} // namespace
