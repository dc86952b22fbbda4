//===- Lexer.h - Tokens of the kiln language --------------------*- C++ -*-===//
//
// The lexer turns a whole buffer into a token vector up front: specs are
// small, and random access makes the parser's two-token lookahead (`IDENT =`
// starts a statement, `IDENT =` inside parentheses is a named argument) and
// its error recovery trivial.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_LEXER_H
#define KILN_FRONTEND_LEXER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"

#include <string>
#include <vector>

namespace kiln {

class DiagnosticEngine;

enum class TokenKind {
  Eof,
  Ident,
  Int,    // 12
  Real,   // 0.5, .5, 1e-3
  String, // "text"
  // Keywords.
  KwModel,
  KwInput,
  KwTarget,
  KwParam,
  KwBlock,
  KwReturn,
  KwLoss,
  KwTrain,
  KwData,
  KwAs,
  // Punctuation.
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Comma,
  Colon,
  Equal,
  Semi,
  Plus,
  Minus,
  Star,
  Slash,
  At,
  Arrow,
};

/// A position with both the pointer that SourceMgr needs for diagnostics and
/// the 1-based line and column that the AST dump and kiln::Model carry (they
/// outlive the SourceMgr).
struct Location {
  llvm::SMLoc loc;
  unsigned line = 0;
  unsigned col = 0;
};

struct Token {
  TokenKind kind = TokenKind::Eof;
  llvm::StringRef text; // the spelling in the buffer
  Location loc;
  bool startsLine = false; // first token on its line (used for recovery)
  double number = 0.0;     // Int and Real
  std::string str;         // String, with escapes resolved
};

/// Human-readable name of a token kind for "expected X" messages.
llvm::StringRef describe(TokenKind kind);

/// Lexes `buffer` (which must live in `diag`'s SourceMgr). Lexical errors are
/// reported and lexing goes on: a bad character is skipped, an unterminated
/// string ends at the end of its line, a malformed number lexes as 0, so the
/// parser sees a plausible token stream and reports no follow-on errors.
/// The result always ends with an Eof token.
std::vector<Token> lex(llvm::StringRef buffer, DiagnosticEngine &diag);

} // namespace kiln

#endif // KILN_FRONTEND_LEXER_H
