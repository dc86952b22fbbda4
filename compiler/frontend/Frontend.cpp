//===- Frontend.cpp - Reading a spec file ---------------------------------===//

#include "kiln/Frontend/Frontend.h"
#include "kiln/Frontend/Parser.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

using namespace kiln;
using namespace llvm;

std::unique_ptr<ast::Module> kiln::parseSpec(StringRef path, SourceMgr &sm,
                                             DiagnosticEngine &diag) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> file =
      MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!file) {
    diag.fileError(path, "cannot read file: " + file.getError().message());
    return nullptr;
  }
  unsigned id = sm.AddNewSourceBuffer(std::move(*file), SMLoc());
  unsigned errorsBefore = diag.getNumErrors();
  std::unique_ptr<ast::Module> module =
      parseBuffer(path, sm.getMemoryBuffer(id)->getBuffer(), diag);
  if (diag.getNumErrors() != errorsBefore)
    return nullptr;
  return module;
}
