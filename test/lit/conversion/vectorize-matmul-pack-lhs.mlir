// RUN: kiln-opt %s -pass-pipeline='builtin.module(func.func(kiln-vectorize-matmul))' | FileCheck %s

// kiln-vectorize-matmul on A^T B (a weight gradient dY^T X) whose A is
// larger than the 256 KiB an L2 block may hold: every panel of B is packed
// first, then each block of 128 of A's rows (128 x 512 floats) is packed
// tile by tile, [tiles][k][8], so that the kernel reads 8 contiguous floats
// per k instead of 8 floats 4 KiB apart. The blocks are independent
// iterations (a pack of their own), split over the threads.

func.func @tn_blocked(%a: memref<512x1024xf32>, %b: memref<512x64xf32>, %c: memref<1024x64xf32>) {
  linalg.matmul_transpose_a ins(%a, %b : memref<512x1024xf32>, memref<512x64xf32>) outs(%c : memref<1024x64xf32>)
  return
}

// CHECK-LABEL: func.func @tn_blocked(
// CHECK-SAME:      %[[A:[^:]*]]: memref<512x1024xf32>, %[[B:[^:]*]]: memref<512x64xf32>, %[[C:[^:]*]]: memref<1024x64xf32>)
// CHECK:         %[[BPACK:.*]] = memref.alloc() : memref<2x512x32xf32>
// CHECK:         } {kiln.parallel}
// CHECK:         %[[APACK:.*]] = memref.alloc() : memref<8x16x512x8xf32>
// CHECK:         scf.for %[[BLOCK:.*]] = %{{.*}} to %{{.*}} step
// CHECK:           scf.for %[[T:.*]] = %{{.*}} to %{{.*}} step
// CHECK:             scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step
// CHECK-NEXT:          %[[PIECE:.*]] = vector.transfer_read %[[A]][%[[K]], %{{.*}}], %{{.*}} {in_bounds = [true]} : memref<512x1024xf32>, vector<8xf32>
// CHECK-NEXT:          vector.transfer_write %[[PIECE]], %[[APACK]][%[[BLOCK]], %[[T]], %[[K]], %{{.*}}] {{.*}} : vector<8xf32>, memref<8x16x512x8xf32>
// The kernel: the C tile held in registers across k, A read from the pack.
// CHECK:             %[[ACC0:.*]] = vector.transfer_read %[[C]]{{.*}} : memref<1024x64xf32>, vector<8x32xf32>
// CHECK-NEXT:        scf.for %{{.*}} iter_args(%{{.*}} = %[[ACC0]]) -> (vector<8x32xf32>) {
// CHECK-NEXT:          vector.transfer_read %[[APACK]]{{.*}} : memref<8x16x512x8xf32>, vector<1x8xf32>
// CHECK-NEXT:          vector.transfer_read %[[BPACK]]
// CHECK-COUNT-16:      vector.fma
// CHECK:             vector.transfer_write %{{.*}}, %[[C]]{{.*}} : vector<8x32xf32>, memref<1024x64xf32>
// CHECK:       } {kiln.parallel}

// Where it must not fire: an A that fits the block (64 x 256 floats, 64
// KiB), a product whose A is read as stored (x W: its rows are contiguous
// already), and rows that are no multiple of the tile's.

func.func @tn_fits(%a: memref<64x256xf32>, %b: memref<64x64xf32>, %c: memref<256x64xf32>) {
  linalg.matmul_transpose_a ins(%a, %b : memref<64x256xf32>, memref<64x64xf32>) outs(%c : memref<256x64xf32>)
  return
}
// CHECK-LABEL: func.func @tn_fits(
// CHECK-NOT:     memref.alloc() : memref<{{[0-9]+}}x{{[0-9]+}}x{{[0-9]+}}x8xf32>
// CHECK:         return

func.func @nn_large(%a: memref<1024x512xf32>, %b: memref<512x64xf32>, %c: memref<1024x64xf32>) {
  linalg.matmul ins(%a, %b : memref<1024x512xf32>, memref<512x64xf32>) outs(%c : memref<1024x64xf32>)
  return
}
// CHECK-LABEL: func.func @nn_large(
// CHECK-NOT:     memref.alloc() : memref<{{[0-9]+}}x{{[0-9]+}}x{{[0-9]+}}x8xf32>
// CHECK:         return

func.func @tn_odd_rows(%a: memref<512x1020xf32>, %b: memref<512x64xf32>, %c: memref<1020x64xf32>) {
  linalg.matmul_transpose_a ins(%a, %b : memref<512x1020xf32>, memref<512x64xf32>) outs(%c : memref<1020x64xf32>)
  return
}
// CHECK-LABEL: func.func @tn_odd_rows(
// CHECK-NOT:     memref.alloc() : memref<{{[0-9]+}}x{{[0-9]+}}x{{[0-9]+}}x8xf32>
// CHECK:         return
