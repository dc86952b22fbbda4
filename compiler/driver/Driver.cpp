//===- Driver.cpp - The compilation pipeline, stage by stage --------------===//

#include "kiln/Driver/Driver.h"
#include "kiln/Conversion/Pipeline.h"
#include "kiln/Driver/Registration.h"
#include "kiln/Frontend/AST.h"
#include "kiln/Frontend/Frontend.h"
#include "kiln/Frontend/MLIRGen.h"
#include "kiln/Transforms/Passes.h"

#include "kiln/Dialect/NN/ModelConfig.h"
#include "kiln_rt.h"

#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;
using namespace kiln;

namespace {

constexpr std::pair<Stage, const char *> kStageNames[] = {
    {Stage::AST, "ast"},         {Stage::NN, "nn"},
    {Stage::Grad, "grad"},       {Stage::Train, "train"},
    {Stage::Fused, "fused"},     {Stage::Predict, "predict"},
    {Stage::Linalg, "linalg"},   {Stage::Bufferized, "bufferized"},
    {Stage::LLVM, "llvm"},       {Stage::LLVMIR, "llvm-ir"},
    {Stage::Asm, "asm"},
};

llvm::Error loadError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// A checkpoint's tensors, read by the runtime's own loader, so that it is
/// checked exactly as `./model predict --weights W` checks it (names,
/// shapes, dtypes, the model it was saved from, no NaN or infinity).
auto loadCheckpoint(const std::string &path) {
  return [path](const kiln_model &model, float *state) -> llvm::Error {
    kiln_error err;
    if (kiln_safetensors_load(&model, state, path.c_str(), &err) != KILN_OK)
      return loadError(err.message);
    return llvm::Error::success();
  };
}

/// An imported model's weights, by state name; the optimizer's state stays
/// zero.
auto loadImportedWeights(const WeightMap &weights) {
  return [&weights](const kiln_model &model, float *state) -> llvm::Error {
    size_t found = 0;
    for (int32_t i = 0; i < model.num_tensors; ++i) {
      const kiln_tensor_info &t = model.tensors[i];
      if (t.role == KILN_ROLE_OPTIMIZER)
        continue;
      auto it = weights.find(t.name);
      if (it == weights.end() || int64_t(it->second.values.size()) != t.numel)
        return loadError("internal error: the imported model has no weights "
                         "of " + llvm::Twine(t.numel) + " values for '" +
                         t.name + "'");
      std::copy(it->second.values.begin(), it->second.values.end(),
                state + t.offset);
      ++found;
    }
    if (found != weights.size())
      return loadError("internal error: the compiled model leaves out some "
                       "of the imported weights");
    return llvm::Error::success();
  };
}

/// The module attribute that `kiln emit` sets on a dump of an nn-level
/// stage, naming the stage, so that --from can refuse IR of another one
/// (the pipeline would skip or repeat a phase and build a broken model).
constexpr llvm::StringLiteral kStageAttr = "kiln.stage";

/// The folder of the runtime library: next to kiln's own lib folder when
/// installed or in the build tree.
std::string runtimeDir(StringRef file) {
  static int anchor;
  std::string exe = llvm::sys::fs::getMainExecutable(nullptr, &anchor);
  SmallString<256> dir(llvm::sys::path::parent_path(exe));
  llvm::sys::path::append(dir, "..", "lib");
  SmallString<256> candidate(dir);
  llvm::sys::path::append(candidate, file);
  if (llvm::sys::fs::exists(candidate))
    return std::string(dir);
  return KILN_RUNTIME_LIB_DIR;
}

/// `directory`/`file`.
std::string outputPath(StringRef directory, StringRef file) {
  SmallString<256> p(directory);
  llvm::sys::path::append(p, file);
  return std::string(p);
}

/// Links with the C compiler driver: `cc <args> -lm -lpthread <libs>`,
/// and the OpenMP runtime for code compiled with threads.
LogicalResult linkWithCC(StringRef output, ArrayRef<StringRef> args,
                         ArrayRef<StringRef> libs, bool threads) {
  llvm::ErrorOr<std::string> cc = llvm::sys::findProgramByName("cc");
  if (!cc)
    return kiln::error("no C compiler driver 'cc' on PATH to link with");
  SmallVector<StringRef> all = {*cc};
  all.append(args.begin(), args.end());
  all.append({"-lm", "-lpthread"});
  all.append(libs.begin(), libs.end());
  if (threads)
    all.push_back(kOpenMPLinkFlag);
  std::string message;
  if (llvm::sys::ExecuteAndWait(*cc, all, std::nullopt, {}, 0, 0, &message))
    return kiln::error("linking '" + output + "' failed" +
                       (message.empty() ? "" : ": " + message));
  return success();
}

} // namespace

LogicalResult kiln::error(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "kiln") << message << "\n";
  return failure();
}

std::optional<Stage> kiln::parseStage(StringRef name) {
  for (auto [stage, stageName] : kStageNames)
    if (name == stageName)
      return stage;
  return std::nullopt;
}

StringRef kiln::stageName(Stage stage) {
  for (auto [s, name] : kStageNames)
    if (s == stage)
      return name;
  llvm_unreachable("unknown stage");
}

std::string kiln::stageNames() {
  std::string names;
  for (auto [stage, name] : kStageNames) {
    if (!names.empty())
      names += " | ";
    names += name;
  }
  return names;
}

Driver::Driver(DriverOptions options) : options(std::move(options)) {
  DialectRegistry registry;
  registerDialects(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  context.appendDialectRegistry(registry);
  context.loadAllAvailableDialects();
  if (this->options.printIRAfterAll)
    context.disableMultithreading();
}

OwningOpRef<ModuleOp> Driver::load(StringRef specPath) {
  if (options.from)
    return loadIR(specPath);
  if (!readSource(specPath))
    return nullptr;
  std::optional<Model> model = translateSource(std::nullopt, /*report=*/true);
  if (!model)
    return nullptr;
  OwningOpRef<ModuleOp> module = buildModule(context, *model);
  if (failed(verify(*module))) {
    (void)error("internal error: the nn module of '" + specPath +
                "' does not verify");
    return nullptr;
  }
  return module;
}

OwningOpRef<ModuleOp> Driver::loadIR(StringRef path) {
  Stage from = *options.from;
  if (from < Stage::NN || from > Stage::Predict) {
    (void)error("--from: the pipeline can go on from the nn-level stages "
                "(nn, grad, train, fused, predict), not from '" +
                stageName(from) + "'");
    return nullptr;
  }
  sourceMgr = std::make_unique<llvm::SourceMgr>();
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(path, *sourceMgr, &context);
  if (!module)
    return nullptr; // the parser reported where
  if (failed(verify(*module)) || failed(nn::ModelAttr::of(*module)))
    return nullptr;
  auto dumped = (*module)->getAttrOfType<StringAttr>(kStageAttr);
  if (!dumped || dumped.getValue() != stageName(from)) {
    (void)error(path + (dumped ? ": IR of stage '" + dumped.getValue() +
                                     "', not of --from=" + stageName(from)
                               : ": no '" + kStageAttr +
                                     "' attribute: --from takes what "
                                     "kiln emit --stage=" +
                                     stageName(from) + " printed"));
    return nullptr;
  }
  (*module)->removeAttr(kStageAttr);
  // From the train stage on, a dump either has the data-parallel update or
  // not; the gradient blocks follow it (GradBlocks.cpp).
  bool dataParallel = module->lookupSymbol("apply_update") != nullptr;
  if (from >= Stage::Train && dataParallel != nnOptions().dataParallel) {
    (void)error(path + (dataParallel
                            ? ": IR of a --distributed build: build it with "
                              "--distributed too"
                            : ": IR of a build without --distributed: "
                              "--distributed starts from the nn or grad "
                              "stage"));
    return nullptr;
  }
  if (from >= Stage::Predict)
    return module;
  // The row blocks of @predict are translated from the spec again.
  auto specPath = (*module)->getAttrOfType<StringAttr>(nn::kSpecPathAttr);
  if (!specPath) {
    (void)error(path + ": no '" + nn::kSpecPathAttr +
                "' attribute naming the spec, which the row blocks of "
                "@predict are built from");
    return nullptr;
  }
  if (!readSource(specPath.getValue()) ||
      !translateSource(std::nullopt, /*report=*/true))
    return nullptr;
  return module;
}

bool Driver::readSource(StringRef path) {
  sourceMgr = std::make_unique<llvm::SourceMgr>();
  spec.reset();
  onnx.reset();
  if (!OnnxModel::isOnnxPath(path)) {
    DiagnosticEngine diag(*sourceMgr, llvm::errs());
    spec = parseSpec(path, *sourceMgr, diag);
    return spec != nullptr;
  }
  if (!options.distributedRanks.empty())
    return failed(error(path + ": an imported ONNX model is built for "
                               "prediction; --distributed trains"));
  if (!options.weights.empty())
    return failed(error(path + ": an imported ONNX model's weights are its "
                               "initializers; it takes no --weights"));
  onnx = OnnxModel::read(path, llvm::errs());
  return onnx != nullptr;
}

std::optional<Model> Driver::translateSource(std::optional<int64_t> rows,
                                             bool report) {
  if (onnx)
    return onnx->translate(rows.value_or(OnnxModel::kBatchSize));
  DiagnosticEngine diag(*sourceMgr, report ? llvm::errs() : llvm::nulls());
  return checkSpec(*spec, diag, rows);
}

LogicalResult Driver::runPasses(
    ModuleOp module, llvm::function_ref<void(OpPassManager &)> build) {
  PassManager pm(&context);
  if (options.printIRAfterAll)
    pm.enableIRPrinting(
        /*shouldPrintBeforePass=*/[](Pass *, Operation *) { return false; });
  build(pm);
  return pm.run(module);
}

LogicalResult Driver::lower(ModuleOp module, Stage stage, ModelInfo &info) {
  // The stages in order (kStageNames), each one's phase after the last.
  std::optional<LoweringOptions> lowering;
  for (auto [s, name] : kStageNames)
    if (s <= std::min(stage, Stage::LLVM) &&
        failed(runPhase(s, module, info, lowering)))
      return failure();
  return success();
}

LogicalResult Driver::runPhase(Stage stage, ModuleOp module, ModelInfo &info,
                               std::optional<LoweringOptions> &lowering) {
  auto run = [&](llvm::function_ref<void(OpPassManager &)> build) {
    return reached(stage) ? success() : runPasses(module, build);
  };
  NNPipelineOptions nn = nnOptions();
  switch (stage) {
  case Stage::AST:
  case Stage::NN: // the frontend's (load)
  case Stage::LLVMIR:
  case Stage::Asm: // translate's and codegen's
    return success();
  case Stage::Grad:
    return run(addGradPipeline);
  case Stage::Train:
    return run([&](OpPassManager &pm) { addTrainPipeline(pm, nn); });
  case Stage::Fused:
    return run([&](OpPassManager &pm) { addFusedPipeline(pm, nn); });
  case Stage::Predict:
    if (failed(run([&](OpPassManager &pm) { addPredictPipeline(pm, nn); })) ||
        (!reached(stage) && failed(addPredictRowBlocks(module))) ||
        (!reached(stage) && nn.dataParallel && failed(addGradBlocks(module))))
      return failure();
    if (predictOnly())
      for (StringRef name : {"train_step", "eval_step", "learning_rate"})
        if (auto func = module.lookupSymbol<func::FuncOp>(name))
          func.erase();
    return success();
  case Stage::Linalg: {
    // What the descriptor says about the model is read from the nn level.
    FailureOr<ModelInfo> nnInfo = ModelInfo::fromNN(module);
    if (failed(nnInfo))
      return failure();
    info = *nnInfo;
    return run(addLinalgPipeline);
  }
  case Stage::Bufferized: {
    auto tm = createTargetMachine(options.target);
    if (!tm)
      return error(llvm::toString(tm.takeError()));
    lowering = LoweringOptions::forVectorWidth(vectorWidthBits(**tm));
    lowering->vectorizeMatmul = options.vectorizeMatmul;
    lowering->threads = options.threads;
    lowering->minParallelWork = options.minParallelWork;
    info.threads = options.threads;
    if (failed(run([&](OpPassManager &pm) {
          addBufferizePipeline(pm, *lowering);
        })))
      return failure();
    return info.addLayout(module);
  }
  case Stage::LLVM:
    return run([&](OpPassManager &pm) { addLLVMPipeline(pm, *lowering); });
  }
  llvm_unreachable("unknown stage");
}

std::unique_ptr<llvm::Module>
Driver::translate(ModuleOp module, const ModelInfo &info,
                  llvm::LLVMContext &llvmContext, llvm::TargetMachine &tm,
                  bool withMain) {
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, info.config.getName());
  if (!llvmModule) {
    (void)error("cannot translate the model to LLVM IR");
    return nullptr;
  }
  emitDescriptor(*llvmModule, info, withMain);
  optimizeModule(*llvmModule, tm);
  return llvmModule;
}

LogicalResult Driver::emit(StringRef specPath, Stage stage,
                           llvm::raw_ostream &os) {
  if (options.from && stage < *options.from)
    return error("--stage=" + stageName(stage) + " comes before --from=" +
                 stageName(*options.from));
  if (stage == Stage::AST) {
    if (OnnxModel::isOnnxPath(specPath))
      return error(specPath + ": an ONNX model has no AST; its first stage "
                              "is nn");
    llvm::SourceMgr sm;
    DiagnosticEngine diag(sm, llvm::errs());
    std::unique_ptr<ast::Module> ast = parseSpec(specPath, sm, diag);
    if (!ast || !checkSpec(*ast, diag))
      return failure();
    printAST(*ast, os);
    return success();
  }
  OwningOpRef<ModuleOp> module = load(specPath);
  if (!module)
    return failure();
  ModelInfo info;
  if (failed(lower(*module, std::min(stage, Stage::LLVM), info)))
    return failure();
  if (stage <= Stage::LLVM) {
    if (stage <= Stage::Predict) // a dump that --from can go on from
      (*module)->setAttr(kStageAttr,
                         StringAttr::get(&context, stageName(stage)));
    module->print(os, OpPrintingFlags().enableDebugInfo(
                          /*enable=*/stage <= Stage::Predict,
                          /*prettyForm=*/false));
    os << "\n";
    return success();
  }
  auto tm = createTargetMachine(options.target);
  if (!tm)
    return error(llvm::toString(tm.takeError()));
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translate(*module, info, llvmContext, **tm, /*withMain=*/false);
  if (!llvmModule)
    return failure();
  if (stage == Stage::LLVMIR) {
    llvmModule->print(os, nullptr);
    return success();
  }
  llvm::SmallString<0> buffer;
  llvm::raw_svector_ostream asmStream(buffer);
  if (llvm::Error err = emitMachineCode(*llvmModule, **tm, asmStream,
                                        /*assembly=*/true))
    return error(llvm::toString(std::move(err)));
  os << buffer;
  return success();
}

LogicalResult Driver::compileObject(ModuleOp module, StringRef objectPath,
                                    bool withMain, ModelInfo &info) {
  if (failed(lower(module, Stage::LLVM, info)) || failed(addWeights(module, info)))
    return failure();
  auto tm = createTargetMachine(options.target);
  if (!tm)
    return error(llvm::toString(tm.takeError()));
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translate(module, info, llvmContext, **tm, withMain);
  if (!llvmModule)
    return failure();
  std::error_code ec;
  llvm::ToolOutputFile out(objectPath, ec, llvm::sys::fs::OF_None);
  if (ec)
    return error("cannot write '" + objectPath + "': " + ec.message());
  if (llvm::Error err =
          emitMachineCode(*llvmModule, **tm, out.os(), /*assembly=*/false))
    return error(llvm::toString(std::move(err)));
  out.keep();
  return success();
}

LogicalResult Driver::addWeights(ModuleOp module, ModelInfo &info) {
  if (options.weights.empty() && !onnx)
    return success();
  llvm::Expected<std::vector<float>> weights =
      onnx ? foldWeights(module, info, loadImportedWeights(onnx->weights()),
                         onnx->path())
           : foldWeights(module, info, loadCheckpoint(options.weights),
                         options.weights);
  if (!weights)
    return error(llvm::toString(weights.takeError()));
  info.weights = std::move(*weights);
  return success();
}

LogicalResult Driver::buildOnnx(StringRef specPath, StringRef output) {
  if (options.weights.empty() && !OnnxModel::isOnnxPath(specPath))
    return error("--emit=onnx writes a trained model: give its weights "
                 "with --weights W.safetensors");
  // ONNX has no fused ops: the graph is @predict built without activation
  // and norm fusion, each op one ONNX node or a few. Folding stays.
  options.fuseActivation = options.fuseNorm = false;
  options.predictOnly = true;
  OwningOpRef<ModuleOp> graph = load(specPath);
  ModelInfo graphInfo;
  if (!graph || failed(lower(*graph, Stage::Predict, graphInfo)))
    return failure();
  // The weights, folded by the same module compiled (its @prepare): the
  // layout of its prediction state names each initializer's offset.
  OwningOpRef<ModuleOp> module = load(specPath);
  ModelInfo info;
  if (!module || failed(lower(*module, Stage::LLVM, info)) ||
      failed(addWeights(*module, info)))
    return failure();
  std::error_code ec;
  llvm::ToolOutputFile out(output, ec, llvm::sys::fs::OF_None);
  if (ec)
    return error("cannot write '" + output + "': " + ec.message());
  if (failed(exportOnnx(*graph, info, info.weights, out.os())))
    return failure();
  out.keep();
  return success();
}

LogicalResult Driver::buildExecutable(StringRef specPath, StringRef output) {
  SmallString<128> object;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("kiln-model", "o", object))
    return error("cannot create a temporary file: " + ec.message());
  llvm::FileRemover removeObject(object);
  OwningOpRef<ModuleOp> module = load(specPath);
  ModelInfo info;
  if (!module || failed(compileObject(*module, object, /*withMain=*/true, info)))
    return failure();

  std::string runtime = runtimeDir("libkiln_rt.a") + "/libkiln_rt.a";
  if (!llvm::sys::fs::exists(runtime))
    return error("cannot find the runtime library '" + runtime + "'");
  std::string outputStr = output.str(), objectStr = std::string(object);
  SmallVector<StringRef> args = {"-o", outputStr, objectStr};
  // Data parallel: kiln_mpi_main and kiln_comm over Open MPI, before the
  // runtime they call into.
  std::string mpiRuntime = runtimeDir("libkiln_rt_mpi.a") + "/libkiln_rt_mpi.a";
  SmallVector<StringRef> mpiLibs;
  if (!options.distributedRanks.empty()) {
    StringRef(KILN_MPI_LIBS).split(mpiLibs, '|', -1, /*KeepEmpty=*/false);
    if (mpiLibs.empty() || !llvm::sys::fs::exists(mpiRuntime))
      return error("--distributed: this kiln was built without Open MPI "
                   "(install libopenmpi-dev and rebuild it; scripts/setup.sh "
                   "does)");
    args.push_back(mpiRuntime);
  }
  args.push_back(runtime);
  return linkWithCC(output, args, mpiLibs, info.threads);
}

OwningOpRef<ModuleOp> Driver::loadForDirectory(StringRef specPath,
                                               StringRef directory,
                                               std::string &name) {
  if (std::error_code ec = llvm::sys::fs::create_directories(directory)) {
    (void)error("cannot create '" + directory + "': " + ec.message());
    return nullptr;
  }
  OwningOpRef<ModuleOp> module = load(specPath);
  if (!module)
    return nullptr;
  FailureOr<nn::ModelAttr> config = nn::ModelAttr::of(*module);
  if (failed(config))
    return nullptr;
  name = config->getName().str();
  return module;
}

LogicalResult Driver::buildPython(StringRef specPath, StringRef directory) {
  std::string name;
  OwningOpRef<ModuleOp> module = loadForDirectory(specPath, directory, name);
  if (!module)
    return failure();
  SmallString<128> object;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("kiln-model", "o", object))
    return error("cannot create a temporary file: " + ec.message());
  llvm::FileRemover removeObject(object);
  ModelInfo info;
  if (failed(compileObject(*module, object, /*withMain=*/false, info)))
    return failure();
  // The model and the whole runtime in one shared library: the module
  // reaches kiln_rt.h's context API through it.
  std::string runtime = runtimeDir("libkiln_rt.a") + "/libkiln_rt.a";
  std::string library = outputPath(directory, "lib" + name + ".so"),
              objectStr = std::string(object);
  if (failed(linkWithCC(library,
                        {"-shared", "-o", library, objectStr,
                         "-Wl,--whole-archive", runtime,
                         "-Wl,--no-whole-archive"},
                        {}, info.threads)))
    return failure();
  std::string pyPath = outputPath(directory, name + ".py");
  std::error_code ec;
  llvm::ToolOutputFile py(pyPath, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return error("cannot write '" + pyPath + "': " + ec.message());
  py.os() << generatePythonModule(info);
  py.keep();
  return success();
}

LogicalResult Driver::buildLibrary(StringRef specPath, StringRef directory) {
  std::string name;
  OwningOpRef<ModuleOp> module = loadForDirectory(specPath, directory, name);
  if (!module)
    return failure();
  auto path = [&](StringRef file) { return outputPath(directory, file); };
  ModelInfo info;
  if (failed(compileObject(*module, path(name + ".o"), /*withMain=*/false,
                           info)))
    return failure();
  std::error_code ec;
  llvm::ToolOutputFile header(path(name + ".h"), ec, llvm::sys::fs::OF_Text);
  if (ec)
    return error("cannot write '" + path(name + ".h") + "': " + ec.message());
  header.os() << generateHeader(info);
  header.keep();
  std::string runtime = runtimeDir("libkiln_rt.a");
  std::vector<std::pair<std::string, std::string>> copies = {
      {runtime + "/libkiln_rt.a", path("libkiln_rt.a")},
      {std::string(KILN_RUNTIME_INCLUDE_DIR) + "/kiln_rt.h",
       path("kiln_rt.h")}};
  if (!options.distributedRanks.empty())
    copies.push_back({runtime + "/libkiln_rt_mpi.a", path("libkiln_rt_mpi.a")});
  for (const auto &[from, to] : copies)
    if (std::error_code copyError = llvm::sys::fs::copy_file(from, to))
      return error("cannot copy '" + from + "' to '" + to +
                   "': " + copyError.message());
  return success();
}
