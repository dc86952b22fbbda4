//===- TargetTest.cpp - Code for other CPUs agrees with the reference -----===//
//
// kiln compiles for the host CPU by default: AVX-512 (16-wide vectors, 32
// registers) or AVX2 (8-wide, 16 registers), depending on the machine.
// The kernels are tiled for the target's vectors and registers, so a few
// specs that cover the tiled and the narrow matmuls, the norms, every
// activation and dropout go through the same forward and gradient checks
// built for other targets as well: `--target-cpu=x86-64-v3` (AVX2 with
// FMA, where the host has it) and `--target-cpu=x86-64` (portable: 4-wide
// SSE2 vectors and no FMA, so the kernels round differently too).
//
//===----------------------------------------------------------------------===//

#include "Checks.h"
#include "TestUtil.h"

using namespace kiln::e2e;

namespace {

struct TargetCase {
  const char *name;
  std::vector<std::string> flags;
  bool (*runsHere)();
};

const TargetCase kTargets[] = {
    {"X86_64", {"--target-cpu=x86-64"}, [] { return true; }},
    {"X86_64_V3",
     {"--target-cpu=x86-64-v3"},
     [] {
       return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
     }},
};

const SpecCase kSpecs[] = {
    {"wide.kiln"},         {"act_unfused.kiln"}, {"norm_act.kiln"},
    {"classifier.kiln"},   {"dropout.kiln"},     {"loss_ce_smooth.kiln"},
    {"shared_param.kiln"},
};

using Param = std::tuple<const TargetCase *, SpecCase>;

class OtherTarget : public ::testing::TestWithParam<Param> {
protected:
  void SetUp() override {
    if (!target().runsHere())
      GTEST_SKIP() << "the host cannot run " << target().name << " code";
  }
  const TargetCase &target() const { return *std::get<0>(GetParam()); }
  const SpecCase &spec() const { return std::get<1>(GetParam()); }
  const CompiledModel &compiled() const {
    return CompiledModel::get(specPath(spec().file), target().flags);
  }
};

TEST_P(OtherTarget, ForwardAgreesWithTheReference) {
  checkForward(compiled(), spec().xLow, spec().xHigh);
}

// The row blocks with the target's register tile.
TEST_P(OtherTarget, ContextPredictsAndEvaluatesEveryRowCount) {
  checkContextPredict(compiled(), spec().xLow, spec().xHigh);
}

TEST_P(OtherTarget, GradientsMatchFiniteDifferences) {
  checkGradients(compiled(), spec().xLow, spec().xHigh);
}

std::string paramName(const ::testing::TestParamInfo<Param> &i) {
  std::string file = std::get<1>(i.param).file;
  return std::string(std::get<0>(i.param)->name) + "_" +
         file.substr(0, file.find('.'));
}

std::vector<const TargetCase *> targets() {
  std::vector<const TargetCase *> all;
  for (const TargetCase &t : kTargets)
    all.push_back(&t);
  return all;
}

INSTANTIATE_TEST_SUITE_P(Targets, OtherTarget,
                         ::testing::Combine(::testing::ValuesIn(targets()),
                                            ::testing::ValuesIn(kSpecs)),
                         paramName);

} // namespace
