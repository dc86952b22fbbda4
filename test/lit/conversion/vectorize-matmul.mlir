// RUN: kiln-opt %s -pass-pipeline='builtin.module(func.func(kiln-vectorize-matmul{lanes=32}))' | FileCheck %s
// RUN: kiln-opt %s -pass-pipeline='builtin.module(func.func(kiln-vectorize-matmul{tile-m=6 tile-n=16 lanes=16}))' | FileCheck %s --check-prefix=AVX2
// (lanes=32: each 32-float row of a tile stays one vector op, as the checks
// read it; vectorize-matmul-few-rows.mlir has the split into registers.)

// kiln-vectorize-matmul on buffers: tile M x N x K by tile-m x tile-n x 1
// (8 x 32 by default), peel the M and N dims that do not divide so every
// tile is static, vectorize each tile into outer-product FMAs (a row of B
// times each broadcast element of A per k) whose C tile is read before the
// k loop, carried in registers (iter_args) and written after it.

func.func @mm(%a: memref<8x5xf32>, %b: memref<5x64xf32>, %c: memref<8x64xf32>) {
  linalg.matmul ins(%a, %b : memref<8x5xf32>, memref<5x64xf32>) outs(%c : memref<8x64xf32>)
  return
}
// CHECK-LABEL: func.func @mm(
// CHECK-SAME:      %[[A:[^:]*]]: memref<8x5xf32>, %[[B:[^:]*]]: memref<5x64xf32>, %[[C:[^:]*]]: memref<8x64xf32>)
// CHECK-NOT:     linalg.matmul
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[C5:.*]] = arith.constant 5 : index
// CHECK-DAG:     %[[C32:.*]] = arith.constant 32 : index
// CHECK-DAG:     %[[C64:.*]] = arith.constant 64 : index
//                One tile row (M = 8), two tile columns.
// CHECK:         scf.for %[[J:.*]] = %[[C0]] to %[[C64]] step %[[C32]] {
// CHECK-NEXT:      %[[ACC0:.*]] = vector.transfer_read %[[C]][%[[C0]], %[[J]]], %{{.*}} {in_bounds = [true, true]} : memref<8x64xf32>, vector<8x32xf32>
// CHECK-NEXT:      %[[ACC:.*]] = scf.for %[[K:.*]] = %[[C0]] to %[[C5]] step %[[C1]] iter_args(%[[T:.*]] = %[[ACC0]]) -> (vector<8x32xf32>) {
// CHECK-NEXT:        %[[AK:.*]] = vector.transfer_read %[[A]][%[[C0]], %[[K]]], %{{.*}} : memref<8x5xf32>, vector<8x1xf32>
// CHECK-NEXT:        %[[BK:.*]] = vector.transfer_read %[[B]][%[[K]], %[[J]]], %{{.*}} : memref<5x64xf32>, vector<1x32xf32>
// CHECK-NEXT:        %[[BROW:.*]] = vector.extract %[[BK]][0] : vector<32xf32> from vector<1x32xf32>
// CHECK-NEXT:        %[[A0:.*]] = vector.extract %[[AK]][0, 0] : f32 from vector<8x1xf32>
// CHECK-NEXT:        %[[A0V:.*]] = vector.broadcast %[[A0]] : f32 to vector<32xf32>
// CHECK-NEXT:        %[[T0:.*]] = vector.extract %[[T]][0] : vector<32xf32> from vector<8x32xf32>
// CHECK-NEXT:        vector.fma %[[A0V]], %[[BROW]], %[[T0]] : vector<32xf32>
//                  Eight FMAs per k, one per row of the tile.
// CHECK-COUNT-7:     vector.fma %{{.*}}, %[[BROW]], %{{.*}} : vector<32xf32>
// CHECK-NOT:         vector.fma
// CHECK:             scf.yield %{{.*}} : vector<8x32xf32>
// CHECK-NEXT:      }
// CHECK-NEXT:      vector.transfer_write %[[ACC]], %[[C]][%[[C0]], %[[J]]] {in_bounds = [true, true]} : vector<8x32xf32>, memref<8x64xf32>
// CHECK-NEXT:    }

// The AVX2 tile: 6 rows of 16; the 2 rows left over are peeled.
// AVX2-LABEL: func.func @mm(
// AVX2:         scf.for
// AVX2:           vector.transfer_read {{.*}} vector<6x16xf32>
// AVX2:           scf.for {{.*}} -> (vector<6x16xf32>)
// AVX2-COUNT-6:     vector.fma {{.*}} : vector<16xf32>
// AVX2-NOT:         vector.fma
// AVX2:           scf.yield
// AVX2:         scf.for
// AVX2:           vector.transfer_read {{.*}} vector<2x16xf32>
// AVX2:           scf.for {{.*}} -> (vector<2x16xf32>)
// AVX2-COUNT-2:     vector.fma {{.*}} : vector<16xf32>
// AVX2-NOT:         vector.fma
// AVX2:           scf.yield

func.func @peel(%a: memref<12x3xf32>, %b: memref<3x40xf32>, %c: memref<12x40xf32>) {
  linalg.matmul ins(%a, %b : memref<12x3xf32>, memref<3x40xf32>) outs(%c : memref<12x40xf32>)
  return
}
// 12 x 40 = (8 + 4) x (32 + 8): four static tiles, each with its own k
// loop and accumulator, and nothing left scalar.
// CHECK-LABEL: func.func @peel(
// CHECK-SAME:      %{{[^:]*}}: memref<12x3xf32>, %{{[^:]*}}: memref<3x40xf32>, %[[C:[^:]*]]: memref<12x40xf32>)
// CHECK-NOT:     linalg.matmul
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG:     %[[C32:.*]] = arith.constant 32 : index
// CHECK:         vector.transfer_read %[[C]][%[[C0]], %[[C0]]], {{.*}} vector<8x32xf32>
// CHECK:         scf.for {{.*}} -> (vector<8x32xf32>) {
// CHECK-COUNT-8:   vector.fma {{.*}} : vector<32xf32>
// CHECK:         vector.transfer_write %{{.*}}, %[[C]][%[[C0]], %[[C0]]] {{.*}} : vector<8x32xf32>
// CHECK:         vector.transfer_read %[[C]][%[[C0]], %[[C32]]], {{.*}} vector<8x8xf32>
// CHECK:         scf.for {{.*}} -> (vector<8x8xf32>) {
// CHECK-COUNT-8:   vector.fma {{.*}} : vector<8xf32>
// CHECK:         vector.transfer_write %{{.*}}, %[[C]][%[[C0]], %[[C32]]] {{.*}} : vector<8x8xf32>
// CHECK:         vector.transfer_read %[[C]][%[[C8]], %[[C0]]], {{.*}} vector<4x32xf32>
// CHECK:         scf.for {{.*}} -> (vector<4x32xf32>) {
// CHECK-COUNT-4:   vector.fma {{.*}} : vector<32xf32>
// CHECK:         vector.transfer_write %{{.*}}, %[[C]][%[[C8]], %[[C0]]] {{.*}} : vector<4x32xf32>
// CHECK:         vector.transfer_read %[[C]][%[[C8]], %[[C32]]], {{.*}} vector<4x8xf32>
// CHECK:         scf.for {{.*}} -> (vector<4x8xf32>) {
// CHECK-COUNT-4:   vector.fma {{.*}} : vector<8xf32>
// CHECK:         vector.transfer_write %{{.*}}, %[[C]][%[[C8]], %[[C32]]] {{.*}} : vector<4x8xf32>
// CHECK-NOT:     linalg.matmul
// CHECK:         return

func.func @ta(%a: memref<5x8xf32>, %b: memref<5x32xf32>, %c: memref<8x32xf32>) {
  linalg.matmul_transpose_a ins(%a, %b : memref<5x8xf32>, memref<5x32xf32>) outs(%c : memref<8x32xf32>)
  return
}
// matmul_transpose_a: A stored [K, M] is read along its rows, 8 contiguous
// elements per k.
// CHECK-LABEL: func.func @ta(
// CHECK-SAME:      %[[A:[^:]*]]: memref<5x8xf32>
// CHECK-NOT:     linalg.matmul_transpose_a
// CHECK:         scf.for %[[K:.*]] = {{.*}} iter_args({{.*}}) -> (vector<8x32xf32>) {
// CHECK-NEXT:      vector.transfer_read %[[A]][%[[K]], %{{.*}}], {{.*}} : memref<5x8xf32>, vector<1x8xf32>
// CHECK-COUNT-8:   vector.fma {{.*}} : vector<32xf32>

func.func @dyn(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>) {
  linalg.matmul ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%c : memref<?x?xf32>)
  return
}
// Dynamic shapes are left alone.
// CHECK-LABEL: func.func @dyn(
// CHECK-NEXT:    linalg.matmul ins(%{{.*}}, %{{.*}} : memref<?x?xf32>, memref<?x?xf32>) outs(%{{.*}} : memref<?x?xf32>)
// CHECK-NEXT:    return

func.func @tensors(%a: tensor<8x5xf32>, %b: tensor<5x32xf32>, %c: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<8x5xf32>, tensor<5x32xf32>) outs(%c : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %0 : tensor<8x32xf32>
}
// So are matmuls on tensors (the pass runs after bufferization).
// CHECK-LABEL: func.func @tensors(
// CHECK-NEXT:    linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<8x5xf32>, tensor<5x32xf32>) outs(%{{.*}} : tensor<8x32xf32>) -> tensor<8x32xf32>
// CHECK-NEXT:    return

func.func @tb(%a: memref<8x5xf32>, %b: memref<32x5xf32>, %c: memref<8x32xf32>) {
  linalg.matmul_transpose_b ins(%a, %b : memref<8x5xf32>, memref<32x5xf32>) outs(%c : memref<8x32xf32>)
  return
}
// And matmul_transpose_b, which the lowering never emits (it transposes the
// rhs into a buffer first).
// CHECK-LABEL: func.func @tb(
// CHECK-NEXT:    linalg.matmul_transpose_b
// CHECK-NEXT:    return

func.func @packed(%a: memref<16x4xf32>, %b: memref<4x40xf32>, %c: memref<16x40xf32>) {
  linalg.matmul ins(%a, %b : memref<16x4xf32>, memref<4x40xf32>) outs(%c : memref<16x40xf32>)
  return
}
// With M >= 2 tile rows and N >= a tile column, B is packed into column
// panels P[panel][k][0..32) (here 2 panels, the second 8 wide) and each
// panel is multiplied from the pack.
// CHECK-LABEL: func.func @packed(
// CHECK-SAME:      %{{[^:]*}}: memref<16x4xf32>, %[[B:[^:]*]]: memref<4x40xf32>, %[[C:[^:]*]]: memref<16x40xf32>)
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG:     %[[C32:.*]] = arith.constant 32 : index
// CHECK:         %[[P:.*]] = memref.alloc() : memref<2x4x32xf32>
// CHECK:         scf.for %[[K:.*]] =
// CHECK-NEXT:      %[[ROW:.*]] = vector.transfer_read %[[B]][%[[K]], %[[C0]]], {{.*}} : memref<4x40xf32>, vector<1x32xf32>
// CHECK-NEXT:      vector.transfer_write %[[ROW]], %[[P]][%[[C0]], %[[K]], %[[C0]]] {{.*}} : vector<1x32xf32>, memref<2x4x32xf32>
// CHECK:         scf.for
// CHECK:           scf.for {{.*}} -> (vector<8x32xf32>)
// CHECK:             vector.transfer_read %[[P]][%[[C0]], %{{.*}}, %[[C0]]], {{.*}} : memref<2x4x32xf32>, vector<1x32xf32>
// CHECK:         scf.for %[[K:.*]] =
// CHECK-NEXT:      %[[ROW:.*]] = vector.transfer_read %[[B]][%[[K]], %[[C32]]], {{.*}} : memref<4x40xf32>, vector<1x8xf32>
// CHECK-NEXT:      vector.transfer_write %[[ROW]], %[[P]][%[[C1]], %[[K]], %[[C0]]]
// CHECK:         scf.for
// CHECK:           scf.for {{.*}} -> (vector<8x8xf32>)
// CHECK:             vector.transfer_read %[[P]][%[[C1]], %{{.*}}, %[[C0]]], {{.*}} : memref<2x4x32xf32>, vector<1x8xf32>

func.func @weight(%x: memref<16x9xf32>, %w: memref<32x9xf32>, %c: memref<16x32xf32>) {
  %wt = memref.alloc() : memref<9x32xf32>
  linalg.transpose ins(%w : memref<32x9xf32>) outs(%wt : memref<9x32xf32>) permutation = [1, 0]
  linalg.matmul ins(%x, %wt : memref<16x9xf32>, memref<9x32xf32>) outs(%c : memref<16x32xf32>)
  return
}
// A right-hand side that is only a transposed copy of a weight W [N, K]:
// the pack reads W itself, 8 columns at a time, transposed in registers,
// and the transpose and its buffer go away.
// CHECK-LABEL: func.func @weight(
// CHECK-SAME:      %{{[^:]*}}: memref<16x9xf32>, %[[W:[^:]*]]: memref<32x9xf32>
// CHECK-NOT:     linalg.transpose
// CHECK-NOT:     memref<9x32xf32>
// CHECK:         %[[P:.*]] = memref.alloc() : memref<1x9x32xf32>
// CHECK-NEXT:    vector.transfer_read %[[W]][%{{.*}}, %{{.*}}], {{.*}} : memref<32x9xf32>, vector<32x8xf32>
// CHECK:         vector.transfer_write {{.*}}, %[[P]]{{.*}} : vector<8x32xf32>, memref<1x9x32xf32>
// CHECK:         vector.transfer_read %[[W]][%{{.*}}, %{{.*}}], {{.*}} : memref<32x9xf32>, vector<32x1xf32>
// CHECK:         scf.for {{.*}} -> (vector<8x32xf32>)
// CHECK:           vector.transfer_read %[[P]]
// CHECK-NOT:     linalg.transpose
