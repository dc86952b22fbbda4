//===- OnnxImporter.h - The ONNX importer, shared by its files --*- C++ -*-===//
//
// Private to compiler/frontend: OnnxImport.cpp walks the graph, matches
// the exporters' patterns and finishes the Model; OnnxImportNodes.cpp
// translates each kind of node.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_ONNXIMPORTER_H
#define KILN_FRONTEND_ONNXIMPORTER_H

#include "kiln/Frontend/OnnxImport.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/raw_ostream.h"

#include <onnx/onnx_pb.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace kiln::onnximport {

using llvm::StringRef;
using llvm::Twine;

/// A constant of the graph: an initializer, a Constant node's value, or an
/// Identity of either (named by the value it defines).
struct Constant {
  std::string name;
  std::vector<int64_t> dims;
  std::vector<double> values;

  bool isScalar() const { return values.size() == 1; }
  /// Whether it broadcasts along the rows of [batch, n]: [n] or [1, n].
  bool isRowVector(int64_t n) const {
    return values.size() == size_t(n) && (dims == std::vector<int64_t>{n} ||
                                          dims == std::vector<int64_t>{1, n});
  }
};

/// A value computed per row: the Model node, and its ONNX shape without the
/// batch dimension (the Model node is [rows, product of dims]).
struct Tensor {
  unsigned node;
  std::vector<int64_t> dims;

  int64_t features() const {
    int64_t n = 1;
    for (int64_t d : dims)
      n *= d;
    return n;
  }
};

/// The most elements a tensor (or an input row) may have: well beyond any
/// layer kiln compiles, and far from int64 overflow in the products below.
constexpr int64_t kMaxElements = int64_t(1) << 31;

int64_t product(const std::vector<int64_t> &dims);

/// `dims` as text, e.g. "[batch, 3, 4]".
std::string shapeText(const std::vector<int64_t> &dims, bool batch);

class Importer {
public:
  Importer(StringRef path, llvm::raw_ostream &errs)
      : path(path.str()), errs(errs) {}

  bool run(const onnx::ModelProto &proto);

  Model model;
  WeightMap weights;

private:
  // Reporting.
  bool fail(const Twine &message);
  bool fail(int index, const Twine &message);

  // Values.
  const Constant *constant(const std::string &name) const;
  std::optional<Tensor> tensor(int index, int operand);
  const Constant *constantOperand(int index, int operand);
  std::optional<double> scalar(const std::string &name) const;
  bool hasOperand(int index, int operand) const;
  bool outputUsed(int index, int output) const;

  // Building the model.
  unsigned addNode(Node node);
  unsigned addUnary(OpKind kind, unsigned operand, int index);
  unsigned addBinary(OpKind kind, unsigned lhs, unsigned rhs, int index);
  unsigned addConstant(double value, int index);
  unsigned addState(std::string name, std::vector<int64_t> shape,
                    StateRole role, std::vector<float> values);
  unsigned addVector(const Constant &c, int64_t size, int index);
  void define(int index, unsigned node, std::vector<int64_t> dims);

  Node denseNode(int index, unsigned input, const Constant &w, bool transposed,
                 double alpha);

  // Nodes, by kind.
  bool importNode(int index);
  bool importConstantNode(int index);
  bool importAlias(int index);
  bool importGemm(int index);
  bool importMatMul(int index);
  bool importBinary(int index, OpKind kind);
  bool importUnary(int index, OpKind kind);
  bool importPow(int index);
  bool importGelu(int index);
  bool importBatchNorm(int index);
  bool importLayerNorm(int index);

  std::optional<double> swishBeta(unsigned x, unsigned sigmoid) const;
  void matchGelu();
  void prune();

  int64_t attrInt(int index, StringRef name, int64_t otherwise) const;
  double attrFloat(int index, StringRef name, double otherwise) const;
  std::string attrString(int index, StringRef name, StringRef otherwise) const;

  std::string path;
  llvm::raw_ostream &errs;
  const onnx::GraphProto *graph = nullptr;
  int64_t opset = 1;
  int64_t rows = OnnxModel::kBatchSize;
  /// The graph input's batch dimension when it is static.
  std::optional<int64_t> staticBatch;

  std::map<std::string, Constant> constants;
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::vector<int>> consumers; // node indices
  std::set<std::string> graphOutputs;
  std::map<std::string, unsigned> stateIds;
  /// Dense nodes from a MatMul, which a following Add may give a bias.
  std::set<unsigned> biasless;
  /// GELU patterns: the nodes they consist of, and at their last node, the
  /// value they apply to.
  std::set<int> absorbed;
  std::map<int, std::string> geluAt;
};

} // namespace kiln::onnximport

#endif // KILN_FRONTEND_ONNXIMPORTER_H
