//===- ResumeTest.cpp - train --checkpoint and --resume -------------------===//
//
// A run cut into pieces (by --steps, or by SIGINT) and continued with
// --resume must end with the uninterrupted run's weights, byte for byte,
// and its metrics rows (all but the seconds column). The spec has dropout,
// Adam, a schedule, shuffling, a validation split and early stopping, so
// that every piece of a run's state matters. Then the refusals: a
// checkpoint of another model or of another version of it, a file without
// (or with damaged) resume metadata, and flags that contradict the
// checkpoint.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace kiln::e2e;

namespace {

std::string resumeExe() { return buildExecutable(specPath("resume.kiln")); }

constexpr int kEpochs = 14;      // resume.kiln's epochs
constexpr int kBatches = 8;      // 60 training rows in batches of 8
constexpr const char *kSeed = "5";

/// 80 rows (60 for training, 20 held out), labels from a rule with 30% of
/// them replaced by noise, so that the validation loss soon stops
/// improving and early stopping's patience is used up.
void writeData(const std::string &dir) {
  std::mt19937_64 rng(11);
  std::vector<double> x = uniformVector(rng, 80 * 4, -1, 1);
  std::vector<double> noise = uniformVector(rng, 80 * 2, 0, 1);
  std::string text = "a,b,c,d,target\n";
  char buf[64];
  for (int r = 0; r < 80; ++r) {
    const double *v = &x[r * 4];
    int label = v[0] + v[1] > 0.5 ? 2 : v[2] - v[3] > 0 ? 1 : 0;
    if (noise[2 * r] < 0.3)
      label = (int)(noise[2 * r + 1] * 3) % 3;
    for (int k = 0; k < 4; ++k) {
      snprintf(buf, sizeof buf, "%s%.9g", k ? "," : "", (double)(float)v[k]);
      text += buf;
    }
    text += "," + std::to_string(label) + "\n";
  }
  writeFile(dir + "/train.csv", text);
}

CommandResult train(const std::string &dir, std::vector<std::string> args,
                    const std::string &exe = "") {
  std::vector<std::string> argv = {exe.empty() ? resumeExe() : exe, "train",
                                    "--data", "train.csv"};
  argv.insert(argv.end(), args.begin(), args.end());
  return runCommand(argv, dir);
}

#define EXPECT_EXIT_STATUS(result, status)                                     \
  EXPECT_TRUE(!(result).signaled && (result).exitCode == (status))             \
      << (result).describe()

/// The metrics file's lines without their last field (the seconds).
std::vector<std::string> metricsRows(const std::string &path) {
  std::vector<std::string> rows;
  for (const std::string &line : splitLines(readFile(path)))
    rows.push_back(line.substr(0, line.rfind(',')));
  return rows;
}

/// The JSON header of a safetensors file.
std::string header(const std::string &path) {
  std::string raw = readFile(path);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i)
    n = (n << 8) | (unsigned char)raw.at(i);
  return raw.substr(8, n);
}

/// A metadata value of a checkpoint, as the string it is stored as.
std::string metadata(const std::string &path, const std::string &key) {
  std::string h = header(path), k = "\"" + key + "\":\"";
  size_t at = h.find(k);
  if (at == std::string::npos)
    return "";
  at += k.size();
  return h.substr(at, h.find('"', at) - at);
}

struct Outcome {
  std::string weights;
  std::vector<std::string> rows;
  std::string out;
};

/// The uninterrupted run that the pieces must reproduce.
Outcome uninterrupted(const std::string &dir, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--epochs", std::to_string(kEpochs),
                                   "--seed",   kSeed,
                                   "--metrics", "full.csv",
                                   "--save",   "full.safetensors"};
  args.insert(args.end(), extra.begin(), extra.end());
  CommandResult r = train(dir, args);
  EXPECT_EXIT_STATUS(r, 0);
  return {readFile(dir + "/full.safetensors"), metricsRows(dir + "/full.csv"),
          r.out};
}

/// Runs the pieces in order, each continuing the previous one's checkpoint
/// (all but the first with --resume), with one metrics file; the last one
/// runs to the end. Returns its result.
Outcome pieces(const std::string &dir,
           const std::vector<std::vector<std::string>> &parts) {
  for (size_t i = 0; i < parts.size(); ++i) {
    std::vector<std::string> args = {"--metrics", "pieces.csv", "--save",
                                     "pieces.safetensors", "--quiet"};
    if (i == 0) {
      args.insert(args.end(), {"--seed", kSeed, "--checkpoint",
                               "ck.safetensors"});
    } else {
      args.insert(args.end(), {"--resume", "ck.safetensors"});
    }
    args.insert(args.end(), parts[i].begin(), parts[i].end());
    CommandResult r = train(dir, args);
    EXPECT_EXIT_STATUS(r, 0);
  }
  return {readFile(dir + "/pieces.safetensors"),
          metricsRows(dir + "/pieces.csv"), ""};
}

void expectSameRun(const Outcome &got, const Outcome &want) {
  EXPECT_TRUE(got.weights == want.weights)
      << "the resumed run's weights differ from the uninterrupted run's";
  EXPECT_EQ(got.rows, want.rows);
}

const std::string kAll = std::to_string(kEpochs);

TEST(Resume, AtAnEpochBoundary) {
  std::string dir = makeScratchDir("resume_epoch");
  writeData(dir);
  Outcome full = uninterrupted(dir);
  ASSERT_GE(full.rows.size(), 5u);
  // Checkpoints every 5 steps on the way leave the run as it is.
  Outcome got = pieces(dir, {{"--steps", std::to_string(3 * kBatches),
                          "--checkpoint-every-steps", "5"},
                         {"--epochs", kAll}});
  expectSameRun(got, full);
}

TEST(Resume, MidEpoch) {
  std::string dir = makeScratchDir("resume_mid");
  writeData(dir);
  Outcome full = uninterrupted(dir);
  Outcome got = pieces(dir, {{"--steps", std::to_string(2 * kBatches + 3)},
                         {"--epochs", kAll}});
  expectSameRun(got, full);
  // The first piece wrote a metrics row for its partial third epoch; the
  // resumed run replaced it.
}

// The interesting state of early stopping is an epoch that did not
// improve: the best epoch's weights and value, and the count of epochs
// without improvement, must all carry over.
TEST(Resume, DuringEarlyStoppingPatience) {
  std::string dir = makeScratchDir("resume_patience");
  writeData(dir);
  Outcome full = uninterrupted(dir);
  ASSERT_NE(full.out.find("early stopping: val_loss has not improved"),
            std::string::npos)
      << "the spec's data should make early stopping stop the run:\n"
      << full.out;
  ASSERT_NE(full.out.find("restored the state of epoch"), std::string::npos)
      << full.out;
  // The first epoch whose val_loss is no better than the best before it.
  int waiting = 0;
  double best = 1e300;
  for (size_t i = 1; i < full.rows.size() && !waiting; ++i) {
    std::vector<std::string> f = splitCSVRow(full.rows[i]);
    double v = std::stod(f.at(2));
    if (v >= best)
      waiting = std::stoi(f.at(0));
    best = std::min(best, v);
  }
  ASSERT_GT(waiting, 0) << "no epoch without improvement";
  // Inside the next epoch, then a second resume a little later, then on.
  Outcome got = pieces(dir, {{"--steps", std::to_string(waiting * kBatches + 2)},
                         {"--steps", std::to_string(waiting * kBatches + 5)},
                         {"--epochs", kAll}});
  expectSameRun(got, full);
  std::string h = header(dir + "/ck.safetensors");
  EXPECT_EQ(metadata(dir + "/ck.safetensors", "stopped_early"), "1");
  EXPECT_NE(h.find("\"best/"), std::string::npos) << h;
}

// SIGINT while training: the run stops at the next step, writes its
// checkpoint, exits 1 and says where the checkpoint is; the resumed run
// ends as one that was never interrupted.
TEST(Resume, SigintWritesACheckpointToContinueFrom) {
  std::string dir = makeScratchDir("resume_sigint");
  writeData(dir);
  std::string exe = resumeExe();
  std::vector<std::string> argv = {exe, "train", "--data", "train.csv",
                                   "--seed", kSeed, "--epochs", "1000000",
                                   "--no-early-stopping", "--checkpoint",
                                   "ck.safetensors", "--checkpoint-every",
                                   "50", "--metrics", "pieces.csv", "--save",
                                   "pieces.safetensors", "--quiet"};
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (chdir(dir.c_str()) != 0)
      _exit(127);
    int fd = open("stderr.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    int nul = open("/dev/null", O_WRONLY);
    dup2(nul, 1);
    std::vector<char *> args;
    for (std::string &a : argv)
      args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  // The first periodic checkpoint shows that training is under way.
  auto start = std::chrono::steady_clock::now();
  while (!fileExists(dir + "/ck.safetensors") &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(37));
  kill(pid, SIGINT);
  int status = 0;
  // It stops at the next step; a minute means it did not.
  for (int i = 0; i < 6000 && waitpid(pid, &status, WNOHANG) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (waitpid(pid, &status, WNOHANG) == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    FAIL() << "training went on after SIGINT";
  }
  std::string err = readFile(dir + "/stderr.txt");
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << err;
  EXPECT_NE(err.find("interrupted after step"), std::string::npos) << err;
  EXPECT_NE(err.find("pieces.safetensors was not written"), std::string::npos)
      << err;
  EXPECT_NE(err.find("train --resume ck.safetensors"), std::string::npos)
      << err;
  EXPECT_FALSE(fileExists(dir + "/pieces.safetensors"));

  // Two more epochs than the interrupted run had done.
  std::string done = metadata(dir + "/ck.safetensors", "epochs_done");
  ASSERT_FALSE(done.empty());
  std::string epochs = std::to_string(std::stoll(done) + 2);
  CommandResult r = train(dir, {"--resume", "ck.safetensors", "--epochs",
                                epochs, "--metrics", "pieces.csv", "--save",
                                "pieces.safetensors", "--quiet"});
  EXPECT_EXIT_STATUS(r, 0);
  r = train(dir, {"--seed", kSeed, "--epochs", epochs, "--no-early-stopping",
                  "--metrics", "full.csv", "--save", "full.safetensors",
                  "--quiet"});
  EXPECT_EXIT_STATUS(r, 0);
  expectSameRun({readFile(dir + "/pieces.safetensors"),
                 metricsRows(dir + "/pieces.csv"), ""},
                {readFile(dir + "/full.safetensors"),
                 metricsRows(dir + "/full.csv"), ""});
}

/// A checkpoint of resume.kiln after two epochs, in dir/ck.safetensors.
void writeCheckpoint(const std::string &dir) {
  writeData(dir);
  CommandResult r = train(dir, {"--seed", kSeed, "--steps",
                                std::to_string(2 * kBatches), "--checkpoint",
                                "ck.safetensors", "--metrics", "m.csv",
                                "--save", "w.safetensors", "--quiet"});
  EXPECT_EXIT_STATUS(r, 0);
}

/// Resuming must fail with exit status 1 and every one of `expected` in
/// the message, leaving the checkpoint and the metrics file as they were
/// and writing no weights.
void expectRefused(const std::string &dir, std::vector<std::string> args,
                   const std::vector<std::string> &expected,
                   const std::string &exe = "",
                   const std::string &ck = "ck.safetensors") {
  std::string ckBytes = readFile(dir + "/" + ck);
  std::string metrics = readFile(dir + "/m.csv");
  args.insert(args.end(), {"--metrics", "m.csv", "--save", "out.safetensors"});
  CommandResult r = train(dir, args, exe);
  EXPECT_EXIT_STATUS(r, 1);
  for (const std::string &e : expected)
    EXPECT_NE(r.err.find(e), std::string::npos)
        << "expected \"" << e << "\" in:\n" << r.err;
  EXPECT_EQ(readFile(dir + "/" + ck), ckBytes);
  EXPECT_EQ(readFile(dir + "/m.csv"), metrics);
  EXPECT_FALSE(fileExists(dir + "/out.safetensors"));
}

TEST(Resume, RefusesACheckpointOfAnotherModel) {
  std::string dir = makeScratchDir("resume_other");
  writeCheckpoint(dir);
  expectRefused(dir, {"--resume", "ck.safetensors"},
                {"ck.safetensors: a checkpoint of model \"resume\", not of "
                 "\"cli\""},
                buildExecutable(specPath("cli.kiln")));
  // The same model name with a wider hidden layer: another version.
  std::string spec = readFile(specPath("resume.kiln"));
  size_t at = spec.find("dense(16)");
  ASSERT_NE(at, std::string::npos);
  spec.replace(at, 9, "dense(12)");
  writeFile(dir + "/resume.kiln", spec);
  expectRefused(dir, {"--resume", "ck.safetensors"},
                {"ck.safetensors: a checkpoint of another version of model "
                 "\"resume\"",
                 "fingerprint"},
                buildExecutable(dir + "/resume.kiln"));
}

TEST(Resume, RefusesMissingOrDamagedMetadata) {
  std::string dir = makeScratchDir("resume_damaged");
  writeCheckpoint(dir);
  // A weights file: no resume metadata at all.
  expectRefused(dir, {"--resume", "w.safetensors"},
                {"w.safetensors: not a resumable checkpoint"}, "",
                "w.safetensors");
  // Damaged values and a missing key; same lengths keep the file valid
  // safetensors.
  std::string good = readFile(dir + "/ck.safetensors");
  auto damaged = [&](const std::string &from, const std::string &to) {
    std::string bytes = good;
    size_t at = bytes.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos)
      bytes.replace(at, from.size(), to);
    writeFile(dir + "/bad.safetensors", bytes);
  };
  damaged("\"wait\":\"0\"", "\"wait\":\"x\"");
  expectRefused(dir, {"--resume", "bad.safetensors"},
                {"bad.safetensors: damaged resumable checkpoint: metadata "
                 "\"wait\" is \"x\""},
                "", "bad.safetensors");
  damaged("\"reference\":", "\"referenxe\":");
  expectRefused(dir, {"--resume", "bad.safetensors"},
                {"bad.safetensors: damaged resumable checkpoint: its "
                 "metadata has no \"reference\""},
                "", "bad.safetensors");
  // A position that does not add up.
  std::string step = metadata(dir + "/ck.safetensors", "step");
  ASSERT_EQ(step, std::to_string(2 * kBatches));
  damaged("\"step\":\"16\"", "\"step\":\"17\"");
  expectRefused(dir, {"--resume", "bad.safetensors"},
                {"bad.safetensors: damaged resumable checkpoint: step 17"}, "",
                "bad.safetensors");
}

TEST(Resume, RefusesFlagsThatContradictTheCheckpoint) {
  std::string dir = makeScratchDir("resume_flags");
  writeCheckpoint(dir);
  expectRefused(dir, {"--resume", "ck.safetensors", "--seed", "9"},
                {"ck.safetensors: the checkpoint's run has seed 5, not 9"});
  expectRefused(dir, {"--resume", "ck.safetensors", "--no-shuffle"},
                {"ck.safetensors: the checkpoint's run shuffles"});
  expectRefused(dir, {"--resume", "ck.safetensors", "--no-early-stopping"},
                {"early stopping on"});
  expectRefused(dir, {"--resume", "ck.safetensors", "--patience", "7"},
                {"patience 3"});
  expectRefused(dir, {"--resume", "ck.safetensors", "--val-split", "0.5"},
                {"ck.safetensors: the checkpoint's run trained on other data",
                 "60 training and 20 validation rows"});
  // The same values as the checkpoint's are no contradiction.
  CommandResult r = train(dir, {"--resume", "ck.safetensors", "--seed", kSeed,
                                "--patience", "3", "--epochs", "3", "--save",
                                "w3.safetensors", "--quiet"});
  EXPECT_EXIT_STATUS(r, 0);
}

// A resumable checkpoint is also a weights file: eval, predict and
// --init-from take its weights and leave the optimizer state and the best
// epoch's copy.
TEST(Resume, ACheckpointLoadsAsPlainWeights) {
  std::string dir = makeScratchDir("resume_plain");
  writeCheckpoint(dir);
  std::string h = header(dir + "/ck.safetensors");
  EXPECT_NE(h.find("\"dense0.weight.exp_avg\""), std::string::npos) << h;
  EXPECT_NE(h.find("\"best/dense0.weight\""), std::string::npos) << h;
  EXPECT_NE(h.find("\"kiln_checkpoint\":\"1\""), std::string::npos) << h;
  std::string exe = resumeExe();
  CommandResult a = runCommand(
      {exe, "eval", "--weights", "ck.safetensors", "--data", "train.csv"},
      dir);
  EXPECT_EXIT_STATUS(a, 0);
  EXPECT_EQ(a.out.rfind("loss ", 0), 0u) << a.out;
  CommandResult r = train(dir, {"--init-from", "ck.safetensors", "--epochs",
                                "1", "--save", "x.safetensors", "--quiet"});
  EXPECT_EXIT_STATUS(r, 0);
}

} // namespace
