//===- TestUtil.h - Running the frontend on spec text in tests -*- C++ -*-===//

#ifndef KILN_TEST_UNIT_FRONTEND_TESTUTIL_H
#define KILN_TEST_UNIT_FRONTEND_TESTUTIL_H

#include "kiln/Frontend/AST.h"
#include "kiln/Frontend/Diagnostics.h"
#include "kiln/Frontend/Frontend.h"
#include "kiln/Frontend/Parser.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <optional>
#include <string>

namespace kiln::test {

/// One spec run through the frontend, with its diagnostics captured as text.
struct SpecRun {
  llvm::SourceMgr sm;
  std::string output;
  llvm::raw_string_ostream os{output};
  DiagnosticEngine diag{sm, os};
  std::unique_ptr<ast::Module> module;
  std::optional<Model> model;

  /// Parses `text` as the file "test.kiln" (the module is kept even after
  /// errors, to inspect recovery).
  explicit SpecRun(llvm::StringRef text) {
    unsigned id = sm.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBufferCopy(text, "test.kiln"), llvm::SMLoc());
    module = parseBuffer("test.kiln", sm.getMemoryBuffer(id)->getBuffer(), diag);
  }

  /// Parses and, if that succeeded, checks.
  static std::unique_ptr<SpecRun> check(llvm::StringRef text) {
    auto run = std::make_unique<SpecRun>(text);
    if (run->diag.getNumErrors() == 0)
      run->model = checkSpec(*run->module, run->diag);
    return run;
  }

  const std::string &diagnostics() {
    os.flush();
    return output;
  }
};

/// The spec of the brief's running example, also used by docs/language.md.
inline const char *digitsSpec() {
  return R"(# Handwritten digits: a 3-layer MLP classifier.
model digits

input  x: [64]
target y: class(10)

block hidden(h, width, p = 0.1) {
  return h -> dense(width, init = he_uniform) -> relu -> dropout(p)
}

logits = x -> hidden(128) as l1 -> hidden(64) as l2 -> dense(10) as out
loss cross_entropy(logits, y, label_smoothing = 0.05)

train {
  optimizer  = adam(lr = 0.001)
  schedule   = step_decay(step_size = 20, gamma = 0.5)
  weight_decay = 1e-4
  batch_size = 32
  epochs     = 60
  early_stopping(monitor = val_accuracy, patience = 10, min_delta = 0.001)
  seed       = 0
}

data {
  train  = "data/digits_train.csv"
  test   = "data/digits_test.csv"
  target = "target"
  val_split = 0.1
}
)";
}

} // namespace kiln::test

#endif // KILN_TEST_UNIT_FRONTEND_TESTUTIL_H
