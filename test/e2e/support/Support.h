//===- Support.h - Files, processes and buffers for the e2e tests -*- C++ -*-===//
//
// Helpers throw std::runtime_error on failure: GoogleTest reports an
// exception escaping a test as that test's failure, with the message, which
// is what we want from a helper that cannot build or run a model.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TEST_E2E_SUPPORT_H
#define KILN_TEST_E2E_SUPPORT_H

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <random>
#include <string>
#include <vector>

namespace kiln::e2e {

/// 64-byte aligned storage: the compiled code's workspace must be, and the
/// runtime hands out states aligned the same way, so the tests do too.
template <typename T> struct AlignedAllocator {
  using value_type = T;
  AlignedAllocator() = default;
  template <typename U> AlignedAllocator(const AlignedAllocator<U> &) {}
  T *allocate(size_t n) {
    size_t bytes = (n * sizeof(T) + 63) / 64 * 64;
    void *p = std::aligned_alloc(64, bytes ? bytes : 64);
    if (!p)
      throw std::bad_alloc();
    return static_cast<T *>(p);
  }
  void deallocate(T *p, size_t) { std::free(p); }
  template <typename U> bool operator==(const AlignedAllocator<U> &) const {
    return true;
  }
  template <typename U> bool operator!=(const AlignedAllocator<U> &) const {
    return false;
  }
};

using State = std::vector<float, AlignedAllocator<float>>;
using Workspace = std::vector<uint8_t, AlignedAllocator<uint8_t>>;

/// The scratch folder of this test process, created on first use and
/// removed at exit unless KILN_E2E_KEEP is set (to inspect what was built).
const std::string &scratchDir();
/// A new, empty folder inside the scratch folder.
std::string makeScratchDir(const std::string &stem);

std::string readFile(const std::string &path);
void writeFile(const std::string &path, const std::string &text);
bool fileExists(const std::string &path);

struct CommandResult {
  int exitCode = -1;     // valid when !signaled
  bool signaled = false; // killed by a signal (abort, segfault, a limit)
  int signal = 0;
  std::string out, err;
  /// For failure messages: the command, its status and its output.
  std::string describe() const;
  std::string command;
};

/// Runs argv (no shell interpretation of the arguments) in `cwd`, capturing
/// stdout and stderr, under limits far above what any command of the tests
/// needs (120 s of CPU, 8 GiB of address space, 300 s of wall time).
CommandResult runCommand(const std::vector<std::string> &argv,
                         const std::string &cwd = "");

/// Deterministic random vectors for inputs and weights.
std::vector<double> uniformVector(std::mt19937_64 &rng, size_t n, double lo,
                                  double hi);

std::vector<double> toDouble(const float *p, size_t n);
std::vector<float> toFloat(const std::vector<double> &v);

/// Lines without their line ends, and the fields of a CSV row (unquoted
/// fields only: what the runtime's predict writes).
std::vector<std::string> splitLines(const std::string &text);
std::vector<std::string> splitCSVRow(const std::string &line);

} // namespace kiln::e2e

#endif // KILN_TEST_E2E_SUPPORT_H
