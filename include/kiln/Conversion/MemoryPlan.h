//===- MemoryPlan.h - Offsets for buffers with live ranges ------*- C++ -*-===//

#ifndef KILN_CONVERSION_MEMORYPLAN_H
#define KILN_CONVERSION_MEMORYPLAN_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>

namespace kiln {

/// Byte alignment of every buffer in the workspace: a cache line, and what
/// aligned AVX-512 loads need.
constexpr int64_t kWorkspaceAlignment = 64;

/// Where each buffer of a function lives in its workspace. Two buffers may
/// share bytes only if their live ranges are disjoint.
struct MemoryPlan {
  struct Buffer {
    int64_t start; // position of the first op that needs the buffer
    int64_t end;   // position of the last op that needs it (inclusive)
    int64_t size;  // bytes
  };

  llvm::SmallVector<int64_t> offsets; // per buffer, in input order
  int64_t size = 0;                   // bytes the workspace needs

  /// Largest buffer first, each at the lowest aligned offset that overlaps
  /// no live-overlapping buffer placed before it.
  static MemoryPlan place(llvm::ArrayRef<Buffer> buffers, int64_t alignment);
};

} // namespace kiln

#endif // KILN_CONVERSION_MEMORYPLAN_H
