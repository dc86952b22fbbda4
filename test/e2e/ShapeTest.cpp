//===- ShapeTest.cpp - Forward and gradients across batch and layer sizes -===//
//
// The matmul, elementwise and normalization kernels are tiled and
// vectorized (row tiles of 6 or 8, column tiles of 16 or 32, vector tails,
// packed operands), so a bug may show at one shape only. The same small
// network (see compile()) is generated at batch and layer sizes below, at
// and across tile boundaries, and each goes through the forward and
// gradient checks of Checks.h.
//
//===----------------------------------------------------------------------===//

#include "Checks.h"
#include "TestUtil.h"

using namespace kiln::e2e;

namespace {

struct Shape {
  int64_t batch, in, hidden, out;
};

std::string shapeName(const Shape &s) {
  return "b" + std::to_string(s.batch) + "_in" + std::to_string(s.in) + "_h" +
         std::to_string(s.hidden) + "_out" + std::to_string(s.out);
}

std::ostream &operator<<(std::ostream &os, const Shape &s) {
  return os << shapeName(s);
}

/// dense, batch norm (which needs two rows per batch), tanh, layer norm,
/// gelu, dense, plus x @ p.
const CompiledModel &compile(const Shape &s) {
  auto n = [](int64_t v) { return std::to_string(v); };
  std::string norm = s.batch > 1 ? " -> batchnorm" : "";
  return CompiledModel::fromText(
      "model shape_" + shapeName(s) + "\ninput x: [" + n(s.in) +
      "]\ntarget y: real(" + n(s.out) + ")\nparam p: [" + n(s.in) + ", " +
      n(s.out) + "] = normal(std = 0.3)\nh = x -> dense(" + n(s.hidden) +
      ")" + norm + " -> tanh -> layernorm -> gelu\nloss mse((h -> dense(" +
      n(s.out) + ")) + x @ p, y)\ntrain { optimizer = sgd(lr = 1.0); " +
      "batch_size = " + n(s.batch) + " }\n");
}

class Shapes : public ::testing::TestWithParam<Shape> {};

TEST_P(Shapes, ForwardAgreesWithTheReference) {
  checkForward(compile(GetParam()), -1, 1);
}

// Every row count through the row blocks, whose kernels take other shapes
// (fewer rows than a register tile) than the batch's.
TEST_P(Shapes, ContextPredictsAndEvaluatesEveryRowCount) {
  checkContextPredict(compile(GetParam()), -1, 1);
}

TEST_P(Shapes, GradientsMatchFiniteDifferences) {
  checkGradients(compile(GetParam()), -1, 1);
}

const Shape kShapes[] = {
    {1, 3, 5, 2},     {2, 9, 17, 3},    {5, 16, 32, 8},  {6, 16, 16, 16},
    {7, 17, 31, 9},   {8, 32, 32, 32},  {12, 8, 20, 17}, {24, 8, 33, 33},
    {32, 64, 64, 10}, {48, 40, 48, 20},
};

INSTANTIATE_TEST_SUITE_P(
    Sizes, Shapes, ::testing::ValuesIn(kShapes),
    [](const ::testing::TestParamInfo<Shape> &i) { return shapeName(i.param); });

} // namespace
