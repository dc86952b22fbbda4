// RUN: kiln-opt %s -pass-pipeline='builtin.module(func.func(kiln-vectorize-matmul))' | FileCheck %s

// kiln-vectorize-matmul on x W^T with fewer columns than a vector (16
// lanes here): each output is a dot product along K of a row of x and a
// row of W, both contiguous. Tiles of 3 rows x 7 columns (21 accumulators
// of 16 lanes), the rows split over the threads, K in vectors of 16, the
// lanes of each accumulator added pairwise into C's element after K. The
// transpose of W goes away.

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
// CHECK-NOT:     linalg.transpose
// CHECK:         linalg.fill
// CHECK-NOT:     linalg.transpose
// CHECK:         scf.for %[[I:[^ ]*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:           %[[SUMS:.*]]:21 = scf.for %[[K:[^ ]*]] = {{.*}} iter_args({{.*}}) -> (vector<16xf32>,
// CHECK:             vector.transfer_read %[[X]][%[[I]], %[[K]]]{{.*}} : memref<16x64xf32>, vector<16xf32>
// CHECK:             vector.transfer_read %[[W]][%{{.*}}, %[[K]]]{{.*}} : memref<7x64xf32>, vector<16xf32>
// CHECK:             vector.fma {{.*}} : vector<16xf32>
// CHECK:             scf.yield
// CHECK:           memref.load %[[C]][%[[I]], %{{.*}}]
// CHECK:           vector.extract_strided_slice %[[SUMS]]#0 {offsets = [0], sizes = [8], strides = [1]}
// CHECK:           memref.store %{{.*}}, %[[C]][%[[I]], %{{.*}}]
// CHECK:         } {kiln.parallel}
// CHECK-NOT:     memref.alloc() : memref<{{.*}}x8xf32>
// CHECK:         return

// K = 20, no multiple of the lanes: the one vector of K reads 4 floats
// under a mask; 17 rows as two tiles of 6 and one of 5.
func.func @masked_tail(%x: memref<17x20xf32>, %w: memref<3x20xf32>, %c: memref<17x3xf32>) {
  %wt = memref.alloc() : memref<20x3xf32>
  linalg.transpose ins(%w : memref<3x20xf32>) outs(%wt : memref<20x3xf32>) permutation = [1, 0]
  linalg.matmul ins(%x, %wt : memref<17x20xf32>, memref<20x3xf32>) outs(%c : memref<17x3xf32>)
  return
}
// CHECK-LABEL: func.func @masked_tail(
// CHECK:         %[[MASK:.*]] = vector.constant_mask [4] : vector<16xi1>
// CHECK:         scf.for
// CHECK:           vector.transfer_read {{.*}} : memref<17x20xf32>, vector<16xf32>
// CHECK:           vector.maskedload {{.*}}, %[[MASK]], {{.*}} : memref<17x20xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// CHECK:         } {kiln.parallel}
// CHECK:         vector.maskedload {{.*}} : memref<17x20xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// CHECK:         return

// A right-hand side that is no transposed weight is not contiguous along
// K: its 7 columns run on a B and a C padded to 8 instead, C's fill
// filling the padded C (inside its tiles: vectorize-matmul-fill.mlir),
// and C's 7 columns copied back after the kernel, whose tile is then 8 x 8.
func.func @narrow_rhs(%x: memref<16x64xf32>, %b: memref<64x7xf32>, %c: memref<16x7xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<16x7xf32>)
  linalg.matmul ins(%x, %b : memref<16x64xf32>, memref<64x7xf32>) outs(%c : memref<16x7xf32>)
  return
}
// CHECK-LABEL: func.func @narrow_rhs(
// CHECK-SAME:      %[[X:[^:]*]]: memref<16x64xf32>, %[[B:[^:]*]]: memref<64x7xf32>, %[[C:[^:]*]]: memref<16x7xf32>)
// CHECK-DAG:     %[[WC:.*]] = memref.alloc() : memref<16x8xf32>
// CHECK-DAG:     %[[WB:.*]] = memref.alloc() : memref<64x8xf32>
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<8x8xf32>
// CHECK-DAG:     linalg.fill ins(%{{.*}} : f32) outs(%[[WB]] : memref<64x8xf32>)
// CHECK:         linalg.copy ins(%[[B]] : memref<64x7xf32>) outs(%{{.*}} : memref<64x7xf32, strided<[8, 1]>>)
// CHECK-NOT:     linalg.fill
// CHECK:         scf.for {{.*}} iter_args(%{{.*}} = %[[ZERO]]) -> (vector<8x8xf32>)
// CHECK:         %[[WCN:.*]] = memref.subview %[[WC]][0, 0] [16, 7] [1, 1]
// CHECK-NEXT:    linalg.copy ins(%[[WCN]] : {{.*}}) outs(%[[C]] : memref<16x7xf32>)
// CHECK-NOT:     vector<8x7xf32>

// A transposed weight of 16 columns, a whole vector: the register-tiled
// kernel, no dot products.
func.func @vector_wide(%x: memref<16x64xf32>, %w: memref<16x64xf32>, %c: memref<16x16xf32>) {
  %wt = memref.alloc() : memref<64x16xf32>
  linalg.transpose ins(%w : memref<16x64xf32>) outs(%wt : memref<64x16xf32>) permutation = [1, 0]
  linalg.matmul ins(%x, %wt : memref<16x64xf32>, memref<64x16xf32>) outs(%c : memref<16x16xf32>)
  return
}
// CHECK-LABEL: func.func @vector_wide(
// CHECK:         linalg.transpose
// CHECK-NOT:     vector.extract_strided_slice {{.*}} sizes = [8]
// CHECK:         scf.for {{.*}} -> (vector<8x16xf32>)
// CHECK:         return

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
