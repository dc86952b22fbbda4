//===- Target.cpp - Target machine, O3, and object emission ---------------===//

#include "kiln/Codegen/Codegen.h"

#include "llvm/Analysis/CGSCCPassManager.h"
#include "llvm/Analysis/LoopAnalysisManager.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace llvm;

Expected<std::unique_ptr<TargetMachine>>
kiln::createTargetMachine(const TargetOptions &options) {
  InitializeNativeTarget();
  InitializeNativeTargetAsmPrinter();
  std::string triple = sys::getDefaultTargetTriple();
  std::string error;
  const Target *target = TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return createStringError(inconvertibleErrorCode(),
                             "no target for '" + triple + "': " + error);
  std::string cpu = options.cpu.empty() ? sys::getHostCPUName().str()
                                        : options.cpu;
  std::string features = options.features;
  if (options.cpu.empty() && features.empty()) {
    SubtargetFeatures host;
    for (const StringMapEntry<bool> &f : sys::getHostCPUFeatures())
      host.AddFeature(f.first(), f.second);
    features = host.getString();
  }
  llvm::TargetOptions targetOptions;
  std::unique_ptr<TargetMachine> tm(target->createTargetMachine(
      triple, cpu, features, targetOptions, Reloc::PIC_, std::nullopt,
      CodeGenOptLevel::Aggressive));
  if (!tm)
    return createStringError(inconvertibleErrorCode(),
                             "cannot create a target machine for cpu '" + cpu +
                                 "'");
  return tm;
}

unsigned kiln::vectorWidthBits(TargetMachine &tm) {
  const MCSubtargetInfo *sti = tm.getMCSubtargetInfo();
  if (sti->checkFeatures("+avx512f"))
    return 512;
  if (sti->checkFeatures("+avx"))
    return 256;
  return 128;
}

void kiln::optimizeModule(Module &module, TargetMachine &tm) {
  module.setDataLayout(tm.createDataLayout());
  module.setTargetTriple(tm.getTargetTriple().str());
  // The vectorizers ask each function which CPU it targets.
  for (Function &f : module) {
    if (f.isDeclaration())
      continue;
    f.addFnAttr("target-cpu", tm.getTargetCPU());
    if (!tm.getTargetFeatureString().empty())
      f.addFnAttr("target-features", tm.getTargetFeatureString());
  }
  LoopAnalysisManager lam;
  FunctionAnalysisManager fam;
  CGSCCAnalysisManager cgam;
  ModuleAnalysisManager mam;
  PassBuilder pb(&tm);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(OptimizationLevel::O3);
  mpm.run(module, mam);
}

Error kiln::emitMachineCode(Module &module, TargetMachine &tm,
                            raw_pwrite_stream &os, bool assembly) {
  module.setDataLayout(tm.createDataLayout());
  module.setTargetTriple(tm.getTargetTriple().str());
  legacy::PassManager pm;
  if (tm.addPassesToEmitFile(pm, os, nullptr,
                             assembly ? CodeGenFileType::AssemblyFile
                                      : CodeGenFileType::ObjectFile))
    return createStringError(inconvertibleErrorCode(),
                             "the target cannot emit this file type");
  pm.run(module);
  return Error::success();
}
