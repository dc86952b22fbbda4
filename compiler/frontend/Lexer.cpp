//===- Lexer.cpp - Tokens of the kiln language ----------------------------===//

#include "kiln/Frontend/Lexer.h"
#include "kiln/Frontend/Diagnostics.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

using namespace kiln;
using namespace llvm;

StringRef kiln::describe(TokenKind kind) {
  switch (kind) {
  case TokenKind::Eof:
    return "end of file";
  case TokenKind::Ident:
    return "a name";
  case TokenKind::Int:
    return "an integer";
  case TokenKind::Real:
    return "a number";
  case TokenKind::String:
    return "a string";
  case TokenKind::KwModel:
    return "'model'";
  case TokenKind::KwInput:
    return "'input'";
  case TokenKind::KwTarget:
    return "'target'";
  case TokenKind::KwParam:
    return "'param'";
  case TokenKind::KwBlock:
    return "'block'";
  case TokenKind::KwReturn:
    return "'return'";
  case TokenKind::KwLoss:
    return "'loss'";
  case TokenKind::KwTrain:
    return "'train'";
  case TokenKind::KwData:
    return "'data'";
  case TokenKind::KwAs:
    return "'as'";
  case TokenKind::LParen:
    return "'('";
  case TokenKind::RParen:
    return "')'";
  case TokenKind::LBracket:
    return "'['";
  case TokenKind::RBracket:
    return "']'";
  case TokenKind::LBrace:
    return "'{'";
  case TokenKind::RBrace:
    return "'}'";
  case TokenKind::Comma:
    return "','";
  case TokenKind::Colon:
    return "':'";
  case TokenKind::Equal:
    return "'='";
  case TokenKind::Semi:
    return "';'";
  case TokenKind::Plus:
    return "'+'";
  case TokenKind::Minus:
    return "'-'";
  case TokenKind::Star:
    return "'*'";
  case TokenKind::Slash:
    return "'/'";
  case TokenKind::At:
    return "'@'";
  case TokenKind::Arrow:
    return "'->'";
  }
  return "a token";
}

namespace {

bool isIdentStart(char c) { return std::isalpha((unsigned char)c) || c == '_'; }
bool isIdentChar(char c) { return std::isalnum((unsigned char)c) || c == '_'; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

/// One pass over the buffer; tracks the line so that every token knows its
/// line and column without asking the SourceMgr.
class LexerImpl {
public:
  LexerImpl(StringRef buffer, DiagnosticEngine &diag)
      : cur(buffer.begin()), end(buffer.end()), lineStart(buffer.begin()),
        diag(diag) {}

  std::vector<Token> run() {
    std::vector<Token> tokens;
    while (true) {
      bool newLine = skipTrivia();
      Token tok;
      tok.loc = here();
      tok.startsLine = newLine || tokens.empty();
      if (cur == end) {
        tok.kind = TokenKind::Eof;
        tokens.push_back(std::move(tok));
        return tokens;
      }
      const char *start = cur;
      if (!lexToken(tok))
        continue; // a bad character, reported and skipped
      tok.text = StringRef(start, cur - start);
      sawLineBreak = false;
      tokens.push_back(std::move(tok));
    }
  }

private:
  Location here() const {
    Location l;
    l.loc = SMLoc::getFromPointer(cur);
    l.line = line;
    l.col = unsigned(cur - lineStart) + 1;
    return l;
  }

  void newline() {
    ++line;
    lineStart = cur;
    sawLineBreak = true;
  }

  /// Skips blanks and comments; returns whether a line break was crossed
  /// since the previous token.
  bool skipTrivia() {
    while (cur != end) {
      char c = *cur;
      if (c == '\n') {
        ++cur;
        newline();
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' ||
                 c == '\v') {
        ++cur;
      } else if (c == '#') {
        while (cur != end && *cur != '\n')
          ++cur;
      } else {
        break;
      }
    }
    return sawLineBreak;
  }

  bool lexToken(Token &tok) {
    char c = *cur;
    if (isIdentStart(c)) {
      lexIdent(tok);
      return true;
    }
    if (isDigit(c) || (c == '.' && cur + 1 != end && isDigit(cur[1]))) {
      lexNumber(tok);
      return true;
    }
    if (c == '"') {
      lexString(tok);
      return true;
    }
    ++cur;
    switch (c) {
    case '(': tok.kind = TokenKind::LParen; return true;
    case ')': tok.kind = TokenKind::RParen; return true;
    case '[': tok.kind = TokenKind::LBracket; return true;
    case ']': tok.kind = TokenKind::RBracket; return true;
    case '{': tok.kind = TokenKind::LBrace; return true;
    case '}': tok.kind = TokenKind::RBrace; return true;
    case ',': tok.kind = TokenKind::Comma; return true;
    case ':': tok.kind = TokenKind::Colon; return true;
    case '=': tok.kind = TokenKind::Equal; return true;
    case ';': tok.kind = TokenKind::Semi; return true;
    case '+': tok.kind = TokenKind::Plus; return true;
    case '*': tok.kind = TokenKind::Star; return true;
    case '/': tok.kind = TokenKind::Slash; return true;
    case '@': tok.kind = TokenKind::At; return true;
    case '-':
      if (cur != end && *cur == '>') {
        ++cur;
        tok.kind = TokenKind::Arrow;
      } else {
        tok.kind = TokenKind::Minus;
      }
      return true;
    default:
      break;
    }
    // Report the whole UTF-8 sequence as one character.
    const char *bad = cur - 1;
    while (cur != end && ((unsigned char)*cur & 0xC0) == 0x80)
      ++cur;
    StringRef spelling(bad, cur - bad);
    if (std::isprint((unsigned char)c) || (unsigned char)c >= 0x80)
      diag.error(tok.loc.loc, "unexpected character '" + spelling + "'");
    else
      diag.error(tok.loc.loc, "unexpected character (byte 0x" +
                                  llvm::utohexstr((unsigned char)c) + ")");
    return false;
  }

  void lexIdent(Token &tok) {
    const char *start = cur;
    while (cur != end && isIdentChar(*cur))
      ++cur;
    StringRef word(start, cur - start);
    tok.kind = StringSwitch<TokenKind>(word)
                   .Case("model", TokenKind::KwModel)
                   .Case("input", TokenKind::KwInput)
                   .Case("target", TokenKind::KwTarget)
                   .Case("param", TokenKind::KwParam)
                   .Case("block", TokenKind::KwBlock)
                   .Case("return", TokenKind::KwReturn)
                   .Case("loss", TokenKind::KwLoss)
                   .Case("train", TokenKind::KwTrain)
                   .Case("data", TokenKind::KwData)
                   .Case("as", TokenKind::KwAs)
                   .Default(TokenKind::Ident);
  }

  /// digits ['.' digits] [('e'|'E') ['+'|'-'] digits], or '.' digits [...].
  /// A number glued to letters, a second '.', or an exponent without digits
  /// is malformed: reported once, lexed as 0 up to the end of the junk.
  void lexNumber(Token &tok) {
    const char *start = cur;
    bool isReal = false;
    while (cur != end && isDigit(*cur))
      ++cur;
    if (cur != end && *cur == '.') {
      isReal = true;
      ++cur;
      while (cur != end && isDigit(*cur))
        ++cur;
    }
    bool malformed = false;
    if (cur != end && (*cur == 'e' || *cur == 'E')) {
      isReal = true;
      ++cur;
      if (cur != end && (*cur == '+' || *cur == '-'))
        ++cur;
      if (cur == end || !isDigit(*cur))
        malformed = true;
      while (cur != end && isDigit(*cur))
        ++cur;
    }
    if (cur != end && (isIdentChar(*cur) || *cur == '.'))
      malformed = true;
    if (malformed) {
      while (cur != end && (isIdentChar(*cur) || *cur == '.'))
        ++cur;
      diag.error(tok.loc.loc, "malformed number '" +
                                  StringRef(start, cur - start) + "'");
      tok.kind = TokenKind::Int;
      tok.number = 0;
      return;
    }
    std::string text(start, cur - start);
    tok.kind = isReal ? TokenKind::Real : TokenKind::Int;
    tok.number = std::strtod(text.c_str(), nullptr);
    if (!std::isfinite(tok.number)) {
      diag.error(tok.loc.loc, "number '" + text + "' is out of range");
      tok.number = 0;
    }
  }

  void lexString(Token &tok) {
    tok.kind = TokenKind::String;
    ++cur; // opening quote
    while (true) {
      if (cur == end || *cur == '\n') {
        diag.error(tok.loc.loc, "unterminated string");
        return;
      }
      char c = *cur++;
      if (c == '"')
        return;
      if (c != '\\') {
        tok.str.push_back(c);
        continue;
      }
      if (cur == end || *cur == '\n')
        continue; // reported as unterminated on the next iteration
      char e = *cur++;
      switch (e) {
      case '"': tok.str.push_back('"'); break;
      case '\\': tok.str.push_back('\\'); break;
      case 'n': tok.str.push_back('\n'); break;
      case 't': tok.str.push_back('\t'); break;
      default: {
        diag.error(SMLoc::getFromPointer(cur - 2), "unknown escape sequence '\\" + Twine(e) +
                              "' in string");
        tok.str.push_back(e);
      }
      }
    }
  }

  const char *cur;
  const char *end;
  const char *lineStart;
  unsigned line = 1;
  bool sawLineBreak = false;
  DiagnosticEngine &diag;
};

} // namespace

std::vector<Token> kiln::lex(StringRef buffer, DiagnosticEngine &diag) {
  return LexerImpl(buffer, diag).run();
}
