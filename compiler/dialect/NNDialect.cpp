//===- NNDialect.cpp - The nn dialect -------------------------------------===//

#include "kiln/Dialect/NN/NNDialect.h"
#include "kiln/Dialect/NN/NNOps.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace kiln::nn;

#include "kiln/Dialect/NN/NNDialect.cpp.inc"
#include "kiln/Dialect/NN/NNEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "kiln/Dialect/NN/NNAttrs.cpp.inc"

void NNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "kiln/Dialect/NN/NNOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "kiln/Dialect/NN/NNAttrs.cpp.inc"
      >();
}

/// Runs AttrT's verifier on the parameters of `attr`.
template <typename AttrT>
static LogicalResult
verifyParameters(AttrT attr, function_ref<InFlightDiagnostic()> emitError) {
  return std::apply(
      [&](const auto &...params) {
        return AttrT::verify(emitError, params...);
      },
      attr.getImpl()->getAsKey());
}

LogicalResult NNDialect::verifyOperationAttribute(Operation *op,
                                                  NamedAttribute attr) {
  if (attr.getName() != ModelAttr::kAttrName)
    return op->emitError() << "unknown nn attribute '"
                           << attr.getName().getValue() << "'";
  if (!isa<ModuleOp>(op))
    return op->emitError() << "'" << attr.getName().getValue()
                           << "' belongs on a module";
  auto model = dyn_cast<ModelAttr>(attr.getValue());
  if (!model)
    return op->emitError() << "'" << attr.getName().getValue()
                           << "' must be a #nn.model, got " << attr.getValue();
  // The parser verified what it read, but get() verifies nothing in a
  // release build, and MLIRGen builds the attribute with it: check again.
  auto emitError = [op] { return op->emitError(); };
  if (failed(verifyParameters(model, emitError)) ||
      failed(verifyParameters(model.getSchedule(), emitError)))
    return failure();
  if (DataAttr data = model.getData())
    for (ColumnAttr column :
         llvm::concat<const ColumnAttr>(data.getTargets(), data.getFeatures()))
      if (failed(verifyParameters(column, emitError)))
        return failure();
  return success();
}
