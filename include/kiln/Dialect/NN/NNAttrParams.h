//===- NNAttrParams.h - Parameter types of the nn attributes ----*- C++ -*-===//
//
// What the generated attribute classes (NNAttrs.h.inc) need to be declared:
// a double parameter.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_NN_NNATTRPARAMS_H
#define KILN_DIALECT_NN_NNATTRPARAMS_H

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/Hashing.h"
#include "llvm/ADT/bit.h"

namespace kiln::nn {

/// A double as an attribute parameter. An attribute's storage hashes and
/// compares its parameters, and LLVM has no hash for double; comparing
/// bits also keeps -0.0 apart from 0.0 and a NaN equal to itself, so that
/// the printer leaves out exactly the values that parse back to the
/// default. It converts to and from double, so that the generated builders
/// take doubles and the getters return them.
struct F64 {
  double value;
  F64(double value = 0.0) : value(value) {}
  operator double() const { return value; }
  friend bool operator==(F64 a, F64 b) {
    return llvm::bit_cast<uint64_t>(a.value) ==
           llvm::bit_cast<uint64_t>(b.value);
  }
  friend llvm::hash_code hash_value(F64 f) {
    return llvm::hash_value(llvm::bit_cast<uint64_t>(f.value));
  }
};

/// A float or an integer literal, as a double.
mlir::FailureOr<F64> parseF64(mlir::AsmParser &parser);

} // namespace kiln::nn

#endif // KILN_DIALECT_NN_NNATTRPARAMS_H
