//===- BufferABI.cpp - The C ABI of the compiled functions ----------------===//
//
// The compiled functions are called from C with plain pointers: the state
// buffer, then the function's inputs, then its outputs. This pass gives
// the tensor functions that signature before bufferization, so that
// bufferization sees the real buffers and the memory plan sees every
// temporary.
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/Passes.h"
#include "kiln/Dialect/NN/ModelConfig.h"
#include "kiln/Dialect/NN/NNOps.h"

namespace kiln {
#define GEN_PASS_DEF_BUFFERABI
#include "kiln/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// Whether state `s` lies inside `buffer`: a prepared state lies past the
/// end of the state, and only the prediction state holds it.
bool fits(nn::StateOp s, Value buffer) {
  return int64_t(*s.getOffset()) + s.getTensorType().getNumElements() <=
         cast<MemRefType>(buffer.getType()).getNumElements();
}

MemRefType bufferType(Type tensorType) {
  auto t = cast<RankedTensorType>(tensorType);
  return MemRefType::get(t.getShape(), t.getElementType());
}

class FunctionRewriter {
public:
  FunctionRewriter(func::FuncOp func, OpBuilder &b) : func(func), b(b) {}

  /// The view of a state tensor in `state` (a buffer argument), made once
  /// per function and buffer so that its loads and stores name the same
  /// memory.
  Value view(nn::StateOp s, Value state, Location loc) {
    auto key = std::make_pair(s.getOperation(), state);
    auto it = views.find(key);
    if (it != views.end())
      return it->second;
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointAfterValue(state);
    RankedTensorType type = s.getTensorType();
    SmallVector<int64_t> strides(type.getRank(), 1);
    for (int64_t i = type.getRank() - 2; i >= 0; --i)
      strides[i] = strides[i + 1] * type.getDimSize(i + 1);
    int64_t offset = *s.getOffset();
    auto layout = StridedLayoutAttr::get(b.getContext(), offset, strides);
    auto viewType =
        MemRefType::get(type.getShape(), type.getElementType(), layout);
    Value v = b.create<memref::ReinterpretCastOp>(
        loc, viewType, state, offset, type.getShape(), strides);
    views[key] = v;
    return v;
  }

private:
  func::FuncOp func;
  OpBuilder &b;
  llvm::DenseMap<std::pair<Operation *, Value>, Value> views;
};

struct BufferABIPass : kiln::impl::BufferABIBase<BufferABIPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto stateSize = module->getAttrOfType<IntegerAttr>("kiln.state_size");
    if (!stateSize) {
      module.emitError("the state layout has not been assigned");
      return signalPassFailure();
    }
    FailureOr<nn::ModelAttr> config = nn::ModelAttr::of(module);
    if (failed(config))
      return signalPassFailure();
    SymbolTable symbols(module);
    auto buffer = [&](int64_t floats) {
      return MemRefType::get({std::max<int64_t>(floats, 1)},
                             Float32Type::get(module.getContext()));
    };
    MemRefType stateType = buffer(stateSize.getInt());
    // With a @prepare, predict reads the prediction state, which @prepare
    // writes from the state.
    MemRefType predictStateType = stateType;
    bool prepared = module.lookupSymbol<func::FuncOp>("prepare");
    if (auto size =
            module->getAttrOfType<IntegerAttr>("kiln.predict_state_size"))
      predictStateType = buffer(size.getInt());
    for (auto func : llvm::to_vector(module.getOps<func::FuncOp>())) {
      SmallVector<MemRefType> buffers = {stateType};
      if (func.getSymName() == "prepare")
        buffers.push_back(predictStateType);
      else if (prepared && nn::predictFunctionRows(func.getSymName(),
                                                   config->getBatchSize()))
        buffers = {predictStateType};
      if (failed(rewrite(func, buffers, config->getName(), symbols)))
        return signalPassFailure();
    }
  }

  /// `buffers` are the state buffers the function takes first: loads read
  /// the first, stores write the last.
  LogicalResult rewrite(func::FuncOp func, ArrayRef<MemRefType> buffers,
                        StringRef model, SymbolTable &symbols) {
    if (func.isExternal())
      return success();
    OpBuilder b(func.getContext());
    Block &entry = func.getBody().front();
    Location loc = func.getLoc();

    // New arguments: the state buffers first, inputs in place, outputs at
    // the end.
    FunctionType oldType = func.getFunctionType();
    SmallVector<Type> inputs(buffers.begin(), buffers.end());
    for (Type t : oldType.getInputs())
      inputs.push_back(isa<RankedTensorType>(t) ? bufferType(t) : t);
    for (Type t : oldType.getResults())
      inputs.push_back(bufferType(t));
    for (auto [i, type] : llvm::enumerate(buffers))
      entry.insertArgument(static_cast<unsigned>(i), type, loc);
    Value source = entry.getArgument(0);
    Value destination = entry.getArgument(buffers.size() - 1);

    b.setInsertionPointToStart(&entry);
    for (BlockArgument arg : entry.getArguments().drop_front(buffers.size())) {
      if (!isa<RankedTensorType>(arg.getType()))
        continue;
      arg.setType(bufferType(arg.getType()));
      auto tensor = b.create<bufferization::ToTensorOp>(
          loc, arg, /*restrict=*/true, /*writable=*/false);
      arg.replaceAllUsesExcept(tensor, tensor);
    }

    FunctionRewriter views(func, b);
    WalkResult walk = func.walk([&](Operation *op) -> WalkResult {
      if (auto load = dyn_cast<nn::LoadOp>(op)) {
        auto s = symbols.lookup<nn::StateOp>(load.getState());
        if (!s || !s.getOffset())
          return load.emitOpError("reads a state without a layout");
        if (!fits(s, source))
          return load.emitOpError("reads '")
                 << s.getSymName() << "', which lies outside the state "
                 << "buffer of @" << func.getSymName();
        b.setInsertionPoint(load);
        auto tensor = b.create<bufferization::ToTensorOp>(
            load.getLoc(), views.view(s, source, load.getLoc()),
            /*restrict=*/true,
            /*writable=*/false);
        load.replaceAllUsesWith(tensor.getResult());
        load.erase();
      } else if (auto store = dyn_cast<nn::StoreOp>(op)) {
        auto s = symbols.lookup<nn::StateOp>(store.getState());
        if (!s || !s.getOffset())
          return store.emitOpError("writes a state without a layout");
        if (!fits(s, destination))
          return store.emitOpError("writes '")
                 << s.getSymName() << "', which lies outside the state "
                 << "buffer of @" << func.getSymName();
        b.setInsertionPoint(store);
        b.create<bufferization::MaterializeInDestinationOp>(
            store.getLoc(), TypeRange(), store.getValue(),
            views.view(s, destination, store.getLoc()), /*restrict=*/true,
            /*writable=*/true);
        store.erase();
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();

    auto ret = cast<func::ReturnOp>(entry.getTerminator());
    b.setInsertionPoint(ret);
    for (Value result : ret.getOperands()) {
      Value out = entry.addArgument(bufferType(result.getType()), loc);
      b.create<bufferization::MaterializeInDestinationOp>(
          loc, TypeRange(), result, out, /*restrict=*/true, /*writable=*/true);
    }
    ret->setOperands({});

    func.setType(FunctionType::get(func.getContext(), inputs, {}));
    func.setArgAttrsAttr(nullptr);
    func.setResAttrsAttr(nullptr);
    return symbols.rename(func, (model + "_" + func.getSymName()).str());
  }
};

} // namespace
