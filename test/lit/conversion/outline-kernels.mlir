// RUN: kiln-opt %s -kiln-outline-kernels=max-ops=12 | FileCheck %s

// A function larger than max-ops becomes calls of never-inlined pieces of
// about max-ops operations each, in order; a value one piece computes and
// a later one reads is returned and passed on; constants are cloned into
// the pieces that read them; views stay in the caller.

// CHECK-LABEL: func.func private @big_part0(
// CHECK-SAME:      %[[A:.*]]: memref<64xf32>) -> f32
// CHECK-SAME:      attributes {no_inline}
// CHECK:         %[[C0:.*]] = arith.constant 0 : index
// CHECK:         scf.for
// CHECK:         %[[X:.*]] = memref.load %[[A]][%[[C0]]]
// CHECK:         return %[[X]] : f32
// CHECK-LABEL: func.func private @big_part1(
// CHECK-SAME:      %{{.*}}: memref<64xf32>, %[[Y:.*]]: f32, %[[V:.*]]: memref<8xf32, strided<[1], offset: 8>>)
// CHECK-SAME:      attributes {no_inline}
// CHECK:         scf.for
// CHECK:           memref.store %[[Y]], %[[V]]
// CHECK:         return
// CHECK-LABEL: func.func @big(
// CHECK:         %[[R:.*]] = call @big_part0(%arg0)
// CHECK-NEXT:    %[[VIEW:.*]] = memref.reinterpret_cast
// CHECK-NEXT:    call @big_part1(%arg0, %[[R]], %[[VIEW]])
// CHECK-NEXT:    return
func.func @big(%a: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  %f = arith.constant 2.0 : f32
  scf.for %i = %c0 to %c64 step %c1 {
    %v = memref.load %a[%i] : memref<64xf32>
    %w = arith.mulf %v, %f : f32
    %u = arith.addf %w, %f : f32
    memref.store %u, %a[%i] : memref<64xf32>
  }
  %x = memref.load %a[%c0] : memref<64xf32>
  %view = memref.reinterpret_cast %a to offset: [8], sizes: [8], strides: [1] : memref<64xf32> to memref<8xf32, strided<[1], offset: 8>>
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %a[%i] : memref<64xf32>
    %w = arith.mulf %v, %f : f32
    %u = arith.addf %w, %x : f32
    memref.store %x, %view[%i] : memref<8xf32, strided<[1], offset: 8>>
    memref.store %u, %a[%i] : memref<64xf32>
  }
  return
}

// A function within max-ops is left whole.
// CHECK-LABEL: func.func @small(
// CHECK-NOT:     call
// CHECK:         return
func.func @small(%a: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %v = memref.load %a[%c0] : memref<4xf32>
  memref.store %v, %a[%c0] : memref<4xf32>
  return
}
