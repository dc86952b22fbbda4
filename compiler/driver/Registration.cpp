//===- Registration.cpp - kiln's dialects and passes ----------------------===//

#include "kiln/Driver/Registration.h"
#include "kiln/Conversion/Passes.h"
#include "kiln/Conversion/Pipeline.h"
#include "kiln/Dialect/NN/NNDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/DialectRegistry.h"

void kiln::registerDialects(mlir::DialectRegistry &registry) {
  registry.insert<nn::NNDialect, mlir::func::FuncDialect,
                  mlir::arith::ArithDialect>();
}

void kiln::registerPasses() {
  registerKilnConversionPasses();
  registerLoweringPipelines();
}
