//===- kiln.cpp - The kiln command line -----------------------------------===//
//
//   kiln emit --stage=STAGE model.kiln [-o FILE]   print the IR of a stage
//   kiln build model.kiln -o model                 (coming with the backend)
//
//===----------------------------------------------------------------------===//

#include "kiln/Frontend/AST.h"
#include "kiln/Frontend/Diagnostics.h"
#include "kiln/Frontend/Frontend.h"
#include "kiln/Frontend/MLIRGen.h"
#include "kiln/Driver/Registration.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/IR/DialectRegistry.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace {

cl::OptionCategory kilnCategory("kiln options");

cl::SubCommand emitCommand("emit", "Print the IR of one stage of the pipeline");

cl::opt<std::string> emitInput(cl::Positional, cl::desc("<model.kiln>"),
                               cl::Required, cl::sub(emitCommand),
                               cl::cat(kilnCategory));
cl::opt<std::string> emitStage("stage", cl::desc("ast | nn"), cl::Required,
                               cl::sub(emitCommand), cl::cat(kilnCategory));
cl::opt<std::string> emitOutput("o", cl::desc("Output file (default: stdout)"),
                                cl::init("-"), cl::sub(emitCommand),
                                cl::cat(kilnCategory));

int fail(const Twine &message) {
  WithColor::error(errs(), "kiln") << message << "\n";
  return 1;
}

int runEmit() {
  SourceMgr sm;
  kiln::DiagnosticEngine diag(sm, errs());
  std::unique_ptr<kiln::ast::Module> ast =
      kiln::parseSpec(emitInput, sm, diag);
  if (!ast)
    return 1;
  std::optional<kiln::Model> model = kiln::checkSpec(*ast, diag);
  if (!model)
    return 1;

  std::error_code ec;
  ToolOutputFile out(emitOutput, ec, sys::fs::OF_Text);
  if (ec)
    return fail("cannot write '" + emitOutput + "': " + ec.message());

  if (emitStage == "ast") {
    kiln::printAST(*ast, out.os());
  } else if (emitStage == "nn") {
    mlir::DialectRegistry registry;
    kiln::registerDialects(registry);
    mlir::MLIRContext ctx(registry);
    mlir::OwningOpRef<mlir::ModuleOp> module = kiln::buildModule(ctx, *model);
    if (failed(mlir::verify(*module)))
      return fail("internal error: the nn module does not verify");
    module->print(out.os(), mlir::OpPrintingFlags().enableDebugInfo(
                                /*enable=*/true, /*prettyForm=*/false));
    out.os() << "\n";
  } else {
    return fail("unknown stage '" + emitStage + "'; expected ast or nn");
  }
  out.keep();
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM initLLVM(argc, argv);
  cl::HideUnrelatedOptions(kilnCategory);
  cl::ParseCommandLineOptions(argc, argv, "kiln: a compiler for neural networks\n");
  if (emitCommand)
    return runEmit();
  errs() << "kiln: no command given; see 'kiln --help'\n";
  return 2;
}
