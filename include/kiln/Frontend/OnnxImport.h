//===- OnnxImport.h - An ONNX graph as a kiln model -------------*- C++ -*-===//
//
// `kiln build model.onnx`: the layers of an ONNX graph become the checked
// Model that a spec becomes (Model.h), and its initializers the weights
// compiled into the module. docs/interop.md lists what is imported.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_ONNXIMPORT_H
#define KILN_FRONTEND_ONNXIMPORT_H

#include "kiln/Frontend/Model.h"

#include "llvm/ADT/StringRef.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace kiln {

/// A tensor of an imported model's weights, row-major, laid out as kiln's
/// state holds it (dense weights [out, in]).
struct WeightTensor {
  std::vector<int64_t> shape;
  std::vector<float> values;
};

/// The weights of an imported model by state name.
using WeightMap = std::map<std::string, WeightTensor>;

/// An ONNX model, read and translated once; the translation is then
/// available at any number of rows (the row blocks of @predict).
class OnnxModel {
public:
  /// The rows of the model's batch-shaped functions, whatever batch size
  /// the graph was exported with: prediction takes any number of rows.
  static constexpr int64_t kBatchSize = 64;

  /// Reads and translates `path`. What it cannot import is reported on
  /// `errs` as "PATH: node 'NAME' (OP): message"; returns null then.
  static std::unique_ptr<OnnxModel> read(llvm::StringRef path,
                                         llvm::raw_ostream &errs);

  /// The model with batches of `rows` rows.
  Model translate(int64_t rows) const;

  const WeightMap &weights() const { return weightMap; }
  llvm::StringRef path() const { return model.file; }

  /// Whether `path` names an ONNX model rather than a spec (by extension).
  static bool isOnnxPath(llvm::StringRef path);

private:
  OnnxModel(Model model, WeightMap weights)
      : model(std::move(model)), weightMap(std::move(weights)) {}

  Model model; // at kBatchSize rows
  WeightMap weightMap;
};

} // namespace kiln

#endif // KILN_FRONTEND_ONNXIMPORT_H
