//===- Reference.h - A float64 interpreter of kiln models --------*- C++ -*-===//
//
// The independent reference the end-to-end tests compare compiled code with.
// It evaluates a checked kiln::Model (the frontend's output, shared with the
// compiler only up to Sema) node by node in double precision, written
// directly from the semantics in the test brief and docs/language.md, so a
// mistake in MLIRGen, autodiff, lowering or codegen shows up as a numeric
// difference. Gradients are not derived here: the tests take central finite
// differences of Reference::run's loss, which needs no derivative rules.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TEST_E2E_REFERENCE_H
#define KILN_TEST_E2E_REFERENCE_H

#include "kiln/Frontend/Model.h"

#include <cstdint>
#include <vector>

namespace kiln::e2e {

/// A row-major float64 tensor.
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<double> data;

  static int64_t numel(const std::vector<int64_t> &shape);
};

/// The values of Model::states, in that order, each with the table's shape.
using RefStates = std::vector<std::vector<double>>;

enum class Mode { Training, Inference };

/// A training-mode batch statistic of one batchnorm node (for checking the
/// running-statistics update).
struct BatchStats {
  unsigned node = 0;
  std::vector<double> mean;
  std::vector<double> unbiasedVar;
};

struct RefResult {
  std::vector<Tensor> values;     // one per Model::nodes entry
  std::vector<double> sampleLoss; // [B]
  double meanLoss = 0.0;
  std::vector<double> output; // [B * outputDim]: what predict returns
  std::vector<BatchStats> batchStats;
  /// The smallest distance of an argument of a non-differentiable point
  /// (relu/leaky_relu/abs at 0, mae at p == t, huber at |a| == delta) from
  /// that point. Finite differences across a kink are meaningless, so the
  /// gradient tests redraw inputs until this is comfortably large.
  double kinkDistance = 1e300;
};

class Reference {
public:
  explicit Reference(const Model &model) : model(model) {}

  /// One forward pass over exactly batchSize() rows: x is [B, D] and y the
  /// target batch ([B] class labels or [B, K]). In training mode dropout
  /// draws its masks from (seed, step) and batchnorm uses batch statistics.
  RefResult run(const RefStates &states, const std::vector<double> &x,
                const std::vector<double> &y, Mode mode, uint64_t seed = 0,
                int64_t step = 0) const;

  /// Inference-mode predictions for any number of rows (the rows are
  /// independent in inference mode, so they are evaluated batch by batch,
  /// the last one padded with zero rows).
  std::vector<double> predictRows(const RefStates &states,
                                  const std::vector<double> &x,
                                  int64_t rows) const;

  int64_t batchSize() const { return model.training.batchSize; }
  int64_t inputDim() const { return model.input.size; }
  /// Floats per target row: 1 for class labels, else the target's size.
  int64_t targetDim() const;
  /// Floats per prediction row: classes, or the prediction's width.
  int64_t outputDim() const;

private:
  const Model &model;
};

/// Batch norm's running statistics after a training step that gave `r`:
/// running = (1 - momentum) running + momentum batch, with the batch mean
/// and the unbiased batch variance (PyTorch's convention).
void updateRunningStats(const Model &model, const RefResult &r,
                        RefStates &states);

/// Central finite differences of the mean training-mode loss with respect
/// to the given elements of state `t`: (L(w + h) - L(w - h)) / 2h, with the
/// dropout masks of (seed, step). `states` is restored before returning.
std::vector<double> finiteDifferences(const Reference &ref, RefStates &states,
                                      size_t t,
                                      const std::vector<size_t> &elements,
                                      const std::vector<double> &x,
                                      const std::vector<double> &y,
                                      uint64_t seed, int64_t step,
                                      double h = 1e-6);

} // namespace kiln::e2e

#endif // KILN_TEST_E2E_REFERENCE_H
