//===- FoldWeights.cpp - Trained weights folded at compile time -----------===//
//
// `kiln build --weights W` makes a checkpoint part of the module. The
// checkpoint is read by the runtime's own loader, so it is checked exactly
// as `./model predict --weights W` checks it (names, shapes, dtypes, the
// model it was saved from), and the folding (batch norm into dense layers,
// constant subgraphs) is done by the model's own compiled `prepare`, run
// in-process through LLVM's JIT: one definition of what folding computes,
// and an embedding application that starts with its prediction state ready.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Codegen.h"

#include "kiln_rt.h"

#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/ThreadSafeModule.h"

#include <cstdlib>
#include <cstring>

using namespace llvm;
using namespace kiln;

namespace {

/// A buffer from kiln_alloc_aligned, the alignment the compiled code
/// assumes of the buffers it is given.
struct AlignedFloats {
  explicit AlignedFloats(int64_t n)
      : data(static_cast<float *>(kiln_alloc_aligned(n * sizeof(float)))) {}
  ~AlignedFloats() { std::free(data); }
  AlignedFloats(const AlignedFloats &) = delete;
  AlignedFloats &operator=(const AlignedFloats &) = delete;
  float *data;
};

Error fail(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

/// The kiln_model of the JIT-compiled functions, as the descriptor that
/// Descriptor.cpp emits describes them.
struct HostModel {
  explicit HostModel(const ModelInfo &info) {
    for (const TensorInfo &t : info.tensors) {
      kiln_tensor_info ti{};
      ti.name = t.name.c_str();
      ti.role = t.role;
      ti.init = t.init;
      ti.rank = static_cast<int32_t>(t.shape.size());
      ti.numel = 1;
      for (size_t i = 0; i < t.shape.size() && i < 4; ++i) {
        ti.shape[i] = t.shape[i];
        ti.numel *= t.shape[i];
      }
      ti.offset = t.offset;
      tensors.push_back(ti);
    }
    const nn::ModelConfig &c = info.config;
    model.abi_version = KILN_ABI_VERSION;
    model.target_kind = info.targetKindCode();
    model.name = c.name.c_str();
    model.batch_size = c.batchSize;
    model.input_dim = c.inputDim;
    model.target_dim = c.targetDim;
    model.num_classes = c.numClasses;
    model.output_dim = info.outputDim;
    model.state_size = info.stateSize;
    model.predict_state_size = info.predictStateSize;
    model.workspace_size = info.workspaceSize;
    model.num_tensors = static_cast<int32_t>(tensors.size());
    model.tensors = tensors.data();
    model.monitor = info.monitorCode();
  }
  std::vector<kiln_tensor_info> tensors;
  kiln_model model{};
};

} // namespace

Expected<std::vector<float>> kiln::foldWeights(mlir::ModuleOp module,
                                               const ModelInfo &info,
                                               StringRef checkpoint) {
  auto llvmContext = std::make_unique<LLVMContext>();
  std::unique_ptr<Module> llvmModule =
      mlir::translateModuleToLLVMIR(module, *llvmContext, info.config.name);
  if (!llvmModule)
    return fail("cannot translate the model to LLVM IR");
  Expected<std::unique_ptr<orc::LLJIT>> jit = orc::LLJITBuilder().create();
  if (!jit)
    return jit.takeError();
  const DataLayout &layout = (*jit)->getDataLayout();
  llvmModule->setDataLayout(layout);
  llvmModule->setTargetTriple((*jit)->getTargetTriple().str());
  // memcpy, memset and libm, which the kernels may call.
  auto process = orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      layout.getGlobalPrefix());
  if (!process)
    return process.takeError();
  (*jit)->getMainJITDylib().addGenerator(std::move(*process));
  if (Error err = (*jit)->addIRModule(
          orc::ThreadSafeModule(std::move(llvmModule), std::move(llvmContext))))
    return std::move(err);

  HostModel host(info);
  auto lookup = [&](const std::string &name, auto &fn) -> Error {
    if (name.empty())
      return Error::success();
    Expected<orc::ExecutorAddr> address = (*jit)->lookup(name);
    if (!address)
      return address.takeError();
    fn = address->toPtr<std::remove_reference_t<decltype(fn)>>();
    return Error::success();
  };
  if (Error err = joinErrors(
          joinErrors(lookup(info.trainStep, host.model.train_step),
                     lookup(info.evalStep, host.model.eval_step)),
          joinErrors(lookup(info.predict, host.model.predict),
                     lookup(info.prepare, host.model.prepare))))
    return std::move(err);

  AlignedFloats state(info.stateSize);
  AlignedFloats workspace((info.workspaceSize + 3) / 4);
  if (!state.data || !workspace.data)
    return fail("out of memory for the model's buffers");
  kiln_error err;
  std::string path = checkpoint.str();
  if (kiln_safetensors_load(&host.model, state.data, path.c_str(), &err) !=
      KILN_OK)
    return fail(err.message);
  if (!host.model.prepare)
    return std::vector<float>(state.data, state.data + info.stateSize);
  // prepare writes only what predict reads; starting from a copy of the
  // state makes the first state_size floats the state, as
  // kiln_model::weights promises (eval and save read them).
  AlignedFloats pstate(info.predictStateSize);
  if (!pstate.data)
    return fail("out of memory for the model's buffers");
  std::memcpy(pstate.data, state.data, info.stateSize * sizeof(float));
  host.model.prepare(state.data,
                     reinterpret_cast<uint8_t *>(workspace.data), pstate.data);
  return std::vector<float>(pstate.data, pstate.data + info.predictStateSize);
}
