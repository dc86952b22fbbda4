//===- NNDialect.cpp - The nn dialect -------------------------------------===//

#include "kiln/Dialect/NN/NNDialect.h"
#include "kiln/Dialect/NN/ModelConfig.h"
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

LogicalResult NNDialect::verifyOperationAttribute(Operation *op,
                                                  NamedAttribute attr) {
  if (attr.getName() != ModelConfig::kAttrName)
    return op->emitError() << "unknown nn attribute '" << attr.getName()
                           << "'";
  if (!isa<ModuleOp>(op))
    return op->emitError() << "'" << attr.getName()
                           << "' belongs on a module";
  auto dict = dyn_cast<DictionaryAttr>(attr.getValue());
  if (!dict)
    return op->emitError() << "'" << attr.getName()
                           << "' must be a dictionary";
  return ModelConfig::fromAttr(dict, [op] { return op->emitError(); });
}
