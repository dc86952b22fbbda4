//===- LowerOptimizer.cpp - Parameter updates from gradients --------------===//
//
// The formulas are the lecture's, with PyTorch's torch.optim where the
// lecture is ambiguous or departs from practice; docs/optimizers.md states
// each one as implemented here.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/Support/MathExtras.h"

namespace kiln {
#define GEN_PASS_DEF_LOWEROPTIMIZER
#include "kiln/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// Scalar f64 arithmetic for the schedule and the bias corrections, and
/// tensor arithmetic (nn ops, scalars broadcast) for the updates.
class UpdateBuilder {
public:
  UpdateBuilder(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  // Scalars.
  Value f64(double v) {
    return b.create<arith::ConstantOp>(loc, b.getF64FloatAttr(v));
  }
  Value i64(int64_t v) {
    return b.create<arith::ConstantOp>(loc, b.getI64IntegerAttr(v));
  }
  Value toF64(Value i) {
    return b.create<arith::SIToFPOp>(loc, b.getF64Type(), i);
  }
  Value divI(Value x, Value y) { return b.create<arith::DivSIOp>(loc, x, y); }
  Value subI(Value x, Value y) { return b.create<arith::SubIOp>(loc, x, y); }
  Value minI(Value x, Value y) { return b.create<arith::MinSIOp>(loc, x, y); }
  Value lessI(Value x, Value y) {
    return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, x, y);
  }
  Value select(Value c, Value x, Value y) {
    return b.create<arith::SelectOp>(loc, c, x, y);
  }
  Value addF(Value x, Value y) { return b.create<arith::AddFOp>(loc, x, y); }
  Value mulF(Value x, Value y) { return b.create<arith::MulFOp>(loc, x, y); }
  Value subF(Value x, Value y) { return b.create<arith::SubFOp>(loc, x, y); }
  Value divF(Value x, Value y) { return b.create<arith::DivFOp>(loc, x, y); }
  Value minF(Value x, Value y) {
    return b.create<arith::MinimumFOp>(loc, x, y);
  }
  Value powF(Value x, Value y) { return b.create<math::PowFOp>(loc, x, y); }
  Value expF(Value x) { return b.create<math::ExpOp>(loc, x); }
  Value cosF(Value x) { return b.create<math::CosOp>(loc, x); }
  Value f32(float v) {
    return b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(v));
  }
  /// The f32 element of a rank-0 tensor.
  Value element(Value t) {
    return b.create<tensor::ExtractOp>(loc, t, ValueRange());
  }
  /// A rank-0 f32 tensor holding the scalar `v` (f64 is rounded once), for
  /// nn ops.
  Value tensor(Value v) {
    Value f = v.getType().isF64()
                  ? b.create<arith::TruncFOp>(loc, b.getF32Type(), v)
                  : v;
    return b.create<tensor::FromElementsOp>(
        loc, RankedTensorType::get({}, b.getF32Type()), f);
  }

  // Tensors.
  Value constant(double v) {
    auto type = RankedTensorType::get({}, b.getF32Type());
    return b.create<arith::ConstantOp>(
        loc, type, DenseElementsAttr::get(type, static_cast<float>(v)));
  }
  Value add(Value x, Value y) { return binary<nn::AddOp>(x, y); }
  Value sub(Value x, Value y) { return binary<nn::SubOp>(x, y); }
  Value mul(Value x, Value y) { return binary<nn::MulOp>(x, y); }
  Value div(Value x, Value y) { return binary<nn::DivOp>(x, y); }
  Value mul(double c, Value x) { return mul(constant(c), x); }
  Value add(Value x, double c) { return add(x, constant(c)); }
  Value sqrt(Value x) { return b.create<nn::SqrtOp>(loc, x); }
  /// The sum of all elements, a rank-0 tensor.
  Value sum(Value x) {
    return b.create<nn::SumToOp>(
        loc, RankedTensorType::get({}, b.getF32Type()), x);
  }

private:
  /// x op y, where one of them may be a rank-0 tensor broadcast over the
  /// other.
  template <typename OpT> Value binary(Value x, Value y) {
    auto tx = cast<RankedTensorType>(x.getType());
    auto ty = cast<RankedTensorType>(y.getType());
    return b.create<OpT>(loc, tx.getRank() >= ty.getRank() ? tx : ty, x, y);
  }
  OpBuilder &b;
  Location loc;
};

class OptimizerLowering {
public:
  OptimizerLowering(ModuleOp module, func::FuncOp func, nn::ModelAttr config)
      : module(module), func(func), config(config), symbols(module) {}

  LogicalResult run();

private:
  /// Replaces the gradient results of `f` (those after the first
  /// `numKept`) by the updates of their parameters.
  LogicalResult lowerUpdates(func::FuncOp f, Value step, Value epoch,
                             unsigned numKept);
  /// The step's learning rate, an f64 scalar.
  Value learningRate(UpdateBuilder &u, Value step, Value epoch);
  /// @learning_rate(step, epoch) -> tensor<f32>: the same formula, for the
  /// runtime to report; a tensor result so that it takes the buffer ABI of
  /// every compiled function.
  void buildLearningRateFunction();
  /// The factor that scales every gradient down to the global norm
  /// `clip_norm`, a rank-0 tensor; null without clipping.
  Value clipFactor(UpdateBuilder &u, ArrayRef<Value> grads);
  /// Whether weight decay applies to `param`.
  bool decays(nn::StateOp param) const;
  /// Declares the optimizer state `<param>.<suffix>` (zeros at start) and
  /// loads it.
  Value state(nn::StateOp param, StringRef suffix, OpBuilder &b);
  void store(OpBuilder &b, Value v, StringRef state);
  void update(UpdateBuilder &u, OpBuilder &b, nn::StateOp param, Value w,
              Value g, Value lr, Value lrF64, Value step);

  ModuleOp module;
  func::FuncOp func;
  nn::ModelAttr config;
  SymbolTable symbols;
};

Value OptimizerLowering::learningRate(UpdateBuilder &u, Value step,
                                      Value epoch) {
  nn::ScheduleAttr s = config.getSchedule();
  // t counts from 0 in the schedule's unit: the epoch, or the step - 1.
  Value t =
      s.getUnit() == nn::ScheduleUnit::step ? u.subI(step, u.i64(1)) : epoch;
  double lr0Value = config.getOptimizer().getLr();
  Value lr0 = u.f64(lr0Value);
  // After a warmup, the schedule starts at t = 0.
  int64_t warmup = s.getWarmupIters();
  Value tMain = warmup > 0 ? u.subI(t, u.i64(warmup)) : t;
  Value lr = lr0;
  switch (s.getKind()) {
  case nn::ScheduleKind::constant:
    break;
  case nn::ScheduleKind::step_decay: // lr0 gamma^floor(t / step_size)
    lr = u.mulF(lr0, u.powF(u.f64(s.getGamma()),
                            u.toF64(u.divI(tMain, u.i64(s.getStepSize())))));
    break;
  case nn::ScheduleKind::exponential_decay: // lr0 gamma^t
    lr = u.mulF(lr0, u.powF(u.f64(s.getGamma()), u.toF64(tMain)));
    break;
  case nn::ScheduleKind::exp_decay: // lr0 e^(-k t)
    lr = u.mulF(lr0, u.expF(u.mulF(u.f64(-s.getK()), u.toF64(tMain))));
    break;
  case nn::ScheduleKind::linear_decay: {
    // lr0 (start + (end - start) min(t, iters) / iters)
    int64_t iters = s.getIters();
    double start = s.getStartFactor();
    Value frac = u.mulF(u.toF64(u.minI(tMain, u.i64(iters))),
                        u.f64(1.0 / double(iters)));
    lr = u.mulF(lr0, u.addF(u.f64(start),
                            u.mulF(u.f64(s.getEndFactor() - start), frac)));
    break;
  }
  case nn::ScheduleKind::cosine: {
    // min + (lr0 - min) (1 + cos(pi t / t_max)) / 2
    Value angle =
        u.mulF(u.toF64(tMain), u.f64(llvm::numbers::pi / double(s.getTMax())));
    lr =
        u.addF(u.f64(s.getMinLr()), u.mulF(u.f64((lr0Value - s.getMinLr()) / 2),
                                           u.addF(u.f64(1.0), u.cosF(angle))));
    break;
  }
  }
  if (warmup == 0)
    return lr;
  // lr0 (start + (1 - start) t / warmup) while t < warmup.
  double start = s.getWarmupStartFactor();
  Value warm = u.mulF(
      lr0, u.addF(u.f64(start),
                  u.mulF(u.f64((1.0 - start) / double(warmup)), u.toF64(t))));
  return u.select(u.lessI(t, u.i64(warmup)), warm, lr);
}

void OptimizerLowering::buildLearningRateFunction() {
  OpBuilder b(func);
  b.setInsertionPointAfter(func);
  Type i64 = b.getI64Type();
  auto lrFunc = b.create<func::FuncOp>(
      func.getLoc(), "learning_rate",
      b.getFunctionType({i64, i64}, RankedTensorType::get({}, b.getF32Type())));
  Block *body = lrFunc.addEntryBlock();
  b.setInsertionPointToStart(body);
  UpdateBuilder u(b, func.getLoc());
  Value lr = learningRate(u, body->getArgument(0), body->getArgument(1));
  b.create<func::ReturnOp>(func.getLoc(), u.tensor(lr));
}

Value OptimizerLowering::clipFactor(UpdateBuilder &u, ArrayRef<Value> grads) {
  double clipNorm = config.getClipNorm();
  if (clipNorm <= 0)
    return Value();
  // torch.nn.utils.clip_grad_norm_: min(1, max_norm / (||g|| + 1e-6)).
  Value total;
  for (Value g : grads) {
    Value sq = u.sum(u.mul(g, g));
    total = total ? u.add(total, sq) : sq;
  }
  Value norm = u.element(u.sqrt(total));
  Value factor = u.divF(u.f32(float(clipNorm)), u.addF(norm, u.f32(1e-6f)));
  return u.tensor(u.minF(factor, u.f32(1.0f)));
}

bool OptimizerLowering::decays(nn::StateOp param) const {
  return config.getDecayScope() == nn::DecayScope::all ||
         param.getTensorType().getRank() >= 2;
}

Value OptimizerLowering::state(nn::StateOp param, StringRef suffix,
                               OpBuilder &b) {
  std::string name = (param.getSymName() + "." + suffix).str();
  auto existing = symbols.lookup<nn::StateOp>(name);
  if (!existing) {
    // After the parameter and the states declared for it before.
    Operation *after = param;
    while (auto next = dyn_cast_or_null<nn::StateOp>(after->getNextNode())) {
      if (!next.getSymName().starts_with((param.getSymName() + ".").str()))
        break;
      after = next;
    }
    OpBuilder declare(param);
    declare.setInsertionPointAfter(after);
    MLIRContext *ctx = param.getContext();
    existing = declare.create<nn::StateOp>(
        param.getLoc(), declare.getStringAttr(name), param.getTypeAttr(),
        nn::StateRoleAttr::get(ctx, nn::StateRole::optimizer),
        nn::InitKindAttr::get(ctx, nn::InitKind::zeros),
        declare.getF64FloatAttr(0), declare.getF64FloatAttr(0),
        declare.getI64IntegerAttr(param.getFanIn()),
        declare.getI64IntegerAttr(param.getFanOut()), IntegerAttr());
    symbols.insert(existing);
  }
  return b.create<nn::LoadOp>(param.getLoc(), param.getTensorType(), name);
}

void OptimizerLowering::store(OpBuilder &b, Value v, StringRef name) {
  b.create<nn::StoreOp>(v.getLoc(), v, name);
}

void OptimizerLowering::update(UpdateBuilder &u, OpBuilder &b,
                               nn::StateOp param, Value w, Value g, Value lr,
                               Value lrF64, Value step) {
  nn::OptimizerAttr o = config.getOptimizer();
  nn::OptimizerKind kind = o.getKind();
  StringRef name = param.getSymName();
  // L2 weight decay, lambda/2 |w|^2 in the loss: lambda w in the gradient.
  if (config.getWeightDecay() > 0 && decays(param))
    g = u.add(g, u.mul(config.getWeightDecay(), w));
  // AdamW decays the weights apart from the gradient, first, as
  // torch.optim.AdamW: w <- w (1 - lr lambda).
  using OK = nn::OptimizerKind;
  if (kind == OK::adamw && o.getWeightDecay() > 0 && decays(param))
    w = u.mul(w, u.tensor(u.subF(u.f64(1.0),
                                 u.mulF(lrF64, u.f64(o.getWeightDecay())))));

  Value step_; // w <- w - lr step_
  if (kind == OK::sgd) {
    step_ = g;
  } else if (kind == OK::momentum || kind == OK::nesterov) {
    // v <- mu v + g; nesterov (PyTorch's form) steps along g + mu v.
    double mu = o.getMomentum();
    Value v = u.add(u.mul(mu, state(param, "momentum_buffer", b)), g);
    store(b, v, (name + ".momentum_buffer").str());
    step_ = kind == OK::momentum ? v : u.add(g, u.mul(mu, v));
  } else if (kind == OK::adagrad) {
    // G <- G + g^2; step g / (sqrt(G) + eps), eps outside the root as in
    // torch.optim.Adagrad.
    Value sum = u.add(state(param, "sum", b), u.mul(g, g));
    store(b, sum, (name + ".sum").str());
    step_ = u.div(g, u.add(u.sqrt(sum), o.getEps()));
  } else if (kind == OK::rmsprop) {
    // s <- rho s + (1 - rho) g^2; step g / (sqrt(s) + eps).
    double rho = o.getRho();
    Value s = u.add(u.mul(rho, state(param, "square_avg", b)),
                    u.mul(1.0 - rho, u.mul(g, g)));
    store(b, s, (name + ".square_avg").str());
    step_ = u.div(g, u.add(u.sqrt(s), o.getEps()));
  } else { // adam, adamw
    // m <- b1 m + (1 - b1) g; v <- b2 v + (1 - b2) g^2;
    // step m^ / (sqrt(v^) + eps), m^ = m / (1 - b1^t), v^ = v / (1 - b2^t).
    double beta1 = o.getBeta1(), beta2 = o.getBeta2();
    Value m =
        u.add(u.mul(beta1, state(param, "exp_avg", b)), u.mul(1.0 - beta1, g));
    Value v = u.add(u.mul(beta2, state(param, "exp_avg_sq", b)),
                    u.mul(1.0 - beta2, u.mul(g, g)));
    store(b, m, (name + ".exp_avg").str());
    store(b, v, (name + ".exp_avg_sq").str());
    Value t = u.toF64(step);
    Value c1 = u.tensor(u.subF(u.f64(1.0), u.powF(u.f64(beta1), t)));
    Value c2 = u.tensor(u.subF(u.f64(1.0), u.powF(u.f64(beta2), t)));
    step_ = u.div(u.div(m, c1), u.add(u.sqrt(u.div(v, c2)), o.getEps()));
  }
  store(b, u.sub(w, u.mul(lr, step_)), name);
}

LogicalResult OptimizerLowering::run() {
  Block &body = func.getBody().front();
  if (func.getNumArguments() != 4 || func.getNumResults() < 1)
    return func.emitError("@train_step must take (x, y, step, seed) and "
                          "return the loss first");

  // train_step(x, y, step, epoch, seed)
  func.insertArgument(3, IntegerType::get(func.getContext(), 64), {},
                      func.getLoc());
  buildLearningRateFunction();
  if (failed(lowerUpdates(func, body.getArgument(2), body.getArgument(3),
                          /*numKept=*/1)))
    return failure();
  // A data-parallel build's update from the stored gradients (docs/
  // distributed.md): the same formulas, after the allreduce.
  auto apply = module.lookupSymbol<func::FuncOp>("apply_update");
  if (!apply)
    return success();
  if (apply.getNumArguments() != 2)
    return apply.emitError("@apply_update must take (step, epoch)");
  Block &applyBody = apply.getBody().front();
  return lowerUpdates(apply, applyBody.getArgument(0),
                      applyBody.getArgument(1), /*numKept=*/0);
}

LogicalResult OptimizerLowering::lowerUpdates(func::FuncOp f, Value step,
                                              Value epoch, unsigned numKept) {
  auto ret = cast<func::ReturnOp>(f.getBody().front().getTerminator());
  OpBuilder b(ret);
  UpdateBuilder u(b, f.getLoc());
  Value lrF64 = learningRate(u, step, epoch);
  Value lr = u.tensor(lrF64);
  SmallVector<Value> grads(ret.getOperands().drop_front(numKept));
  if (Value factor = clipFactor(u, grads))
    for (Value &g : grads)
      g = u.mul(g, factor);

  // Each parameter's one load, to update from.
  llvm::DenseMap<StringAttr, Value> loads;
  for (auto load : f.getOps<nn::LoadOp>())
    loads.try_emplace(load.getStateAttr().getAttr(), load);

  for (unsigned i = numKept, e = f.getNumResults(); i < e; ++i) {
    auto paramRef = f.getResultAttrOfType<FlatSymbolRefAttr>(i, "nn.grad_of");
    if (!paramRef)
      return f.emitError() << "result " << i << " is no gradient";
    auto param = symbols.lookup<nn::StateOp>(paramRef.getAttr());
    Value w = loads.lookup(paramRef.getAttr());
    if (!param || !w)
      return f.emitError() << "gradient of unknown parameter " << paramRef;
    UpdateBuilder pu(b, param.getLoc());
    update(pu, b, param, w, grads[i - numKept], lr, lrF64, step);
  }

  SmallVector<Value> kept(ret.getOperands().take_front(numKept));
  b.create<func::ReturnOp>(ret.getLoc(), kept);
  ret.erase();
  f.setType(FunctionType::get(f.getContext(), f.getArgumentTypes(),
                              ValueRange(kept).getTypes()));
  f.setResAttrsAttr(nullptr);
  return success();
}

struct LowerOptimizerPass
    : kiln::impl::LowerOptimizerBase<LowerOptimizerPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto func = module.lookupSymbol<func::FuncOp>("train_step");
    if (!func) {
      module.emitError("no @train_step to lower the optimizer into");
      return signalPassFailure();
    }
    FailureOr<nn::ModelAttr> config = nn::ModelAttr::of(module);
    if (failed(config) ||
        failed(OptimizerLowering(module, func, *config).run()))
      signalPassFailure();
  }
};

} // namespace
