//===- kiln.cpp - The kiln command line -----------------------------------===//
//
//   kiln emit --stage=STAGE model.kiln [-o FILE]   print one stage's IR
//   kiln build model.kiln -o model                 a standalone executable
//   kiln build --emit=lib model.kiln -o DIR        object + C header + runtime
//   kiln build --emit=python model.kiln -o DIR     lib<model>.so + <model>.py
//   kiln build ... --weights W.safetensors         with trained weights inside
//   kiln build --emit=lib --predict-only ...       prediction only, no training
//   kiln build --emit=onnx model.kiln --weights W -o model.onnx
//                                                  the trained model as ONNX
//   kiln build model.onnx -o model                 an ONNX model, predict-only
//   kiln build --distributed model.kiln -o model   data-parallel on MPI
//   kiln emit --from=STAGE ir.mlir --stage=LATER   go on from a dump
//   kiln --version                                 kiln's version and commit
//
//===----------------------------------------------------------------------===//

#include "kiln/Driver/Driver.h"
#include "kiln/Version.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace {

cl::OptionCategory category("kiln options");

cl::SubCommand emitCommand("emit", "Print the IR of one stage of the pipeline");
cl::SubCommand buildCommand("build", "Compile a model spec to native code");

cl::opt<std::string> input(cl::Positional,
                           cl::desc("<model.kiln | model.onnx>"), cl::Required,
                           cl::sub(emitCommand), cl::sub(buildCommand),
                           cl::cat(category));
cl::opt<std::string> output("o", cl::desc("Output file or folder"),
                            cl::sub(emitCommand), cl::sub(buildCommand),
                            cl::cat(category));
cl::opt<std::string> from(
    "from",
    cl::desc("The input is IR that `kiln emit --stage=STAGE` printed (nn, "
             "grad, train, fused or predict): go on from there"),
    cl::value_desc("STAGE"), cl::sub(emitCommand), cl::sub(buildCommand),
    cl::cat(category));
cl::opt<std::string> stage("stage", cl::desc("The stage to print"),
                           cl::value_desc("name"), cl::Required,
                           cl::sub(emitCommand), cl::cat(category));
cl::opt<std::string> emitKind("emit",
                              cl::desc("exe: an executable (default); lib: an "
                                       "object, a C header and the runtime; "
                                       "python: lib<model>.so and a Python "
                                       "module over it; onnx: the trained "
                                       "model's inference graph (with "
                                       "--weights)"),
                              cl::init("exe"), cl::sub(buildCommand),
                              cl::cat(category));

cl::opt<std::string> weights(
    "weights",
    cl::desc("A checkpoint to compile into the model, folded for prediction"),
    cl::value_desc("W.safetensors"), cl::sub(buildCommand), cl::cat(category));

cl::opt<bool> predictOnly(
    "predict-only",
    cl::desc("Prediction only: no training or evaluation code (smaller, "
             "faster to compile); an executable still predicts"),
    cl::sub(emitCommand), cl::sub(buildCommand), cl::cat(category));

/// --predict-rows's help, with the defaults as the driver has them.
const std::string predictRowsHelp = [] {
  auto list = [](ArrayRef<int64_t> rows) {
    std::string s;
    for (int64_t r : rows)
      s += (s.empty() ? "" : ",") + std::to_string(r);
    return s;
  };
  return "Row counts to compile a prediction function for, besides the "
         "batch size and one row (default: " +
         list(kiln::kPredictRowBlocks) + ", and " +
         list(kiln::kSkinnyRowBlocks) + " for weights of " +
         std::to_string(kiln::kSkinnyBlockMinBytes / 1024) +
         " KiB or more); any row count is predicted as a sum of these";
}();

cl::list<int64_t> predictRows(
    "predict-rows", cl::desc(predictRowsHelp),
    cl::value_desc("N,N,..."), cl::CommaSeparated, cl::sub(emitCommand),
    cl::sub(buildCommand), cl::cat(category));

/// The rank counts `--distributed` alone compiles gradient blocks for.
constexpr const char *kDefaultRanks = "2,3,4";

/// cl::desc keeps a StringRef: the text must outlive the option.
const std::string distributedHelp =
    std::string("Data-parallel training on MPI (mpirun -np N ./model train): "
                "gradient blocks for the shards of these rank counts "
                "(default: ") +
    kDefaultRanks + "); the executable links Open MPI";

cl::opt<std::string> distributed(
    "distributed", cl::desc(distributedHelp),
    cl::value_desc("N,N,..."), cl::ValueOptional, cl::sub(emitCommand),
    cl::sub(buildCommand), cl::cat(category));

cl::opt<std::string> targetCPU("target-cpu",
                               cl::desc("CPU to generate code for (default: "
                                        "this machine's), e.g. x86-64-v3"),
                               cl::sub(emitCommand), cl::sub(buildCommand),
                               cl::cat(category));
cl::opt<std::string> targetFeatures(
    "target-features", cl::desc("CPU features, e.g. +avx2,+fma"),
    cl::sub(emitCommand), cl::sub(buildCommand), cl::cat(category));
cl::opt<bool> printIRAfterAll("print-ir-after-all",
                              cl::desc("Print the IR after every pass"),
                              cl::sub(emitCommand), cl::sub(buildCommand),
                              cl::cat(category));
cl::opt<bool> noVectorizeMatmul(
    "no-vectorize-matmul",
    cl::desc("Leave matmuls to plain loops (for comparison)"),
    cl::sub(emitCommand), cl::sub(buildCommand), cl::cat(category));
cl::opt<bool> noThreads(
    "no-threads",
    cl::desc("Serial code only: no kernel splits over threads, and no "
             "OpenMP runtime to link"),
    cl::sub(emitCommand), cl::sub(buildCommand), cl::cat(category));
cl::opt<int64_t> minParallelWork(
    "min-parallel-work",
    cl::desc("Serial work (vector operations) from which a loop nest splits "
             "over the threads; 1 splits every splittable nest (for tests)"),
    cl::init(kiln::LoweringOptions().minParallelWork), cl::Hidden,
    cl::sub(emitCommand), cl::sub(buildCommand), cl::cat(category));

cl::opt<bool> noFuseActivation(
    "no-fuse-activation",
    cl::desc("Keep activations apart from dense layers and matmuls"),
    cl::sub(emitCommand), cl::sub(buildCommand), cl::cat(category));
cl::opt<bool> noFuseNorm(
    "no-fuse-norm",
    cl::desc("Normalize in one pass per step, activations apart"),
    cl::sub(emitCommand), cl::sub(buildCommand), cl::cat(category));
cl::opt<bool> noFold(
    "no-fold",
    cl::desc("Predict with batch norm as it is, not folded into dense layers"),
    cl::sub(emitCommand), cl::sub(buildCommand), cl::cat(category));
cl::opt<bool> noFuseOptimizer(
    "no-fuse-optimizer",
    cl::desc("Update parameters with one kernel per formula term"),
    cl::sub(emitCommand), cl::sub(buildCommand), cl::cat(category));

int fail(const Twine &message) {
  WithColor::error(errs(), "kiln") << message << "\n";
  return 1;
}

/// The options of both commands; nullopt after reporting a bad --from.
std::optional<kiln::DriverOptions> driverOptions() {
  kiln::DriverOptions options;
  options.target.cpu = targetCPU;
  options.target.features = targetFeatures;
  options.printIRAfterAll = printIRAfterAll;
  options.vectorizeMatmul = !noVectorizeMatmul;
  options.threads = !noThreads;
  options.minParallelWork = minParallelWork;
  options.fuseOptimizer = !noFuseOptimizer;
  options.fuseActivation = !noFuseActivation;
  options.fuseNorm = !noFuseNorm;
  options.fold = !noFold;
  options.weights = weights;
  options.predictOnly = predictOnly;
  if (predictRows.getNumOccurrences())
    options.predictRows.assign(predictRows.begin(), predictRows.end());
  if (distributed.getNumOccurrences()) {
    StringRef list =
        distributed.empty() ? StringRef(kDefaultRanks) : distributed.getValue();
    SmallVector<StringRef> counts;
    list.split(counts, ',');
    for (StringRef count : counts) {
      int64_t n;
      if (count.trim().getAsInteger(10, n) || n < 2) {
        fail("--distributed: '" + count + "' is no rank count of 2 or more");
        return std::nullopt;
      }
      options.distributedRanks.push_back(n);
    }
    if (predictOnly) {
      fail("--distributed trains; it does not go with --predict-only");
      return std::nullopt;
    }
  }
  if (!from.empty()) {
    options.from = kiln::parseStage(from);
    if (!options.from) {
      fail("unknown stage '" + from + "' for --from; expected one of " +
           kiln::stageNames());
      return std::nullopt;
    }
  }
  return options;
}

int runEmit() {
  std::optional<kiln::DriverOptions> options = driverOptions();
  if (!options)
    return 1;
  std::optional<kiln::Stage> parsed = kiln::parseStage(stage);
  if (!parsed)
    return fail("unknown stage '" + stage + "'; expected one of " +
                kiln::stageNames());
  kiln::Driver driver(std::move(*options));
  std::string path = output.empty() ? "-" : output.getValue();
  std::error_code ec;
  ToolOutputFile out(path, ec, sys::fs::OF_Text);
  if (ec)
    return fail("cannot write '" + path + "': " + ec.message());
  if (failed(driver.emit(input, *parsed, out.os())))
    return 1;
  out.keep();
  return 0;
}

int runBuild() {
  if (output.empty())
    return fail("no output given; use -o");
  std::optional<kiln::DriverOptions> options = driverOptions();
  if (!options)
    return 1;
  kiln::Driver driver(std::move(*options));
  if (emitKind == "exe")
    return failed(driver.buildExecutable(input, output)) ? 1 : 0;
  if (emitKind == "lib")
    return failed(driver.buildLibrary(input, output)) ? 1 : 0;
  if (emitKind == "python")
    return failed(driver.buildPython(input, output)) ? 1 : 0;
  if (emitKind == "onnx")
    return failed(driver.buildOnnx(input, output)) ? 1 : 0;
  return fail("unknown --emit '" + emitKind + "'; expected exe, lib, "
              "python or onnx");
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM initLLVM(argc, argv);
  cl::HideUnrelatedOptions(category);
  // kiln's own version first: LLVM's alone does not say which kiln this is.
  cl::SetVersionPrinter([](raw_ostream &os) {
    os << "kiln version " KILN_VERSION " (commit " KILN_GIT_COMMIT ")\n"
       << "  LLVM version " LLVM_VERSION_STRING "\n";
  });
  cl::ParseCommandLineOptions(argc, argv,
                              "kiln: an ahead-of-time compiler for neural "
                              "networks\n");
  if (emitCommand)
    return runEmit();
  if (buildCommand)
    return runBuild();
  errs() << "kiln: no command given; see 'kiln --help'\n";
  return 2;
}
