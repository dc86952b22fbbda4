//===- SemaBuiltins.cpp - Builtin functions and initializers --------------===//
//
// The table of builtins (their parameters and defaults are documented in
// docs/language.md) and the elaboration of each into graph nodes and states.
//
//===----------------------------------------------------------------------===//

#include "Sema.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Casting.h"

using namespace kiln;
using namespace kiln::ast;
using namespace kiln::sema;
using namespace llvm;

namespace {

/// A builtin tensor function. Its first parameter is the input tensor, so
/// that `x -> f(a)` means `f(x, a)`.
struct Builtin {
  StringRef name;
  OpKind op;
  ArrayRef<StringRef> params;
  unsigned numRequired;
  bool isActivation;
};

const StringRef kX[] = {"x"};
const StringRef kDense[] = {"x", "units", "bias", "init", "bias_init"};
const StringRef kMatMul[] = {"a", "b"};
const StringRef kLeaky[] = {"x", "alpha"};
const StringRef kGelu[] = {"x", "approximate"};
const StringRef kBeta[] = {"x", "beta"};
const StringRef kDropout[] = {"x", "p"};
const StringRef kBatchNorm[] = {"x", "momentum", "eps"};
const StringRef kLayerNorm[] = {"x", "eps"};
const StringRef kReduce[] = {"x", "axis"};

const Builtin kBuiltins[] = {
    {"dense", OpKind::Dense, kDense, 2, false},
    {"matmul", OpKind::MatMul, kMatMul, 2, false},
    {"relu", OpKind::Relu, kX, 1, true},
    {"sigmoid", OpKind::Sigmoid, kX, 1, true},
    {"tanh", OpKind::Tanh, kX, 1, true},
    {"leaky_relu", OpKind::LeakyRelu, kLeaky, 1, true},
    {"elu", OpKind::Elu, kLeaky, 1, true},
    {"gelu", OpKind::Gelu, kGelu, 1, true},
    {"softplus", OpKind::Softplus, kBeta, 1, true},
    {"swish", OpKind::Swish, kBeta, 1, true},
    {"softmax", OpKind::Softmax, kX, 1, true},
    {"exp", OpKind::Exp, kX, 1, false},
    {"log", OpKind::Log, kX, 1, false},
    {"sqrt", OpKind::Sqrt, kX, 1, false},
    {"abs", OpKind::Abs, kX, 1, false},
    {"dropout", OpKind::Dropout, kDropout, 1, false},
    {"batchnorm", OpKind::BatchNorm, kBatchNorm, 1, false},
    {"layernorm", OpKind::LayerNorm, kLayerNorm, 1, false},
    {"sum", OpKind::Sum, kReduce, 1, false},
    {"mean", OpKind::Mean, kReduce, 1, false},
};

const StringRef kBuiltinNames[] = {
    "dense", "matmul", "relu", "sigmoid", "tanh", "leaky_relu", "elu",
    "gelu",  "softplus", "swish", "softmax", "exp", "log",
    "sqrt",  "abs",    "dropout", "batchnorm", "layernorm", "sum", "mean"};

const StringRef kInitNames[] = {"zeros",          "ones",          "normal",
                                "uniform",        "xavier_uniform", "xavier_normal",
                                "he_normal",      "he_uniform"};

const StringRef kLossNames[] = {"cross_entropy", "bce", "multilabel_bce",
                                "mse",           "mae", "huber"};
const StringRef kOptimizerNames[] = {"sgd",     "momentum", "nesterov",
                                     "adagrad", "rmsprop",  "adam",
                                     "adamw"};
const StringRef kScheduleNames[] = {"constant", "step_decay",
                                    "exponential_decay", "linear_decay",
                                    "cosine"};

} // namespace

int sema::findBuiltin(StringRef name) {
  for (unsigned i = 0; i < std::size(kBuiltins); ++i)
    if (kBuiltins[i].name == name)
      return int(i);
  return -1;
}

namespace {

bool hasStates(OpKind op) {
  return op == OpKind::Dense || op == OpKind::BatchNorm ||
         op == OpKind::LayerNorm;
}

} // namespace

std::string sema::asMisuse(StringRef callee) {
  return ("'as' names a layer with parameters (dense, batchnorm, layernorm) "
          "or a block instance; '" +
          callee + "' is neither")
      .str();
}


bool sema::isActivation(StringRef name) {
  int i = findBuiltin(name);
  return i >= 0 && kBuiltins[i].isActivation;
}

ArrayRef<StringRef> sema::initNames() { return kInitNames; }
ArrayRef<StringRef> sema::builtinNames() { return kBuiltinNames; }
ArrayRef<StringRef> sema::lossNames() { return kLossNames; }
ArrayRef<StringRef> sema::optimizerNames() { return kOptimizerNames; }
ArrayRef<StringRef> sema::scheduleNames() { return kScheduleNames; }

/// zeros, ones, normal(mean, std), uniform(low, high), xavier_*, he_*;
/// `call` is null for a bare name.
Value Sema::evalInit(const CallExpr *call, StringRef name, const Location &loc,
                     Scope &scope) {
  static const StringRef kNormal[] = {"mean", "std"};
  static const StringRef kUniform[] = {"low", "high"};
  Value v;
  v.kind = Value::Kind::Init;
  v.loc = loc;
  InitSpec &init = v.init;
  ArrayRef<StringRef> params;
  if (name == "zeros") {
    init.kind = InitKind::Zeros;
  } else if (name == "ones") {
    init.kind = InitKind::Ones;
  } else if (name == "normal") {
    init = {InitKind::Normal, 0.0, 1.0};
    params = kNormal;
  } else if (name == "uniform") {
    init = {InitKind::Uniform, 0.0, 1.0};
    params = kUniform;
  } else if (name == "xavier_uniform") {
    init.kind = InitKind::XavierUniform;
  } else if (name == "xavier_normal") {
    init.kind = InitKind::XavierNormal;
  } else if (name == "he_normal") {
    init.kind = InitKind::HeNormal;
  } else {
    init.kind = InitKind::HeUniform;
  }
  if (!call)
    return v;
  BoundArgs args;
  std::string what = "'" + name.str() + "'";
  if (!bindArgs(*call, params, 0, what, scope, args))
    return Value::poison(loc);
  if (params.empty())
    return v;
  std::optional<double> a = realArg(args, 0, init.a, "'" + params[0] + "' of " + what);
  std::optional<double> b = realArg(args, 1, init.b, "'" + params[1] + "' of " + what);
  if (!a || !b)
    return Value::poison(loc);
  init.a = *a;
  init.b = *b;
  if (init.kind == InitKind::Normal &&
      !checkRange(init.b, args.given(1) ? args.values[1].loc : loc,
                  "'std' of 'normal'", 0, Bound::Open))
    return Value::poison(loc);
  if (init.kind == InitKind::Uniform && !(init.a < init.b)) {
    error(loc, "'uniform' needs low < high, got low = " +
                   formatNumber(init.a) + ", high = " + formatNumber(init.b));
    return Value::poison(loc);
  }
  return v;
}

//===----------------------------------------------------------------------===//
// Builtins
//===----------------------------------------------------------------------===//

Value Sema::evalBuiltin(const CallExpr &call, unsigned index, Scope &scope) {
  const Builtin &b = kBuiltins[index];
  Location loc = call.getLoc();
  if (call.hasAlias() && !hasStates(b.op))
    error(call.getAliasLoc(), asMisuse(b.name));
  std::string what = "'" + b.name.str() + "'";
  BoundArgs args;
  if (!bindArgs(call, b.params, b.numRequired, what, scope, args))
    return Value::poison(loc);
  if (b.op == OpKind::Dense)
    return evalDense(call, args, scope);
  if (b.op == OpKind::BatchNorm || b.op == OpKind::LayerNorm)
    return evalNorm(call, args, scope, b.op == OpKind::BatchNorm);
  if (b.op == OpKind::MatMul)
    return binaryOp('@', args.values[0], args.values[1], loc);
  if (b.op == OpKind::Sum || b.op == OpKind::Mean)
    return evalReduction(call, args, b.op);

  std::optional<unsigned> x = asTensor(args.values[0], "the input of " + what);
  Node n;
  n.kind = b.op;
  n.loc = sourceLoc(loc);
  bool ok = true;
  auto param = [&](StringRef name) { return "'" + name.str() + "' of " + what; };
  switch (b.op) {
  case OpKind::LeakyRelu:
  case OpKind::Elu: {
    // Their gradients are taken from their outputs, which have the input's
    // sign only for alpha >= 0.
    double dflt = b.op == OpKind::Elu ? 1.0 : 0.01;
    auto alpha = realArg(args, 1, dflt, param("alpha"));
    ok = alpha && checkRange(*alpha, args.values[1].loc, param("alpha"), 0,
                             Bound::Closed);
    n.alpha = alpha.value_or(dflt);
    break;
  }
  case OpKind::Gelu:
    if (auto approximate = boolArg(args, 1, false, param("approximate")))
      n.approximate = *approximate;
    else
      ok = false;
    break;
  case OpKind::Softplus:
  case OpKind::Swish: {
    auto beta = realArg(args, 1, 1.0, param("beta"));
    ok = beta && (b.op == OpKind::Swish ||
                  checkRange(*beta, args.values[1].loc, param("beta"), 0,
                             Bound::Open));
    n.beta = beta.value_or(1.0);
    break;
  }
  case OpKind::Dropout: {
    auto p = realArg(args, 1, 0.5, param("p"));
    ok = p && checkRange(*p, args.values[1].loc, param("p"), 0, Bound::Closed,
                         1, Bound::Open);
    n.p = p.value_or(0.0);
    break;
  }
  default:
    break;
  }
  if (!x || !ok)
    return Value::poison(loc);
  n.shape = shapeOf(*x);
  n.operands = {*x};
  return addTensor(std::move(n), loc);
}

/// sum(x, axis) and mean(x, axis): over one axis, or over all of them.
Value Sema::evalReduction(const CallExpr &call, BoundArgs &args, OpKind op) {
  Location loc = call.getLoc();
  std::string what = op == OpKind::Sum ? "'sum'" : "'mean'";
  std::optional<unsigned> x = asTensor(args.values[0], "the input of " + what);
  if (!x)
    return Value::poison(loc);
  std::vector<int64_t> shape = shapeOf(*x);
  Node n;
  n.kind = op;
  n.loc = sourceLoc(loc);
  n.operands = {*x};
  if (args.given(1)) {
    std::optional<int64_t> axis = intArg(args, 1, 0, "'axis' of " + what);
    if (!axis)
      return Value::poison(loc);
    int64_t rank = int64_t(shape.size());
    if (*axis < -rank || *axis >= rank) {
      error(args.values[1].loc,
            "'axis' of " + what + " must be in [" + std::to_string(-rank) +
                ", " + std::to_string(rank) + ") for shape " +
                shapeStr(shape) + ", got " + std::to_string(*axis));
      return Value::poison(loc);
    }
    n.axis = *axis < 0 ? *axis + rank : *axis;
    n.shape = shape;
    n.shape.erase(n.shape.begin() + *n.axis);
  }
  // Outside the loss, a reduction over the rows would make one row's
  // prediction depend on the others in its batch.
  if (!inLoss && (!n.axis || *n.axis == 0) && dependsOnRows(*x)) {
    error(loc, what + " over the batch axis (axis 0 or all axes) mixes the "
                      "rows of a batch; only the loss may reduce over them");
    return Value::poison(loc);
  }
  return addTensor(std::move(n), loc);
}

bool Sema::dependsOn(unsigned node, ArrayRef<std::optional<unsigned>> on) const {
  std::vector<unsigned> worklist = {node};
  std::vector<bool> seen(model.nodes.size(), false);
  while (!worklist.empty()) {
    unsigned id = worklist.back();
    worklist.pop_back();
    if (seen[id])
      continue;
    seen[id] = true;
    if (is_contained(on, id))
      return true;
    for (unsigned op : model.nodes[id].operands)
      worklist.push_back(op);
  }
  return false;
}

bool Sema::dependsOnRows(unsigned node) const {
  return dependsOn(node, {inputNode, targetNode});
}

Value Sema::evalDense(const CallExpr &call, BoundArgs &args, Scope &scope) {
  Location loc = call.getLoc();
  std::string layer = nameInstance(scope, "dense", call);
  std::optional<unsigned> x = asTensor(args.values[0], "the input of 'dense'");
  std::optional<int64_t> units =
      intArg(args, 1, 1, "'units' of 'dense'");
  std::optional<bool> bias = boolArg(args, 2, true, "'bias' of 'dense'");
  std::optional<InitSpec> init =
      args.given(3) ? asInit(args.values[3], "'init' of 'dense'")
                    : InitSpec{InitKind::XavierUniform, 0, 0};
  std::optional<InitSpec> biasInit =
      args.given(4) ? asInit(args.values[4], "'bias_init' of 'dense'")
                    : InitSpec{InitKind::Zeros, 0, 0};
  bool ok = units && bias && init && biasInit;
  if (units && !checkRange(double(*units), args.values[1].loc,
                           "'units' of 'dense'", 1, Bound::Closed))
    ok = false;
  if (x && shapeOf(*x).size() != 2) {
    error(args.values[0].loc,
          "'dense' needs a rank-2 [batch, features] input, got shape " +
              shapeStr(shapeOf(*x)));
    ok = false;
  }
  if (!x || !ok)
    return Value::poison(loc);
  int64_t in = shapeOf(*x)[1];
  Node n;
  n.kind = OpKind::Dense;
  n.loc = sourceLoc(loc);
  n.shape = {shapeOf(*x)[0], *units};
  n.operands = {*x};
  std::string prefix = scope.qualify(layer);
  StateTensor weight{prefix + ".weight", {*units, in}, StateRole::Parameter,
                     *init, in, *units, sourceLoc(loc)};
  n.states.push_back(addState(std::move(weight)));
  if (*bias) {
    StateTensor b{prefix + ".bias", {*units}, StateRole::Parameter,
                  *biasInit, in, *units, sourceLoc(loc)};
    n.states.push_back(addState(std::move(b)));
  }
  return addTensor(std::move(n), loc);
}

Value Sema::evalNorm(const CallExpr &call, BoundArgs &args, Scope &scope,
                     bool batchNorm) {
  Location loc = call.getLoc();
  StringRef kind = batchNorm ? "batchnorm" : "layernorm";
  std::string what = "'" + kind.str() + "'";
  std::string layer = nameInstance(scope, kind, call);
  std::optional<unsigned> x = asTensor(args.values[0], "the input of " + what);
  bool ok = true;
  Node n;
  n.kind = batchNorm ? OpKind::BatchNorm : OpKind::LayerNorm;
  n.loc = sourceLoc(loc);
  unsigned epsSlot = batchNorm ? 2 : 1;
  if (batchNorm) {
    auto momentum = realArg(args, 1, 0.1, "'momentum' of " + what);
    ok &= momentum && checkRange(*momentum, args.values[1].loc,
                                 "'momentum' of " + what, 0, Bound::Closed, 1,
                                 Bound::Closed);
    n.momentum = momentum.value_or(0.1);
  }
  auto eps = realArg(args, epsSlot, 1e-5, "'eps' of " + what);
  ok &= eps && checkRange(*eps, args.values[epsSlot].loc, "'eps' of " + what,
                          0, Bound::Open);
  n.eps = eps.value_or(1e-5);
  if (x && shapeOf(*x).size() != 2) {
    error(args.values[0].loc, what +
                                  " needs a rank-2 [batch, features] input, "
                                  "got shape " +
                                  shapeStr(shapeOf(*x)));
    ok = false;
  }
  if (batchNorm && !predictRows && x && shapeOf(*x).size() == 2 &&
      shapeOf(*x)[0] < 2) {
    // One row has no batch statistics: its variance is 0 and the unbiased
    // running variance divides by B - 1.
    error(loc, what + " needs batches of at least 2 rows; batch_size is " +
                   std::to_string(shapeOf(*x)[0]));
    ok = false;
  }
  if (!x || !ok)
    return Value::poison(loc);
  int64_t features = shapeOf(*x)[1];
  n.shape = shapeOf(*x);
  n.operands = {*x};
  std::string prefix = scope.qualify(layer);
  auto add = [&](StringRef suffix, InitKind init, StateRole role) {
    StateTensor s{prefix + "." + suffix.str(), {features}, role,
                  InitSpec{init, 0, 0}, features, features, sourceLoc(loc)};
    n.states.push_back(addState(std::move(s)));
  };
  // torch.nn.BatchNorm1d's and LayerNorm's names for gamma and beta, so
  // that a checkpoint loads into the PyTorch module (docs/language.md).
  add("weight", InitKind::Ones, StateRole::Parameter);
  add("bias", InitKind::Zeros, StateRole::Parameter);
  if (batchNorm) {
    add("running_mean", InitKind::Zeros, StateRole::RunningMean);
    add("running_var", InitKind::Ones, StateRole::RunningVar);
  }
  return addTensor(std::move(n), loc);
}

