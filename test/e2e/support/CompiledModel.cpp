//===- CompiledModel.cpp - A spec compiled by kiln, loaded in-process -----===//

#include "CompiledModel.h"

#include "kiln/Frontend/AST.h"
#include "kiln/Frontend/Diagnostics.h"
#include "kiln/Frontend/Frontend.h"

#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <dlfcn.h>
#include <map>
#include <stdexcept>

using namespace kiln;
using namespace kiln::e2e;

std::string kiln::e2e::specPath(const std::string &fileName) {
  return std::string(KILN_E2E_SPEC_DIR) + "/" + fileName;
}

std::unique_ptr<Model> kiln::e2e::loadModel(const std::string &path) {
  llvm::SourceMgr sm;
  std::string diagnostics;
  llvm::raw_string_ostream os(diagnostics);
  DiagnosticEngine diag(sm, os);
  std::optional<Model> model;
  if (auto module = parseSpec(path, sm, diag))
    model = checkSpec(*module, diag);
  os.flush();
  if (!model)
    throw std::runtime_error("the frontend rejected " + path + ":\n" +
                             diagnostics);
  return std::make_unique<Model>(std::move(*model));
}

std::string kiln::e2e::buildExecutable(const std::string &specPath) {
  static std::map<std::string, std::string> cache;
  auto it = cache.find(specPath);
  if (it != cache.end())
    return it->second;
  std::string exe = makeScratchDir("exe") + "/model";
  CommandResult r = runCommand({KILN_BIN, "build", specPath, "-o", exe});
  if (r.signaled || r.exitCode != 0)
    throw std::runtime_error("kiln build failed:\n" + r.describe());
  return cache[specPath] = exe;
}

const CompiledModel &CompiledModel::get(const std::string &path,
                                        const std::vector<std::string> &flags) {
  // Keyed by the spec and the extra flags.
  static std::map<std::pair<std::string, std::vector<std::string>>,
                  std::unique_ptr<CompiledModel>>
      cache;
  // A spec that failed to compile fails every test that uses it with the
  // same message, without compiling it again.
  static std::map<std::pair<std::string, std::vector<std::string>>,
                  std::string>
      failures;
  auto key = std::make_pair(path, flags);
  std::unique_ptr<CompiledModel> &slot = cache[key];
  if (slot)
    return *slot;
  auto failure = failures.find(key);
  if (failure != failures.end())
    throw std::runtime_error(failure->second);
  try {
    slot.reset(new CompiledModel(path, flags));
  } catch (const std::exception &e) {
    failures[key] = e.what();
    throw;
  }
  return *slot;
}

const CompiledModel &
CompiledModel::fromText(const std::string &text,
                        const std::vector<std::string> &flags) {
  static std::map<std::string, std::string> files;
  std::string &file = files[text];
  if (file.empty()) {
    file = makeScratchDir("spec") + "/spec.kiln";
    writeFile(file, text);
  }
  return get(file, flags);
}

CompiledModel::CompiledModel(const std::string &specFile,
                             const std::vector<std::string> &buildFlags)
    : path(specFile), flags(buildFlags) {
  checked = loadModel(path);
  ref = std::make_unique<Reference>(*checked);
  const std::string &name = checked->name;
  dir = makeScratchDir(name);
  std::vector<std::string> argv = {KILN_BIN, "build", "--emit=lib"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.insert(argv.end(), {path, "-o", dir});
  CommandResult r = runCommand(argv);
  if (r.signaled || r.exitCode != 0)
    throw std::runtime_error("kiln build --emit=lib failed:\n" + r.describe());
  std::string so = dir + "/" + name + ".so";
  r = runCommand({KILN_CC, "-shared", "-o", so, dir + "/" + name + ".o",
                  dir + "/libkiln_rt.a", "-lm", "-lpthread", KILN_OPENMP_LINK_FLAG});
  if (r.signaled || r.exitCode != 0)
    throw std::runtime_error("linking the model failed:\n" + r.describe());
  // Never closed: the descriptor and its functions live until exit.
  void *handle = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    throw std::runtime_error("dlopen " + so + ": " + dlerror());
  descriptor = static_cast<const kiln_model *>(
      dlsym(handle, (name + "_model").c_str()));
  if (!descriptor)
    throw std::runtime_error(so + " has no symbol " + name + "_model");
  kiln_error err;
  if (kiln_model_check(descriptor, &err) != KILN_OK)
    throw std::runtime_error(std::string("kiln_model_check: ") + err.message);
  workspace.assign(descriptor->workspace_size, 0);
}

bool CompiledModel::hasTensor(const std::string &name) const {
  for (int32_t t = 0; t < descriptor->num_tensors; ++t)
    if (name == descriptor->tensors[t].name)
      return true;
  return false;
}

const kiln_tensor_info &CompiledModel::tensor(const std::string &name) const {
  for (int32_t t = 0; t < descriptor->num_tensors; ++t)
    if (name == descriptor->tensors[t].name)
      return descriptor->tensors[t];
  throw std::runtime_error("model " + checked->name + " has no tensor " +
                           name);
}

State CompiledModel::initState(uint64_t seed) const {
  State state(descriptor->state_size, 0.0f);
  kiln_error err;
  if (kiln_init_state(descriptor, state.data(), seed, &err) != KILN_OK)
    throw std::runtime_error(std::string("kiln_init_state: ") + err.message);
  return state;
}

State CompiledModel::randomState(uint64_t seed) const {
  State state = initState(seed);
  std::mt19937_64 rng(seed * 7919 + 17);
  for (int32_t t = 0; t < descriptor->num_tensors; ++t) {
    const kiln_tensor_info &ti = descriptor->tensors[t];
    float *p = state.data() + ti.offset;
    std::vector<double> noise;
    switch (ti.role) {
    case KILN_ROLE_PARAM:
      if (ti.init != KILN_INIT_ZEROS && ti.init != KILN_INIT_ONES)
        continue;
      noise = uniformVector(rng, ti.numel, -0.5, 0.5);
      for (int64_t i = 0; i < ti.numel; ++i)
        p[i] += (float)noise[i];
      break;
    case KILN_ROLE_RUNNING_MEAN:
      noise = uniformVector(rng, ti.numel, -1.0, 1.0);
      std::copy(noise.begin(), noise.end(), p);
      break;
    case KILN_ROLE_RUNNING_VAR:
      noise = uniformVector(rng, ti.numel, 0.5, 2.0);
      std::copy(noise.begin(), noise.end(), p);
      break;
    default:
      break;
    }
  }
  return state;
}

State CompiledModel::loadCheckpoint(const std::string &file) const {
  State state(descriptor->state_size, 0.0f);
  kiln_error err;
  if (kiln_safetensors_load(descriptor, state.data(), file.c_str(), &err) !=
      KILN_OK)
    throw std::runtime_error(std::string("kiln_safetensors_load: ") +
                             err.message);
  return state;
}

void CompiledModel::saveCheckpoint(const State &state,
                                   const std::string &file) const {
  kiln_error err;
  if (kiln_safetensors_save(descriptor, state.data(), file.c_str(), &err) !=
      KILN_OK)
    throw std::runtime_error(std::string("kiln_safetensors_save: ") +
                             err.message);
}

void CompiledModel::poisonWorkspace(uint8_t byte) const {
  std::fill(workspace.begin(), workspace.end(), byte);
}

float CompiledModel::trainStep(State &state, const std::vector<float> &x,
                               const std::vector<float> &y, int64_t step,
                               int64_t epoch, int64_t seed) const {
  float loss = 0;
  descriptor->train_step(state.data(), workspace.data(), x.data(), y.data(),
                         step, epoch, seed, &loss);
  return loss;
}

void CompiledModel::evalStep(const State &state, const std::vector<float> &x,
                             const std::vector<float> &y,
                             std::vector<float> &loss,
                             std::vector<float> &out) const {
  loss.assign(descriptor->batch_size, 0.0f);
  out.assign(descriptor->batch_size * descriptor->output_dim, 0.0f);
  descriptor->eval_step(state.data(), workspace.data(), x.data(), y.data(),
                        loss.data(), out.data());
}

std::vector<float> CompiledModel::predict(const State &state,
                                          const std::vector<float> &x) const {
  std::vector<float> out(descriptor->batch_size * descriptor->output_dim);
  const float *pstate = state.data();
  State prepared;
  if (descriptor->prepare) {
    prepared.assign(descriptor->predict_state_size, 0.0f);
    descriptor->prepare(state.data(), workspace.data(), prepared.data());
    pstate = prepared.data();
  }
  descriptor->predict(pstate, workspace.data(), x.data(), out.data());
  return out;
}

std::vector<double> CompiledModel::read(const State &state,
                                        const std::string &name) const {
  const kiln_tensor_info &ti = tensor(name);
  return toDouble(state.data() + ti.offset, ti.numel);
}

void CompiledModel::write(State &state, const std::string &name,
                          const std::vector<double> &values) const {
  const kiln_tensor_info &ti = tensor(name);
  if ((int64_t)values.size() != ti.numel)
    throw std::runtime_error("write " + name + ": wrong size");
  std::copy(values.begin(), values.end(), state.begin() + ti.offset);
}

RefStates CompiledModel::toRef(const State &state) const {
  RefStates states;
  for (const StateTensor &st : checked->states)
    states.push_back(read(state, st.name));
  return states;
}

std::vector<double> kiln::e2e::randomTargets(const Model &model,
                                             std::mt19937_64 &rng,
                                             int64_t rows) {
  std::vector<double> y;
  switch (model.target.kind) {
  case TargetKind::Class: {
    std::uniform_int_distribution<int64_t> label(0, model.target.size - 1);
    for (int64_t i = 0; i < rows; ++i)
      y.push_back((double)label(rng));
    break;
  }
  case TargetKind::Binary:
  case TargetKind::MultiLabel: {
    std::bernoulli_distribution bit(0.5);
    for (int64_t i = 0; i < rows * model.target.size; ++i)
      y.push_back(bit(rng) ? 1.0 : 0.0);
    break;
  }
  case TargetKind::Real:
    y = uniformVector(rng, rows * model.target.size, -1.0, 1.0);
    break;
  }
  return y;
}
