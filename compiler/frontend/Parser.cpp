//===- Parser.cpp - Recursive-descent parser for kiln specs ---------------===//
//
// One function per grammar rule (see docs/language.md). Every parse function
// reports at most one error and returns null on failure; the statement loops
// then resynchronize at the next statement, so one run reports the syntax
// errors of every statement.
//
//===----------------------------------------------------------------------===//

#include "kiln/Frontend/Parser.h"
#include "kiln/Frontend/Diagnostics.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>

using namespace kiln;
using namespace kiln::ast;
using namespace llvm;

namespace {

/// Keywords that can only start a top-level declaration.
bool isTopKeyword(TokenKind k) {
  switch (k) {
  case TokenKind::KwModel:
  case TokenKind::KwInput:
  case TokenKind::KwTarget:
  case TokenKind::KwParam:
  case TokenKind::KwBlock:
  case TokenKind::KwLoss:
  case TokenKind::KwTrain:
  case TokenKind::KwData:
    return true;
  default:
    return false;
  }
}

bool isKeyword(TokenKind k) {
  return isTopKeyword(k) || k == TokenKind::KwReturn || k == TokenKind::KwAs;
}

/// Identifiers and keywords: setting names such as `train`, `target` and
/// `data` in a data section are keywords elsewhere.
bool isNameLike(TokenKind k) { return k == TokenKind::Ident || isKeyword(k); }

const StringRef kDeclKeywords[] = {"model", "input", "target", "param",
                                   "block", "loss",  "train",  "data"};

/// Parentheses, brackets, argument lists and unary minus signs inside one
/// another: each level is a few frames of the parser's recursion, so an
/// unbounded input would overflow its stack. No real spec comes close.
constexpr unsigned kMaxNesting = 256;

/// Operations on one path of an expression's tree, which a chain such as
/// `x -> f -> g ...` or `a + b + ...` makes as long as the chain. The parser
/// builds chains in a loop and Sema evaluates them in one, but the AST
/// printer and the destructors walk the tree recursively.
constexpr unsigned kMaxHeight = 10000;

class Parser {
public:
  Parser(std::vector<Token> tokens, DiagnosticEngine &diag)
      : toks(std::move(tokens)), diag(diag) {}

  std::unique_ptr<Module> parseModule(StringRef file, StringRef buffer);

private:
  enum class Context { Top, Block, Section };

  //===--- Token helpers ---------------------------------------------------===//

  const Token &tok() const { return toks[pos]; }
  const Token &peek(unsigned n = 1) const {
    return toks[std::min(pos + n, toks.size() - 1)];
  }
  bool is(TokenKind k) const { return tok().kind == k; }
  void consume() {
    if (!is(TokenKind::Eof))
      ++pos;
  }
  bool consumeIf(TokenKind k) {
    if (!is(k))
      return false;
    consume();
    return true;
  }

  /// How the current token reads in "got X".
  std::string current() const {
    const Token &t = tok();
    if (t.kind == TokenKind::Eof)
      return "end of file";
    if (t.kind == TokenKind::String)
      return "a string";
    return ("'" + t.text + "'").str();
  }

  /// Reports "expected <what>, got <current token>"; always returns false.
  /// At the end of the file, points just past the last token instead, which
  /// is where the missing text belongs.
  bool errorExpected(const Twine &what) {
    SMLoc at = tok().loc.loc;
    if (is(TokenKind::Eof) && pos > 0)
      at = SMLoc::getFromPointer(toks[pos - 1].text.end());
    diag.error(at, "expected " + what + ", got " + current());
    return false;
  }

  bool expect(TokenKind k, const Twine &context) {
    if (consumeIf(k))
      return true;
    return errorExpected(describe(k) + " " + context);
  }

  /// Reads an identifier into `name`/`loc`, or reports what was expected.
  bool parseName(std::string &name, Location &loc, const Twine &what) {
    if (!is(TokenKind::Ident)) {
      if (isKeyword(tok().kind))
        diag.error(tok().loc.loc,
                   "'" + tok().text + "' is a keyword and cannot be " + what);
      else
        errorExpected(what);
      return false;
    }
    name = tok().text.str();
    loc = tok().loc;
    consume();
    return true;
  }

  void synchronize(Context ctx);

  /// Enters one level of nesting at the current token, or reports that the
  /// input nests too deeply. Every successful call is paired with a
  /// `--nesting` (see NestingScope).
  bool enterNesting() {
    if (nesting >= kMaxNesting) {
      diag.error(tok().loc.loc,
                 "expression nested too deeply (more than " +
                     Twine(kMaxNesting) +
                     " levels of parentheses, brackets, calls and unary "
                     "'-'); split it into named steps");
      return false;
    }
    ++nesting;
    return true;
  }
  struct NestingScope {
    explicit NestingScope(Parser &p) : p(p), entered(p.enterNesting()) {}
    ~NestingScope() {
      if (entered)
        --p.nesting;
    }
    Parser &p;
    bool entered;
  };

  /// Reports a chain whose tree got taller than kMaxHeight at operator `op`.
  bool checkHeight(const Expr &e, const Location &op) {
    if (e.getHeight() <= kMaxHeight)
      return true;
    diag.error(op.loc, "expression too long (more than " + Twine(kMaxHeight) +
                           " chained operations); split it into named steps");
    return false;
  }

  //===--- Declarations ----------------------------------------------------===//

  DeclPtr parseTopDecl();
  DeclPtr parseInput();
  DeclPtr parseTarget();
  DeclPtr parseParam();
  DeclPtr parseAssign();
  DeclPtr parseBlock();
  DeclPtr parseLoss();
  DeclPtr parseSection();
  std::unique_ptr<ListExpr> parseShape(const Twine &what);

  //===--- Expressions -----------------------------------------------------===//

  ExprPtr parseExpr();
  ExprPtr parseAdditive();
  ExprPtr parseMultiplicative();
  ExprPtr parseUnary();
  ExprPtr parsePostfix();
  ExprPtr parsePrimary();
  bool parseAlias(Expr &e);
  bool parseArgs(std::vector<Arg> &args);
  std::unique_ptr<ListExpr> parseList();

  std::vector<Token> toks;
  size_t pos = 0;
  unsigned nesting = 0;
  DiagnosticEngine &diag;
  Location modelLoc;
};

} // namespace

//===----------------------------------------------------------------------===//
// Recovery
//===----------------------------------------------------------------------===//

/// Skips to the first token that can start a statement of `ctx` at the
/// start of a line and outside brackets, past a `;`, or to the `}` that closes
/// the enclosing block or section. The language is newline-insensitive; the
/// line start is only a heuristic for where the user meant a new statement.
void Parser::synchronize(Context ctx) {
  int depth = 0;
  while (!is(TokenKind::Eof)) {
    const Token &t = tok();
    TokenKind next = peek().kind;
    if (depth == 0 && t.startsLine) {
      if (ctx == Context::Section && isNameLike(t.kind) &&
          (next == TokenKind::Equal || next == TokenKind::LParen))
        return;
      if (isTopKeyword(t.kind) || t.kind == TokenKind::KwReturn)
        return;
      // At the top level, any name that starts a line is most likely a new
      // statement (perhaps a misspelt keyword); in a block, only `name =`.
      if (t.kind == TokenKind::Ident &&
          (ctx == Context::Top ||
           (ctx == Context::Block && next == TokenKind::Equal)))
        return;
    }
    if (depth == 0 && t.kind == TokenKind::Semi) {
      consume();
      return;
    }
    if (depth == 0 && t.kind == TokenKind::RBrace && ctx != Context::Top)
      return;
    switch (t.kind) {
    case TokenKind::LParen:
    case TokenKind::LBracket:
    case TokenKind::LBrace:
      ++depth;
      break;
    case TokenKind::RParen:
    case TokenKind::RBracket:
    case TokenKind::RBrace:
      if (depth > 0)
        --depth;
      break;
    default:
      break;
    }
    consume();
  }
}

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

std::unique_ptr<Module> Parser::parseModule(StringRef file, StringRef buffer) {
  std::string name;
  Location nameLoc;
  if (is(TokenKind::Eof)) {
    diag.error(SMLoc::getFromPointer(buffer.begin()),
               "empty spec: expected 'model <name>'");
    return std::make_unique<Module>(file.str(), "", tok().loc,
                                    std::vector<DeclPtr>());
  }
  if (is(TokenKind::KwModel)) {
    modelLoc = tok().loc;
    consume();
    if (!parseName(name, nameLoc, "the model name"))
      synchronize(Context::Top);
  } else {
    diag.error(tok().loc.loc, "expected 'model <name>' at the start of the "
                              "spec, got " + current());
  }

  std::vector<DeclPtr> decls;
  while (!is(TokenKind::Eof)) {
    if (consumeIf(TokenKind::Semi))
      continue;
    size_t start = pos;
    if (DeclPtr d = parseTopDecl()) {
      decls.push_back(std::move(d));
    } else {
      if (pos == start)
        consume(); // the offending token itself is no place to resume
      synchronize(Context::Top);
    }
  }
  return std::make_unique<Module>(file.str(), name, nameLoc, std::move(decls));
}

DeclPtr Parser::parseTopDecl() {
  switch (tok().kind) {
  case TokenKind::KwModel: {
    diag.error(tok().loc.loc, "a spec has one 'model' declaration, at its start");
    if (modelLoc.line)
      diag.note(modelLoc.loc, "the model is declared here");
    consume();
    consumeIf(TokenKind::Ident);
    return nullptr;
  }
  case TokenKind::KwInput:
    return parseInput();
  case TokenKind::KwTarget:
    return parseTarget();
  case TokenKind::KwParam:
    return parseParam();
  case TokenKind::KwBlock:
    return parseBlock();
  case TokenKind::KwLoss:
    return parseLoss();
  case TokenKind::KwTrain:
  case TokenKind::KwData:
    return parseSection();
  case TokenKind::KwReturn:
    diag.error(tok().loc.loc, "'return' outside a block");
    return nullptr;
  case TokenKind::Ident: {
    if (peek().kind == TokenKind::Equal)
      return parseAssign();
    std::string hint = didYouMean(tok().text, kDeclKeywords);
    if (!hint.empty()) {
      diag.error(tok().loc.loc,
                 "unknown declaration '" + tok().text + "'" + hint);
      return nullptr;
    }
    diag.error(tok().loc.loc,
               "expected a declaration or 'name = expression', got " +
                   current());
    return nullptr;
  }
  default:
    errorExpected("a declaration or 'name = expression'");
    return nullptr;
  }
}

/// '[' (expr (',' expr)*)? ']' where a shape is required.
std::unique_ptr<ListExpr> Parser::parseShape(const Twine &what) {
  if (!is(TokenKind::LBracket)) {
    errorExpected("a shape such as '[64]' " + what);
    return nullptr;
  }
  return parseList();
}

DeclPtr Parser::parseInput() {
  consume();
  std::string name;
  Location loc;
  if (!parseName(name, loc, "the input name") ||
      !expect(TokenKind::Colon, "after the input name"))
    return nullptr;
  auto shape = parseShape("after 'input " + name + ":'");
  if (!shape)
    return nullptr;
  return std::make_unique<InputDecl>(loc, std::move(name), std::move(shape));
}

DeclPtr Parser::parseTarget() {
  consume();
  std::string name;
  Location loc;
  if (!parseName(name, loc, "the target name") ||
      !expect(TokenKind::Colon, "after the target name"))
    return nullptr;
  static const StringRef kTypes[] = {"class", "binary", "multilabel", "real"};
  if (!is(TokenKind::Ident)) {
    errorExpected("a target type (class(N), binary, multilabel(K), real or "
                  "real(K))");
    return nullptr;
  }
  Location typeLoc = tok().loc;
  StringRef type = tok().text;
  TargetKind kind;
  if (type == "class")
    kind = TargetKind::Class;
  else if (type == "binary")
    kind = TargetKind::Binary;
  else if (type == "multilabel")
    kind = TargetKind::MultiLabel;
  else if (type == "real")
    kind = TargetKind::Real;
  else {
    diag.error(typeLoc.loc, "unknown target type '" + type + "'" +
                                didYouMean(type, kTypes) +
                                " (class(N), binary, multilabel(K), real or "
                                "real(K))");
    return nullptr;
  }
  consume();
  bool needsSize = kind == TargetKind::Class || kind == TargetKind::MultiLabel;
  bool takesSize = needsSize || kind == TargetKind::Real;
  int64_t size = 0;
  Location sizeLoc = typeLoc;
  bool hasSize = false;
  if (takesSize && is(TokenKind::LParen)) {
    consume();
    sizeLoc = tok().loc;
    if (!is(TokenKind::Int)) {
      errorExpected("an integer size in '" + type + "(...)'");
      return nullptr;
    }
    size = int64_t(std::min(tok().number, 1e15));
    hasSize = true;
    consume();
    if (!expect(TokenKind::RParen, "after the target size"))
      return nullptr;
  } else if (needsSize) {
    errorExpected("'(' after '" + type + "': write '" + type + "(N)'");
    return nullptr;
  }
  return std::make_unique<TargetDecl>(loc, std::move(name), kind, size,
                                      hasSize, typeLoc, sizeLoc);
}

DeclPtr Parser::parseParam() {
  consume();
  std::string name;
  Location loc;
  if (!parseName(name, loc, "the parameter name") ||
      !expect(TokenKind::Colon, "after the parameter name"))
    return nullptr;
  auto shape = parseShape("after 'param " + name + ":'");
  if (!shape)
    return nullptr;
  ExprPtr init;
  if (consumeIf(TokenKind::Equal)) {
    init = parseExpr();
    if (!init)
      return nullptr;
  }
  return std::make_unique<ParamDecl>(loc, std::move(name), std::move(shape),
                                     std::move(init));
}

DeclPtr Parser::parseAssign() {
  std::string name = tok().text.str();
  Location loc = tok().loc;
  consume(); // name
  consume(); // '='
  ExprPtr value = parseExpr();
  if (!value)
    return nullptr;
  return std::make_unique<AssignDecl>(loc, std::move(name), std::move(value));
}

DeclPtr Parser::parseBlock() {
  consume();
  std::string name;
  Location loc;
  if (!parseName(name, loc, "the block name") ||
      !expect(TokenKind::LParen, "after the block name"))
    return nullptr;
  std::vector<BlockArg> args;
  if (!is(TokenKind::RParen)) {
    while (true) {
      BlockArg arg;
      if (!parseName(arg.name, arg.loc, "an argument name"))
        return nullptr;
      if (consumeIf(TokenKind::Equal)) {
        arg.defaultValue = parseExpr();
        if (!arg.defaultValue)
          return nullptr;
      } else if (!args.empty() && args.back().defaultValue) {
        diag.error(arg.loc.loc, "argument '" + arg.name +
                                    "' without a default follows one with a "
                                    "default");
        return nullptr;
      }
      args.push_back(std::move(arg));
      if (consumeIf(TokenKind::Comma))
        continue;
      if (is(TokenKind::RParen))
        break;
      errorExpected("',' or ')' in the argument list of block '" + name + "'");
      return nullptr;
    }
  }
  consume(); // ')'
  Location open = tok().loc;
  if (!expect(TokenKind::LBrace, "to open the body of block '" + name + "'"))
    return nullptr;

  std::vector<DeclPtr> body;
  bool sawReturn = false, reportedAfterReturn = false;
  while (!is(TokenKind::RBrace)) {
    if (is(TokenKind::Eof) ||
        (isTopKeyword(tok().kind) && !is(TokenKind::KwParam))) {
      errorExpected("'}' to close block '" + name + "'");
      diag.note(open.loc, "the block's body starts here");
      return nullptr;
    }
    if (consumeIf(TokenKind::Semi))
      continue;
    if (sawReturn && !reportedAfterReturn) {
      diag.error(tok().loc.loc, "statement after 'return' in block '" + name +
                                    "': 'return' must come last");
      reportedAfterReturn = true;
    }
    size_t start = pos;
    DeclPtr stmt;
    if (is(TokenKind::KwParam)) {
      stmt = parseParam();
    } else if (is(TokenKind::KwReturn)) {
      Location retLoc = tok().loc;
      consume();
      if (ExprPtr value = parseExpr())
        stmt = std::make_unique<ReturnDecl>(retLoc, std::move(value));
      sawReturn = true;
    } else if (is(TokenKind::Ident) && peek().kind == TokenKind::Equal) {
      stmt = parseAssign();
    } else {
      errorExpected("'param', 'return' or 'name = expression' in block '" +
                    name + "'");
    }
    if (stmt && !reportedAfterReturn) {
      body.push_back(std::move(stmt));
    } else if (!stmt) {
      if (pos == start)
        consume();
      synchronize(Context::Block);
    }
  }
  Location close = tok().loc;
  consume(); // '}'
  if (!sawReturn) {
    diag.error(close.loc, "block '" + name + "' has no 'return'");
    return nullptr;
  }
  return std::make_unique<BlockDecl>(loc, std::move(name), std::move(args),
                                     std::move(body));
}

DeclPtr Parser::parseLoss() {
  Location loc = tok().loc;
  consume();
  if (!is(TokenKind::Ident) || peek().kind != TokenKind::LParen) {
    if (is(TokenKind::Ident))
      consume();
    errorExpected("'(' after the loss name: write e.g. "
                  "'loss mse(prediction, target)'");
    return nullptr;
  }
  Location nameLoc = tok().loc;
  std::string callee = tok().text.str();
  consume();
  std::vector<Arg> args;
  if (!parseArgs(args))
    return nullptr;
  auto call = std::make_unique<CallExpr>(nameLoc, std::move(callee),
                                         std::move(args), /*piped=*/false);
  return std::make_unique<LossDecl>(loc, std::move(call));
}

DeclPtr Parser::parseSection() {
  Location loc = tok().loc;
  auto section = is(TokenKind::KwTrain) ? SectionDecl::Section::Train
                                        : SectionDecl::Section::Data;
  StringRef sectionName = tok().text;
  consume();
  Location open = tok().loc;
  if (!expect(TokenKind::LBrace, "after '" + sectionName + "'"))
    return nullptr;
  std::vector<Setting> settings;
  while (!is(TokenKind::RBrace)) {
    if (is(TokenKind::Eof) ||
        (isTopKeyword(tok().kind) && peek().kind != TokenKind::Equal &&
         peek().kind != TokenKind::LParen)) {
      errorExpected("'}' to close the " + sectionName + " section");
      diag.note(open.loc, "the section starts here");
      return nullptr;
    }
    if (consumeIf(TokenKind::Semi))
      continue;
    size_t start = pos;
    bool ok = false;
    if (!isNameLike(tok().kind)) {
      errorExpected("a setting ('name = value' or 'name(arguments)')");
    } else {
      Setting s;
      s.name = tok().text.str();
      s.loc = tok().loc;
      consume();
      if (consumeIf(TokenKind::Equal)) {
        s.value = parseExpr();
      } else if (is(TokenKind::LParen)) {
        std::vector<Arg> args;
        s.isCall = true;
        if (parseArgs(args))
          s.value = std::make_unique<CallExpr>(s.loc, s.name, std::move(args),
                                               /*piped=*/false);
      } else {
        errorExpected("'=' or '(' after setting '" + s.name + "'");
      }
      if (s.value) {
        settings.push_back(std::move(s));
        ok = true;
      }
    }
    if (!ok) {
      if (pos == start)
        consume();
      synchronize(Context::Section);
    }
  }
  consume(); // '}'
  return std::make_unique<SectionDecl>(loc, section, std::move(settings));
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

/// pipe := additive ('->' callee)*; callee := IDENT ('(' args? ')')? ('as' IDENT)?
ExprPtr Parser::parseExpr() {
  ExprPtr lhs = parseAdditive();
  while (lhs && is(TokenKind::Arrow)) {
    consume();
    if (!is(TokenKind::Ident)) {
      errorExpected("a function or block name after '->'");
      return nullptr;
    }
    Location loc = tok().loc;
    std::string callee = tok().text.str();
    consume();
    std::vector<Arg> args;
    args.push_back(Arg{"", lhs->getLoc(), std::move(lhs)});
    if (is(TokenKind::LParen) && !parseArgs(args))
      return nullptr;
    auto call = std::make_unique<CallExpr>(loc, std::move(callee),
                                           std::move(args), /*piped=*/true);
    if (!checkHeight(*call, loc) ||
        (is(TokenKind::KwAs) && !parseAlias(*call)))
      return nullptr;
    lhs = std::move(call);
  }
  return lhs;
}

ExprPtr Parser::parseAdditive() {
  ExprPtr lhs = parseMultiplicative();
  while (lhs && (is(TokenKind::Plus) || is(TokenKind::Minus))) {
    Location loc = tok().loc;
    char op = is(TokenKind::Plus) ? '+' : '-';
    consume();
    ExprPtr rhs = parseMultiplicative();
    if (!rhs)
      return nullptr;
    lhs = std::make_unique<BinaryExpr>(loc, op, std::move(lhs), std::move(rhs));
    if (!checkHeight(*lhs, loc))
      return nullptr;
  }
  return lhs;
}

ExprPtr Parser::parseMultiplicative() {
  ExprPtr lhs = parseUnary();
  while (lhs && (is(TokenKind::Star) || is(TokenKind::Slash) ||
                 is(TokenKind::At))) {
    Location loc = tok().loc;
    char op = is(TokenKind::Star) ? '*' : is(TokenKind::Slash) ? '/' : '@';
    consume();
    ExprPtr rhs = parseUnary();
    if (!rhs)
      return nullptr;
    lhs = std::make_unique<BinaryExpr>(loc, op, std::move(lhs), std::move(rhs));
    if (!checkHeight(*lhs, loc))
      return nullptr;
  }
  return lhs;
}

ExprPtr Parser::parseUnary() {
  if (!is(TokenKind::Minus))
    return parsePostfix();
  NestingScope nested(*this);
  if (!nested.entered)
    return nullptr;
  Location loc = tok().loc;
  consume();
  ExprPtr operand = parseUnary();
  if (!operand)
    return nullptr;
  return std::make_unique<NegExpr>(loc, std::move(operand));
}

ExprPtr Parser::parsePostfix() {
  ExprPtr e = parsePrimary();
  if (e && is(TokenKind::KwAs) && !parseAlias(*e))
    return nullptr;
  return e;
}

/// 'as' IDENT, attached to `e`.
bool Parser::parseAlias(Expr &e) {
  Location asLoc = tok().loc;
  consume();
  std::string name;
  Location loc;
  if (!parseName(name, loc, "a name after 'as'"))
    return false;
  if (e.hasAlias()) {
    diag.error(asLoc.loc, "this is already named '" + e.getAlias() + "'");
    return false;
  }
  e.setAlias(std::move(name), loc);
  return true;
}

ExprPtr Parser::parsePrimary() {
  const Token &t = tok();
  Location loc = t.loc;
  switch (t.kind) {
  case TokenKind::Int:
  case TokenKind::Real: {
    auto e = std::make_unique<NumberExpr>(loc, t.number,
                                          t.kind == TokenKind::Int,
                                          t.text.str());
    consume();
    return e;
  }
  case TokenKind::String: {
    auto e = std::make_unique<StringExpr>(loc, t.str);
    consume();
    return e;
  }
  case TokenKind::Ident: {
    std::string name = t.text.str();
    consume();
    if (!is(TokenKind::LParen))
      return std::make_unique<IdentExpr>(loc, std::move(name));
    std::vector<Arg> args;
    if (!parseArgs(args))
      return nullptr;
    return std::make_unique<CallExpr>(loc, std::move(name), std::move(args),
                                      /*piped=*/false);
  }
  case TokenKind::LBracket:
    return parseList();
  case TokenKind::LParen: {
    NestingScope nested(*this);
    if (!nested.entered)
      return nullptr;
    consume();
    ExprPtr e = parseExpr();
    if (!e || !expect(TokenKind::RParen, "to close the parenthesis"))
      return nullptr;
    return e;
  }
  default:
    errorExpected("an expression");
    return nullptr;
  }
}

/// '(' (arg (',' arg)*)? ')' appended to `args`; the current token is '('.
bool Parser::parseArgs(std::vector<Arg> &args) {
  NestingScope nested(*this);
  if (!nested.entered)
    return false;
  consume(); // '('
  if (consumeIf(TokenKind::RParen))
    return true;
  bool sawNamed = false;
  while (true) {
    Arg arg;
    if (is(TokenKind::Ident) && peek().kind == TokenKind::Equal) {
      arg.name = tok().text.str();
      arg.nameLoc = tok().loc;
      consume();
      consume();
      sawNamed = true;
    } else if (sawNamed) {
      diag.error(tok().loc.loc,
                 "positional argument after a named argument");
      return false;
    } else {
      arg.nameLoc = tok().loc;
    }
    arg.value = parseExpr();
    if (!arg.value)
      return false;
    args.push_back(std::move(arg));
    if (consumeIf(TokenKind::Comma))
      continue;
    if (consumeIf(TokenKind::RParen))
      return true;
    return errorExpected("',' or ')' in the argument list");
  }
}

/// '[' (expr (',' expr)*)? ']'; the current token is '['.
std::unique_ptr<ListExpr> Parser::parseList() {
  NestingScope nested(*this);
  if (!nested.entered)
    return nullptr;
  Location loc = tok().loc;
  consume();
  std::vector<ExprPtr> elements;
  if (!consumeIf(TokenKind::RBracket)) {
    while (true) {
      ExprPtr e = parseExpr();
      if (!e)
        return nullptr;
      elements.push_back(std::move(e));
      if (consumeIf(TokenKind::Comma))
        continue;
      if (consumeIf(TokenKind::RBracket))
        break;
      errorExpected("',' or ']' in the list");
      return nullptr;
    }
  }
  return std::make_unique<ListExpr>(loc, std::move(elements));
}

std::unique_ptr<Module> kiln::parseBuffer(StringRef file, StringRef buffer,
                                          DiagnosticEngine &diag) {
  Parser parser(lex(buffer, diag), diag);
  return parser.parseModule(file, buffer);
}
