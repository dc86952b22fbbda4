//===- NNAttrs.cpp - Attributes of the nn dialect -------------------------===//

#include "kiln/Dialect/NN/NNDialect.h"

using namespace mlir;
using namespace kiln::nn;

bool ActivationAttr::hasParam(ActivationKind kind) {
  return kind == ActivationKind::leaky_relu || kind == ActivationKind::elu ||
         kind == ActivationKind::softplus || kind == ActivationKind::swish;
}

LogicalResult
ActivationAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                       ActivationKind kind, llvm::APFloat paramValue) {
  double param = paramValue.convertToDouble();
  if ((kind == ActivationKind::leaky_relu || kind == ActivationKind::elu) &&
      param < 0)
    return emitError() << stringifyActivationKind(kind)
                       << "'s alpha must be >= 0, got " << param;
  if ((kind == ActivationKind::softplus || kind == ActivationKind::swish) &&
      !(param > 0))
    return emitError() << stringifyActivationKind(kind)
                       << "'s beta must be > 0, got " << param;
  if (!hasParam(kind) && param != 0)
    return emitError() << stringifyActivationKind(kind)
                       << " takes no parameter";
  return success();
}

/// `<relu>` or `<leaky_relu, 0.01>`.
Attribute ActivationAttr::parse(AsmParser &parser, Type) {
  StringRef keyword;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess() || parser.parseKeyword(&keyword))
    return {};
  std::optional<ActivationKind> kind = symbolizeActivationKind(keyword);
  if (!kind) {
    parser.emitError(loc) << "unknown activation '" << keyword << "'";
    return {};
  }
  double param = 0.0;
  if (succeeded(parser.parseOptionalComma()) && parser.parseFloat(param))
    return {};
  if (parser.parseGreater())
    return {};
  return getChecked([&] { return parser.emitError(loc); },
                    parser.getContext(), *kind, llvm::APFloat(param));
}

void ActivationAttr::print(AsmPrinter &printer) const {
  printer << '<' << stringifyActivationKind(getKind());
  if (hasParam(getKind())) {
    printer << ", ";
    printer.printFloat(getParam());
  }
  printer << '>';
}
