//===- ParserTest.cpp -----------------------------------------------------===//

#include "TestUtil.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Casting.h"
#include "llvm/Support/FileSystem.h"

#include <gtest/gtest.h>

using namespace kiln;
using namespace kiln::ast;
using kiln::test::SpecRun;
using llvm::cast;
using llvm::dyn_cast;
using llvm::isa;

namespace {

/// The value of the first statement `name = expr` in `text`.
const Expr &assigned(SpecRun &run, const std::string &name) {
  for (const DeclPtr &d : run.module->getDecls())
    if (auto *a = dyn_cast<AssignDecl>(d.get()); a && a->getName() == name)
      return a->getValue();
  ADD_FAILURE() << "no assignment to " << name;
  static NumberExpr none(Location(), 0, true, "0");
  return none;
}

/// A compact rendering of an expression, to compare tree shapes.
std::string show(const Expr &e) {
  std::string s;
  if (auto *n = dyn_cast<NumberExpr>(&e))
    s = n->getSpelling();
  else if (auto *i = dyn_cast<IdentExpr>(&e))
    s = i->getName();
  else if (auto *str = dyn_cast<StringExpr>(&e))
    s = "\"" + str->getValue() + "\"";
  else if (auto *b = dyn_cast<BinaryExpr>(&e))
    s = "(" + show(b->getLHS()) + " " + b->getOp() + " " + show(b->getRHS()) +
        ")";
  else if (auto *neg = dyn_cast<NegExpr>(&e))
    s = "(-" + show(neg->getOperand()) + ")";
  else if (auto *l = dyn_cast<ListExpr>(&e)) {
    s = "[";
    for (size_t i = 0; i < l->getElements().size(); ++i)
      s += (i ? ", " : "") + show(*l->getElements()[i]);
    s += "]";
  } else if (auto *c = dyn_cast<CallExpr>(&e)) {
    s = c->getCallee() + (c->isPiped() ? "|(" : "(");
    for (size_t i = 0; i < c->getArgs().size(); ++i) {
      const Arg &a = c->getArgs()[i];
      s += (i ? ", " : "") + (a.name.empty() ? "" : a.name + "=") +
           show(*a.value);
    }
    s += ")";
  }
  if (e.hasAlias())
    s += " as " + e.getAlias();
  return s;
}

std::unique_ptr<SpecRun> parse(const std::string &body) {
  return std::make_unique<SpecRun>("model m\n" + body);
}

TEST(Parser, Precedence) {
  auto run = parse("a = 1 + 2 * 3 - 4 / 5 @ 6\n"
                   "b = -x * 2\n"
                   "c = (1 + 2) * 3\n"
                   "d = - - x\n");
  EXPECT_EQ(run->diag.getNumErrors(), 0u) << run->diagnostics();
  EXPECT_EQ(show(assigned(*run, "a")), "((1 + (2 * 3)) - ((4 / 5) @ 6))");
  EXPECT_EQ(show(assigned(*run, "b")), "((-x) * 2)");
  EXPECT_EQ(show(assigned(*run, "c")), "((1 + 2) * 3)");
  EXPECT_EQ(show(assigned(*run, "d")), "(-(-x))");
}

TEST(Parser, PipeIsLowestAndDesugarsToCalls) {
  auto run = parse("a = x + y -> relu -> dense(3, bias = false) as d\n"
                   "b = x -> f(1)(2)\n");
  // `f(1)(2)`: a call is not callable; the second '(' is a syntax error.
  EXPECT_EQ(show(assigned(*run, "a")),
            "dense|(relu|((x + y)), 3, bias=false) as d");
  EXPECT_EQ(run->diag.getNumErrors(), 1u);
}

TEST(Parser, AsOnPrimaryAndCallee) {
  auto run = parse("a = dense(x, 3) as first -> hidden as h2\n"
                   "b = x as y\n");
  EXPECT_EQ(run->diag.getNumErrors(), 0u) << run->diagnostics();
  EXPECT_EQ(show(assigned(*run, "a")), "hidden|(dense(x, 3) as first) as h2");
  EXPECT_EQ(show(assigned(*run, "b")), "x as y");
}

TEST(Parser, ListsStringsAndNamedArgs) {
  auto run = parse("a = f([1, 2.5, \"s\"], [], k = [x])\n");
  EXPECT_EQ(run->diag.getNumErrors(), 0u) << run->diagnostics();
  EXPECT_EQ(show(assigned(*run, "a")), "f([1, 2.5, \"s\"], [], k=[x])");
}

TEST(Parser, Declarations) {
  auto run = std::make_unique<SpecRun>(
      "model net; input x: [4]; target y: multilabel(3)\n"
      "target z: real target w: real(2) target b: binary\n"
      "param p: [4, 3] = normal(std = 0.1)\n"
      "block blk(h, n = 2) { param q: [n]; g = h * q; return g }\n"
      "loss mse(x, y)\n"
      "train { epochs = 3 early_stopping(patience = 2) }\n"
      "data { train = \"a.csv\" target = [0, 1] }\n");
  ASSERT_EQ(run->diag.getNumErrors(), 0u) << run->diagnostics();
  const Module &m = *run->module;
  EXPECT_EQ(m.getName(), "net");
  EXPECT_EQ(m.getFile(), "test.kiln");
  ASSERT_EQ(m.getDecls().size(), 10u);
  auto *input = cast<InputDecl>(m.getDecls()[0].get());
  EXPECT_EQ(input->getName(), "x");
  EXPECT_EQ(show(input->getShape()), "[4]");
  auto *multi = cast<TargetDecl>(m.getDecls()[1].get());
  EXPECT_EQ(multi->getTargetKind(), TargetKind::MultiLabel);
  EXPECT_EQ(multi->getSize(), 3);
  auto *real = cast<TargetDecl>(m.getDecls()[2].get());
  EXPECT_EQ(real->getTargetKind(), TargetKind::Real);
  EXPECT_FALSE(real->hasSize());
  EXPECT_EQ(cast<TargetDecl>(m.getDecls()[3].get())->getSize(), 2);
  EXPECT_EQ(cast<TargetDecl>(m.getDecls()[4].get())->getTargetKind(),
            TargetKind::Binary);
  auto *param = cast<ParamDecl>(m.getDecls()[5].get());
  EXPECT_EQ(show(param->getShape()), "[4, 3]");
  ASSERT_NE(param->getInit(), nullptr);
  EXPECT_EQ(show(*param->getInit()), "normal(std=0.1)");
  auto *block = cast<BlockDecl>(m.getDecls()[6].get());
  EXPECT_EQ(block->getName(), "blk");
  ASSERT_EQ(block->getArgs().size(), 2u);
  EXPECT_EQ(block->getArgs()[0].defaultValue, nullptr);
  EXPECT_EQ(show(*block->getArgs()[1].defaultValue), "2");
  ASSERT_EQ(block->getBody().size(), 3u);
  EXPECT_TRUE(isa<ParamDecl>(block->getBody()[0].get()));
  EXPECT_TRUE(isa<AssignDecl>(block->getBody()[1].get()));
  EXPECT_TRUE(isa<ReturnDecl>(block->getBody()[2].get()));
  auto *loss = cast<LossDecl>(m.getDecls()[7].get());
  EXPECT_EQ(show(loss->getCall()), "mse(x, y)");
  auto *train = cast<SectionDecl>(m.getDecls()[8].get());
  ASSERT_EQ(train->getSettings().size(), 2u);
  EXPECT_FALSE(train->getSettings()[0].isCall);
  EXPECT_TRUE(train->getSettings()[1].isCall);
  EXPECT_EQ(show(*train->getSettings()[1].value),
            "early_stopping(patience=2)");
  auto *data = cast<SectionDecl>(m.getDecls()[9].get());
  EXPECT_EQ(data->getSection(), SectionDecl::Section::Data);
  // `train` and `target` are keywords, and setting names here.
  EXPECT_EQ(data->getSettings()[0].name, "train");
  EXPECT_EQ(data->getSettings()[1].name, "target");
}

TEST(Parser, LocationsAreLineAndColumn) {
  auto run = std::make_unique<SpecRun>("model m\n\n  h = x -> relu\n");
  const auto &h = cast<AssignDecl>(*run->module->getDecls()[0]);
  EXPECT_EQ(h.getLoc().line, 3u);
  EXPECT_EQ(h.getLoc().col, 3u);
  EXPECT_EQ(h.getValue().getLoc().col, 12u); // the callee `relu`
}

TEST(Parser, RecoveryReportsOneErrorPerStatement) {
  auto run = std::make_unique<SpecRun>("model m\n"
                                   "a = x -> dense(3 3)\n"
                                   "b = (x\n"
                                   "c = x -> relu\n"
                                   "inptu z: [3]\n"
                                   "train { epochs = ; seed = 1; lr(2) }\n"
                                   "d = x\n");
  EXPECT_EQ(run->diag.getNumErrors(), 4u) << run->diagnostics();
  // Statements after the errors are parsed.
  std::vector<std::string> names;
  for (const DeclPtr &d : run->module->getDecls())
    if (auto *a = dyn_cast<AssignDecl>(d.get()))
      names.push_back(a->getName());
  EXPECT_EQ(names, (std::vector<std::string>{"c", "d"}));
  const std::string &out = run->diagnostics();
  EXPECT_NE(out.find("test.kiln:2:18: error: expected ',' or ')'"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("test.kiln:5:1: error: unknown declaration 'inptu'; did "
                     "you mean 'input'?"),
            std::string::npos)
      << out;
  // The section kept the settings around the bad one.
  const SectionDecl *train = nullptr;
  for (const DeclPtr &d : run->module->getDecls())
    if (auto *s = dyn_cast<SectionDecl>(d.get()))
      train = s;
  ASSERT_NE(train, nullptr);
  ASSERT_EQ(train->getSettings().size(), 2u);
  EXPECT_EQ(train->getSettings()[0].name, "seed");
  EXPECT_EQ(train->getSettings()[1].name, "lr");
}

TEST(Parser, BlockStructureErrors) {
  auto noReturn = parse("block b(h) { g = h }\n");
  EXPECT_NE(noReturn->diagnostics().find("block 'b' has no 'return'"),
            std::string::npos);
  auto late = parse("block b(h) { return h; g = h }\n");
  EXPECT_NE(late->diagnostics().find("statement after 'return'"),
            std::string::npos);
  auto open = parse("block b(h) { return h\ninput x: [3]\n");
  EXPECT_NE(open->diagnostics().find("expected '}' to close block 'b'"),
            std::string::npos)
      << open->diagnostics();
  // The input after the unclosed block is still parsed.
  EXPECT_TRUE(isa<InputDecl>(open->module->getDecls().back().get()));
}

TEST(Parser, EmptySpecAndMissingModel) {
  SpecRun empty("  # nothing\n");
  EXPECT_EQ(empty.diagnostics().rfind(
                "test.kiln:1:1: error: empty spec: expected 'model <name>'", 0),
            0u)
      << empty.diagnostics();
  SpecRun noModel("input x: [3]\n");
  EXPECT_EQ(noModel.diag.getNumErrors(), 1u);
  EXPECT_EQ(noModel.module->getDecls().size(), 1u);
}

TEST(Parser, KeywordAsName) {
  SpecRun run("model m\ninput data: [3]\n");
  EXPECT_NE(run.diagnostics().find(
                "'data' is a keyword and cannot be the input name"),
            std::string::npos)
      << run.diagnostics();
}

TEST(Parser, ASTPrinterShowsTreeWithLocations) {
  SpecRun run("model m\nh = x -> dense(3) as d\n");
  std::string out;
  llvm::raw_string_ostream os(out);
  printAST(*run.module, os);
  EXPECT_EQ(os.str(), "Module 'm' <1:7>\n"
                      "  Assign 'h' <2:1>\n"
                      "    Call 'dense' piped as 'd' <2:10>\n"
                      "      Ident 'x' <2:5>\n"
                      "      Number 3 <2:16>\n");
}

TEST(Frontend, ParseSpecReadsAFileAndKeepsItsPath) {
  llvm::SmallString<128> path;
  int fd;
  ASSERT_FALSE(
      llvm::sys::fs::createTemporaryFile("frontend", "kiln", fd, path));
  {
    llvm::raw_fd_ostream file(fd, /*shouldClose=*/true);
    file << "model m\ninput x: [2]\ntarget y: real\nloss mse(x -> dense(1), "
            "y)\n";
  }
  llvm::SourceMgr sm;
  std::string out;
  llvm::raw_string_ostream os(out);
  DiagnosticEngine diag(sm, os);
  std::unique_ptr<Module> module = parseSpec(path, sm, diag);
  ASSERT_NE(module, nullptr) << out;
  EXPECT_EQ(module->getFile(), path.str().str());
  std::optional<Model> model = checkSpec(*module, diag);
  ASSERT_TRUE(model.has_value()) << out;
  EXPECT_EQ(model->file, path.str().str());
  llvm::sys::fs::remove(path);

  // The same path, now gone.
  std::unique_ptr<Module> missing = parseSpec(path, sm, diag);
  EXPECT_EQ(missing, nullptr);
  EXPECT_EQ(os.str(), path.str().str() +
                          ": error: cannot read file: No such file or "
                          "directory\n");
  EXPECT_EQ(diag.getNumErrors(), 1u);
}

} // namespace
