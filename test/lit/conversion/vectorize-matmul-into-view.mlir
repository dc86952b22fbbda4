// RUN: kiln-opt %s -pass-pipeline='builtin.module(func.func(kiln-vectorize-matmul{lanes=32}))' | FileCheck %s

// A product written straight into a view of the state (a data-parallel
// build's gradient): the accumulator tile is still read once before the
// reduction loop and written once after it, held in registers in between,
// as for an output of its own; linalg's hoisting leaves views alone. It is
// not hoisted when something else in the loop may touch the tile: here B
// is a view of the same state that overlaps it.

func.func @into_state(%a: memref<8x16xf32>, %state: memref<1024xf32>) {
  %b = memref.reinterpret_cast %state to offset: [512], sizes: [16, 32], strides: [32, 1] : memref<1024xf32> to memref<16x32xf32, strided<[32, 1], offset: 512>>
  %c = memref.reinterpret_cast %state to offset: [256], sizes: [8, 32], strides: [32, 1] : memref<1024xf32> to memref<8x32xf32, strided<[32, 1], offset: 256>>
  linalg.matmul ins(%a, %b : memref<8x16xf32>, memref<16x32xf32, strided<[32, 1], offset: 512>>) outs(%c : memref<8x32xf32, strided<[32, 1], offset: 256>>)
  return
}
// CHECK-LABEL: func.func @into_state(
// CHECK:         %[[C:.*]] = memref.reinterpret_cast %{{.*}} to offset: [256]
// CHECK:         %[[INIT:.*]] = vector.transfer_read %[[C]][%c0, %c0]
// CHECK-NEXT:    %[[ACC:.*]] = scf.for {{.*}} iter_args(%[[T:.*]] = %[[INIT]]) -> (vector<8x32xf32>) {
// CHECK-NOT:       vector.transfer_write
// CHECK:           scf.yield
// CHECK-NEXT:    }
// CHECK-NEXT:    vector.transfer_write %[[ACC]], %[[C]][%c0, %c0]

func.func @overlapping(%a: memref<8x16xf32>, %state: memref<1024xf32>) {
  %b = memref.reinterpret_cast %state to offset: [0], sizes: [16, 32], strides: [32, 1] : memref<1024xf32> to memref<16x32xf32, strided<[32, 1]>>
  %c = memref.reinterpret_cast %state to offset: [256], sizes: [8, 32], strides: [32, 1] : memref<1024xf32> to memref<8x32xf32, strided<[32, 1], offset: 256>>
  linalg.matmul ins(%a, %b : memref<8x16xf32>, memref<16x32xf32, strided<[32, 1]>>) outs(%c : memref<8x32xf32, strided<[32, 1], offset: 256>>)
  return
}
// CHECK-LABEL: func.func @overlapping(
// CHECK:         %[[C:.*]] = memref.reinterpret_cast %{{.*}} to offset: [256]
// CHECK:         scf.for
// CHECK-NOT:       iter_args
// CHECK:           vector.transfer_read %[[C]]
// CHECK:           vector.transfer_write %{{.*}}, %[[C]]{{.*}}
// CHECK-NEXT:    }
