//===- TargetTest.cpp - Code for another CPU agrees with the reference ----===//
//
// kiln compiles for the host CPU by default (here AVX2 with FMA: 8-wide
// vectors, fused multiply-adds); `--target-cpu=x86-64` gives a portable
// binary with 4-wide SSE2 vectors and no FMA, so the kernels are tiled
// differently and round differently. A few specs that cover the tiled
// matmuls, the norms, every activation and dropout go through the same
// forward and gradient checks in that build (it runs on any x86-64 host).
//
//===----------------------------------------------------------------------===//

#include "Checks.h"
#include "TestUtil.h"

using namespace kiln::e2e;

namespace {

const std::vector<std::string> kPortable = {"--target-cpu=x86-64"};

class PortableTarget : public ::testing::TestWithParam<SpecCase> {
protected:
  const CompiledModel &compiled() const {
    return CompiledModel::get(specPath(GetParam().file), kPortable);
  }
};

TEST_P(PortableTarget, ForwardAgreesWithTheReference) {
  checkForward(compiled(), GetParam().xLow, GetParam().xHigh);
}

// The row blocks with the narrow target's register tile.
TEST_P(PortableTarget, ContextPredictsAndEvaluatesEveryRowCount) {
  checkContextPredict(compiled(), GetParam().xLow, GetParam().xHigh);
}

TEST_P(PortableTarget, GradientsMatchFiniteDifferences) {
  checkGradients(compiled(), GetParam().xLow, GetParam().xHigh);
}

const SpecCase kSpecs[] = {
    {"wide.kiln"},          {"act_unfused.kiln"}, {"norm_act.kiln"},
    {"classifier.kiln"},    {"dropout.kiln"},     {"loss_ce_smooth.kiln"},
    {"shared_param.kiln"},
};

INSTANTIATE_TEST_SUITE_P(X86_64, PortableTarget, ::testing::ValuesIn(kSpecs),
                         specCaseName);

} // namespace
