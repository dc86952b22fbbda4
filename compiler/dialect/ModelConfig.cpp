//===- ModelConfig.cpp - The nn.model module attribute --------------------===//
//
// What NNModel.td leaves to C++: the verifiers, the double and column
// parameters' syntax, and finding the attribute on a module.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/NN/ModelConfig.h"

using namespace mlir;
using namespace kiln::nn;

FailureOr<F64> kiln::nn::parseF64(AsmParser &parser) {
  double value;
  if (parser.parseFloat(value))
    return failure();
  return F64(value);
}

//===----------------------------------------------------------------------===//
// Columns
//===----------------------------------------------------------------------===//

LogicalResult ColumnAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 StringRef name, int64_t index) {
  if (name.empty() == (index < 0))
    return emitError() << "a column is a name or an index >= 0, got name '"
                       << name << "' and index " << index;
  return success();
}

/// The column as written in a list: "label" or 3.
static ColumnAttr parseColumn(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  auto emitError = [&] { return parser.emitError(loc); };
  std::string name;
  int64_t index = -1;
  if (failed(parser.parseOptionalString(&name)) && parser.parseInteger(index))
    return {};
  // The argument types are the parameters' exactly: with a conversion, the
  // call would go to a template of the base class that needs the storage.
  return ColumnAttr::getChecked(emitError, parser.getContext(), StringRef(name),
                                index);
}

static void printColumn(AsmPrinter &printer, ColumnAttr column) {
  if (column.getName().empty())
    printer << column.getIndex();
  else
    printer.printString(column.getName());
}

/// `<"label">` or `<3>`.
Attribute ColumnAttr::parse(AsmParser &parser, Type) {
  ColumnAttr column;
  if (parser.parseLess() || !(column = parseColumn(parser)) ||
      parser.parseGreater())
    return {};
  return column;
}

void ColumnAttr::print(AsmPrinter &printer) const {
  printer << '<';
  printColumn(printer, *this);
  printer << '>';
}

FailureOr<SmallVector<ColumnAttr>> kiln::nn::parseColumns(AsmParser &parser) {
  SmallVector<ColumnAttr> columns;
  if (parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&] {
        ColumnAttr column = parseColumn(parser);
        if (!column)
          return failure();
        columns.push_back(column);
        return success();
      }))
    return failure();
  return columns;
}

void kiln::nn::printColumns(AsmPrinter &printer, ArrayRef<ColumnAttr> cols) {
  printer << '[';
  llvm::interleaveComma(cols, printer,
                        [&](ColumnAttr c) { printColumn(printer, c); });
  printer << ']';
}

//===----------------------------------------------------------------------===//
// Verifiers
//===----------------------------------------------------------------------===//

LogicalResult ScheduleAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   ScheduleKind, ScheduleUnit, F64,
                                   int64_t stepSize, F64, F64, F64,
                                   int64_t iters, int64_t tMax, F64,
                                   int64_t warmupIters, F64) {
  // Each is a divisor or a count of the learning-rate formula.
  if (stepSize < 1 || iters < 1 || tMax < 1 || warmupIters < 0)
    return emitError() << "#nn.schedule needs step_size, iters and t_max >= 1 "
                          "and warmup_iters >= 0";
  return success();
}

LogicalResult ModelAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                StringRef name, int64_t batchSize,
                                int64_t inputDim, TargetKind target,
                                int64_t targetDim, int64_t numClasses,
                                OptimizerAttr optimizer, ScheduleAttr schedule,
                                F64, DecayScope, F64, int64_t, int64_t,
                                EarlyStoppingAttr, DataAttr) {
  // The name prefixes every symbol of the compiled model.
  if (name.empty())
    return emitError() << "#nn.model needs a name";
  if (batchSize < 1 || inputDim < 0 || targetDim < 1)
    return emitError() << "#nn.model needs batch_size >= 1, input_dim >= 0 "
                          "and target_dim >= 1";
  if ((target == TargetKind::class_) != (numClasses > 0))
    return emitError() << "#nn.model has num_classes > 0 exactly for a class "
                          "target, got "
                       << numClasses << " for a " << stringifyEnum(target)
                       << " target";
  // Parsing cannot leave them out; a builder can.
  if (!optimizer || !schedule)
    return emitError() << "#nn.model needs an optimizer and a schedule";
  return success();
}

FailureOr<ModelAttr> ModelAttr::of(ModuleOp module) {
  Attribute attr = module->getAttr(kAttrName);
  if (!attr)
    return module.emitError()
           << "module has no '" << kAttrName << "' attribute";
  auto model = llvm::dyn_cast<ModelAttr>(attr);
  if (!model)
    return module.emitError()
           << "'" << kAttrName << "' must be a #nn.model, got " << attr;
  return model;
}

/// The name of the block of `function` on `rows` rows: `<function>_<rows>`.
static std::string blockName(StringRef function, int64_t rows) {
  return (function + "_" + Twine(rows)).str();
}

/// The rows of a block function `<function>_<rows>`.
static std::optional<int64_t> blockRows(StringRef name, StringRef function) {
  int64_t rows;
  if (name.consume_front(function) && name.consume_front("_") &&
      !name.getAsInteger(10, rows))
    return rows;
  return std::nullopt;
}

/// The rows of `function` itself (the batch size's) or of one of its blocks.
static std::optional<int64_t> functionRows(StringRef name, StringRef function,
                                           int64_t batchSize) {
  return name == function ? std::optional<int64_t>(batchSize)
                          : blockRows(name, function);
}

std::optional<int64_t> kiln::nn::predictFunctionRows(StringRef name,
                                                     int64_t batchSize) {
  return functionRows(name, "predict", batchSize);
}

std::string kiln::nn::predictBlockName(int64_t rows) {
  return blockName("predict", rows);
}

std::optional<int64_t> kiln::nn::evalFunctionRows(StringRef name,
                                                  int64_t batchSize) {
  return functionRows(name, "eval_step", batchSize);
}

std::string kiln::nn::evalBlockName(int64_t rows) {
  return blockName("eval_step", rows);
}

std::optional<int64_t> kiln::nn::gradFunctionRows(StringRef name) {
  return blockRows(name, "grad");
}

std::string kiln::nn::gradBlockName(int64_t rows) {
  return blockName("grad", rows);
}
