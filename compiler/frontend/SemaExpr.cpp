//===- SemaExpr.cpp - Expressions, builtins and block instances -----------===//

#include "Sema.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Casting.h"

#include <cmath>
#include <cstdio>

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

const Builtin kBuiltins[] = {
    {"dense", OpKind::Dense, kDense, 2, false},
    {"matmul", OpKind::MatMul, kMatMul, 2, false},
    {"relu", OpKind::Relu, kX, 1, true},
    {"sigmoid", OpKind::Sigmoid, kX, 1, true},
    {"tanh", OpKind::Tanh, kX, 1, true},
    {"leaky_relu", OpKind::LeakyRelu, kLeaky, 1, true},
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
};

const StringRef kBuiltinNames[] = {
    "dense", "matmul", "relu", "sigmoid", "tanh", "leaky_relu",
    "gelu",  "softplus", "swish", "softmax", "exp", "log",
    "sqrt",  "abs",    "dropout", "batchnorm", "layernorm"};

const StringRef kInitNames[] = {"zeros",          "ones",          "normal",
                                "uniform",        "xavier_uniform", "xavier_normal",
                                "he_normal",      "he_uniform"};

const StringRef kLossNames[] = {"cross_entropy", "bce", "multilabel_bce",
                                "mse",           "mae", "huber"};
const StringRef kOptimizerNames[] = {"sgd",     "momentum", "nesterov",
                                     "adagrad", "rmsprop",  "adam"};
const StringRef kScheduleNames[] = {"constant", "step_decay",
                                    "exponential_decay"};

int findBuiltin(StringRef name) {
  for (unsigned i = 0; i < std::size(kBuiltins); ++i)
    if (kBuiltins[i].name == name)
      return int(i);
  return -1;
}

bool hasStates(OpKind op) {
  return op == OpKind::Dense || op == OpKind::BatchNorm ||
         op == OpKind::LayerNorm;
}

std::string asMisuse(StringRef callee) {
  return ("'as' names a layer with parameters (dense, batchnorm, layernorm) "
          "or a block instance; '" +
          callee + "' is neither")
      .str();
}

std::string describeValue(const Value &v, const Sema &sema) {
  switch (v.kind) {
  case Value::Kind::Poison:
    return "an invalid value";
  case Value::Kind::Tensor:
    return "a tensor of shape " + Sema::shapeStr(sema.shapeOf(v.node));
  case Value::Kind::Number:
    return "the number " + formatNumber(v.number);
  case Value::Kind::String:
    return "a string";
  case Value::Kind::Bool:
    return "a boolean";
  case Value::Kind::Init:
    return "an initializer";
  case Value::Kind::List:
    return "a list";
  }
  return "a value";
}

/// Where an expression starts: `x` in `x -> dense(3)` or `x + 1`. Argument
/// diagnostics point there rather than at the last operator.
const Location &startLoc(const Expr &e) {
  if (auto *call = dyn_cast<CallExpr>(&e); call && call->isPiped())
    return startLoc(*call->getArgs()[0].value);
  if (auto *binary = dyn_cast<BinaryExpr>(&e))
    return startLoc(binary->getLHS());
  return e.getLoc();
}

} // namespace

ArrayRef<StringRef> sema::initNames() { return kInitNames; }
ArrayRef<StringRef> sema::builtinNames() { return kBuiltinNames; }
ArrayRef<StringRef> sema::lossNames() { return kLossNames; }
ArrayRef<StringRef> sema::optimizerNames() { return kOptimizerNames; }
ArrayRef<StringRef> sema::scheduleNames() { return kScheduleNames; }

std::string sema::formatNumber(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e15)
    return std::to_string(int64_t(v));
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

std::string Sema::shapeStr(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string Scope::qualify(StringRef name) const {
  return path.empty() ? name.str() : path + "." + name.str();
}

//===----------------------------------------------------------------------===//
// Typed access to values
//===----------------------------------------------------------------------===//

std::optional<unsigned> Sema::asTensor(const Value &v, const Twine &what) {
  if (v.kind == Value::Kind::Tensor)
    return v.node;
  if (!v.isPoison())
    error(v.loc, what + " must be a tensor, got " + describeValue(v, *this));
  return std::nullopt;
}

std::optional<double> Sema::asNumber(const Value &v, const Twine &what) {
  if (v.kind == Value::Kind::Number)
    return v.number;
  if (!v.isPoison())
    error(v.loc, what + " must be a number, got " + describeValue(v, *this));
  return std::nullopt;
}

std::optional<int64_t> Sema::asInt(const Value &v, const Twine &what) {
  if (v.kind == Value::Kind::Number && std::floor(v.number) == v.number &&
      std::fabs(v.number) <= 9007199254740992.0)
    return int64_t(v.number);
  if (!v.isPoison())
    error(v.loc, what + " must be an integer, got " + describeValue(v, *this));
  return std::nullopt;
}

std::optional<bool> Sema::asBool(const Value &v, const Twine &what) {
  if (v.kind == Value::Kind::Bool)
    return v.boolean;
  if (!v.isPoison())
    error(v.loc, what + " must be true or false, got " +
                     describeValue(v, *this));
  return std::nullopt;
}

std::optional<InitSpec> Sema::asInit(const Value &v, const Twine &what) {
  if (v.kind == Value::Kind::Init)
    return v.init;
  if (!v.isPoison())
    error(v.loc, what + " must be an initializer (" +
                     join(initNames(), ", ") + "), got " +
                     describeValue(v, *this));
  return std::nullopt;
}

std::optional<std::string> Sema::asString(const Value &v, const Twine &what) {
  if (v.kind == Value::Kind::String)
    return v.str;
  if (!v.isPoison())
    error(v.loc, what + " must be a string, got " + describeValue(v, *this));
  return std::nullopt;
}

bool Sema::checkRange(double v, const Location &loc, const Twine &what,
                      double lo, Bound loBound, double hi, Bound hiBound) {
  bool ok = true;
  if (loBound == Bound::Open && !(v > lo))
    ok = false;
  if (loBound == Bound::Closed && !(v >= lo))
    ok = false;
  if (hiBound == Bound::Open && !(v < hi))
    ok = false;
  if (hiBound == Bound::Closed && !(v <= hi))
    ok = false;
  if (ok)
    return true;
  std::string range;
  if (hiBound == Bound::None)
    range = (loBound == Bound::Open ? "> " : ">= ") + formatNumber(lo);
  else
    range = std::string("in ") + (loBound == Bound::Open ? "(" : "[") +
            formatNumber(lo) + ", " + formatNumber(hi) +
            (hiBound == Bound::Open ? ")" : "]");
  error(loc, what + " must be " + range + ", got " + formatNumber(v));
  return false;
}

std::optional<std::vector<int64_t>>
Sema::evalShape(const ListExpr &list, Scope &scope, StringRef what) {
  std::vector<int64_t> shape;
  bool ok = true;
  for (const ExprPtr &e : list.getElements()) {
    Value v = eval(*e, scope);
    std::optional<int64_t> dim = asInt(v, "a dimension of " + what);
    if (!dim) {
      ok = false;
    } else if (*dim < 1) {
      error(v.loc, "a dimension of " + what + " must be >= 1, got " +
                       std::to_string(*dim));
      ok = false;
    } else if (*dim > (int64_t(1) << 31)) {
      error(v.loc, "a dimension of " + what + " is too large (" +
                       std::to_string(*dim) + " > 2^31)");
      ok = false;
    }
    shape.push_back(dim.value_or(1));
  }
  if (!ok)
    return std::nullopt;
  return shape;
}

//===----------------------------------------------------------------------===//
// Arguments
//===----------------------------------------------------------------------===//

bool Sema::bindArgs(const CallExpr &call, ArrayRef<StringRef> params,
                    unsigned numRequired, StringRef what, Scope &scope,
                    BoundArgs &args, uint64_t rawSlots) {
  args.exprs.assign(params.size(), nullptr);
  args.values.assign(params.size(), Value::poison(call.getLoc()));
  SmallVector<int, 6> slotOf; // per call argument, -1 if rejected
  SmallVector<Location, 6> givenAt(params.size());
  unsigned nextPositional = 0;
  bool ok = true, misspelt = false;
  for (const Arg &arg : call.getArgs()) {
    int slot = -1;
    if (arg.name.empty()) {
      if (nextPositional < params.size()) {
        slot = int(nextPositional++);
      } else {
        std::string list = join(params, ", ");
        error(arg.value->getLoc(),
              "too many arguments for " + what + " (it takes " +
                  std::to_string(params.size()) +
                  (params.empty() ? "" : ": " + list) + ")" +
                  (call.isPiped() ? "; the piped value is the first" : ""));
        ok = false;
      }
    } else {
      auto it = find(params, arg.name);
      if (it == params.end()) {
        error(arg.nameLoc, what + " has no argument '" + arg.name + "'" +
                               didYouMean(arg.name, params));
        ok = false;
        misspelt = true;
      } else if (args.exprs[it - params.begin()]) {
        error(arg.nameLoc, "argument '" + arg.name + "' of " + what +
                               " is given twice");
        note(givenAt[it - params.begin()], "first given here");
        ok = false;
      } else {
        slot = int(it - params.begin());
      }
    }
    if (slot >= 0) {
      args.exprs[slot] = arg.value.get();
      givenAt[slot] = arg.name.empty() ? arg.value->getLoc() : arg.nameLoc;
    }
    slotOf.push_back(slot);
  }
  // A misspelt argument name most likely meant the missing one: do not
  // report the same mistake twice.
  for (unsigned i = 0; i < numRequired && i < params.size() && !misspelt; ++i) {
    if (!args.exprs[i]) {
      error(call.getLoc(), what + " needs argument '" + params[i] + "'");
      ok = false;
    }
  }
  // Evaluate in source order, even after a binding error: the arguments'
  // own mistakes are independent and worth reporting.
  for (size_t i = 0; i < call.getArgs().size(); ++i) {
    if (slotOf[i] >= 0 && (rawSlots >> slotOf[i]) & 1)
      continue;
    const Expr &e = *call.getArgs()[i].value;
    Value v = eval(e, scope);
    v.loc = startLoc(e);
    if (slotOf[i] >= 0)
      args.values[slotOf[i]] = std::move(v);
  }
  return ok;
}

std::optional<double> Sema::realArg(BoundArgs &args, unsigned i, double dflt,
                                    const Twine &what) {
  if (!args.given(i))
    return dflt;
  return asNumber(args.values[i], what);
}

std::optional<int64_t> Sema::intArg(BoundArgs &args, unsigned i, int64_t dflt,
                                    const Twine &what) {
  if (!args.given(i))
    return dflt;
  return asInt(args.values[i], what);
}

std::optional<bool> Sema::boolArg(BoundArgs &args, unsigned i, bool dflt,
                                  const Twine &what) {
  if (!args.given(i))
    return dflt;
  return asBool(args.values[i], what);
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

Value Sema::eval(const Expr &expr, Scope &scope) {
  if (expr.hasAlias() && !isa<CallExpr>(expr))
    error(expr.getAliasLoc(),
          "'as' names a layer with parameters (dense, batchnorm, layernorm) "
          "or a block instance, not an expression");
  Value v;
  v.loc = expr.getLoc();
  switch (expr.getKind()) {
  case Expr::Kind::Number:
    v.kind = Value::Kind::Number;
    v.number = cast<NumberExpr>(expr).getValue();
    return v;
  case Expr::Kind::String:
    v.kind = Value::Kind::String;
    v.str = cast<StringExpr>(expr).getValue();
    return v;
  case Expr::Kind::List:
    v.kind = Value::Kind::List;
    for (const ExprPtr &e : cast<ListExpr>(expr).getElements())
      v.elements.push_back(eval(*e, scope));
    return v;
  case Expr::Kind::Ident:
    return evalIdent(cast<IdentExpr>(expr), scope);
  case Expr::Kind::Call:
    return evalCall(cast<CallExpr>(expr), scope);
  case Expr::Kind::Binary:
    return evalBinary(cast<BinaryExpr>(expr), scope);
  case Expr::Kind::Neg:
    return evalNeg(cast<NegExpr>(expr), scope);
  }
  return v;
}

Value Sema::evalIdent(const IdentExpr &expr, Scope &scope) {
  const std::string &name = expr.getName();
  if (!scope.constantsOnly) {
    auto it = scope.vars.find(name);
    if (it != scope.vars.end()) {
      Value v = it->second.value;
      v.loc = expr.getLoc();
      if (targetNode && v.kind == Value::Kind::Tensor &&
          v.node == *targetNode && !inLoss) {
        error(expr.getLoc(), "the target '" + name +
                                 "' can only be used in the loss");
        return Value::poison(expr.getLoc());
      }
      return v;
    }
  }
  if (name == "true" || name == "false") {
    Value v;
    v.kind = Value::Kind::Bool;
    v.boolean = name == "true";
    v.loc = expr.getLoc();
    return v;
  }
  if (is_contained(initNames(), name))
    return evalInit(nullptr, name, expr.getLoc(), scope);
  if (blocks.count(name) || findBuiltin(name) >= 0) {
    error(expr.getLoc(), "'" + name + "' is a function; apply it with '-> " +
                             name + "' or call it as '" + name + "(...)'");
    return Value::poison(expr.getLoc());
  }
  SmallVector<StringRef, 16> candidates{"true", "false"};
  append_range(candidates, initNames());
  if (!scope.constantsOnly)
    for (const auto &var : scope.vars)
      candidates.push_back(var.getKey());
  error(expr.getLoc(), "unknown name '" + name + "'" +
                           didYouMean(name, candidates));
  return Value::poison(expr.getLoc());
}

void Sema::reportUnknownFunction(StringRef name, const Location &loc,
                                 Scope &scope) {
  SmallVector<StringRef, 32> candidates(builtinNames().begin(),
                                        builtinNames().end());
  append_range(candidates, initNames());
  for (const auto &block : blocks)
    candidates.push_back(block.getKey());
  StringRef best = findClosest(name, candidates);
  int builtin = best.empty() ? -1 : findBuiltin(best);
  bool activation = builtin >= 0 && kBuiltins[builtin].isActivation;
  error(loc, std::string("unknown ") + (activation ? "activation" : "function") +
                 " '" + name.str() + "'" + didYouMean(name, candidates));
}

Value Sema::evalCall(const CallExpr &call, Scope &scope) {
  const std::string &name = call.getCallee();
  Location loc = call.getLoc();
  auto block = blocks.find(name);
  if (block != blocks.end())
    return callBlock(*block->second, call, scope);
  int builtin = findBuiltin(name);
  if (builtin >= 0)
    return evalBuiltin(call, unsigned(builtin), scope);
  if (call.hasAlias())
    error(call.getAliasLoc(), asMisuse(name));
  if (is_contained(initNames(), name))
    return evalInit(&call, name, loc, scope);
  if (is_contained(lossNames(), name))
    error(loc, "'" + name + "' is a loss; use it in the 'loss' statement");
  else if (is_contained(optimizerNames(), name))
    error(loc, "'" + name + "' is an optimizer; set it in the train section: "
                            "'optimizer = " + name + "(...)'");
  else if (is_contained(scheduleNames(), name))
    error(loc, "'" + name + "' is a learning-rate schedule; set it in the "
                            "train section: 'schedule = " + name + "(...)'");
  else if (!scope.constantsOnly && scope.vars.count(name))
    error(loc, "'" + name + "' is a variable, not a function");
  else
    reportUnknownFunction(name, loc, scope);
  // Still evaluate the arguments for their own errors.
  for (const Arg &arg : call.getArgs())
    eval(*arg.value, scope);
  return Value::poison(loc);
}

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

Value Sema::evalBinary(const BinaryExpr &expr, Scope &scope) {
  Value lhs = eval(expr.getLHS(), scope);
  Value rhs = eval(expr.getRHS(), scope);
  return binaryOp(expr.getOp(), std::move(lhs), std::move(rhs), expr.getLoc());
}

std::optional<std::vector<int64_t>>
Sema::broadcast(ArrayRef<int64_t> a, ArrayRef<int64_t> b, const Location &loc,
                char op) {
  size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> result(rank);
  for (size_t i = 1; i <= rank; ++i) {
    int64_t da = i <= a.size() ? a[a.size() - i] : 1;
    int64_t db = i <= b.size() ? b[b.size() - i] : 1;
    if (da != db && da != 1 && db != 1) {
      error(loc, "cannot broadcast shapes " + shapeStr(a) + " and " +
                     shapeStr(b) + " for '" + Twine(op) + "'");
      return std::nullopt;
    }
    result[rank - i] = da == 1 ? db : da;
  }
  return result;
}

Value Sema::binaryOp(char op, Value lhs, Value rhs, const Location &loc) {
  if (lhs.isPoison() || rhs.isPoison())
    return Value::poison(loc);
  for (const Value *v : {&lhs, &rhs}) {
    if (v->kind != Value::Kind::Tensor && v->kind != Value::Kind::Number) {
      error(v->loc, "cannot apply '" + Twine(op) + "' to " +
                        describeValue(*v, *this));
      return Value::poison(loc);
    }
  }
  if (op == '@') {
    std::optional<unsigned> a = asTensor(lhs, "the left operand of '@'");
    std::optional<unsigned> b = asTensor(rhs, "the right operand of '@'");
    if (!a || !b)
      return Value::poison(loc);
    const std::vector<int64_t> &sa = shapeOf(*a), &sb = shapeOf(*b);
    if (sa.size() != 2 || sb.size() != 2) {
      error(loc, "matmul needs two rank-2 tensors, got " + shapeStr(sa) +
                     " and " + shapeStr(sb));
      return Value::poison(loc);
    }
    if (sa[1] != sb[0]) {
      error(loc, "matmul shapes do not match: " + shapeStr(sa) + " @ " +
                     shapeStr(sb) + " (" + std::to_string(sa[1]) + " != " +
                     std::to_string(sb[0]) + ")");
      return Value::poison(loc);
    }
    Node n;
    n.kind = OpKind::MatMul;
    n.loc = sourceLoc(loc);
    n.shape = {sa[0], sb[1]};
    n.operands = {*a, *b};
    Value v;
    v.kind = Value::Kind::Tensor;
    v.node = addNode(std::move(n));
    v.loc = loc;
    return v;
  }
  if (lhs.kind == Value::Kind::Number && rhs.kind == Value::Kind::Number) {
    Value v = lhs;
    v.loc = loc;
    switch (op) {
    case '+': v.number = lhs.number + rhs.number; break;
    case '-': v.number = lhs.number - rhs.number; break;
    case '*': v.number = lhs.number * rhs.number; break;
    default:
      if (rhs.number == 0) {
        error(loc, "division by zero");
        return Value::poison(loc);
      }
      v.number = lhs.number / rhs.number;
    }
    return v;
  }
  // A number next to a tensor becomes a scalar Constant node.
  unsigned operands[2];
  Value *values[2] = {&lhs, &rhs};
  for (int i = 0; i < 2; ++i) {
    if (values[i]->kind == Value::Kind::Tensor) {
      operands[i] = values[i]->node;
      continue;
    }
    Node c;
    c.kind = OpKind::Constant;
    c.loc = sourceLoc(values[i]->loc);
    c.value = values[i]->number;
    operands[i] = addNode(std::move(c));
  }
  auto shape = broadcast(shapeOf(operands[0]), shapeOf(operands[1]), loc, op);
  if (!shape)
    return Value::poison(loc);
  Node n;
  n.kind = op == '+'   ? OpKind::Add
           : op == '-' ? OpKind::Sub
           : op == '*' ? OpKind::Mul
                       : OpKind::Div;
  n.loc = sourceLoc(loc);
  n.shape = std::move(*shape);
  n.operands = {operands[0], operands[1]};
  Value v;
  v.kind = Value::Kind::Tensor;
  v.node = addNode(std::move(n));
  v.loc = loc;
  return v;
}

Value Sema::evalNeg(const NegExpr &expr, Scope &scope) {
  Value x = eval(expr.getOperand(), scope);
  if (x.kind == Value::Kind::Number) {
    x.number = -x.number;
    x.loc = expr.getLoc();
    return x;
  }
  if (x.isPoison())
    return Value::poison(expr.getLoc());
  std::optional<unsigned> t = asTensor(x, "the operand of unary '-'");
  if (!t)
    return Value::poison(expr.getLoc());
  Node n;
  n.kind = OpKind::Neg;
  n.loc = sourceLoc(expr.getLoc());
  n.shape = shapeOf(*t);
  n.operands = {*t};
  Value v;
  v.kind = Value::Kind::Tensor;
  v.node = addNode(std::move(n));
  v.loc = expr.getLoc();
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

  std::optional<unsigned> x = asTensor(args.values[0], "the input of " + what);
  Node n;
  n.kind = b.op;
  n.loc = sourceLoc(loc);
  bool ok = true;
  auto param = [&](StringRef name) { return "'" + name.str() + "' of " + what; };
  switch (b.op) {
  case OpKind::LeakyRelu:
    if (auto alpha = realArg(args, 1, 0.01, param("alpha")))
      n.alpha = *alpha;
    else
      ok = false;
    break;
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
  Value v;
  v.kind = Value::Kind::Tensor;
  v.node = addNode(std::move(n));
  v.loc = loc;
  return v;
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
  Value v;
  v.kind = Value::Kind::Tensor;
  v.node = addNode(std::move(n));
  v.loc = loc;
  return v;
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
  add("gamma", InitKind::Ones, StateRole::Parameter);
  add("beta", InitKind::Zeros, StateRole::Parameter);
  if (batchNorm) {
    add("running_mean", InitKind::Zeros, StateRole::RunningMean);
    add("running_var", InitKind::Ones, StateRole::RunningVar);
  }
  Value v;
  v.kind = Value::Kind::Tensor;
  v.node = addNode(std::move(n));
  v.loc = loc;
  return v;
}

//===----------------------------------------------------------------------===//
// Blocks
//===----------------------------------------------------------------------===//

Value Sema::callBlock(const BlockDecl &block, const CallExpr &call,
                      Scope &scope) {
  Location loc = call.getLoc();
  const std::string &name = block.getName();
  usedBlocks[name] = true;
  for (const Frame &frame : callStack) {
    if (frame.block == &block) {
      error(loc, "block '" + name + "' calls itself; recursion is not allowed");
      return Value::poison(loc);
    }
  }
  // Each instance copies the block's graph: a chain of blocks that call
  // others twice grows exponentially, so stop at a size no network needs.
  if (model.nodes.size() > 100000) {
    if (!reportedTooLarge)
      error(loc, "the model is too large (over 100000 operations)");
    reportedTooLarge = true;
    return Value::poison(loc);
  }
  SmallVector<StringRef, 8> params;
  unsigned numRequired = 0;
  for (const BlockArg &arg : block.getArgs()) {
    params.push_back(arg.name);
    if (!arg.defaultValue)
      ++numRequired;
  }
  BoundArgs args;
  if (!bindArgs(call, params, numRequired, "block '" + name + "'", scope,
                args))
    return Value::poison(loc);
  std::string instance = nameInstance(scope, name, call);

  Scope inner;
  inner.path = scope.qualify(instance);
  callStack.push_back({&block, loc});
  for (unsigned i = 0; i < params.size(); ++i) {
    const BlockArg &arg = block.getArgs()[i];
    Value v;
    if (args.given(i)) {
      v = args.values[i];
    } else {
      Scope constants;
      constants.constantsOnly = true;
      v = eval(*arg.defaultValue, constants);
    }
    defineVariable(inner, arg.name, arg.loc, std::move(v), false);
  }
  Value result = Value::poison(loc);
  for (const DeclPtr &stmt : block.getBody()) {
    if (auto *param = dyn_cast<ParamDecl>(stmt.get()))
      declareParam(*param, inner);
    else if (auto *assign = dyn_cast<AssignDecl>(stmt.get()))
      defineVariable(inner, assign->getName(), assign->getLoc(),
                     eval(assign->getValue(), inner), false);
    else if (auto *ret = dyn_cast<ReturnDecl>(stmt.get()))
      result = eval(ret->getValue(), inner);
  }
  callStack.pop_back();
  result.loc = loc;
  return result;
}
