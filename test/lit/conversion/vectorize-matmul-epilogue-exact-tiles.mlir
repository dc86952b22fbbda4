// RUN: kiln-opt %s -pass-pipeline='builtin.module(func.func(kiln-vectorize-matmul{lanes=32}))' | FileCheck %s
// (lanes=32: each 32-float row of a tile stays one vector op, as the checks
// read it; vectorize-matmul-few-rows.mlir has the split into registers.)
// When a tiled dimension is an exact multiple of the tile (here M = 16 rows,
// two 8-row tiles; likewise a batch of 12 or 24 with the AVX2 tile of 6
// rows), no loop is peeled; the epilogue's tile must still get a static
// shape (it once stayed min(8, 16 - m), a dynamically shaped scalar
// linalg.generic that read the product back from memory).

#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>

// Expected as for 20 rows (vectorize-matmul-epilogue.mlir): the epilogue on
// the accumulator, vectorized, right after the k loop, one store per tile.
func.func @dense_relu(%a: memref<16x5xf32>, %b: memref<5x64xf32>, %bias: memref<64xf32>, %c: memref<16x64xf32>) {
  linalg.matmul ins(%a, %b : memref<16x5xf32>, memref<5x64xf32>) outs(%c : memref<16x64xf32>)
  linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%c, %bias : memref<16x64xf32>, memref<64xf32>) outs(%c : memref<16x64xf32>) {
  ^bb0(%p: f32, %bi: f32, %o: f32):
    %s = arith.addf %p, %bi : f32
    %z = arith.constant 0.0 : f32
    %r = arith.maximumf %s, %z : f32
    linalg.yield %r : f32
  }
  return
}
// CHECK-LABEL: func.func @dense_relu(
// CHECK-SAME:      %{{[^:]*}}: memref<16x5xf32>, %{{[^:]*}}: memref<5x64xf32>, %[[BIAS:[^:]*]]: memref<64xf32>, %[[C:[^:]*]]: memref<16x64xf32>)
// CHECK-NOT:     affine.min
// CHECK-NOT:     linalg.generic
// CHECK:         scf.for %[[M:.*]] = {{.*}} {
// CHECK:           %[[ACC:.*]] = scf.for {{.*}} -> (vector<8x32xf32>) {
// CHECK:             scf.yield
// CHECK-NEXT:      }
// CHECK:           %[[S:.*]] = arith.addf %[[ACC]], %{{.*}} : vector<8x32xf32>
// CHECK-NEXT:      %[[R:.*]] = arith.maximumf %[[S]], %{{.*}} : vector<8x32xf32>
// CHECK-NEXT:      vector.transfer_write %[[R]], %[[C]][%{{.*}}, %{{.*}}] {{.*}} : vector<8x32xf32>, memref<16x64xf32>
// CHECK-NOT:     linalg.generic
// CHECK:         return

// Not packed (8 rows), 64 columns: two exact 32-wide tiles.
func.func @grad_tanh(%a: memref<8x3xf32>, %b: memref<3x64xf32>, %z: memref<8x64xf32>, %c: memref<8x64xf32>) {
  linalg.matmul ins(%a, %b : memref<8x3xf32>, memref<3x64xf32>) outs(%c : memref<8x64xf32>)
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%c, %z : memref<8x64xf32>, memref<8x64xf32>) outs(%c : memref<8x64xf32>) {
  ^bb0(%p: f32, %zi: f32, %o: f32):
    %one = arith.constant 1.0 : f32
    %y2 = arith.mulf %zi, %zi : f32
    %d = arith.subf %one, %y2 : f32
    %r = arith.mulf %p, %d : f32
    linalg.yield %r : f32
  }
  return
}
// CHECK-LABEL: func.func @grad_tanh(
// CHECK-NOT:     affine.min
// CHECK-NOT:     linalg.generic
// CHECK:         %[[ACC:.*]] = scf.for {{.*}} -> (vector<8x32xf32>) {
// CHECK:           scf.yield
// CHECK-NEXT:    }
// CHECK-NEXT:    %[[ZT:.*]] = vector.transfer_read %{{.*}} : memref<8x64xf32>, vector<8x32xf32>
// CHECK-NEXT:    %[[Z2:.*]] = arith.mulf %[[ZT]], %[[ZT]] : vector<8x32xf32>
// CHECK-NEXT:    %[[D:.*]] = arith.subf %{{.*}}, %[[Z2]] : vector<8x32xf32>
// CHECK-NEXT:    arith.mulf %[[ACC]], %[[D]] : vector<8x32xf32>
// CHECK-NOT:     linalg.generic
// CHECK:         return
