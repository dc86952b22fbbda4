//===- Registration.h - kiln's dialects and passes, for the tools -*- C++ -*-===//

#ifndef KILN_DRIVER_REGISTRATION_H
#define KILN_DRIVER_REGISTRATION_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace kiln {

/// The nn dialect and every dialect and external model that kiln's
/// pipeline creates or needs (bufferization, tiling, LLVM translation).
void registerDialects(mlir::DialectRegistry &registry);

/// Every kiln pass and named pipeline, so that kiln-opt can run them.
void registerPasses();

} // namespace kiln

#endif // KILN_DRIVER_REGISTRATION_H
