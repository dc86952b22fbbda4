//===- SemaSettings.cpp - The train and data sections ---------------------===//
//
// Settings are constants: their values are evaluated in a scope that sees no
// variables, so `lr = 2 * 1e-3` works and `lr = h` is an unknown name.
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

const StringRef kTrainSettings[] = {
    "optimizer", "schedule",       "warmup",     "weight_decay",
    "weight_decay_scope", "clip_norm", "batch_size", "epochs",
    "seed",      "early_stopping"};
const StringRef kDecayScopes[] = {"weights", "all"};
const StringRef kScheduleUnits[] = {"epoch", "step"};
const StringRef kDataSettings[] = {"train", "test", "target", "features",
                                   "val_split"};
const StringRef kMonitors[] = {"val_loss", "val_accuracy", "val_mse",
                               "val_mae", "val_r2"};

/// Reports a setting given twice; returns whether `s` is the first.
bool firstTime(Sema &sema, StringMap<Location> &seen, const Setting &s) {
  auto [it, inserted] = seen.try_emplace(s.name, s.loc);
  if (inserted)
    return true;
  sema.error(s.loc, "setting '" + s.name + "' is given twice");
  sema.note(it->second, "first given here");
  return false;
}

} // namespace

const Expr *Sema::settingValue(const Setting &s) {
  if (!s.isCall)
    return s.value.get();
  error(s.loc, "'" + s.name + "' is set with '=': write '" + s.name +
                   " = ...'");
  return nullptr;
}

const CallExpr *Sema::asChoice(const Setting &s, std::string &name,
                               const Location *&loc, const Twine &what) {
  name.clear();
  const Expr *value = settingValue(s);
  if (!value)
    return nullptr;
  loc = &value->getLoc();
  if (value->hasAlias()) {
    error(value->getAliasLoc(), "'as' cannot name " + what);
    return nullptr;
  }
  if (auto *ident = dyn_cast<IdentExpr>(value)) {
    name = ident->getName();
    return nullptr; // a bare name: `name` is set, there are no arguments
  }
  if (auto *call = dyn_cast<CallExpr>(value); call && !call->isPiped()) {
    name = call->getCallee();
    return call;
  }
  error(value->getLoc(), "expected " + what + " (a name, or a name with "
                                              "arguments)");
  return nullptr;
}

std::optional<StringRef> Sema::asName(const Expr &e, ArrayRef<StringRef> allowed,
                                      const Twine &what) {
  auto *ident = dyn_cast<IdentExpr>(&e);
  StringRef name = ident ? StringRef(ident->getName()) : StringRef();
  if (ident && !e.hasAlias() && is_contained(allowed, name))
    return name;
  error(e.getLoc(), "unknown " + what +
                        (ident ? " '" + name + "'" + didYouMean(name, allowed)
                               : std::string()) +
                        " (" + join(allowed, ", ") + ")");
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// train
//===----------------------------------------------------------------------===//

void Sema::checkTrain(const SectionDecl &section) {
  Training &t = model.training;
  StringMap<Location> seen;
  Scope constants(/*constantsOnly=*/true);
  const Setting *weightDecay = nullptr, *warmup = nullptr,
                *optimizer = nullptr;
  for (const Setting &s : section.getSettings()) {
    if (!firstTime(*this, seen, s))
      continue;
    std::string what = "'" + s.name + "'";
    if (s.name == "optimizer") {
      checkOptimizer(s);
      optimizer = &s;
    } else if (s.name == "schedule") {
      checkSchedule(s);
    } else if (s.name == "warmup") {
      warmup = &s; // after the schedule, whose unit it takes
    } else if (s.name == "early_stopping") {
      checkEarlyStopping(s);
    } else if (!is_contained(kTrainSettings, s.name)) {
      error(s.loc, "unknown train setting '" + s.name + "'" +
                       didYouMean(s.name, kTrainSettings) + " (" +
                       join(ArrayRef<StringRef>(kTrainSettings), ", ") + ")");
    } else if (s.name == "weight_decay_scope") {
      if (const Expr *e = settingValue(s))
        if (auto scope = asName(*e, kDecayScopes, "weight decay scope"))
          t.decayScope = *scope == "all" ? DecayScope::All : DecayScope::Weights;
    } else if (const Expr *e = settingValue(s)) {
      Value v = eval(*e, constants);
      if (s.name == "weight_decay" || s.name == "clip_norm") {
        bool decay = s.name == "weight_decay";
        if (auto x = asNumber(v, what);
            x && checkRange(*x, v.loc, what, 0,
                            decay ? Bound::Closed : Bound::Open))
          (decay ? t.weightDecay : t.clipNorm) = *x;
        if (decay)
          weightDecay = &s;
      } else if (s.name == "seed") {
        if (auto seed = asInt(v, what);
            seed && checkRange(double(*seed), v.loc, what, 0, Bound::Closed))
          t.seed = uint64_t(*seed);
      } else {
        int64_t &slot = s.name == "epochs" ? t.epochs : t.batchSize;
        if (auto n = asInt(v, what);
            n && checkRange(double(*n), v.loc, what, 1, Bound::Closed))
          slot = *n;
      }
    }
  }
  if (warmup)
    checkWarmup(*warmup);
  if (weightDecay && optimizer && t.weightDecay > 0 &&
      t.optimizer.kind == OptimizerKind::AdamW) {
    error(weightDecay->loc, "'weight_decay' adds lambda w to the gradient, "
                            "which adamw replaces by its decoupled decay: "
                            "write 'adamw(weight_decay = ...)'");
    note(optimizer->loc, "the optimizer is adamw here");
  }
  // A schedule that spans the run by default: its epochs after the warmup.
  Schedule &sched = t.schedule;
  if (sched.kind == ScheduleKind::Cosine && sched.tMax == 0)
    sched.tMax = std::max<int64_t>(1, t.epochs - sched.warmupIters);
}

void Sema::checkOptimizer(const Setting &s) {
  static const StringRef kLr[] = {"lr"};
  static const StringRef kMomentum[] = {"lr", "momentum"};
  static const StringRef kAdagrad[] = {"lr", "eps"};
  static const StringRef kRMSProp[] = {"lr", "rho", "eps"};
  static const StringRef kAdam[] = {"lr", "beta1", "beta2", "eps"};
  static const StringRef kAdamW[] = {"lr", "beta1", "beta2", "eps",
                                     "weight_decay"};
  std::string name;
  const Location *loc = nullptr;
  const CallExpr *call = asChoice(s, name, loc, "an optimizer");
  if (name.empty())
    return;
  Optimizer opt; // Model.h's defaults, then the optimizer's own
  opt.loc = sourceLoc(*loc);
  ArrayRef<StringRef> params;
  if (name == "sgd") {
    opt.kind = OptimizerKind::SGD;
    opt.lr = 0.01;
    params = kLr;
  } else if (name == "momentum" || name == "nesterov") {
    opt.kind = name == "momentum" ? OptimizerKind::Momentum
                                  : OptimizerKind::Nesterov;
    opt.lr = 0.01;
    params = kMomentum;
  } else if (name == "adagrad") {
    opt.kind = OptimizerKind::Adagrad;
    opt.lr = 0.01;
    opt.eps = 1e-10;
    params = kAdagrad;
  } else if (name == "rmsprop") {
    opt.kind = OptimizerKind::RMSProp;
    opt.lr = 0.01;
    params = kRMSProp;
  } else if (name == "adam") {
    opt.kind = OptimizerKind::Adam;
    params = kAdam;
  } else if (name == "adamw") {
    opt.kind = OptimizerKind::AdamW;
    params = kAdamW;
  } else {
    error(*loc, "unknown optimizer '" + name + "'" +
                    didYouMean(name, optimizerNames()) + " (" +
                    join(optimizerNames(), ", ") + ")");
    return;
  }
  opt.loc = sourceLoc(*loc);
  if (!call) {
    model.training.optimizer = opt;
    return;
  }
  Scope constants(/*constantsOnly=*/true);
  BoundArgs args;
  std::string what = "'" + name + "'";
  if (!bindArgs(*call, params, 0, what, constants, args))
    return;
  bool ok = true;
  for (unsigned i = 0; i < params.size(); ++i) {
    if (!args.given(i))
      continue;
    StringRef p = params[i];
    std::string argWhat = "'" + p.str() + "' of " + what;
    std::optional<double> v = asNumber(args.values[i], argWhat);
    const Location &at = args.values[i].loc;
    if (!v) {
      ok = false;
    } else if (p == "lr" || p == "eps") {
      ok &= checkRange(*v, at, argWhat, 0, Bound::Open);
      (p == "lr" ? opt.lr : opt.eps) = *v;
    } else if (p == "weight_decay") {
      ok &= checkRange(*v, at, argWhat, 0, Bound::Closed);
      opt.weightDecay = *v;
    } else {
      ok &= checkRange(*v, at, argWhat, 0, Bound::Closed, 1, Bound::Open);
      double &slot = p == "momentum" ? opt.momentum
                     : p == "rho"    ? opt.rho
                     : p == "beta1"  ? opt.beta1
                                     : opt.beta2;
      slot = *v;
    }
  }
  if (ok)
    model.training.optimizer = opt;
}

void Sema::checkSchedule(const Setting &s) {
  // Every schedule's parameters; the last is always `per` (a name).
  static const StringRef kConstant[] = {"per"};
  static const StringRef kStep[] = {"step_size", "gamma", "per"};
  static const StringRef kExp[] = {"gamma", "k", "per"};
  static const StringRef kLinear[] = {"iters", "end_factor", "start_factor",
                                      "per"};
  static const StringRef kCosine[] = {"t_max", "min_lr", "per"};
  std::string name;
  const Location *loc = nullptr;
  const CallExpr *call = asChoice(s, name, loc, "a schedule");
  if (name.empty())
    return;
  Schedule sched;
  sched.loc = sourceLoc(*loc);
  ArrayRef<StringRef> params;
  unsigned required = 0;
  if (name == "constant") {
    params = kConstant;
  } else if (name == "step_decay") {
    sched.kind = ScheduleKind::StepDecay;
    params = kStep;
    required = 1;
  } else if (name == "exponential_decay") {
    params = kExp;
  } else if (name == "linear_decay") {
    sched.kind = ScheduleKind::LinearDecay;
    params = kLinear;
    required = 1;
  } else if (name == "cosine") {
    sched.kind = ScheduleKind::Cosine;
    sched.tMax = 0; // the run's epochs after warmup, once known
    params = kCosine;
  } else {
    error(*loc, "unknown schedule '" + name + "'" +
                    didYouMean(name, scheduleNames()) + " (" +
                    join(scheduleNames(), ", ") + ")");
    return;
  }
  std::string what = "'" + name + "'";
  if (!call) {
    if (required || name == "exponential_decay") {
      error(*loc, what + " needs arguments: write '" + name +
                      (name == "step_decay"          ? "(step_size = N)'"
                       : name == "linear_decay"      ? "(iters = N)'"
                                                     : "(gamma = g)' or '" +
                                                      name + "(k = k)'"));
      return;
    }
    model.training.schedule = sched;
    return;
  }
  Scope constants(/*constantsOnly=*/true);
  BoundArgs args;
  unsigned perSlot = params.size() - 1;
  if (!bindArgs(*call, params, required, what, constants, args,
                /*rawSlots=*/uint64_t(1) << perSlot))
    return;
  bool ok = true;
  auto arg = [&](unsigned i) { return "'" + params[i].str() + "' of " + what; };
  // A positive count, or a real within bounds, into `slot` when given.
  auto count = [&](unsigned i, int64_t &slot) {
    if (!args.given(i))
      return;
    auto n = intArg(args, i, slot, arg(i));
    ok &= n && checkRange(double(*n), args.values[i].loc, arg(i), 1,
                          Bound::Closed);
    slot = n.value_or(slot);
  };
  auto real = [&](unsigned i, double &slot, double lo, Bound loBound,
                  double hi = 0, Bound hiBound = Bound::None) {
    if (!args.given(i))
      return;
    auto x = realArg(args, i, slot, arg(i));
    ok &= x && checkRange(*x, args.values[i].loc, arg(i), lo, loBound, hi,
                          hiBound);
    slot = x.value_or(slot);
  };
  if (args.given(perSlot)) {
    auto unit = asName(*args.exprs[perSlot], kScheduleUnits, "schedule unit");
    ok &= unit.has_value();
    if (unit == "step")
      sched.unit = ScheduleUnit::Step;
  }
  if (sched.kind == ScheduleKind::StepDecay) {
    count(0, sched.stepSize);
    sched.gamma = 0.1;
    real(1, sched.gamma, 0, Bound::Open, 1, Bound::Closed);
  } else if (name == "exponential_decay") {
    if (args.given(0) == args.given(1)) {
      error(call->getLoc(), what + " takes exactly one of 'gamma' "
                                   "(lr * gamma^t) and 'k' (lr * exp(-k * t))");
      return;
    }
    sched.kind = args.given(1) ? ScheduleKind::ExpDecay
                               : ScheduleKind::ExponentialDecay;
    real(0, sched.gamma, 0, Bound::Open, 1, Bound::Closed);
    real(1, sched.k, 0, Bound::Closed);
  } else if (sched.kind == ScheduleKind::LinearDecay) {
    // torch.optim.lr_scheduler.LinearLR's bounds.
    count(0, sched.iters);
    real(1, sched.endFactor, 0, Bound::Closed, 1, Bound::Closed);
    real(2, sched.startFactor, 0, Bound::Open, 1, Bound::Closed);
  } else if (sched.kind == ScheduleKind::Cosine) {
    count(0, sched.tMax);
    real(1, sched.minLr, 0, Bound::Closed);
    if (!args.given(0) && sched.unit == ScheduleUnit::Step) {
      error(call->getLoc(),
            what + " per step needs 't_max', the steps to anneal over: the "
                   "steps of a run depend on the data's rows");
      ok = false;
    }
  }
  if (ok)
    model.training.schedule = sched;
}

void Sema::checkWarmup(const Setting &s) {
  static const StringRef kParams[] = {"iters", "start_factor"};
  if (!s.isCall) {
    error(s.loc, "write 'warmup(iters = N, start_factor = 0.1)'");
    return;
  }
  Scope constants(/*constantsOnly=*/true);
  BoundArgs args;
  if (!bindArgs(cast<CallExpr>(*s.value), kParams, 1, "'warmup'", constants,
                args))
    return;
  Schedule &sched = model.training.schedule;
  auto iters = intArg(args, 0, 1, "'iters' of 'warmup'");
  bool ok = iters && checkRange(double(*iters), args.values[0].loc,
                                "'iters' of 'warmup'", 1, Bound::Closed);
  auto start = realArg(args, 1, sched.warmupStartFactor,
                       "'start_factor' of 'warmup'");
  ok &= start && checkRange(*start, args.values[1].loc,
                            "'start_factor' of 'warmup'", 0, Bound::Open, 1,
                            Bound::Closed);
  if (!ok)
    return;
  sched.warmupIters = *iters;
  sched.warmupStartFactor = *start;
}

void Sema::checkEarlyStopping(const Setting &s) {
  static const StringRef kParams[] = {"monitor", "patience", "min_delta"};
  if (!s.isCall) {
    error(s.loc, "write 'early_stopping(monitor = val_loss, patience = 5, "
                 "min_delta = 0)'");
    return;
  }
  const auto &call = cast<CallExpr>(*s.value);
  // The monitor is a name, not a value: bind it separately so that the
  // generic evaluation does not report it as an unknown variable.
  Scope constants(/*constantsOnly=*/true);
  EarlyStopping es;
  es.enabled = true;
  es.loc = sourceLoc(s.loc);
  bool ok = true;
  BoundArgs args;
  if (!bindArgs(call, kParams, 0, "'early_stopping'", constants, args,
                /*rawSlots=*/1))
    return;
  if (args.given(0)) {
    std::optional<StringRef> name =
        asName(*args.exprs[0], kMonitors, "monitor");
    ok &= name.has_value();
    if (name)
      es.monitor = name == "val_loss"       ? Metric::Loss
                   : name == "val_accuracy" ? Metric::Accuracy
                   : name == "val_mse"      ? Metric::MSE
                   : name == "val_mae"      ? Metric::MAE
                                            : Metric::R2;
  }
  auto patience = intArg(args, 1, 5, "'patience' of 'early_stopping'");
  ok &= patience && checkRange(double(*patience), args.values[1].loc,
                               "'patience' of 'early_stopping'", 0,
                               Bound::Closed);
  auto minDelta = realArg(args, 2, 0.0, "'min_delta' of 'early_stopping'");
  ok &= minDelta && checkRange(*minDelta, args.values[2].loc,
                               "'min_delta' of 'early_stopping'", 0,
                               Bound::Closed);
  es.patience = patience.value_or(5);
  es.minDelta = minDelta.value_or(0.0);
  if (ok)
    model.training.earlyStopping = es;
}

//===----------------------------------------------------------------------===//
// data
//===----------------------------------------------------------------------===//

/// A column or a list of columns: strings are header names, integers
/// 0-based indexes.
std::optional<std::vector<ColumnRef>> Sema::evalColumns(const Setting &s) {
  const Expr *e = settingValue(s);
  if (!e)
    return std::nullopt;
  Scope constants(/*constantsOnly=*/true);
  Value v = eval(*e, constants);
  std::vector<Value> items;
  if (v.kind == Value::Kind::List) {
    if (v.elements.empty()) {
      error(v.loc, "'" + s.name + "' needs at least one column");
      return std::nullopt;
    }
    items = v.elements;
  } else {
    items.push_back(v);
  }
  std::vector<ColumnRef> columns;
  bool ok = true;
  for (const Value &item : items) {
    ColumnRef c;
    if (item.kind == Value::Kind::String) {
      c.name = item.str;
    } else if (item.kind == Value::Kind::Number) {
      std::optional<int64_t> i = asInt(item, "a column index");
      if (!i || !checkRange(double(*i), item.loc, "a column index", 0,
                            Bound::Closed)) {
        ok = false;
        continue;
      }
      c.index = *i;
    } else {
      if (!item.isPoison())
        error(item.loc, "a column of '" + s.name +
                            "' must be a name (string) or a 0-based index");
      ok = false;
      continue;
    }
    for (const ColumnRef &prev : columns) {
      if (prev.name == c.name && prev.index == c.index) {
        error(item.loc, "column listed twice in '" + s.name + "'");
        ok = false;
      }
    }
    columns.push_back(c);
  }
  if (!ok)
    return std::nullopt;
  return columns;
}

void Sema::checkData(const SectionDecl &section) {
  DataSource &d = model.data;
  d.loc = sourceLoc(section.getLoc());
  StringMap<Location> seen;
  Scope constants(/*constantsOnly=*/true);
  for (const Setting &s : section.getSettings()) {
    if (!firstTime(*this, seen, s))
      continue;
    std::string what = "'" + s.name + "'";
    if (!is_contained(kDataSettings, s.name)) {
      error(s.loc, "unknown data setting '" + s.name + "'" +
                       didYouMean(s.name, kDataSettings) + " (" +
                       join(ArrayRef<StringRef>(kDataSettings), ", ") + ")");
    } else if (s.name == "target" || s.name == "features") {
      targetsGiven |= s.name == "target";
      if (auto columns = evalColumns(s))
        (s.name == "target" ? d.targets : d.features) = std::move(*columns);
      else if (s.name == "target")
        targetsFailed = true;
    } else if (const Expr *e = settingValue(s)) {
      Value v = eval(*e, constants);
      if (s.name == "val_split") {
        if (auto split = asNumber(v, what);
            split && checkRange(*split, v.loc, what, 0, Bound::Closed, 1,
                                Bound::Open))
          d.valSplit = *split;
      } else if (auto path = asString(v, what + " (a CSV path)")) {
        if (path->empty())
          error(v.loc, what + " must not be an empty path");
        (s.name == "train" ? d.trainPath : d.testPath) = *path;
      }
    }
  }
  for (const ColumnRef &f : d.features) {
    for (const ColumnRef &t : d.targets) {
      if (f.name == t.name && f.index == t.index) {
        error(section.getLoc(), "column " +
                                    (f.name.empty() ? std::to_string(f.index)
                                                    : "'" + f.name + "'") +
                                    " is both a target and a feature");
      }
    }
  }
}

/// Checks that need both the loss and the train or data section.
void Sema::checkMonitorAndColumns() {
  Training &t = model.training;
  if (t.earlyStopping.enabled && lossKindKnown) {
    // A loss written as an expression classifies what its target says.
    bool classification =
        model.loss.kind == LossKind::Expression
            ? targetDecl && model.target.kind != TargetKind::Real
            : model.loss.kind == LossKind::CrossEntropy ||
                  model.loss.kind == LossKind::BCE ||
                  model.loss.kind == LossKind::MultiLabelBCE;
    Metric m = t.earlyStopping.monitor;
    bool regressionMetric =
        m == Metric::MSE || m == Metric::MAE || m == Metric::R2;
    Location at;
    for (const Setting &s : trainDecl->getSettings())
      if (s.name == "early_stopping")
        at = s.loc;
    if (m == Metric::Accuracy && !classification)
      error(at, "early stopping on val_accuracy needs a classification loss "
                "(cross_entropy, bce, multilabel_bce)");
    if (regressionMetric && classification)
      error(at, "early stopping on val_mse, val_mae or val_r2 needs a "
                "regression loss (mse, mae, huber)");
  }
  if (!targetsGiven)
    model.data.targets = {ColumnRef{"target", -1}};
  if (!targetDecl || !model.target.size)
    return;
  // Class and binary targets are one column; the others one per output.
  size_t expected = model.target.kind == TargetKind::Class ||
                            model.target.kind == TargetKind::Binary
                        ? 1
                        : size_t(model.target.size);
  size_t got = model.data.targets.size();
  if (got == expected || targetsFailed || (!targetsGiven && !dataDecl))
    return;
  Location at = dataDecl->getLoc();
  for (const Setting &s : dataDecl->getSettings())
    if (s.name == "target")
      at = s.loc;
  error(at, "target '" + model.target.name + "' needs " +
                std::to_string(expected) + " column" +
                (expected == 1 ? "" : "s") + " but the data section gives " +
                std::to_string(got) +
                (targetsGiven ? "" : " (the default: the column \"target\")"));
}
