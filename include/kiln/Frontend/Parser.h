//===- Parser.h - Recursive-descent parser for kiln specs -------*- C++ -*-===//

#ifndef KILN_FRONTEND_PARSER_H
#define KILN_FRONTEND_PARSER_H

#include "kiln/Frontend/AST.h"

#include "llvm/ADT/StringRef.h"

#include <memory>

namespace kiln {

class DiagnosticEngine;

/// Lexes and parses `buffer`, which must be a buffer of `diag`'s SourceMgr.
/// `file` is recorded in the module as given. Always returns a module: after
/// a syntax error the parser skips to the next statement and goes on, so the
/// module holds every declaration that parsed; whether there were errors is
/// `diag.getNumErrors()`.
std::unique_ptr<ast::Module> parseBuffer(llvm::StringRef file,
                                         llvm::StringRef buffer,
                                         DiagnosticEngine &diag);

} // namespace kiln

#endif // KILN_FRONTEND_PARSER_H
