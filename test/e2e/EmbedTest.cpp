//===- EmbedTest.cpp - The embedding example builds, runs and agrees ------===//
//
// examples/embed/ as its README says to use it: `kiln build --emit=lib`,
// main.c compiled and linked with the object and libkiln_rt.a by the C
// compiler, run on a checkpoint; its printed probabilities are compared
// with the float64 reference on the same weights.
//
//===----------------------------------------------------------------------===//

#include "Checks.h"
#include "TestUtil.h"

#include <map>
#include <sstream>

using namespace kiln;
using namespace kiln::e2e;

namespace {

std::string embedSpec() {
  return std::string(KILN_SOURCE_DIR) + "/examples/embed/model.kiln";
}

/// The example's program: main.c against the library build of model.kiln
/// with the `kiln build` options `flags`, built once per set of options
/// (warnings are errors: the example should be clean C).
const std::string &demo(const std::vector<std::string> &flags = {}) {
  static std::map<std::vector<std::string>, std::string> built;
  std::string &exe = built[flags];
  if (exe.empty()) {
    const CompiledModel &cm = CompiledModel::get(embedSpec(), flags);
    std::string out = makeScratchDir("embed" + std::to_string(built.size())) +
                      "/iris_demo";
    CommandResult r = runCommand(
        {KILN_CC, "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-I",
         cm.libDir(), std::string(KILN_SOURCE_DIR) + "/examples/embed/main.c",
         cm.libDir() + "/iris.o", cm.libDir() + "/libkiln_rt.a", "-lm",
         "-lpthread", KILN_OPENMP_LINK_FLAG, "-o", out});
    if (r.signaled || r.exitCode != 0)
      throw std::runtime_error("building the example failed:\n" +
                               r.describe());
    exe = out;
  }
  return exe;
}

/// One printed line: "x 5.1 3.5 1.4 0.2  p 0.1 0.2 0.7  virginica".
struct Line {
  std::vector<double> x;
  std::vector<float> p;
  std::string species;
};

std::vector<Line> parseOutput(const std::string &out) {
  std::vector<Line> lines;
  for (const std::string &text : splitLines(out)) {
    std::istringstream in(text);
    std::string word;
    Line line;
    in >> word;
    if (word != "x")
      throw std::runtime_error("unexpected line: " + text);
    double v;
    for (int k = 0; k < 4 && in >> v; ++k)
      line.x.push_back((float)v); // the program's float inputs
    in >> word;
    for (int k = 0; k < 3 && in >> v; ++k)
      line.p.push_back((float)v);
    in >> line.species;
    if (word != "p" || line.x.size() != 4 || line.p.size() != 3 || !in)
      throw std::runtime_error("unexpected line: " + text);
    lines.push_back(line);
  }
  return lines;
}

/// Runs the example on a checkpoint (given on its command line, or
/// compiled into the model with `compiledIn`) and checks every printed
/// probability against the reference on the same weights; returns the
/// species.
std::vector<std::string> runAndCompare(const std::string &weights,
                                       bool compiledIn = false) {
  const CompiledModel &cm = CompiledModel::get(embedSpec());
  CommandResult r = compiledIn ? runCommand({demo({"--weights", weights})})
                               : runCommand({demo(), weights});
  EXPECT_TRUE(!r.signaled && r.exitCode == 0) << r.describe();
  std::vector<Line> lines = parseOutput(r.out);
  EXPECT_EQ(lines.size(), 3u) << r.out;
  std::vector<double> x;
  std::vector<float> probs;
  for (const Line &l : lines) {
    x.insert(x.end(), l.x.begin(), l.x.end());
    probs.insert(probs.end(), l.p.begin(), l.p.end());
  }
  RefStates states = cm.toRef(cm.loadCheckpoint(weights));
  std::vector<double> ref =
      cm.reference().predictRows(states, x, (int64_t)lines.size());
  // Printed with 6 decimals: 5e-7 of rounding on top of the forward
  // tolerance.
  EXPECT_TRUE(allClose(probs, ref, kForwardTol + 5e-7)) << r.out;
  const char *names[] = {"setosa", "versicolor", "virginica"};
  std::vector<std::string> species;
  for (size_t i = 0; i < lines.size(); ++i) {
    const double *p = &ref[i * 3];
    EXPECT_EQ(lines[i].species, names[std::max_element(p, p + 3) - p]);
    species.push_back(lines[i].species);
  }
  return species;
}

TEST(Embed, FreshWeightsGiveTheReferenceProbabilities) {
  const CompiledModel &cm = CompiledModel::get(embedSpec());
  std::string weights = makeScratchDir("embed-init") + "/iris.safetensors";
  kiln_ctx *ctx = nullptr;
  kiln_error err;
  ASSERT_EQ(kiln_ctx_create(&cm.abi(), &ctx, &err), KILN_OK) << err.message;
  EXPECT_EQ(kiln_ctx_init(ctx, 4), KILN_OK) << kiln_ctx_last_error(ctx);
  EXPECT_EQ(kiln_ctx_save(ctx, weights.c_str()), KILN_OK)
      << kiln_ctx_last_error(ctx);
  kiln_ctx_destroy(ctx);
  runAndCompare(weights);
}

// The README's whole flow: the standalone executable of the same spec
// trains on examples/data (paths from the spec's data section), and the
// application classifies three textbook flowers with those weights.
TEST(Embed, TrainedWeightsClassifyTheThreeFlowers) {
  std::string dir = makeScratchDir("embed-train");
  CommandResult r = runCommand({buildExecutable(embedSpec()), "train",
                                "--quiet", "--save", "iris.safetensors"},
                               dir);
  ASSERT_TRUE(!r.signaled && r.exitCode == 0) << r.describe();
  EXPECT_EQ(runAndCompare(dir + "/iris.safetensors"),
            (std::vector<std::string>{"setosa", "versicolor", "virginica"}));
}

// `kiln build --emit=lib --weights`: the application runs without a
// checkpoint file and predicts what the reference predicts with it.
TEST(Embed, CompiledInWeightsNeedNoFile) {
  std::string dir = makeScratchDir("embed-compiled-in");
  CommandResult r = runCommand({buildExecutable(embedSpec()), "train",
                                "--quiet", "--save", "iris.safetensors"},
                               dir);
  ASSERT_TRUE(!r.signaled && r.exitCode == 0) << r.describe();
  EXPECT_EQ(runAndCompare(dir + "/iris.safetensors", /*compiledIn=*/true),
            (std::vector<std::string>{"setosa", "versicolor", "virginica"}));
  r = runCommand({demo()});
  EXPECT_EQ(r.exitCode, 2) << "no weights compiled in and none given:\n"
                           << r.describe();
}

// The generated header is usable from C++ (extern "C", no C-only
// constructs): main.c compiled as C++ links against the C object.
TEST(Embed, TheHeaderWorksFromCpp) {
  const CompiledModel &cm = CompiledModel::get(embedSpec());
  std::string exe = makeScratchDir("embed-cxx") + "/iris_demo_cxx";
  CommandResult r = runCommand(
      {KILN_CXX, "-std=c++17", "-Wall", "-Wextra", "-Werror", "-I",
       cm.libDir(), "-x", "c++",
       std::string(KILN_SOURCE_DIR) + "/examples/embed/main.c", "-x", "none",
       cm.libDir() + "/iris.o", cm.libDir() + "/libkiln_rt.a", "-lm",
       "-lpthread", KILN_OPENMP_LINK_FLAG, "-o", exe});
  ASSERT_TRUE(!r.signaled && r.exitCode == 0) << r.describe();
  r = runCommand({exe, scratchDir() + "/missing.safetensors"});
  EXPECT_EQ(r.exitCode, 1) << r.describe();
}

// Two compiled models in one program: their symbols are prefixed by the
// model's name and share one runtime, so they link side by side and each
// predicts what the reference says with kiln_ctx_init's weights.
TEST(Embed, TwoModelsLinkIntoOneProgram) {
  const CompiledModel &iris = CompiledModel::get(embedSpec());
  const CompiledModel &other = CompiledModel::get(specPath("dropout.kiln"));
  std::string dir = makeScratchDir("two-models");
  writeFile(dir + "/two.c", R"(#include "dropout.h"
#include "iris.h"

#include <stdio.h>

int main(void) {
  const kiln_model *models[] = {&dropout_model, &iris_model};
  const float x[8] = {0.5f, -0.25f, 1.0f, 0.75f, -1.0f, 0.125f, 0, 0};
  for (int i = 0; i < 2; ++i) {
    kiln_ctx *ctx = NULL;
    kiln_error err;
    float y[8];
    if (kiln_ctx_create(models[i], &ctx, &err) != KILN_OK ||
        kiln_ctx_init(ctx, 1) != KILN_OK ||
        kiln_ctx_predict(ctx, x, 1, y) != KILN_OK) {
      fprintf(stderr, "error: %s\n",
              ctx ? kiln_ctx_last_error(ctx) : err.message);
      return 1;
    }
    printf("%s", models[i]->name);
    for (int k = 0; k < models[i]->output_dim; ++k)
      printf(" %.9g", y[k]);
    printf("\n");
    kiln_ctx_destroy(ctx);
  }
  return 0;
}
)");
  CommandResult r = runCommand(
      {KILN_CC, "-std=c11", "-Wall", "-Werror", "-I", iris.libDir(), "-I",
       other.libDir(), dir + "/two.c", other.libDir() + "/dropout.o",
       iris.libDir() + "/iris.o", iris.libDir() + "/libkiln_rt.a", "-lm",
       "-lpthread", KILN_OPENMP_LINK_FLAG, "-o", dir + "/two"});
  ASSERT_TRUE(!r.signaled && r.exitCode == 0) << r.describe();
  r = runCommand({dir + "/two"});
  ASSERT_TRUE(!r.signaled && r.exitCode == 0) << r.describe();

  std::vector<std::string> lines = splitLines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  const double x[] = {0.5, -0.25, 1.0, 0.75, -1.0, 0.125};
  const CompiledModel *models[] = {&other, &iris};
  for (int i = 0; i < 2; ++i) {
    const CompiledModel &cm = *models[i];
    std::istringstream in(lines[i]);
    std::string name;
    in >> name;
    EXPECT_EQ(name, cm.model().name);
    std::vector<float> got;
    for (double v; in >> v;)
      got.push_back((float)v);
    std::vector<double> row(x, x + cm.reference().inputDim());
    EXPECT_TRUE(allClose(got,
                         cm.reference().predictRows(
                             cm.toRef(cm.initState(1)), row, 1),
                         kForwardTol))
        << lines[i];
  }
}

TEST(Embed, MissingWeightsFileIsAMessageNotACrash) {
  std::string missing = scratchDir() + "/no-such-weights.safetensors";
  CommandResult r = runCommand({demo(), missing});
  EXPECT_FALSE(r.signaled) << r.describe();
  EXPECT_EQ(r.exitCode, 1) << r.describe();
  EXPECT_NE(r.err.find("error: " + missing), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

} // namespace
