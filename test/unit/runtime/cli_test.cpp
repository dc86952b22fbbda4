//===- cli_test.cpp - The standalone executable's command line ------------===//

#include "test_util.h"

#include <cmath>
#include <random>

#include <fcntl.h>

using namespace kiln_test;

namespace {

const kiln_model *cls = &fake_classifier_model;

// A classifier CSV: label in the last column, three separable blobs.
std::string blobsCsv(int64_t n, uint32_t seed, bool with_label = true) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0, 0.3f);
  std::string s = with_label ? "f0,f1,f2,f3,label\n" : "f0,f1,f2,f3\n";
  for (int64_t r = 0; r < n; ++r) {
    int c = int(r % 3);
    for (int k = 0; k < 4; ++k)
      s += std::to_string((k == c ? 2.0f : 0.0f) + noise(rng)) + (k < 3 ? "," : "");
    s += with_label ? "," + std::to_string(c) + "\n" : "\n";
  }
  return s;
}

std::vector<std::string> lines(const std::string &text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    out.push_back(l);
  return out;
}

TEST(Cli, UsageAndHelp) {
  auto none = runCli(cls, {});
  EXPECT_EQ(none.rc, 2);
  EXPECT_TRUE(contains(none.err, "usage: prog <command>")) << none.err;
  auto help = runCli(cls, {"--help"});
  EXPECT_EQ(help.rc, 0);
  EXPECT_TRUE(contains(help.out, "prog train [--data FILE]")) << help.out;
  EXPECT_TRUE(contains(help.out, "The model \"classifier\"")) << help.out;
  for (const char *cmd : {"train", "eval", "predict", "init", "info"}) {
    auto r = runCli(cls, {cmd, "--help"});
    EXPECT_EQ(r.rc, 0) << cmd;
    EXPECT_TRUE(contains(r.out, std::string("usage: prog ") + cmd)) << r.out;
    EXPECT_EQ(r.err, "");
  }
}

TEST(Cli, UsageErrorsExit2) {
  struct Case {
    std::initializer_list<std::string> args;
    const char *message;
  } cases[] = {
      {{"fly"}, "error: unknown command 'fly'"},
      {{"train", "--bogus"}, "error: unknown flag '--bogus' for 'train'"},
      {{"train", "--epochs"}, "error: --epochs needs a value"},
      {{"train", "--epochs", "x"}, "--epochs: expected a positive integer, got 'x'"},
      {{"train", "--epochs=0"}, "--epochs: expected a positive integer, got '0'"},
      {{"train", "--epochs", "2", "--steps", "3"}, "give --epochs or --steps, not both"},
      {{"train", "--val", "a", "--val-split", "0.1"}, "give --val or --val-split"},
      {{"train", "--val-split", "1"}, "--val-split: expected a number in [0, 1)"},
      {{"train", "--seed", "-3"}, "--seed: expected an unsigned integer"},
      {{"train", "--quiet=yes"}, "--quiet takes no value"},
      {{"train", "--quiet", "--quiet"}, "--quiet given twice"},
      {{"train", "stray"}, "unexpected argument 'stray'"},
      {{"train"}, "--data is required"},
      {{"predict"}, "--data is required"},
      {{"eval"}, "--data is required"},
      {{"info", "--x"}, "unknown flag '--x' for 'info'"},
      {{"train", "--data", "d.csv", "--save", ""}, "error: --save: empty value"},
      {{"init", "--save="}, "error: --save: empty value"},
      {{"predict", "--data", "x.csv", "--output", ""}, "error: --output: empty value"},
      {{"train", "--metrics="}, "error: --metrics: empty value"},
      {{"train", "--checkpoint-every", "2"},
       "--checkpoint-every needs --checkpoint FILE"},
      {{"train", "--checkpoint", "c", "--checkpoint-every-steps", "0"},
       "--checkpoint-every-steps: expected a positive integer, got '0'"},
      {{"train", "--resume", "c", "--init-from", "w"},
       "give --resume or --init-from, not both"},
      {{"train", "--checkpoint", "w.st", "--save", "w.st"},
       "the checkpoint and the weights must go to different files"},
      {{"train", "--resume", "c.st", "--save", "c.st"},
       "the checkpoint and the weights must go to different files"},
  };
  for (const Case &c : cases) {
    auto r = runCli(cls, c.args);
    EXPECT_EQ(r.rc, 2) << c.message;
    EXPECT_TRUE(contains(r.err, c.message)) << "want " << c.message << "\ngot " << r.err;
    EXPECT_TRUE(contains(r.err, "usage: prog")) << r.err;
  }
}

TEST(Cli, Info) {
  auto r = runCli(cls, {"info"});
  ASSERT_EQ(r.rc, 0) << r.err;
  for (const char *want :
       {"model              classifier", "linear.weight  [3, 4]", "param",
        "opt.steps", "optimizer", "parameters         15",
        "FLOPs per sample   24", "state              64 bytes (0.1 KiB, 0.00 MiB)",
        "workspace          64 bytes", "batch size         8",
        "target             class, 1 column, 3 classes", "target columns     \"label\"",
        "feature columns    all others", "sgd(lr=0.5)"})
    EXPECT_TRUE(contains(r.out, want)) << want << "\n" << r.out;
  auto p = runCli(&fake_prepared_model, {"info"});
  EXPECT_TRUE(contains(p.out, "predict state      68 bytes")) << p.out;
}

TEST(Cli, TrainEvalPredict) {
  TempDir dir;
  auto train = dir.write("train.csv", blobsCsv(120, 1));
  auto test = dir.write("test.csv", blobsCsv(30, 2));
  auto weights = dir.path("w.safetensors");
  auto metrics = dir.path("m.csv");
  auto r = runCli(cls, {"train", "--data", train, "--val-split", "0.25",
                        "--test", test, "--epochs", "8", "--save", weights,
                        "--metrics", metrics, "--seed", "3"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.err, "");
  auto out = lines(r.out);
  ASSERT_EQ(out.size(), 11u) << r.out;
  EXPECT_EQ(out[0], "training classifier: 90 rows, 30 validation rows, batch size 8");
  EXPECT_TRUE(contains(out[1], "epoch 1/8  loss ")) << out[1];
  EXPECT_TRUE(contains(out[1], "  val_loss ")) << out[1];
  EXPECT_TRUE(contains(out[1], "  val_accuracy ")) << out[1];
  EXPECT_TRUE(contains(out[9], "saved " + weights + " (96 steps,")) << out[9];
  EXPECT_EQ(out[10].rfind("test_loss ", 0), 0u) << out[10];
  double acc = std::stod(out[10].substr(out[10].find("test_accuracy ") + 14));
  EXPECT_GT(acc, 0.9) << out[10];
  EXPECT_EQ(lines(readFile(metrics)).size(), 9u);

  auto ev = runCli(cls, {"eval", "--weights", weights, "--data", test});
  ASSERT_EQ(ev.rc, 0) << ev.err;
  EXPECT_EQ(ev.out.rfind("loss ", 0), 0u) << ev.out;
  EXPECT_TRUE(contains(ev.out, "  accuracy ")) << ev.out;
  EXPECT_EQ(ev.out.substr(ev.out.find("accuracy")),
            out[10].substr(out[10].find("accuracy")) + "\n")
      << "eval agrees with the test evaluation after training";

  // Predict from a CSV without the label column, to stdout.
  auto x = dir.write("x.csv", blobsCsv(5, 3, false));
  auto pr = runCli(cls, {"predict", "--weights", weights, "--data", x});
  ASSERT_EQ(pr.rc, 0) << pr.err;
  auto pl = lines(pr.out);
  ASSERT_EQ(pl.size(), 6u) << pr.out;
  EXPECT_EQ(pl[0], "class,p0,p1,p2");
  for (int i = 1; i <= 5; ++i) {
    EXPECT_EQ(pl[i].substr(0, 2), std::to_string((i - 1) % 3) + ",") << pl[i];
    double sum = 0;
    std::istringstream cells(pl[i].substr(2));
    for (std::string c; std::getline(cells, c, ',');)
      sum += std::stod(c);
    EXPECT_NEAR(sum, 1.0, 1e-5) << pl[i];
  }
  // The same rows from a .npy file, into --output, give the same CSV.
  if (haveNumpy()) {
    auto npy = dir.path("x.npy");
    std::string cmd = "/usr/bin/python3 -c \"import numpy as np; np.save('" +
                      npy + "', np.loadtxt('" + x +
                      "', delimiter=',', skiprows=1, dtype=np.float32))\"";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    auto y = dir.path("y.csv");
    auto pn = runCli(cls, {"predict", "--weights", weights, "--data", npy,
                           "--output", y});
    ASSERT_EQ(pn.rc, 0) << pn.err;
    EXPECT_EQ(pn.out, "");
    EXPECT_EQ(readFile(y), pr.out);
  }
}

// --output to a FIFO (as /dev/stdout is on a pipe) writes into it; a
// rename would have replaced it with a regular file and printed nothing.
TEST(Cli, PredictOutputToAFifo) {
  TempDir dir;
  auto w = dir.path("w.safetensors");
  ASSERT_EQ(runCli(cls, {"init", "--save", w}).rc, 0);
  auto x = dir.write("x.csv", blobsCsv(4, 3, false));
  auto want = runCli(cls, {"predict", "--weights", w, "--data", x});
  ASSERT_EQ(want.rc, 0) << want.err;
  auto fifo = dir.path("out");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0644), 0);
  int rd = open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(rd, 0);
  auto r = runCli(cls, {"predict", "--weights", w, "--data", x, "--output", fifo});
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = read(rd, buf, sizeof buf)) > 0;)
    got.append(buf, size_t(n));
  close(rd);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(got, want.out);
  struct stat st;
  ASSERT_EQ(lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST(Cli, PredictFormatsPerTargetKind) {
  TempDir dir;
  struct Case {
    const kiln_model *m;
    std::string csv, header;
    size_t fields;
  } cases[] = {
      {&fake_binary_model, "x1,x2\n1,2\n", "class,p", 2},
      {&fake_multilabel_model, "x1,x2\n1,2\n", "y0,y1,p0,p1", 4},
      {&fake_regressor_model, "a,b,c\n1,2,3\n", "y0,y1", 2},
  };
  for (const Case &c : cases) {
    auto w = dir.path("w.safetensors");
    ASSERT_EQ(runCli(c.m, {"init", "--save", w}).rc, 0);
    auto r = runCli(c.m, {"predict", "--weights", w, "--data",
                          dir.write("x.csv", c.csv)});
    ASSERT_EQ(r.rc, 0) << r.err;
    auto l = lines(r.out);
    ASSERT_EQ(l.size(), 2u);
    EXPECT_EQ(l[0], c.header);
    EXPECT_EQ((size_t)std::count(l[1].begin(), l[1].end(), ',') + 1, c.fields) << l[1];
  }
  // A regressor evaluation reports mse, mae and r2.
  auto w = dir.path("w.safetensors");
  auto ev = runCli(&fake_regressor_model,
                   {"eval", "--weights", w, "--data",
                    dir.write("r.csv", "a,b,c,t,u\n1,2,3,4,5\n2,3,4,5,7\n")});
  ASSERT_EQ(ev.rc, 0) << ev.err;
  EXPECT_TRUE(contains(ev.out, "loss ")) << ev.out;
  EXPECT_TRUE(contains(ev.out, "  mse ")) << ev.out;
  EXPECT_TRUE(contains(ev.out, "  mae ")) << ev.out;
  EXPECT_TRUE(contains(ev.out, "  r2 ")) << ev.out;
}

TEST(Cli, InitIsReproducible) {
  TempDir dir;
  auto a = dir.path("a.safetensors"), b = dir.path("b.safetensors"),
       c = dir.path("c.safetensors");
  auto r = runCli(cls, {"init", "--seed", "5", "--save", a});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "saved " + a + " (seed 5)\n");
  ASSERT_EQ(runCli(cls, {"init", "--seed=5", "--save", b}).rc, 0);
  ASSERT_EQ(runCli(cls, {"init", "--seed", "6", "--save", c}).rc, 0);
  EXPECT_EQ(readFile(a), readFile(b));
  EXPECT_NE(readFile(a), readFile(c));
  // Training from it with --init-from starts where init left off.
  auto t = dir.write("t.csv", blobsCsv(16, 1));
  auto w1 = dir.path("w1.safetensors"), w2 = dir.path("w2.safetensors");
  ASSERT_EQ(runCli(cls, {"train", "--data", t, "--val-split", "0", "--epochs", "1",
                         "--seed", "5", "--save", w1, "--quiet"}).rc, 0);
  ASSERT_EQ(runCli(cls, {"train", "--data", t, "--val-split", "0", "--epochs", "1",
                         "--seed", "5", "--init-from", a, "--save", w2, "--quiet"}).rc, 0);
  EXPECT_EQ(readFile(w1), readFile(w2));
}

TEST(Cli, ErrorsExit1WithTheMessage) {
  TempDir dir;
  auto w = dir.path("w.safetensors");
  ASSERT_EQ(runCli(cls, {"init", "--save", w}).rc, 0);
  struct Case {
    std::initializer_list<std::string> args;
    std::string message;
  } cases[] = {
      {{"train", "--data", dir.path("nope.csv")}, "error: " + dir.path("nope.csv") + ": cannot open"},
      {{"eval", "--weights", w, "--data",
        dir.write("bad.csv", "f0,f1,f2,f3,label\n1,2,3,4,7\n")},
       "bad.csv: row 1: label 7 out of range [0, 3)"},
      {{"eval", "--weights", dir.path("none.safetensors"), "--data",
        dir.write("ok.csv", "f0,f1,f2,f3,label\n1,2,3,4,1\n")},
       "none.safetensors: cannot open"},
      {{"predict", "--weights", w, "--data", dir.write("x.csv", "a,b\n1,2\n")},
       "x.csv: 2 feature columns, but the model takes 4 inputs"},
      {{"train", "--data", dir.write("t.csv", "f0,f1,f2,f3,label\n1,2,3,4,1\n"),
        "--val-split", "0"},
       "early stopping needs validation data"},
  };
  for (const Case &c : cases) {
    auto r = runCli(c.args.size() && *c.args.begin() == "train" &&
                            contains(c.message, "early stopping")
                        ? &fake_scripted_model
                        : cls,
                    c.args);
    EXPECT_EQ(r.rc, 1) << c.message << "\n" << r.err;
    EXPECT_TRUE(contains(r.err, c.message)) << "want " << c.message << "\ngot " << r.err;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  }
}

// eval, predict and train --init-from refuse a checkpoint with an infinity
// (it gave "loss nan" and exit 0) and name the tensor.
TEST(Cli, NonFiniteWeightsAreRefused) {
  TempDir dir;
  State s(cls);
  s.data[5] = NAN; // linear.weight[1, 1]
  auto w = dir.path("nan.safetensors");
  kiln_error err{};
  ASSERT_EQ(kiln_safetensors_save(cls, s.data, w.c_str(), &err), KILN_OK);
  auto data = dir.write("d.csv", blobsCsv(12, 1));
  auto x = dir.write("x.csv", blobsCsv(3, 2, false));
  const std::string want =
      "error: " + w + ": tensor \"linear.weight\": element [1, 1] is nan\n";
  auto ev = runCli(cls, {"eval", "--weights", w, "--data", data});
  EXPECT_EQ(ev.rc, 1);
  EXPECT_EQ(ev.err, want);
  EXPECT_EQ(ev.out, "");
  auto pr = runCli(cls, {"predict", "--weights", w, "--data", x});
  EXPECT_EQ(pr.rc, 1);
  EXPECT_EQ(pr.err, want);
  EXPECT_EQ(pr.out, "");
  auto save = dir.path("out.safetensors");
  auto tr = runCli(cls, {"train", "--data", data, "--val-split", "0.25",
                         "--epochs", "1", "--init-from", w, "--save", save});
  EXPECT_EQ(tr.rc, 1);
  EXPECT_EQ(tr.err, want);
  EXPECT_FALSE(fileExists(save));
}

// Metrics, predictions, checkpoints and results on a full disk exit 1 with
// the path. Checkpoints and predictions go through a link to /dev/full, so
// that a runtime which renames over its target replaces only the link.
TEST(Cli, FullDiskIsAnError) {
  TempDir dir;
  auto w = dir.path("w.safetensors");
  ASSERT_EQ(runCli(cls, {"init", "--save", w}).rc, 0);
  auto data = dir.write("d.csv", blobsCsv(12, 1));
  auto full = dir.path("full");
  ASSERT_EQ(symlink("/dev/full", full.c_str()), 0);
  const std::string enospc = "write error: No space left on device";

  auto save = dir.path("out.safetensors");
  auto tr = runCli(cls, {"train", "--data", data, "--val-split", "0.25",
                         "--epochs", "2", "--metrics", "/dev/full", "--save",
                         save, "--quiet"});
  EXPECT_EQ(tr.rc, 1);
  EXPECT_EQ(tr.err, "error: /dev/full: " + enospc + "\n");
  EXPECT_FALSE(fileExists(save));

  auto in = runCli(cls, {"init", "--save", full});
  EXPECT_EQ(in.rc, 1);
  EXPECT_EQ(in.err, "error: " + full + ": " + enospc + "\n");

  auto x = dir.write("x.csv", blobsCsv(3, 2, false));
  auto pr = runCli(cls, {"predict", "--weights", w, "--data", x, "--output", full});
  EXPECT_EQ(pr.rc, 1);
  EXPECT_EQ(pr.err, "error: " + full + ": " + enospc + "\n");

  // Results on standard output.
  std::vector<std::string> args = {"./prog", "eval", "--weights", w, "--data", data};
  std::vector<char *> argv;
  for (auto &a : args)
    argv.push_back(&a[0]);
  FILE *out = std::fopen("/dev/full", "w"), *err = std::tmpfile();
  ASSERT_TRUE(out && err);
  int rc = kiln_main_streams(int(argv.size()), argv.data(), cls, out, err);
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(streamText(err),
            "error: cannot write to standard output: No space left on device\n");
  std::fclose(out);
  std::fclose(err);
  struct stat st;
  ASSERT_EQ(stat("/dev/full", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

// predict refuses a header with the target's name twice, as train and
// eval do (it used one copy as a feature).
TEST(Cli, TargetNameTwiceIsRefusedByEveryCommand) {
  TempDir dir;
  auto w = dir.path("w.safetensors");
  ASSERT_EQ(runCli(cls, {"init", "--save", w}).rc, 0);
  auto d = dir.write("d.csv", "f0,f1,f2,label,label\n1,2,3,0,1\n");
  const std::string want = "error: " + d +
                           ": column name \"label\" appears twice in the "
                           "header (columns 4 and 5)\n";
  auto pr = runCli(cls, {"predict", "--weights", w, "--data", d});
  EXPECT_EQ(pr.rc, 1);
  EXPECT_EQ(pr.err, want);
  auto ev = runCli(cls, {"eval", "--weights", w, "--data", d});
  EXPECT_EQ(ev.rc, 1);
  EXPECT_EQ(ev.err, want);
  auto tr = runCli(cls, {"train", "--data", d, "--val-split", "0", "--epochs",
                         "1", "--save", dir.path("t.safetensors")});
  EXPECT_EQ(tr.rc, 1);
  EXPECT_EQ(tr.err, want);
  // Without the target the features are the four columns, as before.
  auto x = dir.write("x.csv", "f0,f1,f2,f3\n1,2,3,4\n");
  EXPECT_EQ(runCli(cls, {"predict", "--weights", w, "--data", x}).rc, 0);
}

// A diverging run reports the step and leaves the previous checkpoint alone.
TEST(Cli, NanLossKeepsThePreviousCheckpoint) {
  TempDir dir;
  auto w = dir.path("w.safetensors");
  auto data = dir.write("d.csv", "x,y\n0,0\n0,0\n0,0\n0,0\n");
  fake_script_reset();
  ASSERT_EQ(runCli(&fake_scripted_model, {"train", "--data", data, "--val-split",
                                          "0", "--no-early-stopping", "--save", w,
                                          "--quiet"}).rc,
            0);
  std::string before = readFile(w);
  ASSERT_FALSE(before.empty());
  fake_script_train_loss[6] = NAN;
  auto r = runCli(&fake_scripted_model, {"train", "--data", data, "--val-split",
                                         "0", "--no-early-stopping", "--save", w});
  fake_script_reset();
  EXPECT_EQ(r.rc, 1);
  EXPECT_TRUE(contains(r.err, "loss became nan at step 7 (epoch 4)")) << r.err;
  EXPECT_TRUE(contains(r.err, w + " was not written")) << r.err;
  EXPECT_EQ(readFile(w), before) << "checkpoint must be byte-identical";
  EXPECT_EQ(dir.files().size(), 2u) << "no temporary file left";
}

// A run whose loss explodes without becoming NaN (adam with lr 1e6) stops
// with an error and leaves the previous checkpoint alone, early stopping or
// not.
TEST(Cli, DivergedRunKeepsThePreviousCheckpoint) {
  TempDir dir;
  auto w = dir.path("w.safetensors");
  auto data = dir.write("d.csv", "x,y\n0,0\n0,0\n0,0\n0,0\n0,0\n");
  fake_script_reset();
  ASSERT_EQ(runCli(&fake_scripted_model, {"train", "--data", data, "--val-split",
                                          "0.2", "--save", w, "--quiet"}).rc,
            0);
  std::string before = readFile(w);
  ASSERT_FALSE(before.empty());
  for (int i = 2; i < 8; ++i)
    fake_script_train_loss[i] = 1e5; // from epoch 2 on; step 1's loss is 1
  auto r = runCli(&fake_scripted_model,
                  {"train", "--data", data, "--val-split", "0.2", "--save", w});
  fake_script_reset();
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, "error: training stopped (" + w +
                       " was not written): training diverged: the loss of "
                       "epoch 2, 1.0000e+05, is over 10000 times the loss of "
                       "the first step, 1.0000 (learning rate too high?)\n");
  EXPECT_EQ(readFile(w), before) << "checkpoint must be byte-identical";
  EXPECT_EQ(dir.files().size(), 2u) << "no temporary file left";
}

// A value inside float32's range that overflows the model: the message
// names the rows of the batch, as rows of the file.
TEST(Cli, OverflowNamesTheBatchRows) {
  TempDir dir;
  std::string csv = "a,b,c,t,u\n";
  for (int r = 1; r <= 8; ++r)
    csv += (r == 7 ? "3e38" : "1") + std::string(",2,3,4,5\n");
  auto data = dir.write("d.csv", csv);
  auto r = runCli(&fake_regressor_model,
                  {"train", "--data", data, "--val-split", "0", "--no-shuffle",
                   "--save", dir.path("w.safetensors")});
  EXPECT_EQ(r.rc, 1);
  EXPECT_TRUE(contains(r.err, "loss became inf at step 2 (epoch 1) on training "
                              "rows 5, 6, 7, 8\n"))
      << r.err;
}

TEST(Cli, EarlyStoppingFromTheDescriptor) {
  TempDir dir;
  fake_script_reset();
  const float val[] = {3, 2, 2.5f, 2.6f, 1};
  std::copy(std::begin(val), std::end(val), fake_script_val_loss);
  auto w = dir.path("w.safetensors");
  auto data = dir.write("d.csv", "x,y\n0,0\n0,0\n0,0\n0,0\n0,0\n");
  auto r = runCli(&fake_scripted_model, {"train", "--data", data, "--val-split",
                                         "0.2", "--save", w});
  fake_script_reset();
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "early stopping: val_loss has not improved for 2 epochs"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "restored the state of epoch 2 (val_loss 2.0000)")) << r.out;
  // The saved marker is the best epoch's.
  State s(&fake_scripted_model);
  kiln_error err{};
  ASSERT_EQ(kiln_safetensors_load(&fake_scripted_model, s.data, w.c_str(), &err),
            KILN_OK);
  EXPECT_EQ(s.data[0], 2.0f);
}

} // namespace

namespace {

// The spec's data paths and split are used when no flag overrides them.
TEST(Cli, DefaultsFromTheDescriptor) {
  TempDir dir;
  std::string train = dir.write("train.csv", blobsCsv(40, 5));
  std::string test = dir.write("test.csv", blobsCsv(12, 6));
  kiln_model m = fake_classifier_model;
  m.train_path = train.c_str();
  m.test_path = test.c_str();
  m.val_split = 0.25;
  m.epochs = 2;
  auto w = dir.path("w.safetensors");
  auto r = runCli(&m, {"train", "--save", w});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "training classifier: 30 rows, 10 validation rows"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "epoch 2/2  loss ")) << r.out;
  EXPECT_FALSE(contains(r.out, "epoch 3/")) << r.out;
  EXPECT_TRUE(contains(r.out, "\ntest_loss ")) << r.out;
  auto ev = runCli(&m, {"eval", "--weights", w});
  ASSERT_EQ(ev.rc, 0) << ev.err;
  EXPECT_TRUE(contains(ev.out, "accuracy")) << ev.out;
}

TEST(Cli, ValidationFileShuffleAndReportFlags) {
  TempDir dir;
  std::string train = dir.write("train.csv", blobsCsv(16, 7));
  std::string val = dir.write("val.csv", blobsCsv(6, 8));
  auto w1 = dir.path("a.safetensors"), w2 = dir.path("b.safetensors");
  auto r = runCli(cls, {"train", "--data", train, "--val", val, "--epochs", "2",
                        "--no-shuffle", "--batch-report", "--save", w1});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "16 rows, 6 validation rows")) << r.out;
  EXPECT_TRUE(contains(r.out, "step 4  epoch 2  batch 2/2  loss ")) << r.out;
  // Without shuffling the seed changes only the initialization.
  auto init = dir.path("i.safetensors");
  ASSERT_EQ(runCli(cls, {"init", "--seed", "1", "--save", init}).rc, 0);
  ASSERT_EQ(runCli(cls, {"train", "--data", train, "--val", val, "--epochs", "2",
                         "--no-shuffle", "--quiet", "--init-from", init, "--seed",
                         "2", "--save", w1}).rc, 0);
  ASSERT_EQ(runCli(cls, {"train", "--data", train, "--val", val, "--epochs", "2",
                         "--no-shuffle", "--quiet", "--init-from", init, "--seed",
                         "3", "--save", w2}).rc, 0);
  EXPECT_EQ(readFile(w1), readFile(w2));
  auto quiet = runCli(cls, {"train", "--data", train, "--val", val, "--epochs",
                            "1", "--quiet", "--save", w1});
  EXPECT_EQ(quiet.out, "");
}

TEST(Cli, StepsAndPatienceFlags) {
  TempDir dir;
  fake_script_reset();
  const float val[] = {3, 2, 2.5f, 2.6f, 2.7f, 2.8f, 1};
  std::copy(std::begin(val), std::end(val), fake_script_val_loss);
  auto data = dir.write("d.csv", "x,y\n0,0\n0,0\n0,0\n0,0\n0,0\n");
  auto w = dir.path("w.safetensors");
  auto r = runCli(&fake_scripted_model, {"train", "--data", data, "--val-split",
                                         "0.2", "--patience", "4", "--save", w});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "has not improved for 4 epochs")) << r.out;
  EXPECT_TRUE(contains(r.out, "epoch 6/10 ")) << r.out;
  auto s = runCli(&fake_scripted_model,
                  {"train", "--data", data, "--val-split", "0.2", "--steps",
                   "3", "--no-early-stopping", "--save", w});
  fake_script_reset();
  ASSERT_EQ(s.rc, 0) << s.err;
  EXPECT_TRUE(contains(s.out, "epoch 2/2 ")) << s.out;
  EXPECT_TRUE(contains(s.out, "(3 steps,")) << s.out;
}

} // namespace
