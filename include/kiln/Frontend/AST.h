//===- AST.h - Syntax tree of a kiln spec -----------------------*- C++ -*-===//
//
// The AST is what the parser saw, nothing more: names are unresolved, the
// pipe `e -> f(a)` is already the call `f(e, a)` (marked `piped` so the dump
// can show it), and no value is checked. Sema turns it into kiln::Model.
// Nodes own their children through unique_ptr and use LLVM-style RTTI
// (getKind/classof), so llvm::isa/dyn_cast work on them.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_AST_H
#define KILN_FRONTEND_AST_H

#include "kiln/Frontend/Lexer.h"
#include "kiln/Frontend/Model.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace kiln {
namespace ast {

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

class Expr {
public:
  enum class Kind { Number, String, Ident, Call, List, Binary, Neg };

  Expr(Kind kind, Location loc) : kind(kind), loc(loc) {}
  virtual ~Expr() = default;

  Kind getKind() const { return kind; }
  const Location &getLoc() const { return loc; }
  /// Edges on the longest path from this node down to a leaf (0 for a leaf),
  /// so a chain `x + x + x` has height 2. The parser bounds it, because the
  /// printer, Sema and the destructors walk the tree recursively.
  unsigned getHeight() const { return height; }

  /// `e as NAME`: names the layer or block instance that `e` creates.
  bool hasAlias() const { return !alias.empty(); }
  const std::string &getAlias() const { return alias; }
  const Location &getAliasLoc() const { return aliasLoc; }
  void setAlias(std::string name, Location at) {
    alias = std::move(name);
    aliasLoc = at;
  }

protected:
  void setHeightAbove(const Expr &child) {
    height = std::max(height, child.height + 1);
  }

private:
  Kind kind;
  Location loc;
  unsigned height = 0;
  std::string alias;
  Location aliasLoc;
};

using ExprPtr = std::unique_ptr<Expr>;

class NumberExpr : public Expr {
public:
  NumberExpr(Location loc, double value, bool isInt, std::string spelling)
      : Expr(Kind::Number, loc), value(value), isInt(isInt),
        spelling(std::move(spelling)) {}
  double getValue() const { return value; }
  /// Written without '.' or exponent.
  bool isInteger() const { return isInt; }
  const std::string &getSpelling() const { return spelling; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Number; }

private:
  double value;
  bool isInt;
  std::string spelling;
};

class StringExpr : public Expr {
public:
  StringExpr(Location loc, std::string value)
      : Expr(Kind::String, loc), value(std::move(value)) {}
  const std::string &getValue() const { return value; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::String; }

private:
  std::string value;
};

class IdentExpr : public Expr {
public:
  IdentExpr(Location loc, std::string name)
      : Expr(Kind::Ident, loc), name(std::move(name)) {}
  const std::string &getName() const { return name; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Ident; }

private:
  std::string name;
};

/// One call argument; `name` is empty for a positional one.
struct Arg {
  std::string name;
  Location nameLoc;
  ExprPtr value;
};

/// `f(args)`, a bare `f` after `->`, or the desugared pipe `e -> f(args)`,
/// whose first argument is then `e`. The location is the callee's name.
class CallExpr : public Expr {
public:
  CallExpr(Location loc, std::string callee, std::vector<Arg> args,
           bool piped)
      : Expr(Kind::Call, loc), callee(std::move(callee)),
        args(std::move(args)), piped(piped) {
    for (const Arg &arg : this->args)
      setHeightAbove(*arg.value);
  }
  const std::string &getCallee() const { return callee; }
  const std::vector<Arg> &getArgs() const { return args; }
  bool isPiped() const { return piped; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Call; }

private:
  std::string callee;
  std::vector<Arg> args;
  bool piped;
};

class ListExpr : public Expr {
public:
  ListExpr(Location loc, std::vector<ExprPtr> elements)
      : Expr(Kind::List, loc), elements(std::move(elements)) {
    for (const ExprPtr &e : this->elements)
      setHeightAbove(*e);
  }
  const std::vector<ExprPtr> &getElements() const { return elements; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::List; }

private:
  std::vector<ExprPtr> elements;
};

/// `a + b`, `a - b`, `a * b`, `a / b`, `a @ b`; the location is the operator.
class BinaryExpr : public Expr {
public:
  BinaryExpr(Location loc, char op, ExprPtr lhs, ExprPtr rhs)
      : Expr(Kind::Binary, loc), op(op), lhs(std::move(lhs)),
        rhs(std::move(rhs)) {
    setHeightAbove(*this->lhs);
    setHeightAbove(*this->rhs);
  }
  char getOp() const { return op; }
  const Expr &getLHS() const { return *lhs; }
  const Expr &getRHS() const { return *rhs; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Binary; }

private:
  char op;
  ExprPtr lhs, rhs;
};

/// Unary minus; the location is the '-'.
class NegExpr : public Expr {
public:
  NegExpr(Location loc, ExprPtr operand)
      : Expr(Kind::Neg, loc), operand(std::move(operand)) {
    setHeightAbove(*this->operand);
  }
  const Expr &getOperand() const { return *operand; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Neg; }

private:
  ExprPtr operand;
};

//===----------------------------------------------------------------------===//
// Declarations and statements
//===----------------------------------------------------------------------===//

/// A top-level declaration or a statement of a block body. The location is
/// the declared name where there is one, else the keyword.
class Decl {
public:
  enum class Kind { Input, Target, Param, Block, Assign, Return, Loss, Section };

  Decl(Kind kind, Location loc) : kind(kind), loc(loc) {}
  virtual ~Decl() = default;
  Kind getKind() const { return kind; }
  const Location &getLoc() const { return loc; }

private:
  Kind kind;
  Location loc;
};

using DeclPtr = std::unique_ptr<Decl>;

/// `input x: [64]`
class InputDecl : public Decl {
public:
  InputDecl(Location loc, std::string name, std::unique_ptr<ListExpr> shape)
      : Decl(Kind::Input, loc), name(std::move(name)), shape(std::move(shape)) {}
  const std::string &getName() const { return name; }
  const ListExpr &getShape() const { return *shape; }
  static bool classof(const Decl *d) { return d->getKind() == Kind::Input; }

private:
  std::string name;
  std::unique_ptr<ListExpr> shape;
};

/// The keyword of a target type: "class", "binary", "multilabel", "real".
llvm::StringRef targetTypeName(TargetKind kind);

/// `target y: class(10)`; `size` is 0 when the type has no `(N)`.
class TargetDecl : public Decl {
public:
  TargetDecl(Location loc, std::string name, TargetKind targetKind,
             int64_t size, bool hasSize, Location typeLoc, Location sizeLoc)
      : Decl(Kind::Target, loc), name(std::move(name)), targetKind(targetKind),
        size(size), sized(hasSize), typeLoc(typeLoc), sizeLoc(sizeLoc) {}
  const std::string &getName() const { return name; }
  TargetKind getTargetKind() const { return targetKind; }
  int64_t getSize() const { return size; }
  bool hasSize() const { return sized; }
  const Location &getTypeLoc() const { return typeLoc; }
  const Location &getSizeLoc() const { return sizeLoc; }
  static bool classof(const Decl *d) { return d->getKind() == Kind::Target; }

private:
  std::string name;
  TargetKind targetKind;
  int64_t size;
  bool sized;
  Location typeLoc, sizeLoc;
};

/// `param w: [64, 10] = normal(std = 0.01)`; the initializer is optional.
class ParamDecl : public Decl {
public:
  ParamDecl(Location loc, std::string name, std::unique_ptr<ListExpr> shape,
            ExprPtr init)
      : Decl(Kind::Param, loc), name(std::move(name)), shape(std::move(shape)),
        init(std::move(init)) {}
  const std::string &getName() const { return name; }
  const ListExpr &getShape() const { return *shape; }
  const Expr *getInit() const { return init.get(); }
  static bool classof(const Decl *d) { return d->getKind() == Kind::Param; }

private:
  std::string name;
  std::unique_ptr<ListExpr> shape;
  ExprPtr init;
};

/// `name = expr`
class AssignDecl : public Decl {
public:
  AssignDecl(Location loc, std::string name, ExprPtr value)
      : Decl(Kind::Assign, loc), name(std::move(name)), value(std::move(value)) {}
  const std::string &getName() const { return name; }
  const Expr &getValue() const { return *value; }
  static bool classof(const Decl *d) { return d->getKind() == Kind::Assign; }

private:
  std::string name;
  ExprPtr value;
};

/// `return expr`, the last statement of a block.
class ReturnDecl : public Decl {
public:
  ReturnDecl(Location loc, ExprPtr value)
      : Decl(Kind::Return, loc), value(std::move(value)) {}
  const Expr &getValue() const { return *value; }
  static bool classof(const Decl *d) { return d->getKind() == Kind::Return; }

private:
  ExprPtr value;
};

struct BlockArg {
  std::string name;
  Location loc;
  ExprPtr defaultValue; // null when the argument is required
};

/// `block name(args) { statements }`. The parser guarantees that the body
/// ends with its only `return`.
class BlockDecl : public Decl {
public:
  BlockDecl(Location loc, std::string name, std::vector<BlockArg> args,
            std::vector<DeclPtr> body)
      : Decl(Kind::Block, loc), name(std::move(name)), args(std::move(args)),
        body(std::move(body)) {}
  const std::string &getName() const { return name; }
  const std::vector<BlockArg> &getArgs() const { return args; }
  const std::vector<DeclPtr> &getBody() const { return body; }
  static bool classof(const Decl *d) { return d->getKind() == Kind::Block; }

private:
  std::string name;
  std::vector<BlockArg> args;
  std::vector<DeclPtr> body;
};

/// `loss cross_entropy(logits, y)`
class LossDecl : public Decl {
public:
  LossDecl(Location loc, std::unique_ptr<CallExpr> call)
      : Decl(Kind::Loss, loc), call(std::move(call)) {}
  const CallExpr &getCall() const { return *call; }
  static bool classof(const Decl *d) { return d->getKind() == Kind::Loss; }

private:
  std::unique_ptr<CallExpr> call;
};

/// One line of a `train` or `data` section: `name = expr`, or `name(args)`,
/// whose value is then a CallExpr with callee `name`.
struct Setting {
  std::string name;
  Location loc;
  bool isCall = false;
  ExprPtr value;
};

/// `train { ... }` or `data { ... }`
class SectionDecl : public Decl {
public:
  enum class Section { Train, Data };
  SectionDecl(Location loc, Section section, std::vector<Setting> settings)
      : Decl(Kind::Section, loc), section(section),
        settings(std::move(settings)) {}
  Section getSection() const { return section; }
  llvm::StringRef getSectionName() const {
    return section == Section::Train ? "train" : "data";
  }
  const std::vector<Setting> &getSettings() const { return settings; }
  static bool classof(const Decl *d) { return d->getKind() == Kind::Section; }

private:
  Section section;
  std::vector<Setting> settings;
};

/// A whole spec: `model NAME` and its declarations in source order.
class Module {
public:
  Module(std::string file, std::string name, Location nameLoc,
         std::vector<DeclPtr> decls)
      : file(std::move(file)), name(std::move(name)), nameLoc(nameLoc),
        decls(std::move(decls)) {}
  /// The path as given to parseSpec.
  const std::string &getFile() const { return file; }
  const std::string &getName() const { return name; }
  const Location &getNameLoc() const { return nameLoc; }
  const std::vector<DeclPtr> &getDecls() const { return decls; }

private:
  std::string file;
  std::string name;
  Location nameLoc;
  std::vector<DeclPtr> decls;
};

} // namespace ast
} // namespace kiln

#endif // KILN_FRONTEND_AST_H
