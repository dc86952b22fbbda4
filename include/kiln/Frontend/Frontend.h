//===- Frontend.h - Entry points of the kiln frontend -----------*- C++ -*-===//
//
// What the tools call: read and parse a spec, check and elaborate it into a
// kiln::Model, dump the AST. Every function prints its diagnostics through
// the DiagnosticEngine and signals failure by its return value; none aborts
// on user input.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_FRONTEND_H
#define KILN_FRONTEND_FRONTEND_H

#include "kiln/Frontend/Diagnostics.h"
#include "kiln/Frontend/Model.h"

#include "llvm/ADT/StringRef.h"

#include <memory>
#include <optional>

namespace llvm {
class SourceMgr;
class raw_ostream;
} // namespace llvm

namespace kiln {
namespace ast {
class Module;
} // namespace ast

/// Reads `path` into `sm` and parses it. Prints every diagnostic; returns
/// null if there was any error.
std::unique_ptr<ast::Module> parseSpec(llvm::StringRef path,
                                       llvm::SourceMgr &sm,
                                       DiagnosticEngine &diag);

/// Checks and elaborates. Prints every diagnostic; returns std::nullopt if
/// there was any error. With `predictRows`, batches have that many rows
/// (the returned batch size): the model as @predict on `predictRows` rows
/// sees it, which batch norm's training minimum of 2 rows does not bind.
std::optional<Model> checkSpec(const ast::Module &module,
                               DiagnosticEngine &diag,
                               std::optional<int64_t> predictRows = {});

/// Human-readable dump for `kiln emit --stage=ast` (indented tree, each node
/// with line:col).
void printAST(const ast::Module &module, llvm::raw_ostream &os);

} // namespace kiln

#endif // KILN_FRONTEND_FRONTEND_H
