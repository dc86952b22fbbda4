//===- CompiledModel.h - A spec compiled by kiln, loaded in-process -*- C++ -*-===//
//
// `kiln build --emit=lib` turns a spec into an object file; linked with the
// runtime into a shared object and dlopen'ed, its `<name>_model` descriptor
// gives the compiled train_step / eval_step / predict, which the tests call
// directly with buffers they own. The same spec also goes through the
// frontend to give the checked kiln::Model the float64 reference evaluates.
// Compiled models are cached per spec for the whole test run (kiln build
// takes about a second).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TEST_E2E_COMPILEDMODEL_H
#define KILN_TEST_E2E_COMPILEDMODEL_H

#include "Support.h"
#include "reference/Reference.h"

#include "kiln/Frontend/Model.h"
#include "kiln_rt.h"

#include <memory>
#include <string>
#include <vector>

namespace kiln::e2e {

/// The path of a spec under test/e2e/specs.
std::string specPath(const std::string &fileName);

/// Runs the frontend on a spec file; throws with the diagnostics on error.
std::unique_ptr<Model> loadModel(const std::string &path);

/// `kiln build SPEC -o EXE`: a standalone executable (cached per spec).
std::string buildExecutable(const std::string &specPath);

class CompiledModel {
public:
  /// The spec file at `path`, compiled once per test run. `flags` are extra
  /// `kiln build` options (e.g. {"--no-fold"}); each set of flags is its own
  /// compiled model.
  static const CompiledModel &get(const std::string &path,
                                  const std::vector<std::string> &flags = {});
  /// A spec given as text (written to the scratch folder), compiled once
  /// (per set of flags).
  static const CompiledModel &
  fromText(const std::string &text,
           const std::vector<std::string> &flags = {});

  const kiln_model &abi() const { return *descriptor; }
  const Model &model() const { return *checked; }
  const Reference &reference() const { return *ref; }
  /// The folder with <name>.o, <name>.h, libkiln_rt.a and kiln_rt.h.
  const std::string &libDir() const { return dir; }
  const std::string &spec() const { return path; }
  /// The extra `kiln build` options it was compiled with.
  const std::vector<std::string> &buildFlags() const { return flags; }

  /// The table entry named `name`; throws if there is none.
  const kiln_tensor_info &tensor(const std::string &name) const;
  bool hasTensor(const std::string &name) const;

  /// A state drawn by the runtime's kiln_init_state.
  State initState(uint64_t seed) const;

  /// A state in which nothing is trivial: kiln_init_state's draws, plus
  /// noise on the parameters it sets to constants (zero biases, unit
  /// gammas), so that every parameter's gradient path is exercised, and
  /// random running statistics (positive variances).
  State randomState(uint64_t seed) const;

  /// Checkpoints through the runtime (kiln_safetensors_load / _save).
  State loadCheckpoint(const std::string &path) const;
  void saveCheckpoint(const State &state, const std::string &path) const;

  /// Fills the workspace with `byte` (0xff: every float a NaN). The
  /// compiled functions must not read what they did not write: the runtime
  /// shares one workspace between train_step, eval_step and predict.
  void poisonWorkspace(uint8_t byte = 0xff) const;

  /// The compiled functions on exactly batch_size rows.
  float trainStep(State &state, const std::vector<float> &x,
                  const std::vector<float> &y, int64_t step, int64_t epoch,
                  int64_t seed) const;
  void evalStep(const State &state, const std::vector<float> &x,
                const std::vector<float> &y, std::vector<float> &loss,
                std::vector<float> &out) const;
  /// Runs `prepare` first when the model has one.
  std::vector<float> predict(const State &state,
                             const std::vector<float> &x) const;

  /// The values of Model::states (found by name in the tensor table) as
  /// the reference's states.
  RefStates toRef(const State &state) const;
  std::vector<double> read(const State &state, const std::string &name) const;
  void write(State &state, const std::string &name,
             const std::vector<double> &values) const;

private:
  CompiledModel(const std::string &path, const std::vector<std::string> &flags);

  std::string path, dir;
  std::vector<std::string> flags;
  std::unique_ptr<Model> checked;
  std::unique_ptr<Reference> ref;
  const kiln_model *descriptor = nullptr;
  mutable Workspace workspace;
};

/// Draws a batch of targets of the model's kind: class labels, 0/1, or
/// reals in [-1, 1].
std::vector<double> randomTargets(const Model &model, std::mt19937_64 &rng,
                                  int64_t rows);

} // namespace kiln::e2e

#endif // KILN_TEST_E2E_COMPILEDMODEL_H
