// RUN: kiln-opt %s -pass-pipeline='builtin.module(func.func(kiln-vectorize-elementwise,kiln-vectorize-matmul))' | FileCheck %s

// The kernel generators mark the loops that iterate over independent
// outputs (kiln.parallel), for kiln-parallelize-loops to split: never a
// loop over a reduction, nor one nested in it.

#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>
#col = affine_map<(i, j) -> (j)>

// A column sum reduces over its outer loop: nothing is marked.
// CHECK-LABEL: func.func @colsum
// CHECK-NOT:     kiln.parallel
// CHECK:         return
func.func @colsum(%a: memref<64x16xf32>, %c: memref<16xf32>) {
  linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]} ins(%a : memref<64x16xf32>) outs(%c : memref<16xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  }
  return
}

// A packed matmul: the loop over column panels (each packs and writes its
// own) and the row-tile loop inside; the k loop, which carries the
// accumulator, is not.
// CHECK-LABEL: func.func @matmul
// CHECK:         memref.alloc() : memref<3x128x32xf32>
// CHECK:         scf.for %[[P:.*]] = %c0 to %c3 step %c1 {
// CHECK:           scf.for %[[M:.*]] = %c0 to %c64 step %c8 {
// CHECK:             scf.for {{.*}} iter_args
// CHECK:             }
// CHECK-NOT:         kiln.parallel
// CHECK:           } {kiln.parallel}
// CHECK:         } {kiln.parallel}
func.func @matmul(%a: memref<64x128xf32>, %b: memref<128x96xf32>, %c: memref<64x96xf32>) {
  linalg.matmul ins(%a, %b : memref<64x128xf32>, memref<128x96xf32>) outs(%c : memref<64x96xf32>)
  return
}

// Too few columns to pack: the row tiles are the outermost marked loop.
// CHECK-LABEL: func.func @matmul_few_columns
// CHECK:         scf.for {{.*}} = %c0 to %c64 step %c8 {
// CHECK:           scf.for {{.*}} iter_args
// CHECK:           }
// CHECK-NOT:       kiln.parallel
// CHECK:         } {kiln.parallel}
func.func @matmul_few_columns(%a: memref<64x128xf32>, %b: memref<128x10xf32>, %c: memref<64x10xf32>) {
  linalg.matmul ins(%a, %b : memref<64x128xf32>, memref<128x10xf32>) outs(%c : memref<64x10xf32>)
  return
}
