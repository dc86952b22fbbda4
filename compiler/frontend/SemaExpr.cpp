//===- SemaExpr.cpp - Values, arguments, expressions and block instances --===//

#include "Sema.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Casting.h"

#include <cfloat>
#include <cmath>
#include <cstdio>

using namespace kiln;
using namespace kiln::ast;
using namespace kiln::sema;
using namespace llvm;

namespace {

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

/// Instances of blocks inside one another. Each is a few frames of Sema's
/// recursion; no real network nests blocks nearly this deep.
constexpr unsigned kMaxBlockNesting = 256;

/// Nested eval calls, over all the expressions and block instances in
/// progress. The parser bounds each expression's nesting (to 256 levels),
/// and the block limit bounds the instances, but not both at once; this
/// bounds Sema's stack whatever the mix (a few KiB per level).
constexpr unsigned kMaxEvalDepth = 1024;

/// The operand through which a chain goes on: the left operand of `a + b`,
/// the piped value of `e -> f`. Such chains can be thousands of links long.
const Expr *chainOperand(const Expr &e) {
  if (auto *binary = dyn_cast<BinaryExpr>(&e))
    return &binary->getLHS();
  if (auto *call = dyn_cast<CallExpr>(&e); call && call->isPiped())
    return call->getArgs()[0].value.get();
  return nullptr;
}

/// Where an expression starts: `x` in `x -> dense(3)` or `x + 1`. Argument
/// diagnostics point there rather than at the last operator.
const Location &startLoc(const Expr &e) {
  const Expr *start = &e;
  while (const Expr *operand = chainOperand(*start))
    start = operand;
  return start->getLoc();
}

} // namespace

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

void Sema::errorTooDeep(const Location &loc, const Twine &msg) {
  // Sema::error would add a note for each of up to kMaxBlockNesting
  // instances; the outermost one is enough to find the chain.
  if (diag.error(loc.loc, msg) && !callStack.empty())
    note(callStack.front().callLoc,
         "in block '" + callStack.front().block->getName() +
             "' instantiated here, and " + Twine(callStack.size() - 1) +
             " more instances inside it");
}

Value Sema::eval(const Expr &expr, Scope &scope) {
  auto known = chainValues.find(&expr);
  if (known != chainValues.end()) {
    Value v = std::move(known->second);
    chainValues.erase(known);
    return v;
  }
  if (evalDepth >= kMaxEvalDepth) {
    errorTooDeep(expr.getLoc(),
                 "expression nested too deeply (more than " +
                     Twine(kMaxEvalDepth) +
                     " levels, counting the blocks it instantiates)");
    return Value::poison(expr.getLoc());
  }
  ++evalDepth;
  // Evaluating a chain recursively would take stack in proportion to its
  // length. Instead, evaluate its links from the innermost outwards, in the
  // order the recursion would; each link then finds its operand's value in
  // chainValues instead of recursing.
  SmallVector<const Expr *, 8> chain;
  for (const Expr *e = chainOperand(expr); e; e = chainOperand(*e))
    chain.push_back(e);
  const Expr *previous = nullptr;
  for (const Expr *link : reverse(chain)) {
    Value v = evalNode(*link, scope);
    // A link that stopped before its operand (a recursive block call) left
    // it here; it must not be found by a later instance of the same block.
    if (previous)
      chainValues.erase(previous);
    chainValues[link] = std::move(v);
    previous = link;
  }
  Value v = evalNode(expr, scope);
  if (previous)
    chainValues.erase(previous);
  --evalDepth;
  return v;
}

Value Sema::evalNode(const Expr &expr, Scope &scope) {
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
  bool activation = !best.empty() && isActivation(best);
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
    return addTensor(std::move(n), loc);
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
    // Literals are finite (the lexer checks), so only folding can overflow;
    // an infinite learning rate would pass every `> 0` check downstream.
    if (!std::isfinite(v.number)) {
      error(loc, "'" + formatNumber(lhs.number) + " " + Twine(op) + " " +
                     formatNumber(rhs.number) +
                     "' overflows: a number must be finite");
      return Value::poison(loc);
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
    // Tensors are float32: a larger constant would be infinite in the model.
    if (std::fabs(values[i]->number) > double(FLT_MAX)) {
      error(values[i]->loc, "the constant " +
                                formatNumber(values[i]->number) +
                                " is out of range for a float32 tensor");
      return Value::poison(loc);
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
  return addTensor(std::move(n), loc);
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
  return addTensor(std::move(n), expr.getLoc());
}

//===----------------------------------------------------------------------===//
// Blocks
//===----------------------------------------------------------------------===//

Value Sema::callBlock(const BlockDecl &block, const CallExpr &call,
                      Scope &scope, SmallVectorImpl<Value> *bound) {
  Location loc = call.getLoc();
  const std::string &name = block.getName();
  usedBlocks[name] = true;
  for (const Frame &frame : callStack) {
    if (frame.block == &block) {
      error(loc, "block '" + name + "' calls itself; recursion is not allowed");
      return Value::poison(loc);
    }
  }
  if (callStack.size() >= kMaxBlockNesting) {
    errorTooDeep(loc, "blocks nested too deeply (more than " +
                          Twine(kMaxBlockNesting) +
                          " block instances inside one another)");
    return Value::poison(loc);
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
      Scope constants(/*constantsOnly=*/true);
      v = eval(*arg.defaultValue, constants);
    }
    if (bound)
      bound->push_back(v);
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
