//===- Diagnostics.cpp - Error reporting for the kiln frontend -------------===//

#include "kiln/Frontend/Diagnostics.h"

#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <functional>

using namespace kiln;
using namespace llvm;

DiagnosticEngine::DiagnosticEngine(SourceMgr &sm, raw_ostream &os)
    : sm(sm), os(os) {}

bool DiagnosticEngine::report(SMLoc loc, int kind, const Twine &msg) {
  std::string text = msg.str();
  auto diagKind = static_cast<SourceMgr::DiagKind>(kind);
  // Notes belong to the diagnostic before them: the caller prints them only
  // when that one was printed, so they are never deduplicated themselves.
  if (diagKind != SourceMgr::DK_Note &&
      !seen.insert({loc.getPointer(), text}).second)
    return false;
  if (diagKind == SourceMgr::DK_Error)
    ++numErrors;
  else if (diagKind == SourceMgr::DK_Warning)
    ++numWarnings;
  if (!sorted) {
    sm.PrintMessage(os, loc, diagKind, text);
    return true;
  }
  if (diagKind == SourceMgr::DK_Note && !held.empty())
    held.back().notes.push_back({loc, kind, std::move(text), {}});
  else
    held.push_back({loc, kind, std::move(text), {}});
  return true;
}

void DiagnosticEngine::setSorted(bool on) {
  if (!on)
    flush();
  sorted = on;
}

void DiagnosticEngine::flush() {
  // Source order; equal locations keep the order they were reported in.
  std::vector<size_t> order(held.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const char *pa = held[a].loc.getPointer(), *pb = held[b].loc.getPointer();
    if (pa != pb)
      return std::less<const char *>()(pa, pb);
    return a < b;
  });
  for (size_t i : order) {
    const Held &h = held[i];
    sm.PrintMessage(os, h.loc, static_cast<SourceMgr::DiagKind>(h.kind), h.msg);
    for (const Held &n : h.notes)
      sm.PrintMessage(os, n.loc, static_cast<SourceMgr::DiagKind>(n.kind),
                      n.msg);
  }
  held.clear();
}

bool DiagnosticEngine::error(SMLoc loc, const Twine &msg) {
  return report(loc, SourceMgr::DK_Error, msg);
}

bool DiagnosticEngine::warning(SMLoc loc, const Twine &msg) {
  return report(loc, SourceMgr::DK_Warning, msg);
}

bool DiagnosticEngine::note(SMLoc loc, const Twine &msg) {
  return report(loc, SourceMgr::DK_Note, msg);
}

void DiagnosticEngine::fileError(StringRef path, const Twine &msg) {
  ++numErrors;
  SMDiagnostic(path, SourceMgr::DK_Error, msg.str()).print(nullptr, os);
}

StringRef kiln::findClosest(StringRef name, ArrayRef<StringRef> candidates) {
  // A unique candidate that the name abbreviates (`val_acc`) beats any
  // candidate that is merely close in spelling.
  StringRef prefixMatch;
  unsigned numPrefixMatches = 0;
  for (StringRef candidate : candidates) {
    if (name.size() >= 3 && candidate != name && candidate.starts_with(name)) {
      prefixMatch = candidate;
      ++numPrefixMatches;
    }
  }
  if (numPrefixMatches == 1)
    return prefixMatch;

  // About one typo per three characters, plus one (a swap of two letters,
  // `sdg`, counts two), and never a distance as large as the name itself
  // (which would make any short name "close" to `x`).
  unsigned maxDistance = name.size() / 3 + 1;
  StringRef best;
  unsigned bestDistance = maxDistance + 1;
  for (StringRef candidate : candidates) {
    if (candidate == name || candidate.empty())
      continue;
    unsigned distance = name.edit_distance(candidate, /*AllowReplacements=*/true,
                                           /*MaxEditDistance=*/maxDistance);
    if (distance < bestDistance && distance < name.size()) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

std::string kiln::didYouMean(StringRef name, ArrayRef<StringRef> candidates) {
  StringRef best = findClosest(name, candidates);
  if (best.empty())
    return "";
  return ("; did you mean '" + best + "'?").str();
}
