//===- Pipeline.cpp - From nn functions to the LLVM dialect ---------------===//

#include "kiln/Conversion/Pipeline.h"
#include "kiln/Conversion/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

kiln::LoweringOptions kiln::LoweringOptions::forVectorWidth(unsigned bits) {
  LoweringOptions options;
  options.lanes = bits / 32;
  if (bits >= 512) {
    options.tileM = 8;
    options.tileN = 32;
  } else if (bits >= 256) {
    options.tileM = 6;
    options.tileN = 16;
  } else {
    options.tileM = 4;
    options.tileN = 8;
  }
  return options;
}

void kiln::addLinalgPipeline(OpPassManager &pm) {
  pm.addPass(createAssignStateLayout());
  pm.addPass(createConvertNNToLinalg());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void kiln::addBufferizePipeline(OpPassManager &pm,
                               const LoweringOptions &options) {
  pm.addPass(createBufferABI());
  bufferization::OneShotBufferizationOptions bufferization;
  bufferization.bufferizeFunctionBoundaries = false;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferization));
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(createForwardCopies());
  // Before the memory plan: while every temporary is its own allocation,
  // the kernel's accumulator provably aliases nothing else in the loop and
  // can be hoisted into registers.
  if (options.vectorizeMatmul)
    pm.addNestedPass<func::FuncOp>(
        createVectorizeMatmul({options.tileM, options.tileN, options.lanes}));
  if (options.vectorizeElementwise)
    pm.addNestedPass<func::FuncOp>(
        createVectorizeElementwise({options.lanes}));
  pm.addPass(createPlanMemory());
  pm.addPass(createCSEPass());
}

void kiln::addLLVMPipeline(OpPassManager &pm, const LoweringOptions &options) {
  pm.addPass(createStripModelMetadata());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(createApproximateMath());
  // Every loop nest either splits over the threads or becomes serial;
  // without threads, all of them are serial.
  ParallelizeLoopsOptions parallel;
  parallel.minWork = options.threads ? options.minParallelWork
                                     : std::numeric_limits<int64_t>::max();
  pm.addNestedPass<func::FuncOp>(createParallelizeLoops(parallel));
  if (options.threads)
    pm.addPass(createConvertSCFToOpenMPPass());
  // n-D transfers become 1-D ones in registers, not a loop over a stack
  // temporary.
  pm.addPass(createConvertVectorToSCFPass(
      VectorTransferToSCFOptions().enableFullUnroll()));
  pm.addPass(createLowerAffinePass());
  pm.addPass(createCanonicalizerPass());
  // Once vectors are unrolled the op count is close to the code's size.
  pm.addPass(createOutlineKernels());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertSCFToCFPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  ConvertFuncToLLVMPassOptions funcOptions;
  // Static buffers cross the C ABI as plain pointers.
  funcOptions.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcOptions));
  pm.addPass(createConvertControlFlowToLLVMPass());
  if (options.threads)
    pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

namespace {
/// The target's vector width, which `kiln build` takes from the target
/// machine; kiln-opt's pipelines take it as an option, so that a benchmark
/// or a test lowers as kiln build would for that target.
struct VectorWidthOptions : PassPipelineOptions<VectorWidthOptions> {
  Option<unsigned> vectorBits{
      *this, "vector-bits",
      llvm::cl::desc("The widest vectors of the target, in bits (512: "
                     "AVX-512, 256: AVX2)"),
      llvm::cl::init(512)};
};
} // namespace

void kiln::registerLoweringPipelines() {
  PassPipelineRegistration<>("kiln-lower-to-linalg",
                             "nn functions to linalg on tensors",
                             addLinalgPipeline);
  PassPipelineRegistration<VectorWidthOptions>(
      "kiln-bufferize", "linalg on tensors to planned buffers",
      [](OpPassManager &pm, const VectorWidthOptions &o) {
        addBufferizePipeline(pm,
                             LoweringOptions::forVectorWidth(o.vectorBits));
      });
  PassPipelineRegistration<VectorWidthOptions>(
      "kiln-lower-to-llvm", "planned buffers to the LLVM dialect",
      [](OpPassManager &pm, const VectorWidthOptions &o) {
        addLLVMPipeline(pm, LoweringOptions::forVectorWidth(o.vectorBits));
      });
}
