//===- CliTest.cpp - Standalone executables built by kiln -----------------===//
//
// `kiln build SPEC -o EXE` and the executable's subcommands, on small CSV
// files written here: reproducible training (dropout, shuffling and the
// validation split are all seeded), `info`, `init` + `predict` and `eval`
// against the float64 reference, and the two refusals that protect a
// user's files: a checkpoint of another model, and a diverged run.
//
//===----------------------------------------------------------------------===//

#include "Checks.h"
#include "TestUtil.h"

#include <cstdio>
#include <map>
#include <set>
#include <sstream>

using namespace kiln;
using namespace kiln::e2e;

namespace {

/// The spec of most tests here and its compiled forms: the executable, and
/// the same spec as a library to read checkpoints with its descriptor.
std::string cliSpec() { return specPath("cli.kiln"); }
std::string cliExe() { return buildExecutable(cliSpec()); }

/// Rows of the cli model's data: 4 features in [-1, 1] (float32 values,
/// printed so that they read back exactly) and a label 0..2.
struct Data {
  std::vector<double> x, y;
  int64_t rows = 0;
};

Data makeData(int64_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Data d;
  d.rows = rows;
  for (double v : uniformVector(rng, rows * 4, -1, 1))
    d.x.push_back((float)v);
  for (int64_t r = 0; r < rows; ++r) {
    const double *x = &d.x[r * 4];
    d.y.push_back(x[0] + x[1] > 0.5 ? 2 : x[2] - x[3] > 0 ? 1 : 0);
  }
  return d;
}

std::string writeCSV(const std::string &path, const Data &d, bool targets) {
  std::string text = targets ? "a,b,c,d,target\n" : "a,b,c,d\n";
  char buf[64];
  for (int64_t r = 0; r < d.rows; ++r) {
    for (int k = 0; k < 4; ++k) {
      snprintf(buf, sizeof buf, "%s%.9g", k ? "," : "", d.x[r * 4 + k]);
      text += buf;
    }
    text += targets ? "," + std::to_string((int)d.y[r]) + "\n" : "\n";
  }
  writeFile(path, text);
  return path;
}

CommandResult run(const std::string &exe, std::vector<std::string> args,
                  const std::string &cwd) {
  args.insert(args.begin(), exe);
  return runCommand(args, cwd);
}

#define EXPECT_EXIT_STATUS(result, status)                                     \
  EXPECT_TRUE(!(result).signaled && (result).exitCode == (status))             \
      << (result).describe()

TEST(Reproducibility, SameSeedGivesTheSameBytes) {
  std::string dir = makeScratchDir("repro");
  writeCSV(dir + "/train.csv", makeData(40, 1), true);
  auto train = [&](const std::string &save, std::vector<std::string> extra) {
    std::vector<std::string> args = {"train", "--data", "train.csv",
                                     "--epochs", "3", "--quiet", "--save",
                                     save};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult r = run(cliExe(), args, dir);
    EXPECT_EXIT_STATUS(r, 0);
    return readFile(dir + "/" + save);
  };
  std::string a = train("a.safetensors", {"--seed", "7"});
  EXPECT_EQ(a, train("b.safetensors", {"--seed", "7"}));
  std::string v = train("v.safetensors", {"--seed", "7", "--val-split", "0.25"});
  EXPECT_EQ(v, train("w.safetensors", {"--seed", "7", "--val-split", "0.25"}));
  EXPECT_NE(a, v) << "the split holds out rows";
  EXPECT_NE(a, train("c.safetensors", {"--seed", "8"}));
}

// With the same starting weights and no shuffling, only the dropout masks
// depend on the seed: the same seed reproduces the run, another changes it.
TEST(Reproducibility, DropoutMasksFollowTheSeed) {
  std::string dir = makeScratchDir("dropout");
  writeCSV(dir + "/train.csv", makeData(40, 2), true);
  CommandResult r =
      run(cliExe(), {"init", "--seed", "3", "--save", "init.safetensors"}, dir);
  EXPECT_EXIT_STATUS(r, 0);
  auto train = [&](const std::string &seed) {
    std::string save = "s" + seed + ".safetensors";
    CommandResult t = run(cliExe(),
                          {"train", "--data", "train.csv", "--epochs", "2",
                           "--no-shuffle", "--init-from", "init.safetensors",
                           "--seed", seed, "--quiet", "--save", save},
                          dir);
    EXPECT_EXIT_STATUS(t, 0);
    return readFile(dir + "/" + save);
  };
  std::string s7 = train("7");
  EXPECT_EQ(s7, train("7"));
  EXPECT_NE(s7, train("8"));
}

TEST(Cli, InfoListsTheTensorsAndTheParameterCount) {
  std::unique_ptr<Model> model = loadModel(cliSpec());
  CommandResult r = run(cliExe(), {"info"}, makeScratchDir("info"));
  EXPECT_EXIT_STATUS(r, 0);

  // "  name  [shape]  role" lines between "tensors" and "parameters".
  std::map<std::string, std::pair<std::string, std::string>> listed;
  int64_t paramCount = -1;
  bool inTable = false;
  for (const std::string &line : splitLines(r.out)) {
    if (line == "tensors") {
      inTable = true;
      continue;
    }
    if (line.rfind("parameters", 0) == 0) {
      inTable = false;
      paramCount = std::stoll(line.substr(line.find_last_of(' ') + 1));
      continue;
    }
    if (!inTable)
      continue;
    std::string name, role;
    std::istringstream in(line);
    in >> name;
    size_t open = line.find('['), close = line.find(']');
    ASSERT_NE(open, std::string::npos) << line;
    std::istringstream(line.substr(close + 1)) >> role;
    listed[name] = {line.substr(open, close - open + 1), role};
  }

  // Expected from the spec: its states, and Adam's two buffers per param.
  std::map<std::string, std::pair<std::string, std::string>> expected;
  int64_t params = 0;
  for (const StateTensor &st : model->states) {
    std::string shape = "[";
    for (size_t i = 0; i < st.shape.size(); ++i)
      shape += (i ? ", " : "") + std::to_string(st.shape[i]);
    shape += "]";
    ASSERT_EQ(st.role, StateRole::Parameter);
    expected[st.name] = {shape, "param"};
    expected[st.name + ".exp_avg"] = {shape, "optimizer"};
    expected[st.name + ".exp_avg_sq"] = {shape, "optimizer"};
    params += Tensor::numel(st.shape);
  }
  EXPECT_EQ(listed, expected) << r.out;
  EXPECT_EQ(params, 8 * 4 + 8 + 3 * 8 + 3);
  EXPECT_EQ(paramCount, params) << r.out;
}

TEST(Cli, InitThenPredictMatchesTheReference) {
  std::string dir = makeScratchDir("predict");
  CommandResult r =
      run(cliExe(), {"init", "--seed", "5", "--save", "w.safetensors"}, dir);
  EXPECT_EXIT_STATUS(r, 0);
  Data d = makeData(21, 3); // not a multiple of the batch size
  writeCSV(dir + "/x.csv", d, /*targets=*/false);
  r = run(cliExe(),
          {"predict", "--weights", "w.safetensors", "--data", "x.csv",
           "--output", "y.csv"},
          dir);
  EXPECT_EXIT_STATUS(r, 0);

  const CompiledModel &cm = CompiledModel::get(cliSpec());
  State state = cm.loadCheckpoint(dir + "/w.safetensors");
  // `init --seed S` draws what kiln_init_state draws with S.
  State drawn = cm.initState(5);
  for (const StateTensor &st : cm.model().states)
    EXPECT_EQ(cm.read(state, st.name), cm.read(drawn, st.name)) << st.name;

  std::vector<double> ref = cm.reference().predictRows(cm.toRef(state), d.x,
                                                       d.rows);
  std::vector<std::string> lines = splitLines(readFile(dir + "/y.csv"));
  ASSERT_EQ(lines.size(), (size_t)d.rows + 1);
  EXPECT_EQ(lines[0], "class,p0,p1,p2");
  std::vector<float> probs;
  for (int64_t i = 0; i < d.rows; ++i) {
    std::vector<std::string> f = splitCSVRow(lines[i + 1]);
    ASSERT_EQ(f.size(), 4u) << lines[i + 1];
    const double *p = &ref[i * 3];
    int best = (int)(std::max_element(p, p + 3) - p);
    EXPECT_EQ(std::stoi(f[0]), best) << "row " << i;
    for (int k = 0; k < 3; ++k)
      probs.push_back(std::stof(f[k + 1]));
  }
  // 9 significant digits are printed, so the forward tolerance applies.
  EXPECT_TRUE(allClose(probs, ref, kForwardTol));
}

TEST(Cli, EvalPrintsTheReferenceLossAndAccuracy) {
  std::string dir = makeScratchDir("eval");
  CommandResult r =
      run(cliExe(), {"init", "--seed", "6", "--save", "w.safetensors"}, dir);
  EXPECT_EXIT_STATUS(r, 0);
  Data d = makeData(19, 4);
  writeCSV(dir + "/test.csv", d, true);
  r = run(cliExe(), {"eval", "--weights", "w.safetensors", "--data", "test.csv"},
          dir);
  EXPECT_EXIT_STATUS(r, 0);

  const CompiledModel &cm = CompiledModel::get(cliSpec());
  const Reference &ref = cm.reference();
  RefStates states = cm.toRef(cm.loadCheckpoint(dir + "/w.safetensors"));
  // Batch by batch, the last one padded; padded rows do not count.
  double loss = 0, correct = 0;
  int64_t B = ref.batchSize();
  for (int64_t first = 0; first < d.rows; first += B) {
    int64_t n = std::min(B, d.rows - first);
    std::vector<double> x(B * 4, 0.0), y(B, 0.0);
    std::copy(d.x.begin() + first * 4, d.x.begin() + (first + n) * 4,
              x.begin());
    std::copy(d.y.begin() + first, d.y.begin() + first + n, y.begin());
    RefResult res = ref.run(states, x, y, Mode::Inference);
    for (int64_t i = 0; i < n; ++i) {
      loss += res.sampleLoss[i];
      const double *p = &res.output[i * 3];
      correct += (std::max_element(p, p + 3) - p) == (int64_t)y[i];
    }
  }
  loss /= d.rows;
  double accuracy = correct / d.rows;

  double gotLoss = -1, gotAccuracy = -1;
  ASSERT_EQ(sscanf(r.out.c_str(), "loss %lf accuracy %lf", &gotLoss,
                   &gotAccuracy),
            2)
      << r.out;
  // Printed with 4 decimals: half a unit of the last digit, plus the
  // forward tolerance.
  EXPECT_NEAR(gotLoss, loss, 5e-5 + kForwardTol * std::max(1.0, loss))
      << r.out;
  EXPECT_NEAR(gotAccuracy, accuracy, 5e-5) << r.out;
}

TEST(Cli, RefusesACheckpointOfAnotherModel) {
  std::string dir = makeScratchDir("foreign");
  const CompiledModel &other = CompiledModel::get(specPath("matmul.kiln"));
  other.saveCheckpoint(other.initState(1), dir + "/other.safetensors");
  writeCSV(dir + "/x.csv", makeData(5, 5), false);
  CommandResult r = run(cliExe(),
                        {"predict", "--weights", "other.safetensors", "--data",
                         "x.csv"},
                        dir);
  EXPECT_EXIT_STATUS(r, 1);
  EXPECT_NE(r.err.find("error:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("other.safetensors"), std::string::npos) << r.err;
  // The message names a tensor that one model has and the other has not.
  std::set<std::string> names;
  for (const StateTensor &st : other.model().states)
    names.insert(st.name);
  for (const StateTensor &st : CompiledModel::get(cliSpec()).model().states)
    names.insert(st.name);
  bool named = false;
  for (const std::string &n : names)
    named |= r.err.find("\"" + n + "\"") != std::string::npos;
  EXPECT_TRUE(named) << r.err;
  EXPECT_TRUE(r.out.empty()) << "no predictions on stdout:\n" << r.out;
}

/// Saves fresh weights to dir/w.safetensors, then trains on dir/train.csv
/// for `epochs`, saving to the same file: the run must fail (exit 1), say
/// that it did not write the checkpoint, and leave it byte for byte as it
/// was. Returns stderr, for what the caller expects it to say.
std::string trainFailsKeepingCheckpoint(const std::string &exe,
                                        const std::string &dir,
                                        const std::string &epochs) {
  CommandResult r =
      run(exe, {"init", "--seed", "2", "--save", "w.safetensors"}, dir);
  EXPECT_EXIT_STATUS(r, 0);
  std::string bytes = readFile(dir + "/w.safetensors");
  r = run(exe,
          {"train", "--data", "train.csv", "--epochs", epochs, "--save",
           "w.safetensors"},
          dir);
  EXPECT_EXIT_STATUS(r, 1);
  EXPECT_NE(r.err.find("w.safetensors was not written"), std::string::npos)
      << r.err;
  EXPECT_EQ(readFile(dir + "/w.safetensors"), bytes)
      << "the existing checkpoint was modified";
  return r.err;
}

TEST(Cli, NanLossStopsTrainingAndKeepsTheCheckpoint) {
  std::string exe = buildExecutable(specPath("diverge.kiln"));
  std::string dir = makeScratchDir("nan");
  std::string text = "a,b,target\n";
  for (int i = 1; i <= 12; ++i)
    text += std::to_string(0.1 * i) + "," + std::to_string(0.05 * i + 0.2) +
            "," + std::to_string(0.3 * i - 1) + "\n";
  writeFile(dir + "/train.csv", text);
  std::string err = trainFailsKeepingCheckpoint(exe, dir, "2");
  EXPECT_NE(err.find("loss became nan at step 1 "), std::string::npos) << err;
}

// The outside campaign's case: Adam with lr = 1e6 kept training at chance
// level on finite losses and overwrote the checkpoint with exit 0. A
// compiled model now stops as diverged and leaves the checkpoint as it was.
TEST(Cli, AHugeLearningRateStopsAsDivergedAndKeepsTheCheckpoint) {
  std::string dir = makeScratchDir("diverged");
  writeFile(dir + "/huge_lr.kiln",
            "model huge_lr\ninput x: [4]\ntarget y: class(3)\n"
            "h = x -> dense(8) -> relu -> dense(3)\n"
            "loss cross_entropy(h, y)\n"
            "train { optimizer = adam(lr = 1e6); batch_size = 8 }\n");
  std::string exe = buildExecutable(dir + "/huge_lr.kiln");
  writeCSV(dir + "/train.csv", makeData(200, 3), true);
  std::string err = trainFailsKeepingCheckpoint(exe, dir, "20");
  EXPECT_TRUE(err.find("training diverged") != std::string::npos ||
              err.find("loss became") != std::string::npos)
      << err;
}

} // namespace

namespace {

// A spec that passes the frontend's checks either compiles or is refused
// with a diagnostic at its place (`file:line:col: error: ...`, exit 1),
// never with an internal error. Batch norm cannot normalize a batch of one
// row in training (no variance): kiln must say so against the spec.
TEST(KilnBuild, BatchNormOnOneRowPerBatchIsNoInternalError) {
  std::string dir = makeScratchDir("bn1");
  writeFile(dir + "/bn1.kiln", "model bn1\n"
                               "input x: [3]\n"
                               "target y: real\n"
                               "loss mse(x -> batchnorm -> dense(1), y)\n"
                               "train { batch_size = 1 }\n");
  CommandResult r = runCommand({KILN_BIN, "build", "bn1.kiln", "-o", "bn1"},
                               dir);
  ASSERT_FALSE(r.signaled) << r.describe();
  if (r.exitCode == 0)
    return; // accepted: compiling it is the other valid answer
  EXPECT_EQ(r.exitCode, 1) << r.describe();
  EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.rfind("bn1.kiln:", 0), 0u)
      << "expected a diagnostic at the spec's line and column first:\n"
      << r.err;
}

} // namespace
