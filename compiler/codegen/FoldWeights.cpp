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

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>

using namespace llvm;
using namespace kiln;

namespace {

/// A buffer from kiln_alloc_aligned, the alignment the compiled code
/// assumes of the buffers it is given.
template <typename T> struct Aligned {
  explicit Aligned(int64_t n)
      : data(static_cast<T *>(kiln_alloc_aligned(n * sizeof(T)))) {}
  ~Aligned() { std::free(data); }
  Aligned(const Aligned &) = delete;
  Aligned &operator=(const Aligned &) = delete;
  T *data;
};

Error fail(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

} // namespace

Expected<std::vector<float>> kiln::foldWeights(mlir::ModuleOp module,
                                               const ModelInfo &info,
                                               StateLoader load,
                                               StringRef origin) {
  auto llvmContext = std::make_unique<LLVMContext>();
  std::unique_ptr<Module> llvmModule = mlir::translateModuleToLLVMIR(
      module, *llvmContext, info.config.getName());
  if (!llvmModule)
    return fail("cannot translate the model to LLVM IR");
  // The descriptor the object will carry (without weights yet): the
  // checkpoint is checked against it, as the executables check it.
  emitDescriptor(*llvmModule, info, /*withMain=*/false);
  // Lazy: only what runs (prepare) is compiled, not train_step.
  Expected<std::unique_ptr<orc::LLLazyJIT>> jit =
      orc::LLLazyJITBuilder().create();
  if (!jit)
    return jit.takeError();
  llvmModule->setDataLayout((*jit)->getDataLayout());
  llvmModule->setTargetTriple((*jit)->getTargetTriple().str());
  // <model>_init calls the runtime, which kiln links but does not export.
  if (Error err = (*jit)->getMainJITDylib().define(orc::absoluteSymbols(
          {{(*jit)->mangleAndIntern("kiln_init_state"),
            {orc::ExecutorAddr::fromPtr(&kiln_init_state),
             JITSymbolFlags::Exported | JITSymbolFlags::Callable}}})))
    return std::move(err);
  // prepare's large kernels call the OpenMP runtime, which kiln itself
  // does not link: load the library that the link flag (-l:FILE) names.
  if (info.threads) {
    Expected<std::unique_ptr<orc::DynamicLibrarySearchGenerator>> openmp =
        orc::DynamicLibrarySearchGenerator::Load(
            kOpenMPLinkFlag.drop_front(3).data(),
            (*jit)->getDataLayout().getGlobalPrefix());
    if (!openmp)
      return openmp.takeError();
    (*jit)->getMainJITDylib().addGenerator(std::move(*openmp));
  }
  if (Error err = (*jit)->addLazyIRModule(
          orc::ThreadSafeModule(std::move(llvmModule), std::move(llvmContext))))
    return std::move(err);
  Expected<orc::ExecutorAddr> address =
      (*jit)->lookup((info.config.getName() + "_model").str());
  if (!address)
    return address.takeError();
  const auto &model = *address->toPtr<const kiln_model *>();

  Aligned<float> state(info.stateSize);
  Aligned<uint8_t> workspace(info.workspaceSize);
  if (!state.data || !workspace.data)
    return fail("out of memory for the model's buffers");
  // kiln_alloc_aligned zeroes the state: what `load` leaves out (the
  // optimizer's moments) is 0, as the StateLoader contract says.
  if (Error err = load(model, state.data))
    return std::move(err);
  if (!model.prepare)
    return std::vector<float>(state.data, state.data + info.stateSize);
  // prepare writes only what predict reads; starting from a copy of the
  // state makes the first state_size floats the state, as
  // kiln_model::weights promises (eval and save read them).
  Aligned<float> pstate(info.predictStateSize);
  if (!pstate.data)
    return fail("out of memory for the model's buffers");
  std::memcpy(pstate.data, state.data, info.stateSize * sizeof(float));
  model.prepare(state.data, workspace.data, pstate.data);
  for (int64_t i = info.stateSize; i < info.predictStateSize; ++i)
    if (!std::isfinite(pstate.data[i]))
      return fail("folding " + origin +
                  " for prediction gives a NaN or an infinity (a negative "
                  "running variance?)");
  return std::vector<float>(pstate.data, pstate.data + info.predictStateSize);
}
