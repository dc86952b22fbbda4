// RUN: kiln-opt %s -pass-pipeline='builtin.module(func.func(kiln-vectorize-matmul))' | FileCheck %s

// kiln-vectorize-matmul on a product of fewer rows than its 8 x 32 tile (a
// prediction row block): a tile of all the rows, as many columns as keep
// about 16 accumulators (a power of two of 16-float vectors; one row gets
// 256 columns, here cut to the 128 there are), and every row of it split
// into one op per register, in ascending address order: per k, a one-row
// product streams the weight row B[k] through 8 loads and 8 FMAs with 8
// independent accumulators.

func.func @one_row(%a: memref<1x5xf32>, %b: memref<5x128xf32>, %c: memref<1x128xf32>) {
  linalg.matmul ins(%a, %b : memref<1x5xf32>, memref<5x128xf32>) outs(%c : memref<1x128xf32>)
  return
}

// CHECK-LABEL: func.func @one_row(
// CHECK-SAME:      %[[A:[^:]*]]: memref<1x5xf32>, %[[B:[^:]*]]: memref<5x128xf32>
// CHECK-NOT:     scf.for
// CHECK:         scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}}) -> (vector<1x128xf32>) {
// CHECK:           vector.transfer_read %[[B]][%[[K]], %c0], {{.*}} vector<1x16xf32>
// CHECK-NEXT:      vector.insert_strided_slice
// CHECK-NEXT:      vector.transfer_read %[[B]][%[[K]], %c16], {{.*}} vector<1x16xf32>
// CHECK-NEXT:      vector.insert_strided_slice
// CHECK-NEXT:      vector.transfer_read %[[B]][%[[K]], %c32], {{.*}} vector<1x16xf32>
// CHECK:           vector.transfer_read %[[B]][%[[K]], %c112], {{.*}} vector<1x16xf32>
// CHECK-COUNT-8:   vector.fma {{.*}} : vector<16xf32>
// CHECK-NOT:       vector.fma
// CHECK:           scf.yield

// Three rows: 16 / 3 accumulators per row rounds down to 4 vectors, a
// 3 x 64 tile, two of them across N; 12 FMAs per k.
func.func @three_rows(%a: memref<3x5xf32>, %b: memref<5x128xf32>, %c: memref<3x128xf32>) {
  linalg.matmul ins(%a, %b : memref<3x5xf32>, memref<5x128xf32>) outs(%c : memref<3x128xf32>)
  return
}

// CHECK-LABEL: func.func @three_rows(
// CHECK:         scf.for %{{.*}} = %c0 to %c128 step %c64 {
// CHECK:           scf.for {{.*}} -> (vector<3x64xf32>) {
// CHECK-COUNT-12:    vector.fma {{.*}} : vector<16xf32>
// CHECK-NOT:         vector.fma
// CHECK:             scf.yield

// Must not change: a full tile's rows (8 rows of 32 floats, 2 registers
// each) keep the full tile.
func.func @eight_rows(%a: memref<8x5xf32>, %b: memref<5x32xf32>, %c: memref<8x32xf32>) {
  linalg.matmul ins(%a, %b : memref<8x5xf32>, memref<5x32xf32>) outs(%c : memref<8x32xf32>)
  return
}

// CHECK-LABEL: func.func @eight_rows(
// CHECK:         scf.for {{.*}} -> (vector<8x32xf32>) {
// CHECK-COUNT-16:  vector.fma {{.*}} : vector<16xf32>
// CHECK-NOT:       vector.fma
// CHECK:           scf.yield
