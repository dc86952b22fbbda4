//===- Diagnostics.h - Error reporting for the kiln frontend ----*- C++ -*-===//
//
// Every frontend diagnostic goes through one DiagnosticEngine so that the
// format is uniform (`file:line:col: error: message`, the source line and a
// caret, as llvm::SourceMgr prints it) and so that the tools can ask how many
// errors there were instead of threading failure flags through every stage.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_DIAGNOSTICS_H
#define KILN_FRONTEND_DIAGNOSTICS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/SMLoc.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace llvm {
class SourceMgr;
class raw_ostream;
} // namespace llvm

namespace kiln {

/// Prints diagnostics through a SourceMgr and counts them.
///
/// The same error or warning at the same location is printed only once: a
/// block that is instantiated several times would otherwise repeat each error
/// in its body for every instance. Notes are always printed; callers emit
/// them only when the diagnostic they explain was printed.
class DiagnosticEngine {
public:
  DiagnosticEngine(llvm::SourceMgr &sm, llvm::raw_ostream &os);

  /// Each returns false when the diagnostic was a duplicate and was not
  /// printed, so that callers can drop the notes that belong to it.
  bool error(llvm::SMLoc loc, const llvm::Twine &msg);
  bool warning(llvm::SMLoc loc, const llvm::Twine &msg);
  bool note(llvm::SMLoc loc, const llvm::Twine &msg);

  /// An error that belongs to a file but to no position in it, printed as
  /// `path: error: message` (e.g. a file that cannot be read).
  void fileError(llvm::StringRef path, const llvm::Twine &msg);

  /// While sorting is on, diagnostics are held back (counted, but not
  /// printed) until flush() prints them in source order, each with its
  /// notes. Sema checks sections in dependency order, not source order; this
  /// keeps its output in the order a reader scans the file.
  void setSorted(bool on);
  void flush();

  unsigned getNumErrors() const { return numErrors; }
  unsigned getNumWarnings() const { return numWarnings; }
  llvm::SourceMgr &getSourceMgr() { return sm; }

private:
  bool report(llvm::SMLoc loc, int kind, const llvm::Twine &msg);

  llvm::SourceMgr &sm;
  llvm::raw_ostream &os;
  struct Held {
    llvm::SMLoc loc;
    int kind;
    std::string msg;
    std::vector<Held> notes;
  };
  bool sorted = false;
  std::vector<Held> held;
  unsigned numErrors = 0;
  unsigned numWarnings = 0;
  /// (location, message) of every diagnostic printed so far.
  std::set<std::pair<const char *, std::string>> seen;
};

/// The candidate closest to `name` by edit distance, or an empty StringRef if
/// none is close enough to be a plausible typo.
llvm::StringRef findClosest(llvm::StringRef name,
                            llvm::ArrayRef<llvm::StringRef> candidates);

/// "; did you mean 'x'?" for the closest candidate, or "" if there is none.
std::string didYouMean(llvm::StringRef name,
                       llvm::ArrayRef<llvm::StringRef> candidates);

} // namespace kiln

#endif // KILN_FRONTEND_DIAGNOSTICS_H
