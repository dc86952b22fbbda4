//===- Optimizer.h - float64 optimizer updates and schedules -----*- C++ -*-===//
//
// The update rules of the train section in double precision, written from
// the lecture's formulas (PyTorch's definitions where they are ambiguous),
// for the optimizer trajectory tests.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TEST_E2E_OPTIMIZER_H
#define KILN_TEST_E2E_OPTIMIZER_H

#include "kiln/Frontend/Model.h"

#include <string>
#include <utility>
#include <vector>

namespace kiln::e2e {

/// The learning rate of the schedule at `step` (counting from 1) in
/// `epoch` (counting from 0).
double scheduledLR(const Training &training, int64_t step, int64_t epoch);

/// The factor clip_norm scales every gradient by: min(1, c / (|g| + 1e-6))
/// over all of them; 1 without clipping.
double clipFactor(const Training &training,
                  const std::vector<const std::vector<double> *> &grads);

/// One parameter tensor under one optimizer, with its optimizer state.
class RefOptimizer {
public:
  /// `rank` decides whether weight decay applies (its scope).
  RefOptimizer(const Training &training, size_t numel, size_t rank);

  /// Applies weight decay to the gradient `g` (or, for AdamW, to `w`) and
  /// updates `w` in place; `step` counts from 1 (Adam's bias correction).
  void update(std::vector<double> &w, std::vector<double> g, int64_t step,
              int64_t epoch);

  /// The optimizer state tensors by their name suffix (as in
  /// "<param>.exp_avg"); empty for SGD.
  std::vector<std::pair<std::string, const std::vector<double> *>>
  stateTensors() const;

private:
  const Training &training;
  bool decays;
  std::vector<double> first;  // momentum_buffer, sum, square_avg or exp_avg
  std::vector<double> second; // exp_avg_sq
};

} // namespace kiln::e2e

#endif // KILN_TEST_E2E_OPTIMIZER_H
