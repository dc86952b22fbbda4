//===- kiln-opt.cpp - mlir-opt with kiln's dialect and passes -------------===//
//
// Runs any registered pass or pipeline on a .mlir file; the lit tests of
// every stage use it.
//
//===----------------------------------------------------------------------===//

#include "kiln/Driver/Registration.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllPasses();
  kiln::registerDialects(registry);
  kiln::registerPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "kiln's optimizer driver\n", registry));
}
