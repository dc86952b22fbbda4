//===- ModelConfig.h - What a module knows about its model ------*- C++ -*-===//
//
// The facts about a model that are not ops travel with the IR as the
// module attribute `nn.model = #nn.model<...>`: nn::ModelAttr, declared in
// NNModel.td, with a getter per parameter. This header adds what the
// stages share about the module beyond it.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_NN_MODELCONFIG_H
#define KILN_DIALECT_NN_MODELCONFIG_H

#include "kiln/Dialect/NN/NNDialect.h"

#include <optional>
#include <string>

namespace kiln::nn {

/// The module attribute naming the spec (an absolute path) that MLIRGen
/// translated, for a pipeline that goes on from a dump of the IR.
inline constexpr llvm::StringLiteral kSpecPathAttr = "kiln.spec";

/// The rows a prediction function takes: @predict the batch size's,
/// @predict_<rows> (a row block) its own; nothing for other functions.
std::optional<int64_t> predictFunctionRows(llvm::StringRef name,
                                           int64_t batchSize);
/// The name of the row block on `rows` rows.
std::string predictBlockName(int64_t rows);
/// The rows an evaluation function takes: @eval_step the batch size's,
/// @eval_step_<rows> (a row block) its own; nothing for other functions.
std::optional<int64_t> evalFunctionRows(llvm::StringRef name,
                                        int64_t batchSize);
/// The name of the evaluation block on `rows` rows.
std::string evalBlockName(int64_t rows);
/// The rows of a data-parallel gradient block @grad_<rows>; nothing for
/// other functions.
std::optional<int64_t> gradFunctionRows(llvm::StringRef name);
/// The name of the gradient block on `rows` rows.
std::string gradBlockName(int64_t rows);

} // namespace kiln::nn

#endif // KILN_DIALECT_NN_MODELCONFIG_H
