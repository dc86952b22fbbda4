// RUN: kiln-opt %s -pass-pipeline='builtin.module(func.func(kiln-vectorize-matmul{lanes=32}))' | FileCheck %s
// (lanes=32: each 32-float row of a tile stays one vector op, as the checks
// read it; vectorize-matmul-few-rows.mlir has the split into registers.)
// Regression test (fixed in 52c2ff3): the B packing used to read the weight
// W directly in place of its transposed copy W^T (erasing the
// linalg.transpose) without checking that nothing writes W between the
// transpose and the matmul. Here W is zero-filled in between: the matmul
// must still multiply by the old W^T, not by the zeros.

func.func @weight_written(%x: memref<16x9xf32>, %w: memref<32x9xf32>, %c: memref<16x32xf32>) {
  %wt = memref.alloc() : memref<9x32xf32>
  linalg.transpose ins(%w : memref<32x9xf32>) outs(%wt : memref<9x32xf32>) permutation = [1, 0]
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%w : memref<32x9xf32>)
  linalg.matmul ins(%x, %wt : memref<16x9xf32>, memref<9x32xf32>) outs(%c : memref<16x32xf32>)
  return
}
// Nothing may read W once it is overwritten.
// CHECK-LABEL: func.func @weight_written(
// CHECK-SAME:      %{{[^:]*}}: memref<16x9xf32>, %[[W:[^:]*]]: memref<32x9xf32>
// CHECK:         linalg.fill ins(%{{.*}} : f32) outs(%[[W]] : memref<32x9xf32>)
// CHECK-NOT:     vector.transfer_read %[[W]]
// CHECK:         return
