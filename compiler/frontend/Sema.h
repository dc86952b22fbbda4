//===- Sema.h - Checking and elaboration (private to the frontend) -*- C++ -*-//
//
// Sema evaluates the AST the way an interpreter would, except that a tensor
// expression evaluates to a node of the forward graph instead of numbers.
// Blocks are instantiated at each call (inlined), every argument is typed and
// range-checked, and state tensors get their checkpoint names. A failed
// expression yields a Poison value that every consumer accepts silently, so
// one mistake is reported once, not once per use.
//
// The implementation is split by topic: Sema.cpp (declarations, loss,
// pruning), SemaExpr.cpp (values, arguments, expressions, blocks),
// SemaBuiltins.cpp (builtin functions, initializers), SemaSettings.cpp
// (train and data sections).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_FRONTEND_SEMA_H
#define KILN_COMPILER_FRONTEND_SEMA_H

#include "kiln/Frontend/AST.h"
#include "kiln/Frontend/Diagnostics.h"
#include "kiln/Frontend/Model.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <optional>
#include <string>
#include <vector>

namespace kiln {
namespace sema {

/// The result of evaluating an expression.
struct Value {
  enum class Kind { Poison, Tensor, Number, String, Bool, Init, List };
  Kind kind = Kind::Poison;
  Location loc; // where the value was written, for diagnostics
  unsigned node = 0;
  double number = 0.0;
  bool boolean = false;
  std::string str;
  InitSpec init;
  std::vector<Value> elements;

  bool isPoison() const { return kind == Kind::Poison; }
  static Value poison(const Location &loc) {
    Value v;
    v.loc = loc;
    return v;
  }
};

struct Variable {
  Value value;
  Location loc;
  bool topLevelAssign = false; // candidates for the "unused" warning
};

/// The names visible in one block instance (or at the top level) and the
/// names of the layers created in it.
struct Scope {
  explicit Scope(bool constantsOnly = false) : constantsOnly(constantsOnly) {}

  std::string path; // "" at the top level, else e.g. "l1" or "l1.inner0"
  bool constantsOnly; // defaults and settings see no variables
  llvm::StringMap<Variable> vars;
  llvm::StringMap<Location> layerNames; // layers, instances and params
  llvm::StringMap<unsigned> counters;   // next index per layer kind

  /// `path.name`, or `name` at the top level.
  std::string qualify(llvm::StringRef name) const;
};

/// A call's arguments matched to a signature: slot i holds parameter i.
struct BoundArgs {
  llvm::SmallVector<const ast::Expr *, 6> exprs;
  llvm::SmallVector<Value, 6> values; // evaluated, Poison where not given
  bool given(unsigned i) const { return exprs[i] != nullptr; }
};

/// Inclusive or exclusive bounds for hyperparameter checks.
enum class Bound { None, Open, Closed };

class Sema {
public:
  Sema(const ast::Module &module, DiagnosticEngine &diag)
      : module(module), diag(diag) {}

  std::optional<Model> run();

  //===--- Diagnostics (Sema.cpp) -----------------------------------------===//

  /// Reports an error and, inside blocks, where the block was instantiated.
  void error(const Location &loc, const llvm::Twine &msg);
  void note(const Location &loc, const llvm::Twine &msg);

  //===--- Values and expressions (SemaExpr.cpp) ---------------------------===//

  Value eval(const ast::Expr &expr, Scope &scope);
  std::optional<unsigned> asTensor(const Value &v, const llvm::Twine &what);
  std::optional<double> asNumber(const Value &v, const llvm::Twine &what);
  std::optional<int64_t> asInt(const Value &v, const llvm::Twine &what);
  std::optional<bool> asBool(const Value &v, const llvm::Twine &what);
  std::optional<InitSpec> asInit(const Value &v, const llvm::Twine &what);
  std::optional<std::string> asString(const Value &v, const llvm::Twine &what);
  /// Evaluates a shape list: positive integers, at most `maxRank` of them.
  std::optional<std::vector<int64_t>> evalShape(const ast::ListExpr &list,
                                                Scope &scope,
                                                llvm::StringRef what);
  bool checkRange(double v, const Location &loc, const llvm::Twine &what,
                  double lo, Bound loBound, double hi = 0,
                  Bound hiBound = Bound::None);

  /// Matches `call`'s arguments to `params` (the first `numRequired` are
  /// required) and evaluates them in `scope`, except the slots whose bit is
  /// set in `rawSlots` (names such as a monitor, read from the AST). Returns
  /// false after reporting an unknown, duplicate, missing or surplus argument.
  bool bindArgs(const ast::CallExpr &call, llvm::ArrayRef<llvm::StringRef> params,
                unsigned numRequired, llvm::StringRef what, Scope &scope,
                BoundArgs &args, uint64_t rawSlots = 0);
  /// Argument i as a number, or `dflt` when not given; nullopt on error.
  std::optional<double> realArg(BoundArgs &args, unsigned i, double dflt,
                                const llvm::Twine &what);
  std::optional<int64_t> intArg(BoundArgs &args, unsigned i, int64_t dflt,
                                const llvm::Twine &what);
  std::optional<bool> boolArg(BoundArgs &args, unsigned i, bool dflt,
                              const llvm::Twine &what);

  //===--- Declarations (Sema.cpp) ----------------------------------------===//

  void declareParam(const ast::ParamDecl &decl, Scope &scope);
  void defineVariable(Scope &scope, const std::string &name,
                      const Location &loc, Value value, bool topLevel);
  /// The name of a new layer or block instance of `kind` created by `call`
  /// in `scope`: its `as` name, else `<kind><index>`.
  std::string nameInstance(Scope &scope, llvm::StringRef kind,
                           const ast::Expr &call);
  unsigned addNode(Node node);
  /// Adds `node` and returns it as a tensor value written at `loc`.
  Value addTensor(Node node, const Location &loc);
  unsigned addState(StateTensor state);
  const std::vector<int64_t> &shapeOf(unsigned node) const {
    return model.nodes[node].shape;
  }
  static std::string shapeStr(llvm::ArrayRef<int64_t> shape);
  static SourceLoc sourceLoc(const Location &loc) { return {loc.line, loc.col}; }

private:
  //===--- SemaExpr.cpp ---------------------------------------------------===//

  /// `eval` without the chain handling: one node, whose chain operand (if
  /// any) eval then finds in `chainValues`.
  Value evalNode(const ast::Expr &expr, Scope &scope);
  /// Reports that the input is nested deeper than Sema evaluates.
  void errorTooDeep(const Location &loc, const llvm::Twine &msg);
  Value evalIdent(const ast::IdentExpr &expr, Scope &scope);
  Value evalCall(const ast::CallExpr &call, Scope &scope);
  Value evalBinary(const ast::BinaryExpr &expr, Scope &scope);
  Value evalNeg(const ast::NegExpr &expr, Scope &scope);
  Value evalInit(const ast::CallExpr *call, llvm::StringRef name,
                 const Location &loc, Scope &scope);
  Value evalBuiltin(const ast::CallExpr &call, unsigned builtin, Scope &scope);
  Value evalDense(const ast::CallExpr &call, BoundArgs &args, Scope &scope);
  Value evalNorm(const ast::CallExpr &call, BoundArgs &args, Scope &scope,
                 bool batchNorm);
  Value evalReduction(const ast::CallExpr &call, BoundArgs &args, OpKind op);
  /// Whether `node` is, or is computed from, one of the nodes `on`.
  bool dependsOn(unsigned node,
                 llvm::ArrayRef<std::optional<unsigned>> on) const;
  /// Whether `node` has a row per sample: it reads the input or the target.
  bool dependsOnRows(unsigned node) const;
  /// The values a block instance's parameters were bound to are appended
  /// to `bound` when it is given.
  Value callBlock(const ast::BlockDecl &block, const ast::CallExpr &call,
                  Scope &scope, llvm::SmallVectorImpl<Value> *bound = nullptr);
  Value binaryOp(char op, Value lhs, Value rhs, const Location &loc);
  std::optional<std::vector<int64_t>> broadcast(llvm::ArrayRef<int64_t> a,
                                                llvm::ArrayRef<int64_t> b,
                                                const Location &loc, char op);
  void reportUnknownFunction(llvm::StringRef name, const Location &loc,
                             Scope &scope);

  //===--- Sema.cpp -------------------------------------------------------===//

  void collectDecls();
  void checkBlockSignatures();
  void declareInputAndTarget();
  void checkLoss(const ast::LossDecl &decl);
  /// `loss block(prediction, target, ...)`: the block's scalar result,
  /// a mean over the rows, is the loss.
  void checkExpressionLoss(const ast::CallExpr &call,
                           const ast::BlockDecl &block);
  void checkMonitorAndColumns();
  void prune();

  //===--- SemaSettings.cpp -----------------------------------------------===//

  void checkTrain(const ast::SectionDecl &section);
  void checkOptimizer(const ast::Setting &setting);
  void checkSchedule(const ast::Setting &setting);
  void checkWarmup(const ast::Setting &setting);
  void checkEarlyStopping(const ast::Setting &setting);
  void checkData(const ast::SectionDecl &section);
  std::optional<std::vector<ColumnRef>> evalColumns(const ast::Setting &s);
  /// For `name = value` settings: reports `name(...)` and returns null.
  const ast::Expr *settingValue(const ast::Setting &s);
  /// A `name = value` setting whose value names a choice, bare (`adam`,
  /// returns null) or called (`adam(lr = 0.1)`, returns the call). `name` is
  /// left empty after an error was reported.
  const ast::CallExpr *asChoice(const ast::Setting &s, std::string &name,
                                const Location *&loc, const llvm::Twine &what);
  /// A bare name among `allowed` (a monitor, a unit, a reduction); reports
  /// anything else as an unknown `what`.
  std::optional<llvm::StringRef> asName(const ast::Expr &e,
                                        llvm::ArrayRef<llvm::StringRef> allowed,
                                        const llvm::Twine &what);

public:
  const ast::Module &module;
  DiagnosticEngine &diag;
  Model model;
  int64_t batch = 32;
  /// Set when checking the model as predict on this many rows sees it.
  std::optional<int64_t> predictRows;

  const ast::InputDecl *inputDecl = nullptr;
  const ast::TargetDecl *targetDecl = nullptr;
  const ast::LossDecl *lossDecl = nullptr;
  const ast::SectionDecl *trainDecl = nullptr;
  const ast::SectionDecl *dataDecl = nullptr;
  llvm::StringMap<const ast::BlockDecl *> blocks;
  llvm::StringMap<bool> usedBlocks;
  std::optional<unsigned> inputNode, targetNode;
  bool haveLoss = false;      // the loss statement checked without error
  bool lossKindKnown = false; // its kind is known (for the monitor check)
  bool targetsGiven = false;  // the data section sets 'target'
  bool targetsFailed = false; // ... to something invalid (reported)

  /// Block instances being elaborated, outermost first.
  struct Frame {
    const ast::BlockDecl *block;
    Location callLoc;
  };
  llvm::SmallVector<Frame, 8> callStack;
  /// eval calls in progress, each a few frames of the C++ stack.
  unsigned evalDepth = 0;
  /// The values of chain operands already evaluated (see eval), until the
  /// operation that uses them takes them.
  llvm::DenseMap<const ast::Expr *, Value> chainValues;
  bool inLoss = false; // evaluating the loss's target argument or block
  bool reportedTooLarge = false;
  llvm::StringSet<> stateNames;
  Scope top;
};

/// The names Sema knows, for lookups and "did you mean" lists.
llvm::ArrayRef<llvm::StringRef> initNames();
llvm::ArrayRef<llvm::StringRef> builtinNames();
llvm::ArrayRef<llvm::StringRef> lossNames();
llvm::ArrayRef<llvm::StringRef> optimizerNames();
llvm::ArrayRef<llvm::StringRef> scheduleNames();
/// Index of the builtin tensor function `name`, or -1.
int findBuiltin(llvm::StringRef name);
bool isActivation(llvm::StringRef name);
/// The error for `as` on a call of `callee`, which creates no layer.
std::string asMisuse(llvm::StringRef callee);
/// A number as messages show it: integers without a fraction, else %g.
std::string formatNumber(double v);

} // namespace sema
} // namespace kiln

#endif // KILN_COMPILER_FRONTEND_SEMA_H
