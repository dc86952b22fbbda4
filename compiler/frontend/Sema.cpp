//===- Sema.cpp - Checking a spec and elaborating it into kiln::Model -----===//
//
// The order of work: collect the declarations (reporting duplicates and
// missing ones), read the train section first (the batch size is part of
// every tensor's shape), declare the input and target, elaborate the network
// statements in source order, then the loss, the data section and the checks
// that span sections. Last, the graph is pruned to what the loss needs.
//
//===----------------------------------------------------------------------===//

#include "Sema.h"
#include "kiln/Frontend/Frontend.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Casting.h"
#include "llvm/Support/thread.h"

using namespace kiln;
using namespace kiln::ast;
using namespace kiln::sema;
using namespace llvm;

void Sema::error(const Location &loc, const Twine &msg) {
  if (!diag.error(loc.loc, msg))
    return;
  for (const Frame &frame : reverse(callStack))
    diag.note(frame.callLoc.loc,
              "in block '" + frame.block->getName() + "' instantiated here");
}

void Sema::note(const Location &loc, const Twine &msg) {
  diag.note(loc.loc, msg);
}

unsigned Sema::addNode(Node node) {
  model.nodes.push_back(std::move(node));
  return unsigned(model.nodes.size() - 1);
}

Value Sema::addTensor(Node node, const Location &loc) {
  Value v;
  v.kind = Value::Kind::Tensor;
  v.node = addNode(std::move(node));
  v.loc = loc;
  return v;
}

unsigned Sema::addState(StateTensor state) {
  // Scopes keep layer names unique, so a clash here means two paths spell
  // the same name; report it rather than emit an ambiguous checkpoint.
  if (!stateNames.insert(state.name).second)
    diag.error(SMLoc(), "duplicate state name '" + state.name + "'");
  model.states.push_back(std::move(state));
  return unsigned(model.states.size() - 1);
}

void Sema::defineVariable(Scope &scope, const std::string &name,
                          const Location &loc, Value value, bool topLevel) {
  Variable var{std::move(value), loc, topLevel};
  auto [it, inserted] = scope.vars.try_emplace(name, std::move(var));
  if (inserted)
    return;
  error(loc, "'" + name + "' is already defined");
  note(it->second.loc, "previous definition is here");
}

std::string Sema::nameInstance(Scope &scope, StringRef kind,
                               const Expr &call) {
  unsigned index = scope.counters[kind]++;
  bool named = call.hasAlias();
  std::string name =
      named ? call.getAlias() : (kind + Twine(index)).str();
  Location loc = named ? call.getAliasLoc() : call.getLoc();
  auto [it, inserted] = scope.layerNames.try_emplace(name, loc);
  if (inserted)
    return name;
  if (named)
    error(loc, "duplicate name '" + scope.qualify(name) + "'");
  else
    error(loc, "the automatic name '" + scope.qualify(name) +
                   "' of this layer is already taken; name it with 'as'");
  note(it->second, "'" + name + "' is first used here");
  // Keep elaborating with a name no spec can spell; the error already
  // guarantees that no Model is returned.
  return name + "#" + std::to_string(index);
}

void Sema::declareParam(const ParamDecl &decl, Scope &scope) {
  const std::string &name = decl.getName();
  Location loc = decl.getLoc();
  std::string what = "param '" + name + "'";
  std::optional<std::vector<int64_t>> shape =
      evalShape(decl.getShape(), scope, "the shape of " + what);
  if (shape && shape->size() > 2) {
    error(decl.getShape().getLoc(),
          what + " has rank " + std::to_string(shape->size()) +
              "; params have rank 0, 1 or 2");
    shape.reset();
  }
  std::optional<InitSpec> init;
  if (decl.getInit())
    init = asInit(eval(*decl.getInit(), scope), "the initializer of " + what);
  else if (shape)
    init = InitSpec{shape->size() < 2 ? InitKind::Zeros : InitKind::XavierUniform,
                    0, 0};
  auto [it, inserted] = scope.layerNames.try_emplace(name, loc);
  if (!inserted) {
    error(loc, "duplicate name '" + scope.qualify(name) + "'");
    note(it->second, "'" + name + "' is first used here");
  }
  Value v = Value::poison(loc);
  if (shape && init && inserted) {
    StateTensor s;
    s.name = scope.qualify(name);
    s.shape = *shape;
    s.init = *init;
    // Used as `x @ w` with w = [in, out]; a vector is its own fan.
    s.fanIn = shape->empty() ? 1 : (*shape)[0];
    s.fanOut = shape->empty() ? 1 : shape->size() == 2 ? (*shape)[1]
                                                       : (*shape)[0];
    s.loc = sourceLoc(loc);
    Node n;
    n.kind = OpKind::Load;
    n.loc = sourceLoc(loc);
    n.shape = *shape;
    n.states = {addState(std::move(s))};
    v = addTensor(std::move(n), loc);
  }
  defineVariable(scope, name, loc, std::move(v), scope.path.empty());
}

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

void Sema::collectDecls() {
  auto duplicate = [&](const Location &loc, const Twine &what,
                       const Location &previous) {
    error(loc, what);
    note(previous, "previous definition is here");
  };
  for (const DeclPtr &decl : module.getDecls()) {
    if (auto *d = dyn_cast<InputDecl>(decl.get())) {
      if (inputDecl)
        duplicate(d->getLoc(), "a model has one input; '" +
                                   inputDecl->getName() +
                                   "' is already declared",
                  inputDecl->getLoc());
      else
        inputDecl = d;
    } else if (auto *d = dyn_cast<TargetDecl>(decl.get())) {
      if (targetDecl)
        duplicate(d->getLoc(), "a model has one target; '" +
                                   targetDecl->getName() +
                                   "' is already declared",
                  targetDecl->getLoc());
      else
        targetDecl = d;
    } else if (auto *d = dyn_cast<LossDecl>(decl.get())) {
      if (lossDecl)
        duplicate(d->getLoc(), "a model has one 'loss' statement",
                  lossDecl->getLoc());
      else
        lossDecl = d;
    } else if (auto *d = dyn_cast<SectionDecl>(decl.get())) {
      const SectionDecl *&slot =
          d->getSection() == SectionDecl::Section::Train ? trainDecl : dataDecl;
      if (slot)
        duplicate(d->getLoc(),
                  "duplicate '" + d->getSectionName() + "' section",
                  slot->getLoc());
      else
        slot = d;
    } else if (auto *d = dyn_cast<BlockDecl>(decl.get())) {
      const std::string &name = d->getName();
      auto [it, inserted] = blocks.try_emplace(name, d);
      if (!inserted)
        duplicate(d->getLoc(), "block '" + name + "' is already defined",
                  it->second->getLoc());
      else if (is_contained(builtinNames(), name) ||
               is_contained(initNames(), name))
        error(d->getLoc(),
              "block '" + name + "' has the name of a builtin function");
    }
  }
  Location at = module.getNameLoc();
  if (!inputDecl)
    error(at, "model '" + module.getName() +
                  "' has no input; declare one, e.g. 'input x: [16]'");
  if (!targetDecl)
    error(at, "model '" + module.getName() +
                  "' has no target; declare one, e.g. 'target y: class(10)'");
  if (!lossDecl)
    error(at, "model '" + module.getName() +
                  "' has no loss; add one, e.g. 'loss cross_entropy(logits, y)'");
}

void Sema::checkBlockSignatures() {
  for (const auto &entry : blocks) {
    const BlockDecl &block = *entry.second;
    StringMap<Location> seen;
    for (const BlockArg &arg : block.getArgs()) {
      auto [it, inserted] = seen.try_emplace(arg.name, arg.loc);
      if (!inserted) {
        error(arg.loc, "block '" + block.getName() + "' has two arguments "
                                                     "named '" +
                           arg.name + "'");
        note(it->second, "previous definition is here");
      }
    }
  }
}

void Sema::declareInputAndTarget() {
  if (inputDecl) {
    const std::string &name = inputDecl->getName();
    std::optional<std::vector<int64_t>> shape = evalShape(
        inputDecl->getShape(), top, "the shape of input '" + name + "'");
    if (shape && shape->size() != 1) {
      error(inputDecl->getShape().getLoc(),
            "input '" + name + "' must have rank 1 ([features]; the batch "
            "dimension is implicit), got " + shapeStr(*shape));
      shape.reset();
    }
    Value v = Value::poison(inputDecl->getLoc());
    if (shape) {
      model.input = {name, (*shape)[0], sourceLoc(inputDecl->getLoc())};
      Node n;
      n.kind = OpKind::Input;
      n.loc = model.input.loc;
      n.shape = {batch, (*shape)[0]};
      v = addTensor(std::move(n), inputDecl->getLoc());
      inputNode = v.node;
    }
    defineVariable(top, name, inputDecl->getLoc(), std::move(v), false);
  }
  if (targetDecl) {
    const std::string &name = targetDecl->getName();
    TargetKind kind = targetDecl->getTargetKind();
    int64_t size = targetDecl->hasSize() ? targetDecl->getSize() : 1;
    bool ok = true;
    if (kind == TargetKind::Class)
      ok = checkRange(double(size), targetDecl->getSizeLoc(),
                      "the number of classes", 2, Bound::Closed);
    else if (targetDecl->hasSize())
      ok = checkRange(double(size), targetDecl->getSizeLoc(),
                      "the number of target columns", 1, Bound::Closed);
    Value v = Value::poison(targetDecl->getLoc());
    if (ok) {
      model.target = {name, kind, size, sourceLoc(targetDecl->getLoc())};
      Node n;
      n.kind = OpKind::Target;
      n.loc = model.target.loc;
      n.shape = kind == TargetKind::Class ? std::vector<int64_t>{batch}
                                          : std::vector<int64_t>{batch, size};
      v = addTensor(std::move(n), targetDecl->getLoc());
      targetNode = v.node;
    }
    defineVariable(top, name, targetDecl->getLoc(), std::move(v), false);
  }
}

//===----------------------------------------------------------------------===//
// Loss
//===----------------------------------------------------------------------===//

namespace {

/// The type a loss needs, e.g. `class(N)`.
std::string targetKindText(TargetKind kind) {
  StringRef name = targetTypeName(kind);
  if (kind == TargetKind::Class)
    return (name + "(N)").str();
  if (kind == TargetKind::Binary)
    return name.str();
  return (name + "(K)").str();
}

/// The declared type as written, e.g. `class(10)` or `real(3)`.
std::string declaredTarget(const Target &t) {
  if (t.kind == TargetKind::Binary)
    return targetTypeName(t.kind).str();
  return (targetTypeName(t.kind) + "(" + Twine(t.size) + ")").str();
}

} // namespace

void Sema::checkLoss(const LossDecl &decl) {
  // The last parameter but cross-entropy's is the reduction (a name).
  static const StringRef kCE[] = {"logits", "target", "label_smoothing"};
  static const StringRef kBCE[] = {"prediction", "target", "from_logits",
                                   "reduction"};
  static const StringRef kReg[] = {"prediction", "target", "reduction"};
  static const StringRef kHuber[] = {"prediction", "target", "delta",
                                     "reduction"};
  static const StringRef kReductions[] = {"mean", "sum"};
  const CallExpr &call = decl.getCall();
  const std::string &name = call.getCallee();
  Location loc = call.getLoc();
  ArrayRef<StringRef> params;
  Loss &loss = model.loss;
  loss.loc = sourceLoc(loc);
  TargetKind needs;
  if (name == "cross_entropy") {
    loss.kind = LossKind::CrossEntropy;
    params = kCE;
    needs = TargetKind::Class;
  } else if (name == "bce" || name == "multilabel_bce") {
    loss.kind = name == "bce" ? LossKind::BCE : LossKind::MultiLabelBCE;
    loss.reduction = LossReduction::Sum; // the lecture's
    params = kBCE;
    needs = name == "bce" ? TargetKind::Binary : TargetKind::MultiLabel;
  } else if (name == "mse" || name == "mae") {
    loss.kind = name == "mse" ? LossKind::MSE : LossKind::MAE;
    params = kReg;
    needs = TargetKind::Real;
  } else if (name == "huber") {
    loss.kind = LossKind::Huber;
    params = kHuber;
    needs = TargetKind::Real;
  } else if (auto block = blocks.find(name); block != blocks.end()) {
    checkExpressionLoss(call, *block->second);
    return;
  } else {
    error(loc, "unknown loss '" + name + "'" + didYouMean(name, lossNames()) +
                   " (" + join(lossNames(), ", ") + ")");
    return;
  }
  lossKindKnown = true;
  std::string what = "'" + name + "'";
  // The target argument is the one place where the target may be named;
  // evaluate it apart from the prediction, which must not read it.
  BoundArgs args;
  unsigned reductionSlot = params.size() - 1;
  bool hasReduction = loss.kind != LossKind::CrossEntropy;
  uint64_t raw = 2 | (hasReduction ? uint64_t(1) << reductionSlot : 0);
  bool bound = bindArgs(call, params, 2, what, top, args, raw);
  if (args.given(1)) {
    inLoss = true;
    args.values[1] = eval(*args.exprs[1], top);
    inLoss = false;
  }
  if (!bound)
    return;
  bool ok = true;
  if (hasReduction && args.given(reductionSlot)) {
    auto r = asName(*args.exprs[reductionSlot], kReductions, "reduction");
    ok &= r.has_value();
    if (r)
      loss.reduction = *r == "sum" ? LossReduction::Sum : LossReduction::Mean;
  }
  if (loss.kind == LossKind::CrossEntropy) {
    auto ls = realArg(args, 2, 0.0, "'label_smoothing' of " + what);
    ok &= ls && checkRange(*ls, args.values[2].loc,
                           "'label_smoothing' of " + what, 0, Bound::Closed,
                           1, Bound::Open);
    loss.labelSmoothing = ls.value_or(0.0);
  } else if (loss.kind == LossKind::BCE ||
             loss.kind == LossKind::MultiLabelBCE) {
    auto fromLogits = boolArg(args, 2, false, "'from_logits' of " + what);
    ok &= fromLogits.has_value();
    loss.fromLogits = fromLogits.value_or(false);
  } else if (loss.kind == LossKind::Huber) {
    auto delta = realArg(args, 2, 1.0, "'delta' of " + what);
    ok &= delta && checkRange(*delta, args.values[2].loc, "'delta' of " + what,
                              0, Bound::Open);
    loss.delta = delta.value_or(1.0);
  }
  std::optional<unsigned> pred =
      asTensor(args.values[0], "the prediction of " + what);
  const Value &t = args.values[1];
  if (!t.isPoison() && targetNode &&
      !(t.kind == Value::Kind::Tensor && t.node == *targetNode)) {
    error(t.loc, "the second argument of " + what + " must be the target '" +
                     targetDecl->getName() + "'");
    ok = false;
  }
  if (!targetNode || !pred || !ok)
    return;
  if (model.target.kind != needs) {
    error(loc, what + " needs a " + targetKindText(needs) + " target, but '" +
                   model.target.name + "' is " + declaredTarget(model.target));
    note(targetDecl->getLoc(), "the target is declared here");
    return;
  }
  // Class labels are [B]; the prediction is one logit per class.
  int64_t width = model.target.kind == TargetKind::Binary ? 1
                                                          : model.target.size;
  std::vector<int64_t> expected = {batch, width};
  if (shapeOf(*pred) != expected) {
    error(args.values[0].loc,
          "the prediction of " + what + " must have shape " +
              shapeStr(expected) + " ([batch, " +
              (needs == TargetKind::Class ? "classes" : "target columns") +
              "]), got " + shapeStr(shapeOf(*pred)));
    return;
  }
  loss.prediction = *pred;
  loss.target = *targetNode;
  haveLoss = true;
}

void Sema::checkExpressionLoss(const CallExpr &call, const BlockDecl &block) {
  Loss &loss = model.loss;
  loss.kind = LossKind::Expression;
  lossKindKnown = true;
  Location loc = call.getLoc();
  std::string what = "the loss block '" + block.getName() + "'";
  if (block.getArgs().size() < 2) {
    error(loc, what + " must take the prediction and the target first");
    return;
  }
  // The block sees the target through its second parameter; the
  // prediction must not read it (checked below).
  SmallVector<Value, 4> bound;
  inLoss = true;
  Value result = callBlock(block, call, top, &bound);
  inLoss = false;
  if (result.isPoison() || bound.size() < 2 || !targetNode)
    return;
  std::optional<unsigned> pred = asTensor(bound[0], "the prediction of " + what);
  if (!pred)
    return;
  if (!(bound[1].kind == Value::Kind::Tensor && bound[1].node == *targetNode)) {
    error(bound[1].loc, "the second argument of " + what +
                            " must be the target '" + targetDecl->getName() +
                            "'");
    return;
  }
  if (dependsOn(*pred, {targetNode})) {
    error(bound[0].loc, "the prediction of " + what + " reads the target '" +
                            targetDecl->getName() + "'");
    return;
  }
  std::vector<int64_t> predShape = shapeOf(*pred);
  if (predShape.size() != 2 || predShape[0] != batch) {
    error(bound[0].loc, "the prediction of " + what + " must have shape [" +
                            std::to_string(batch) + ", outputs], got " +
                            shapeStr(predShape));
    return;
  }
  // The loss is the mean over the rows of a per-row loss: evaluation
  // reports that per-row loss, like the builtin losses'.
  std::optional<unsigned> value = asTensor(result, "the result of " + what);
  if (!value)
    return;
  // Constant factors and negations outside the mean apply to each row's
  // loss: -mean(l) is mean(-l).
  std::vector<Node> scalings;
  for (;;) {
    const Node &n = model.nodes[*value];
    auto isConstant = [&](unsigned i) {
      return model.nodes[n.operands[i]].kind == OpKind::Constant;
    };
    if (!n.shape.empty())
      break;
    if (n.kind == OpKind::Neg) {
      scalings.push_back(n);
      value = n.operands[0];
    } else if ((n.kind == OpKind::Mul || n.kind == OpKind::Div) &&
               isConstant(1)) {
      scalings.push_back(n);
      value = n.operands[0];
    } else if (n.kind == OpKind::Mul && isConstant(0)) {
      scalings.push_back(n);
      std::swap(scalings.back().operands[0], scalings.back().operands[1]);
      value = n.operands[1];
    } else {
      break;
    }
  }
  const Node mean = model.nodes[*value]; // a copy: addNode may reallocate
  unsigned perSample = 0;
  bool overRows = false;
  if (mean.kind == OpKind::Mean && mean.shape.empty()) {
    unsigned input = mean.operands[0];
    std::vector<int64_t> shape = model.nodes[input].shape;
    bool batchLeads = !shape.empty() && shape[0] == batch &&
                      dependsOnRows(input) &&
                      (!mean.axis || *mean.axis == 0);
    if (batchLeads && (shape.size() == 1 || !mean.axis)) {
      // The mean over all elements is the mean over the rows of each
      // row's mean: one mean per row over the other axes, innermost first.
      perSample = input;
      for (size_t axis = shape.size() - 1; axis >= 1; --axis) {
        Node n;
        n.kind = OpKind::Mean;
        n.loc = mean.loc;
        n.axis = int64_t(axis);
        n.shape.assign(shape.begin(), shape.begin() + axis);
        n.operands = {perSample};
        perSample = addNode(std::move(n));
      }
      // The scalings, innermost first, on each row's loss.
      for (Node &scale : llvm::reverse(scalings)) {
        scale.shape = {batch};
        scale.operands[0] = perSample;
        perSample = addNode(std::move(scale));
      }
      overRows = true;
    }
  }
  if (!overRows) {
    error(loc, what + " must return the mean over the batch of a loss per "
                      "row (negated or scaled by constants, if need be): "
                      "'mean(l)' of a [batch] or [batch, ...] tensor, or "
                      "'mean(l, axis = 0)' of a [batch] one, got " +
                      (shapeOf(*value).empty()
                           ? std::string("a scalar computed otherwise")
                           : "shape " + shapeStr(shapeOf(*value))));
    return;
  }
  // A loss that ignores the prediction trains nothing.
  if (!dependsOn(perSample, {pred})) {
    error(loc, what + " does not depend on its prediction (the first "
                      "argument)");
    return;
  }
  loss.prediction = *pred;
  loss.target = *targetNode;
  loss.perSample = perSample;
  loss.loc = sourceLoc(loc);
  haveLoss = true;
}

//===----------------------------------------------------------------------===//
// Pruning
//===----------------------------------------------------------------------===//

/// Keeps the nodes the loss depends on (and the input, which the compiled
/// functions always take), in order, and the states those nodes use.
void Sema::prune() {
  std::vector<bool> live(model.nodes.size(), false);
  live[model.loss.prediction] = live[model.loss.target] = true;
  if (model.loss.kind == LossKind::Expression)
    live[model.loss.perSample] = true;
  if (inputNode)
    live[*inputNode] = true;
  for (size_t i = model.nodes.size(); i-- > 0;)
    if (live[i])
      for (unsigned op : model.nodes[i].operands)
        live[op] = true;

  std::vector<unsigned> nodeId(model.nodes.size()), stateId(model.states.size());
  std::vector<bool> liveState(model.states.size(), false);
  std::vector<Node> nodes;
  for (size_t i = 0; i < model.nodes.size(); ++i) {
    if (!live[i])
      continue;
    nodeId[i] = unsigned(nodes.size());
    nodes.push_back(std::move(model.nodes[i]));
    for (unsigned &op : nodes.back().operands)
      op = nodeId[op];
    for (unsigned s : nodes.back().states)
      liveState[s] = true;
  }
  std::vector<StateTensor> states;
  for (size_t i = 0; i < model.states.size(); ++i) {
    if (!liveState[i])
      continue;
    stateId[i] = unsigned(states.size());
    states.push_back(std::move(model.states[i]));
  }
  for (Node &n : nodes)
    for (unsigned &s : n.states)
      s = stateId[s];

  // Top-level values that the loss does not use are dropped; say so.
  for (const DeclPtr &decl : module.getDecls()) {
    std::string name;
    if (auto *a = dyn_cast<AssignDecl>(decl.get()))
      name = a->getName();
    else if (auto *p = dyn_cast<ParamDecl>(decl.get()))
      name = p->getName();
    auto it = top.vars.find(name);
    if (name.empty() || it == top.vars.end() || !it->second.topLevelAssign ||
        it->second.value.kind != Value::Kind::Tensor)
      continue;
    if (!live[it->second.value.node])
      diag.warning(decl->getLoc().loc,
                   "'" + name + "' is not used by the loss and is dropped");
  }
  for (const auto &entry : blocks)
    if (!usedBlocks.count(entry.getKey()))
      diag.warning(entry.second->getLoc().loc,
                   "block '" + entry.getKey() + "' is never used");
  if (inputNode) {
    bool used = false;
    for (const Node &n : nodes)
      used |= is_contained(n.operands, nodeId[*inputNode]);
    if (!used)
      diag.warning(inputDecl->getLoc().loc,
                   "the prediction does not depend on input '" +
                       inputDecl->getName() + "'");
  }

  model.loss.prediction = nodeId[model.loss.prediction];
  model.loss.target = nodeId[model.loss.target];
  if (model.loss.kind == LossKind::Expression)
    model.loss.perSample = nodeId[model.loss.perSample];
  model.nodes = std::move(nodes);
  model.states = std::move(states);
}

std::optional<Model> Sema::run() {
  unsigned errorsBefore = diag.getNumErrors();
  model.name = module.getName();
  model.file = module.getFile();
  collectDecls();
  checkBlockSignatures();
  if (trainDecl)
    checkTrain(*trainDecl);
  if (predictRows)
    model.training.batchSize = *predictRows;
  batch = model.training.batchSize;
  declareInputAndTarget();
  for (const DeclPtr &decl : module.getDecls()) {
    if (auto *p = dyn_cast<ParamDecl>(decl.get()))
      declareParam(*p, top);
    else if (auto *a = dyn_cast<AssignDecl>(decl.get()))
      defineVariable(top, a->getName(), a->getLoc(), eval(a->getValue(), top),
                     true);
  }
  if (lossDecl)
    checkLoss(*lossDecl);
  if (dataDecl)
    checkData(*dataDecl);
  checkMonitorAndColumns();
  if (diag.getNumErrors() != errorsBefore || !haveLoss)
    return std::nullopt;
  prune();
  return std::move(model);
}

std::optional<Model> kiln::checkSpec(const ast::Module &module,
                                     DiagnosticEngine &diag,
                                     std::optional<int64_t> predictRows) {
  // Sema recurses once per level of nesting, a few KiB a level, and its
  // limits allow some MiB of that (more in sanitizer builds). A stack of its
  // own keeps that from depending on the caller's: a thread's, or a small
  // `ulimit -s`. Untouched pages of it cost nothing.
  constexpr unsigned kStackSize = 64 << 20;
  std::optional<Model> model;
  llvm::thread worker(std::optional<unsigned>(kStackSize), [&] {
    Sema sema(module, diag);
    sema.predictRows = predictRows;
    diag.setSorted(true);
    model = sema.run();
    diag.setSorted(false);
  });
  worker.join();
  return model;
}
