//===- SemaDiagnosticsTest.cpp - One test per class of diagnostic ---------===//

#include "TestUtil.h"

#include "llvm/Support/thread.h"

#include <gtest/gtest.h>

using namespace kiln;
using kiln::test::SpecRun;

namespace {

const char *kHead = "model m\ninput x: [5]\ntarget y: real(2)\n";

/// Checks `body` after kHead and expects it to fail with exactly
/// `numErrors` errors, one of them containing `message`.
void expectError(const std::string &body, const std::string &message,
                 unsigned numErrors = 1) {
  auto run = SpecRun::check(std::string(kHead) + body);
  const std::string &out = run->diagnostics();
  EXPECT_FALSE(run->model.has_value()) << body;
  EXPECT_EQ(run->diag.getNumErrors(), numErrors) << out;
  EXPECT_NE(out.find(message), std::string::npos)
      << "expected '" << message << "' in:\n"
      << out;
}

const char *kLoss = "loss mse(x -> dense(2), y)\n";

TEST(SemaDiagnostics, UnknownNamesSuggest) {
  expectError("loss mse(x -> rleu -> dense(2), y)\n",
              "test.kiln:4:15: error: unknown activation 'rleu'; did you "
              "mean 'relu'?");
  expectError("h = x\nloss mse(hh -> dense(2), y)\n",
              "unknown name 'hh'; did you mean 'h'?");
  expectError("loss mse(x -> dense(2, nit = zeros), y)\n",
              "'dense' has no argument 'nit'; did you mean 'init'?");
  expectError("loss mse(x -> dense(2, init = xavier_unifrom), y)\n",
              "unknown name 'xavier_unifrom'; did you mean 'xavier_uniform'?");
  expectError(std::string(kLoss) + "train { optimizer = sdg }\n",
              "unknown optimizer 'sdg'; did you mean 'sgd'?");
  expectError(std::string(kLoss) + "train { schedule = constnat }\n",
              "unknown schedule 'constnat'; did you mean 'constant'?");
  expectError(std::string(kLoss) + "train { early_stopping(monitor = val_los) }\n",
              "unknown monitor 'val_los'; did you mean 'val_loss'?");
  expectError(std::string(kLoss) + "train { batchsize = 3 }\n",
              "unknown train setting 'batchsize'; did you mean 'batch_size'?");
  expectError(std::string(kLoss) + "data { target = [0, 1]; feature = 1 }\n",
              "unknown data setting 'feature'; did you mean 'features'?");
  expectError("loss mse(x -> blk, y)\nblock blok(h) { return h }\n",
              "unknown function 'blk'; did you mean 'blok'?");
}

TEST(SemaDiagnostics, ArgumentCountsAndTypes) {
  expectError("loss mse(x -> dense(2, true, zeros, zeros, 5), y)\n",
              "too many arguments for 'dense' (it takes 5: x, units, bias, "
              "init, bias_init); the piped value is the first");
  expectError("loss mse(x -> dense(), y)\n", "'dense' needs argument 'units'");
  expectError("loss mse(x -> dense(\"two\"), y)\n",
              "'units' of 'dense' must be an integer, got a string");
  expectError("loss mse(x -> dense(2.5), y)\n",
              "'units' of 'dense' must be an integer, got the number 2.5");
  expectError("loss mse(x -> dense([2]), y)\n",
              "'units' of 'dense' must be an integer, got a list");
  expectError("loss mse(x -> dense(2, bias = \"yes\"), y)\n",
              "'bias' of 'dense' must be true or false, got a string");
  expectError("loss mse(dense(3, 2), y)\n",
              "the input of 'dense' must be a tensor, got the number 3");
  expectError("loss mse(x -> dense(2), y, mean, x)\n",
              "too many arguments for 'mse'");
  expectError("loss mse(x -> dense(2), y, x)\n",
              "unknown reduction 'x' (mean, sum)");
  expectError("loss mse(x -> dense(2))\n", "'mse' needs argument 'target'");
  expectError("loss mse(x -> dense(2), y)\ntrain { lr = 1 }\n",
              "unknown train setting 'lr'");
  expectError(std::string(kLoss) + "train { epochs(3) }\n",
              "'epochs' is set with '=': write 'epochs = ...'");
  expectError(std::string(kLoss) + "train { optimizer = adam(lr = \"fast\") }\n",
              "'lr' of 'adam' must be a number, got a string");
  expectError(std::string(kLoss) + "train { optimizer = 3 }\n",
              "expected an optimizer (a name, or a name with arguments)");
  expectError(std::string(kLoss) + "data { target = [0, 1]; train = [\"a\"] }\n",
              "'train' (a CSV path) must be a string, got a list");
}

TEST(SemaDiagnostics, Duplicates) {
  expectError("h = x\nh = x\n" + std::string(kLoss), "'h' is already defined");
  expectError("block b(h) { return h }\nblock b(h) { return h }\n" +
                  std::string(kLoss),
              "block 'b' is already defined");
  expectError("loss mse(x -> dense(3) as a -> dense(2) as a, y)\n",
              "duplicate name 'a'");
  expectError("block b(h) { param w: [5]; param w: [5]; return h * w }\n"
              "loss mse(x -> b -> dense(2), y)\n",
              "duplicate name 'b0.w'", 2); // and "'w' is already defined"
  expectError(std::string(kLoss) + "train { seed = 1; seed = 2 }\n",
              "setting 'seed' is given twice");
  expectError(std::string(kLoss) + kLoss, "a model has one 'loss' statement");
  expectError("input z: [3]\n" + std::string(kLoss),
              "a model has one input; 'x' is already declared");
  expectError(std::string(kLoss) + "data { target = [0, 1] }\ndata { }\n",
              "duplicate 'data' section");
  expectError("loss mse(x -> dense(2, units = 3), y)\n",
              "argument 'units' of 'dense' is given twice");
}

TEST(SemaDiagnostics, Shapes) {
  expectError("param w: [4, 2]\nloss mse(x @ w, y)\n",
              "matmul shapes do not match: [32, 5] @ [4, 2] (5 != 4)");
  expectError("param b: [3]\nloss mse((x + b) -> dense(2), y)\n",
              "cannot broadcast shapes [32, 5] and [3] for '+'");
  expectError("param v: [5]\nloss mse(v -> dense(2), y)\n",
              "'dense' needs a rank-2 [batch, features] input, got shape [5]");
  expectError("param v: [5]\nloss mse(v -> batchnorm -> dense(2), y)\n",
              "'batchnorm' needs a rank-2 [batch, features] input");
  expectError("loss mse(x -> dense(3), y)\n",
              "the prediction of 'mse' must have shape [32, 2] ([batch, target "
              "columns]), got [32, 3]");
  auto rank = SpecRun::check("model m\ninput x: [2, 3]\ntarget y: real\n"
                         "loss mse(x -> dense(1), y)\n");
  EXPECT_EQ(rank->diag.getNumErrors(), 1u) << rank->diagnostics();
  EXPECT_NE(rank->diagnostics().find("input 'x' must have rank 1 ([features]; "
                                     "the batch dimension is implicit), got "
                                     "[2, 3]"),
            std::string::npos)
      << rank->diagnostics();
}

TEST(SemaDiagnostics, Ranges) {
  struct Case {
    std::string body;
    std::string message;
  };
  std::vector<Case> cases = {
      {"loss mse(x -> dropout(1) -> dense(2), y)\n",
       "'p' of 'dropout' must be in [0, 1), got 1"},
      {"loss mse(x -> dense(0) -> dense(2), y)\n",
       "'units' of 'dense' must be >= 1, got 0"},
      {"loss huber(x -> dense(2), y, delta = 0)\n",
       "'delta' of 'huber' must be > 0, got 0"},
      {"loss mse(x -> dense(2, init = uniform(2, 1)), y)\n",
       "'uniform' needs low < high, got low = 2, high = 1"},
      {"loss mse(x -> dense(2, init = normal(std = -1)), y)\n",
       "'std' of 'normal' must be > 0, got -1"},
      {"param w: [0]\n" + std::string(kLoss),
       "a dimension of the shape of param 'w' must be >= 1, got 0"},
      {std::string(kLoss) + "train { optimizer = sgd(lr = 0) }\n",
       "'lr' of 'sgd' must be > 0, got 0"},
      {std::string(kLoss) + "train { optimizer = momentum(momentum = 1) }\n",
       "'momentum' of 'momentum' must be in [0, 1), got 1"},
      {std::string(kLoss) + "train { optimizer = adam(beta2 = 1) }\n",
       "'beta2' of 'adam' must be in [0, 1), got 1"},
      {std::string(kLoss) + "train { optimizer = adagrad(eps = 0) }\n",
       "'eps' of 'adagrad' must be > 0, got 0"},
      {std::string(kLoss) + "train { weight_decay = -1 }\n",
       "'weight_decay' must be >= 0, got -1"},
      {std::string(kLoss) + "train { batch_size = 0 }\n",
       "'batch_size' must be >= 1, got 0"},
      {std::string(kLoss) + "train { epochs = 0 }\n",
       "'epochs' must be >= 1, got 0"},
      {std::string(kLoss) + "train { schedule = step_decay(step_size = 0) }\n",
       "'step_size' of 'step_decay' must be >= 1, got 0"},
      {std::string(kLoss) + "train { schedule = exponential_decay(gamma = 0) }\n",
       "'gamma' of 'exponential_decay' must be in (0, 1], got 0"},
      {std::string(kLoss) + "train { schedule = exponential_decay(k = -1) }\n",
       "'k' of 'exponential_decay' must be >= 0, got -1"},
      {std::string(kLoss) + "train { early_stopping(patience = -1) }\n",
       "'patience' of 'early_stopping' must be >= 0, got -1"},
      {std::string(kLoss) + "data { target = [0, 1]; val_split = 1 }\n",
       "'val_split' must be in [0, 1), got 1"},
  };
  for (const Case &c : cases)
    expectError(c.body, c.message);
  auto classes = SpecRun::check("model m\ninput x: [3]\ntarget y: class(1)\n"
                            "loss cross_entropy(x -> dense(1), y)\n");
  EXPECT_NE(classes->diagnostics().find(
                "the number of classes must be >= 2, got 1"),
            std::string::npos);
  auto smoothing = SpecRun::check(
      "model m\ninput x: [3]\ntarget y: class(2)\n"
      "loss cross_entropy(x -> dense(2), y, label_smoothing = -0.1)\n");
  EXPECT_NE(smoothing->diagnostics().find(
                "'label_smoothing' of 'cross_entropy' must be in [0, 1), got "
                "-0.1"),
            std::string::npos);
}

TEST(SemaDiagnostics, TargetMustFitTheLoss) {
  expectError("loss cross_entropy(x -> dense(2), y)\n",
              "'cross_entropy' needs a class(N) target, but 'y' is real(2)");
  expectError("loss bce(x -> dense(2), y)\n",
              "'bce' needs a binary target, but 'y' is real(2)");
  expectError("loss mse(x -> dense(2), x -> dense(2))\n",
              "the second argument of 'mse' must be the target 'y'");
  expectError(std::string(kLoss) +
                  "train { early_stopping(monitor = val_accuracy) }\n",
              "early stopping on val_accuracy needs a classification loss");
  expectError("loss mse(x + y, y)\n",
              "the target 'y' can only be used in the loss");
}

TEST(SemaDiagnostics, MissingDeclarations) {
  auto run = SpecRun::check("model m\n");
  EXPECT_EQ(run->diag.getNumErrors(), 3u);
  const std::string &out = run->diagnostics();
  EXPECT_NE(out.find("model 'm' has no input"), std::string::npos);
  EXPECT_NE(out.find("model 'm' has no target"), std::string::npos);
  EXPECT_NE(out.find("model 'm' has no loss"), std::string::npos);
}

TEST(SemaDiagnostics, RecursionIsReportedNotFollowed) {
  expectError("block a(h) { return h -> b }\nblock b(h) { return h -> a }\n"
              "loss mse(x -> a -> dense(2), y)\n",
              "block 'a' calls itself; recursion is not allowed");
}

TEST(SemaDiagnostics, ExponentialBlowUpIsStopped) {
  // Each level doubles the graph: 2^30 copies would never finish.
  std::string body = "block l0(h) { return h -> relu }\n";
  for (int i = 1; i <= 30; ++i)
    body += "block l" + std::to_string(i) + "(h) { return h -> l" +
            std::to_string(i - 1) + " -> l" + std::to_string(i - 1) + " }\n";
  auto run = SpecRun::check(std::string(kHead) + body +
                        "loss mse(x -> l30 -> dense(2), y)\n");
  EXPECT_FALSE(run->model);
  EXPECT_NE(run->diagnostics().find("the model is too large"),
            std::string::npos);
}

TEST(SemaDiagnostics, ErrorsInBlocksAreReportedOncePerPlace) {
  auto run = SpecRun::check(std::string(kHead) +
                        "block b(h) { return h -> dense(q) }\n"
                        "loss mse(x -> b -> b -> b -> dense(2), y)\n");
  EXPECT_EQ(run->diag.getNumErrors(), 1u) << run->diagnostics();
  EXPECT_NE(run->diagnostics().find("note: in block 'b' instantiated here"),
            std::string::npos);
}

TEST(SemaDiagnostics, PoisonDoesNotCascade) {
  // One mistake; everything computed from `h` is not checked again.
  expectError("h = x -> dense(q)\nz = h @ h -> layernorm -> dense(2)\n"
              "loss mse(z + h, y)\n",
              "unknown name 'q'");
}

TEST(SemaDiagnostics, AsMisuse) {
  expectError("loss mse(x -> relu as r -> dense(2), y)\n",
              "'as' names a layer with parameters (dense, batchnorm, "
              "layernorm) or a block instance; 'relu' is neither");
}

TEST(SemaDiagnostics, DataColumns) {
  expectError(std::string(kLoss) + "data { train = \"t.csv\" }\n",
              "target 'y' needs 2 columns but the data section gives 1 (the "
              "default: the column \"target\")");
  expectError(std::string(kLoss) +
                  "data { target = [\"a\", \"b\"]; features = [\"b\"] }\n",
              "column 'b' is both a target and a feature");
  expectError(std::string(kLoss) + "data { target = [1, 1] }\n",
              "column listed twice in 'target'");
}

/// Blocks nested `depth` deep, each returning its inner block's result under
/// `calls` nested calls of relu.
std::string nestedBlocks(unsigned depth, unsigned calls) {
  std::string body;
  for (unsigned i = 0; i < depth; ++i) {
    body += "block b" + std::to_string(i) + "(h) { return ";
    for (unsigned j = 0; j < calls; ++j)
      body += "relu(";
    body += "b" + std::to_string(i + 1) + "(h)" + std::string(calls, ')') +
            " }\n";
  }
  return body + "block b" + std::to_string(depth) + "(h) { return h }\n" +
         "loss mse(x -> b0 -> dense(2), y)\n";
}

TEST(SemaDiagnostics, DeepSpecsNeedNoLargeCallerStack) {
  // Sema at its depth limit takes MiB of stack, more than this thread has;
  // checkSpec must not take them from its caller.
  llvm::thread small(std::optional<unsigned>(1u << 20), [] {
    auto run = SpecRun::check(std::string(kHead) + nestedBlocks(4, 200));
    EXPECT_TRUE(run->model.has_value()) << run->diagnostics();
    expectError(nestedBlocks(256, 200),
                "expression nested too deeply (more than 1024 levels, "
                "counting the blocks it instantiates)");
  });
  small.join();
}

} // namespace
