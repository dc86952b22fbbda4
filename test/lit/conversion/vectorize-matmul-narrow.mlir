// RUN: kiln-opt %s -pass-pipeline='builtin.module(func.func(kiln-vectorize-matmul))' | FileCheck %s

// kiln-vectorize-matmul on a product narrower than a vector whose width is
// no power of two (an output layer of 7 columns): it runs on a B and a C
// padded to 8 columns, the weight transposed straight into the padded B
// (zeros in its last column), C's fill filling the padded C, and C's 7
// columns copied back after the kernel, whose tile is then 8 x 8.

func.func @narrow(%x: memref<16x64xf32>, %w: memref<7x64xf32>, %c: memref<16x7xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<16x7xf32>)
  %wt = memref.alloc() : memref<64x7xf32>
  linalg.transpose ins(%w : memref<7x64xf32>) outs(%wt : memref<64x7xf32>) permutation = [1, 0]
  linalg.matmul ins(%x, %wt : memref<16x64xf32>, memref<64x7xf32>) outs(%c : memref<16x7xf32>)
  return
}

// CHECK-LABEL: func.func @narrow(
// CHECK-SAME:      %[[X:[^:]*]]: memref<16x64xf32>, %[[W:[^:]*]]: memref<7x64xf32>, %[[C:[^:]*]]: memref<16x7xf32>)
// CHECK-DAG:     %[[WC:.*]] = memref.alloc() : memref<16x8xf32>
// CHECK-DAG:     %[[WB:.*]] = memref.alloc() : memref<64x8xf32>
// CHECK-DAG:     linalg.fill ins(%{{.*}} : f32) outs(%[[WC]] : memref<16x8xf32>)
// CHECK-DAG:     linalg.fill ins(%{{.*}} : f32) outs(%[[WB]] : memref<64x8xf32>)
// CHECK:         linalg.transpose ins(%[[W]] : memref<7x64xf32>) outs(%{{.*}} : memref<64x7xf32, strided<[8, 1]>>)
// CHECK-NOT:     linalg.fill
// CHECK:         scf.for {{.*}} -> (vector<8x8xf32>)
// CHECK:         %[[WCN:.*]] = memref.subview %[[WC]][0, 0] [16, 7] [1, 1]
// CHECK-NEXT:    linalg.copy ins(%[[WCN]] : {{.*}}) outs(%[[C]] : memref<16x7xf32>)
// CHECK-NOT:     vector<8x7xf32>

// Where it must not fire: 8 columns (a power of two), 24 columns (wider
// than a vector: panels and peeled tiles), and fewer rows than the tile.

func.func @eight(%x: memref<16x64xf32>, %b: memref<64x8xf32>, %c: memref<16x8xf32>) {
  linalg.matmul ins(%x, %b : memref<16x64xf32>, memref<64x8xf32>) outs(%c : memref<16x8xf32>)
  return
}
// CHECK-LABEL: func.func @eight(
// CHECK-NOT:     memref.alloc
// CHECK:         return

func.func @wide(%x: memref<16x64xf32>, %b: memref<64x24xf32>, %c: memref<16x24xf32>) {
  linalg.matmul ins(%x, %b : memref<16x64xf32>, memref<64x24xf32>) outs(%c : memref<16x24xf32>)
  return
}
// CHECK-LABEL: func.func @wide(
// CHECK-NOT:     memref.alloc() : memref<{{.*}}x32xf32>
// CHECK:         return

func.func @few_rows(%x: memref<3x64xf32>, %b: memref<64x7xf32>, %c: memref<3x7xf32>) {
  linalg.matmul ins(%x, %b : memref<3x64xf32>, memref<64x7xf32>) outs(%c : memref<3x7xf32>)
  return
}
// CHECK-LABEL: func.func @few_rows(
// CHECK-NOT:     memref.alloc
// CHECK:         return
