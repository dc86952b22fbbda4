//===- ModelConfig.h - What a module knows about its model ------*- C++ -*-===//
//
// The facts about a model that are not ops: its data interface (batch size,
// input width, target kind), how it trains (optimizer, schedule, weight
// decay, epochs, early stopping) and where its data lives. They travel with
// the IR as the module attribute `nn.model`, a dictionary that prints
// readably and that kiln-opt can read back.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_NN_MODELCONFIG_H
#define KILN_DIALECT_NN_MODELCONFIG_H

#include "kiln/Dialect/NN/NNDialect.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"

#include <optional>
#include <string>
#include <vector>

namespace kiln::nn {

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::adam;
  double lr = 1e-3;
  double momentum = 0.9;
  double rho = 0.99;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weightDecay = 0.0; // adamw's decoupled decay
};

/// Frontend's Schedule (kiln/Frontend/Model.h) says what each field means.
struct ScheduleConfig {
  ScheduleKind kind = ScheduleKind::constant;
  ScheduleUnit unit = ScheduleUnit::epoch;
  double gamma = 1.0;
  int64_t stepSize = 1;
  double k = 0.0;
  double startFactor = 1.0;
  double endFactor = 0.0;
  int64_t iters = 1;
  int64_t tMax = 1;
  double minLr = 0.0;
  int64_t warmupIters = 0;
  double warmupStartFactor = 1.0;
};

struct ColumnConfig {
  std::string name;   // empty when chosen by index
  int64_t index = -1; // -1 when chosen by name
};

struct ModelConfig {
  std::string name;
  int64_t batchSize = 32;
  int64_t inputDim = 0;
  TargetKind targetKind = TargetKind::real;
  int64_t targetDim = 1;           // target columns per row
  int64_t numClasses = 0;          // class targets only

  OptimizerConfig optimizer;
  ScheduleConfig schedule;
  double weightDecay = 0.0;
  DecayScope decayScope = DecayScope::weights;
  double clipNorm = 0.0;              // 0: no clipping
  int64_t epochs = 10;
  int64_t seed = 0;
  bool earlyStopping = false;
  Metric monitor = Metric::loss;
  int64_t patience = 5;
  double minDelta = 0.0;

  std::string trainPath; // absolute, or empty
  std::string testPath;
  std::vector<ColumnConfig> targetColumns;
  std::vector<ColumnConfig> featureColumns;
  double valSplit = 0.0;

  static constexpr const char *kAttrName = "nn.model";

  mlir::DictionaryAttr toAttr(mlir::MLIRContext *ctx) const;
  /// Reads the config back; on a malformed dictionary, reports through
  /// `emitError` and fails.
  static mlir::FailureOr<ModelConfig>
  fromAttr(mlir::DictionaryAttr attr,
           llvm::function_ref<mlir::InFlightDiagnostic()> emitError);
  /// The config of `module`, which must have a well-formed `nn.model`.
  static mlir::FailureOr<ModelConfig> of(mlir::ModuleOp module);
};

/// The module attribute naming the spec (an absolute path) that MLIRGen
/// translated, for a pipeline that goes on from a dump of the IR.
inline constexpr llvm::StringLiteral kSpecPathAttr = "kiln.spec";

/// The rows a prediction function takes: @predict the batch size's,
/// @predict_<rows> (a row block) its own; nothing for other functions.
std::optional<int64_t> predictFunctionRows(llvm::StringRef name,
                                           int64_t batchSize);
/// The name of the row block on `rows` rows.
std::string predictBlockName(int64_t rows);
/// The rows of a data-parallel gradient block @grad_<rows>; nothing for
/// other functions.
std::optional<int64_t> gradFunctionRows(llvm::StringRef name);
/// The name of the gradient block on `rows` rows.
std::string gradBlockName(int64_t rows);

} // namespace kiln::nn

#endif // KILN_DIALECT_NN_MODELCONFIG_H
