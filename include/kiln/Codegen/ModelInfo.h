//===- ModelInfo.h - What the descriptor and header describe ----*- C++ -*-===//
//
// Everything the compiled module tells its users besides its code: the
// layout of the state buffer, the workspace size, the model's data
// interface and its training defaults. Collected from the IR before the
// nn ops and attributes are lowered away, then written into the object as
// a `kiln_model` constant (see kiln_rt.h) and into the generated header.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_MODELINFO_H
#define KILN_CODEGEN_MODELINFO_H

#include "kiln/Dialect/NN/ModelConfig.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace kiln {

struct TensorInfo {
  std::string name;
  int32_t role = 0; // kiln_role
  int32_t init = 0; // kiln_init_kind
  std::vector<int64_t> shape;
  int64_t offset = 0; // floats
  double initA = 0, initB = 0;
  int64_t fanIn = 1, fanOut = 1;
};

struct ModelInfo {
  /// The module's nn.model; it lives as long as the MLIRContext.
  nn::ModelAttr config;
  int64_t outputDim = 0;
  int64_t stateSize = 0;
  int64_t predictStateSize = 0;
  int64_t workspaceSize = 0;
  int64_t flopsPerSample = 0;
  std::vector<TensorInfo> tensors;
  /// The tensors that @prepare derives for prediction, at their offsets in
  /// the prediction state (after the state's); not in the descriptor.
  std::vector<TensorInfo> preparedTensors;
  /// Exported symbols of the compiled functions; empty when absent.
  std::string trainStep, evalStep, predict, prepare, learningRate;
  /// Every prediction function (`predict` included) and its row count,
  /// most rows first: kiln_model::predict_blocks.
  std::vector<std::pair<int64_t, std::string>> predictBlocks;
  /// Every evaluation function (`eval_step` included) and its row count,
  /// most rows first: kiln_model::eval_blocks; empty in a predict-only
  /// build.
  std::vector<std::pair<int64_t, std::string>> evalBlocks;
  /// Data-parallel builds: the gradient blocks and their rows, most rows
  /// first (kiln_model::grad_blocks), the update, and the gradients' span
  /// of the state (floats); empty and 0 otherwise.
  std::vector<std::pair<int64_t, std::string>> gradBlocks;
  std::string applyUpdate;
  int64_t gradOffset = 0, gradSize = 0;
  /// Weights compiled into the module (kiln_model::weights); empty when
  /// none were given.
  std::vector<float> weights;
  /// Whether the code may split kernels over OpenMP threads, and so needs
  /// the OpenMP runtime linked.
  bool threads = false;

  /// kiln_rt.h's kiln_target_kind and kiln_metric codes of the config.
  int32_t targetKindCode() const;
  int32_t monitorCode() const;

  /// Reads the config, the predict output width and the FLOP count from
  /// the nn module (before lowering).
  static mlir::FailureOr<ModelInfo> fromNN(mlir::ModuleOp module);
  /// Adds the state layout, the workspace size and the exported function
  /// names from the bufferized module.
  mlir::LogicalResult addLayout(mlir::ModuleOp module);
};

} // namespace kiln

#endif // KILN_CODEGEN_MODELINFO_H
