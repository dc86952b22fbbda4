// RUN: kiln-opt %s -pass-pipeline='builtin.module(func.func(kiln-vectorize-matmul))' | FileCheck %s

// kiln-vectorize-matmul on a matmul whose C a fill with a constant
// initialized just before it: the fill moves into the tiles, where its
// store forwards to the accumulator's load, so that each tile starts from
// the constant in registers and C is written once, by the tile.

func.func @zero_filled(%a: memref<16x64xf32>, %b: memref<64x64xf32>, %c: memref<16x64xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<16x64xf32>)
  linalg.matmul ins(%a, %b : memref<16x64xf32>, memref<64x64xf32>) outs(%c : memref<16x64xf32>)
  return
}
// CHECK-LABEL: func.func @zero_filled(
// CHECK-SAME:      %{{[^:]*}}: memref<16x64xf32>, %{{[^:]*}}: memref<64x64xf32>, %[[C:[^:]*]]: memref<16x64xf32>)
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<8x32xf32>
// CHECK-NOT:     linalg.fill
// CHECK-NOT:     vector.transfer_read %[[C]]
// CHECK:         scf.for {{.*}} iter_args(%{{.*}} = %[[ZERO]]) -> (vector<8x32xf32>)
// CHECK:         vector.transfer_write %{{.*}}, %[[C]]

// Any constant: the tiles start from it.
func.func @bias_filled(%a: memref<8x16xf32>, %b: memref<16x32xf32>, %c: memref<8x32xf32>) {
  %one = arith.constant 1.5 : f32
  linalg.fill ins(%one : f32) outs(%c : memref<8x32xf32>)
  linalg.matmul ins(%a, %b : memref<8x16xf32>, memref<16x32xf32>) outs(%c : memref<8x32xf32>)
  return
}
// CHECK-LABEL: func.func @bias_filled(
// CHECK:         %[[INIT:.*]] = arith.constant dense<1.500000e+00> : vector<8x32xf32>
// CHECK-NOT:     linalg.fill
// CHECK:         scf.for {{.*}} iter_args(%{{.*}} = %[[INIT]]) -> (vector<8x32xf32>)

// Where it must not fire: a fill with a value known only at run time, and
// a fill that something reads before the matmul.
func.func @runtime_value(%a: memref<8x16xf32>, %b: memref<16x32xf32>, %c: memref<8x32xf32>, %v: f32) {
  linalg.fill ins(%v : f32) outs(%c : memref<8x32xf32>)
  linalg.matmul ins(%a, %b : memref<8x16xf32>, memref<16x32xf32>) outs(%c : memref<8x32xf32>)
  return
}
// CHECK-LABEL: func.func @runtime_value(
// CHECK:         linalg.fill ins(%{{.*}} : f32) outs(%[[C:.*]] : memref<8x32xf32>)
// CHECK:         vector.transfer_read %[[C]]

func.func @read_between(%a: memref<8x16xf32>, %b: memref<16x32xf32>, %c: memref<8x32xf32>, %d: memref<8x32xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<8x32xf32>)
  memref.copy %c, %d : memref<8x32xf32> to memref<8x32xf32>
  linalg.matmul ins(%a, %b : memref<8x16xf32>, memref<16x32xf32>) outs(%c : memref<8x32xf32>)
  return
}
// CHECK-LABEL: func.func @read_between(
// CHECK:         linalg.fill ins(%{{.*}} : f32) outs(%[[C:.*]] : memref<8x32xf32>)
// CHECK:         memref.copy
// CHECK:         vector.transfer_read %[[C]]
