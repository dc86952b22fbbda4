//===- ASTPrinter.cpp - Indented dump of the AST (kiln emit --stage=ast) --===//
//
// One node per line, children indented by two spaces, each line ending with
// the node's <line:col>. The format is for people and lit tests; nothing
// parses it back.
//
//===----------------------------------------------------------------------===//

#include "kiln/Frontend/AST.h"
#include "kiln/Frontend/Frontend.h"

#include "llvm/Support/Casting.h"
#include "llvm/Support/raw_ostream.h"

using namespace kiln;
using namespace kiln::ast;
using namespace llvm;

namespace {

class ASTPrinter {
public:
  explicit ASTPrinter(raw_ostream &os) : os(os) {}

  void print(const Module &module) {
    os << "Module '" << module.getName() << "'";
    end(module.getNameLoc());
    ++depth;
    for (const DeclPtr &decl : module.getDecls())
      print(*decl);
    --depth;
  }

private:
  raw_ostream &indent() {
    os.indent(2 * depth);
    return os;
  }
  void end(const Location &loc) {
    os << " <" << loc.line << ":" << loc.col << ">\n";
  }

  void printChild(const Expr &e) {
    ++depth;
    print(e);
    --depth;
  }

  void printArgs(const std::vector<Arg> &args) {
    ++depth;
    for (const Arg &arg : args) {
      if (arg.name.empty()) {
        print(*arg.value);
        continue;
      }
      indent() << "Arg '" << arg.name << "'";
      end(arg.nameLoc);
      printChild(*arg.value);
    }
    --depth;
  }

  void print(const Decl &decl) {
    if (auto *d = dyn_cast<InputDecl>(&decl)) {
      indent() << "Input '" << d->getName() << "'";
      end(d->getLoc());
      printChild(d->getShape());
    } else if (auto *d = dyn_cast<TargetDecl>(&decl)) {
      indent() << "Target '" << d->getName() << "' "
               << targetTypeName(d->getTargetKind());
      if (d->hasSize())
        os << "(" << d->getSize() << ")";
      end(d->getLoc());
    } else if (auto *d = dyn_cast<ParamDecl>(&decl)) {
      indent() << "Param '" << d->getName() << "'";
      end(d->getLoc());
      printChild(d->getShape());
      if (d->getInit())
        printChild(*d->getInit());
    } else if (auto *d = dyn_cast<AssignDecl>(&decl)) {
      indent() << "Assign '" << d->getName() << "'";
      end(d->getLoc());
      printChild(d->getValue());
    } else if (auto *d = dyn_cast<ReturnDecl>(&decl)) {
      indent() << "Return";
      end(d->getLoc());
      printChild(d->getValue());
    } else if (auto *d = dyn_cast<BlockDecl>(&decl)) {
      indent() << "Block '" << d->getName() << "'";
      end(d->getLoc());
      ++depth;
      for (const BlockArg &arg : d->getArgs()) {
        indent() << "BlockArg '" << arg.name << "'";
        end(arg.loc);
        if (arg.defaultValue)
          printChild(*arg.defaultValue);
      }
      for (const DeclPtr &stmt : d->getBody())
        print(*stmt);
      --depth;
    } else if (auto *d = dyn_cast<LossDecl>(&decl)) {
      indent() << "Loss";
      end(d->getLoc());
      printChild(d->getCall());
    } else if (auto *d = dyn_cast<SectionDecl>(&decl)) {
      indent() << "Section '" << d->getSectionName() << "'";
      end(d->getLoc());
      ++depth;
      for (const Setting &s : d->getSettings()) {
        indent() << "Setting '" << s.name << "'";
        end(s.loc);
        if (s.isCall)
          printArgs(cast<CallExpr>(*s.value).getArgs());
        else
          printChild(*s.value);
      }
      --depth;
    }
  }

  void print(const Expr &expr) {
    indent();
    if (auto *e = dyn_cast<NumberExpr>(&expr)) {
      os << "Number " << e->getSpelling();
    } else if (auto *e = dyn_cast<StringExpr>(&expr)) {
      os << "String \"";
      os.write_escaped(e->getValue());
      os << "\"";
    } else if (auto *e = dyn_cast<IdentExpr>(&expr)) {
      os << "Ident '" << e->getName() << "'";
    } else if (auto *e = dyn_cast<CallExpr>(&expr)) {
      os << "Call '" << e->getCallee() << "'";
      if (e->isPiped())
        os << " piped";
    } else if (isa<ListExpr>(expr)) {
      os << "List";
    } else if (auto *e = dyn_cast<BinaryExpr>(&expr)) {
      os << "Binary '" << e->getOp() << "'";
    } else if (isa<NegExpr>(expr)) {
      os << "Neg";
    }
    if (expr.hasAlias())
      os << " as '" << expr.getAlias() << "'";
    end(expr.getLoc());

    if (auto *e = dyn_cast<CallExpr>(&expr)) {
      printArgs(e->getArgs());
    } else if (auto *e = dyn_cast<ListExpr>(&expr)) {
      for (const ExprPtr &element : e->getElements())
        printChild(*element);
    } else if (auto *e = dyn_cast<BinaryExpr>(&expr)) {
      printChild(e->getLHS());
      printChild(e->getRHS());
    } else if (auto *e = dyn_cast<NegExpr>(&expr)) {
      printChild(e->getOperand());
    }
  }

  raw_ostream &os;
  unsigned depth = 0;
};

} // namespace

StringRef ast::targetTypeName(TargetKind kind) {
  switch (kind) {
  case TargetKind::Class:
    return "class";
  case TargetKind::Binary:
    return "binary";
  case TargetKind::MultiLabel:
    return "multilabel";
  case TargetKind::Real:
    return "real";
  }
  return "?";
}

void kiln::printAST(const Module &module, raw_ostream &os) {
  ASTPrinter(os).print(module);
}
