//===- ModelConfig.cpp - The nn.model module attribute --------------------===//

#include "kiln/Dialect/NN/ModelConfig.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace kiln::nn;

namespace {

/// Builds the dictionary, one typed entry at a time.
class DictWriter {
public:
  explicit DictWriter(MLIRContext *ctx) : b(ctx) {}
  void set(StringRef key, StringRef v) { add(key, b.getStringAttr(v)); }
  void set(StringRef key, int64_t v) { add(key, b.getI64IntegerAttr(v)); }
  void set(StringRef key, double v) { add(key, b.getF64FloatAttr(v)); }
  void set(StringRef key, bool v) { add(key, b.getBoolAttr(v)); }
  void set(StringRef key, Attribute v) { add(key, v); }
  /// A kind, as its string (stringifyEnum from NNEnums.h.inc).
  template <typename EnumT,
            typename = std::enable_if_t<std::is_enum_v<EnumT>>>
  void set(StringRef key, EnumT v) {
    add(key, b.getStringAttr(stringifyEnum(v)));
  }
  DictionaryAttr get() { return b.getDictionaryAttr(entries); }
  Builder &builder() { return b; }

private:
  void add(StringRef key, Attribute v) {
    entries.push_back(b.getNamedAttr(key, v));
  }
  Builder b;
  SmallVector<NamedAttribute> entries;
};

/// Reads typed entries and reports the first malformed one. Absent keys
/// keep their defaults.
class DictReader {
public:
  DictReader(DictionaryAttr dict, function_ref<InFlightDiagnostic()> emitError,
             StringRef context)
      : dict(dict), emitError(emitError), context(context) {}

  LogicalResult get(StringRef key, std::string &out) {
    return read<StringAttr>(key, "a string",
                            [&](StringAttr a) { out = a.getValue().str(); });
  }
  LogicalResult get(StringRef key, int64_t &out) {
    return read<IntegerAttr>(key, "an integer",
                             [&](IntegerAttr a) { out = a.getInt(); });
  }
  LogicalResult get(StringRef key, double &out) {
    return read<FloatAttr>(key, "a float", [&](FloatAttr a) {
      out = a.getValueAsDouble();
    });
  }
  LogicalResult get(StringRef key, bool &out) {
    return read<BoolAttr>(key, "a bool",
                          [&](BoolAttr a) { out = a.getValue(); });
  }
  LogicalResult get(StringRef key, DictionaryAttr &out) {
    return read<DictionaryAttr>(key, "a dictionary",
                                [&](DictionaryAttr a) { out = a; });
  }
  LogicalResult get(StringRef key, ArrayAttr &out) {
    return read<ArrayAttr>(key, "an array", [&](ArrayAttr a) { out = a; });
  }

  /// A kind, from its string; an unknown one is an error that names it.
  template <typename EnumT,
            typename = std::enable_if_t<std::is_enum_v<EnumT>>>
  LogicalResult get(StringRef key, EnumT &out) {
    std::string name;
    if (failed(get(key, name)))
      return failure();
    if (!dict.get(key))
      return success(); // absent: the default stays
    std::optional<EnumT> v = symbolizeEnum<EnumT>(name);
    if (!v)
      return emitError() << context << " key '" << key
                         << "' has unknown value '" << name << "'";
    out = *v;
    return success();
  }

  /// Fails on keys that no reader asked for: a typo must not pass silently.
  LogicalResult checkNoUnknownKeys() {
    for (NamedAttribute entry : dict)
      if (!seen.contains(entry.getName().getValue()))
        return emitError() << "unknown key '" << entry.getName().getValue()
                           << "' in " << context;
    return success();
  }

private:
  template <typename AttrT, typename Fn>
  LogicalResult read(StringRef key, StringRef what, Fn &&fn) {
    seen.insert(key);
    Attribute attr = dict.get(key);
    if (!attr)
      return success();
    auto typed = dyn_cast<AttrT>(attr);
    if (!typed)
      return emitError() << context << " key '" << key << "' must be " << what;
    fn(typed);
    return success();
  }

  DictionaryAttr dict;
  function_ref<InFlightDiagnostic()> emitError;
  StringRef context;
  llvm::StringSet<> seen;
};

} // namespace

static ArrayAttr columnsToAttr(Builder &b,
                               ArrayRef<ColumnConfig> columns) {
  SmallVector<Attribute> attrs;
  for (const ColumnConfig &c : columns)
    attrs.push_back(c.name.empty() ? Attribute(b.getI64IntegerAttr(c.index))
                                   : Attribute(b.getStringAttr(c.name)));
  return b.getArrayAttr(attrs);
}

static LogicalResult
columnsFromAttr(ArrayAttr attr, std::vector<ColumnConfig> &out,
                function_ref<InFlightDiagnostic()> emitError) {
  if (!attr)
    return success();
  out.clear();
  for (Attribute a : attr) {
    if (auto s = dyn_cast<StringAttr>(a))
      out.push_back({s.getValue().str(), -1});
    else if (auto i = dyn_cast<IntegerAttr>(a))
      out.push_back({"", i.getInt()});
    else
      return emitError() << "a column must be a name or an index";
  }
  return success();
}

DictionaryAttr ModelConfig::toAttr(MLIRContext *ctx) const {
  DictWriter opt(ctx);
  opt.set("kind", optimizer.kind);
  opt.set("lr", optimizer.lr);
  using OK = OptimizerKind;
  OK kind = optimizer.kind;
  if (kind == OK::momentum || kind == OK::nesterov)
    opt.set("momentum", optimizer.momentum);
  if (kind == OK::rmsprop)
    opt.set("rho", optimizer.rho);
  bool adam = kind == OK::adam || kind == OK::adamw;
  if (adam) {
    opt.set("beta1", optimizer.beta1);
    opt.set("beta2", optimizer.beta2);
  }
  if (kind == OK::adagrad || kind == OK::rmsprop || adam)
    opt.set("eps", optimizer.eps);
  if (kind == OK::adamw)
    opt.set("weight_decay", optimizer.weightDecay);

  DictWriter sched(ctx);
  sched.set("kind", schedule.kind);
  sched.set("unit", schedule.unit);
  switch (schedule.kind) {
  case ScheduleKind::constant:
    break;
  case ScheduleKind::step_decay:
    sched.set("gamma", schedule.gamma);
    sched.set("step_size", schedule.stepSize);
    break;
  case ScheduleKind::exponential_decay:
    sched.set("gamma", schedule.gamma);
    break;
  case ScheduleKind::exp_decay:
    sched.set("k", schedule.k);
    break;
  case ScheduleKind::linear_decay:
    sched.set("start_factor", schedule.startFactor);
    sched.set("end_factor", schedule.endFactor);
    sched.set("iters", schedule.iters);
    break;
  case ScheduleKind::cosine:
    sched.set("t_max", schedule.tMax);
    sched.set("min_lr", schedule.minLr);
    break;
  }
  if (schedule.warmupIters > 0) {
    sched.set("warmup_iters", schedule.warmupIters);
    sched.set("warmup_start_factor", schedule.warmupStartFactor);
  }

  DictWriter d(ctx);
  d.set("name", name);
  d.set("batch_size", batchSize);
  d.set("input_dim", inputDim);
  d.set("target", targetKind);
  d.set("target_dim", targetDim);
  if (targetKind == TargetKind::class_)
    d.set("num_classes", numClasses);
  d.set("optimizer", opt.get());
  d.set("schedule", sched.get());
  d.set("weight_decay", weightDecay);
  d.set("decay_scope", decayScope);
  if (clipNorm > 0)
    d.set("clip_norm", clipNorm);
  d.set("epochs", epochs);
  d.set("seed", seed);
  if (earlyStopping) {
    DictWriter es(ctx);
    es.set("monitor", monitor);
    es.set("patience", patience);
    es.set("min_delta", minDelta);
    d.set("early_stopping", es.get());
  }
  DictWriter data(ctx);
  if (!trainPath.empty())
    data.set("train", trainPath);
  if (!testPath.empty())
    data.set("test", testPath);
  data.set("targets", columnsToAttr(data.builder(), targetColumns));
  if (!featureColumns.empty())
    data.set("features", columnsToAttr(data.builder(), featureColumns));
  data.set("val_split", valSplit);
  d.set("data", data.get());
  return d.get();
}

FailureOr<ModelConfig>
ModelConfig::fromAttr(DictionaryAttr attr,
                      function_ref<InFlightDiagnostic()> emitError) {
  ModelConfig c;
  DictionaryAttr opt, sched, es, data;
  DictReader d(attr, emitError, "nn.model");
  if (failed(d.get("name", c.name)) || failed(d.get("batch_size", c.batchSize)) ||
      failed(d.get("input_dim", c.inputDim)) ||
      failed(d.get("target", c.targetKind)) ||
      failed(d.get("target_dim", c.targetDim)) ||
      failed(d.get("num_classes", c.numClasses)) ||
      failed(d.get("optimizer", opt)) || failed(d.get("schedule", sched)) ||
      failed(d.get("weight_decay", c.weightDecay)) ||
      failed(d.get("decay_scope", c.decayScope)) ||
      failed(d.get("clip_norm", c.clipNorm)) ||
      failed(d.get("epochs", c.epochs)) || failed(d.get("seed", c.seed)) ||
      failed(d.get("early_stopping", es)) || failed(d.get("data", data)) ||
      failed(d.checkNoUnknownKeys()))
    return failure();
  if (c.batchSize < 1 || c.inputDim < 0 || c.targetDim < 1)
    return emitError() << "nn.model needs batch_size >= 1 and target_dim >= 1";

  if (opt) {
    DictReader r(opt, emitError, "nn.model optimizer");
    if (failed(r.get("kind", c.optimizer.kind)) ||
        failed(r.get("lr", c.optimizer.lr)) ||
        failed(r.get("momentum", c.optimizer.momentum)) ||
        failed(r.get("rho", c.optimizer.rho)) ||
        failed(r.get("beta1", c.optimizer.beta1)) ||
        failed(r.get("beta2", c.optimizer.beta2)) ||
        failed(r.get("eps", c.optimizer.eps)) ||
        failed(r.get("weight_decay", c.optimizer.weightDecay)) ||
        failed(r.checkNoUnknownKeys()))
      return failure();
  }
  if (sched) {
    DictReader r(sched, emitError, "nn.model schedule");
    if (failed(r.get("kind", c.schedule.kind)) ||
        failed(r.get("gamma", c.schedule.gamma)) ||
        failed(r.get("step_size", c.schedule.stepSize)) ||
        failed(r.get("k", c.schedule.k)) ||
        failed(r.get("unit", c.schedule.unit)) ||
        failed(r.get("start_factor", c.schedule.startFactor)) ||
        failed(r.get("end_factor", c.schedule.endFactor)) ||
        failed(r.get("iters", c.schedule.iters)) ||
        failed(r.get("t_max", c.schedule.tMax)) ||
        failed(r.get("min_lr", c.schedule.minLr)) ||
        failed(r.get("warmup_iters", c.schedule.warmupIters)) ||
        failed(r.get("warmup_start_factor", c.schedule.warmupStartFactor)) ||
        failed(r.checkNoUnknownKeys()))
      return failure();
    if (c.schedule.stepSize < 1 || c.schedule.iters < 1 ||
        c.schedule.tMax < 1 || c.schedule.warmupIters < 0)
      return emitError() << "nn.model schedule needs step_size, iters and "
                            "t_max >= 1 and warmup_iters >= 0";
  }
  if (es) {
    c.earlyStopping = true;
    DictReader r(es, emitError, "nn.model early_stopping");
    if (failed(r.get("monitor", c.monitor)) ||
        failed(r.get("patience", c.patience)) ||
        failed(r.get("min_delta", c.minDelta)) ||
        failed(r.checkNoUnknownKeys()))
      return failure();
  }
  if (data) {
    ArrayAttr targets, features;
    DictReader r(data, emitError, "nn.model data");
    if (failed(r.get("train", c.trainPath)) ||
        failed(r.get("test", c.testPath)) ||
        failed(r.get("targets", targets)) ||
        failed(r.get("features", features)) ||
        failed(r.get("val_split", c.valSplit)) ||
        failed(r.checkNoUnknownKeys()) ||
        failed(columnsFromAttr(targets, c.targetColumns, emitError)) ||
        failed(columnsFromAttr(features, c.featureColumns, emitError)))
      return failure();
  }
  return c;
}

FailureOr<ModelConfig> ModelConfig::of(ModuleOp module) {
  auto dict = module->getAttrOfType<DictionaryAttr>(kAttrName);
  if (!dict)
    return module.emitError() << "module has no '" << kAttrName
                              << "' attribute";
  return fromAttr(dict, [&] { return module.emitError(); });
}

std::optional<int64_t> kiln::nn::predictFunctionRows(StringRef name,
                                                     int64_t batchSize) {
  int64_t rows;
  if (name == "predict")
    return batchSize;
  if (name.consume_front("predict_") && !name.getAsInteger(10, rows))
    return rows;
  return std::nullopt;
}

std::string kiln::nn::predictBlockName(int64_t rows) {
  return "predict_" + std::to_string(rows);
}

std::optional<int64_t> kiln::nn::gradFunctionRows(StringRef name) {
  int64_t rows;
  if (name.consume_front("grad_") && !name.getAsInteger(10, rows))
    return rows;
  return std::nullopt;
}

std::string kiln::nn::gradBlockName(int64_t rows) {
  return "grad_" + std::to_string(rows);
}
