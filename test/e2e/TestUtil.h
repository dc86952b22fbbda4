//===- TestUtil.h - Shared pieces of the e2e test files ----------*- C++ -*-===//

#ifndef KILN_TEST_E2E_TESTUTIL_H
#define KILN_TEST_E2E_TESTUTIL_H

#include "CompiledModel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace kiln::e2e {

/// A spec under test/e2e/specs and the range its inputs are drawn from.
struct SpecCase {
  const char *file;
  double xLow = -1.0, xHigh = 1.0;
};

inline std::ostream &operator<<(std::ostream &os, const SpecCase &c) {
  return os << c.file;
}

/// The op-family specs: each compiles with sgd(lr = 1.0) and no weight
/// decay (so one train_step turns w into w - g), and together they use
/// every op, activation, normalization, loss and output kind.
inline std::vector<SpecCase> opFamilySpecs() {
  return {
      // Ops.
      {"dense.kiln"},
      {"matmul.kiln"},
      {"broadcast.kiln"},
      {"unary.kiln", 0.5, 1.5}, // log and sqrt need x * w > 0
      {"shared_param.kiln"},
      {"reuse.kiln"},
      {"wide.kiln"},
      // Activations: after a dense layer, unfused, far from zero.
      {"act_relu.kiln"},
      {"act_leaky_relu.kiln"},
      {"act_elu.kiln"},
      {"act_sigmoid.kiln"},
      {"act_tanh.kiln"},
      {"act_gelu.kiln"},
      {"act_gelu_approx.kiln"},
      {"act_softplus.kiln"},
      {"act_swish.kiln"},
      {"act_unfused.kiln"},
      {"softmax.kiln"},
      {"large_values.kiln", -60, 60},
      {"large_logits.kiln", -60, 60},
      // Dropout and normalization.
      {"dropout.kiln"},
      {"batchnorm.kiln"},
      {"layernorm.kiln"},
      {"norm_act.kiln"},
      // Losses and their outputs.
      {"loss_ce.kiln"},
      {"loss_ce_smooth.kiln"},
      {"loss_bce.kiln"},
      {"loss_bce_logits.kiln"},
      {"loss_mlbce.kiln"},
      {"loss_mlbce_logits.kiln"},
      {"loss_mlbce_mean.kiln"},
      {"loss_mse.kiln"},
      {"loss_mae.kiln"},
      {"loss_huber.kiln"},
      {"loss_huber_sum.kiln"},
      {"loss_expr_mse.kiln"},
      {"loss_expr_bce.kiln"},
      // Whole networks.
      {"regressor.kiln"},
      {"classifier.kiln"},
  };
}

/// gtest parameter names: the file name without ".kiln".
inline std::string specCaseName(const ::testing::TestParamInfo<SpecCase> &i) {
  std::string name = i.param.file;
  return name.substr(0, name.find('.'));
}

/// The `kiln build` flag for a test about something other than prediction
/// row blocks (ForwardTest predicts every row count on the default ones):
/// the batch size's block and the one-row block alone compile in about
/// two thirds of the time.
inline const std::string kOneRowBlock = "--predict-rows=1";

/// |compiled - ref| <= rel * max(1, |ref|), element by element (a NaN
/// fails); reports the largest relative error and the first few
/// mismatches. `ref` is a float64 reference, or another compiled variant.
/// With KILN_E2E_VERBOSE set, prints the largest error of every comparison
/// (how the tolerances were measured), labelled with `what`.
template <typename Ref>
::testing::AssertionResult allClose(const std::vector<float> &compiled,
                                    const std::vector<Ref> &ref, double rel,
                                    const std::string &what = "") {
  if (compiled.size() != ref.size())
    return ::testing::AssertionFailure()
           << "sizes differ: " << compiled.size() << " vs " << ref.size();
  int bad = 0;
  double worst = 0;
  ::testing::AssertionResult failure = ::testing::AssertionFailure();
  for (size_t i = 0; i < ref.size(); ++i) {
    double r = static_cast<double>(ref[i]);
    double err = std::fabs(compiled[i] - r) / std::max(1.0, std::fabs(r));
    worst = std::max(worst, err);
    if (err <= rel)
      continue;
    if (bad++ < 8)
      failure << "\n  [" << i << "] compiled " << compiled[i] << ", reference "
              << r << " (relative error " << err << ")";
  }
  if (std::getenv("KILN_E2E_VERBOSE"))
    std::printf("  worst %.3g  %s %s\n", worst,
                ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                what.c_str());
  if (bad == 0)
    return ::testing::AssertionSuccess();
  return failure << "\n  " << bad << " of " << ref.size()
                 << " elements outside rel " << rel << " (worst " << worst
                 << ")";
}

} // namespace kiln::e2e

#endif // KILN_TEST_E2E_TESTUTIL_H
