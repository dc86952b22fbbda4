// RUN: kiln-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(kiln-forward-copies))' | FileCheck %s

// A result computed in a temporary and copied out is computed where it is
// copied to, when that changes nothing that is computed.

// The output is untouched while the temporary lives: every op works on it
// directly (the product and its epilogue in the caller's buffer).
// CHECK-LABEL: func.func @whole
// CHECK-SAME:    (%{{.*}}: memref<4x8xf32>, %{{.*}}: memref<8x2xf32>, %[[OUT:.*]]: memref<4x2xf32>)
// CHECK:         linalg.fill {{.*}} outs(%[[OUT]]
// CHECK:         linalg.matmul {{.*}} outs(%[[OUT]]
// CHECK:         linalg.generic {{.*}} ins(%[[OUT]] : {{.*}} outs(%[[OUT]]
// CHECK-NOT:     memref.copy
#id = affine_map<(i, j) -> (i, j)>
func.func @whole(%x: memref<4x8xf32>, %w: memref<8x2xf32>, %out: memref<4x2xf32>) {
  %zero = arith.constant 0.0 : f32
  %tmp = memref.alloc() : memref<4x2xf32>
  linalg.fill ins(%zero : f32) outs(%tmp : memref<4x2xf32>)
  linalg.matmul ins(%x, %w : memref<4x8xf32>, memref<8x2xf32>) outs(%tmp : memref<4x2xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%tmp : memref<4x2xf32>) outs(%tmp : memref<4x2xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  }
  memref.copy %tmp, %out : memref<4x2xf32> to memref<4x2xf32>
  return
}

// -----

// An optimizer's update of a state slot: the new moment reads the old one
// element by element; it is written in place, and the temporary keeps only
// the gradient.
// CHECK-LABEL: func.func @in_place_update
// CHECK:         %[[V:.*]] = memref.reinterpret_cast %arg0 to offset: [0]
// CHECK:         %[[W:.*]] = memref.reinterpret_cast %arg0 to offset: [8]
// CHECK:         %[[G:.*]] = memref.alloc
// CHECK:         linalg.generic {{.*}} ins(%[[V]], %[[G]] : {{.*}} outs(%[[V]] :
// CHECK:         linalg.generic {{.*}} ins(%[[W]], %[[V]] : {{.*}} outs(%[[W]] :
// CHECK-NOT:     memref.copy
#map = affine_map<(i) -> (i)>
func.func @in_place_update(%state: memref<16xf32>, %g: memref<8xf32>) {
  %v = memref.reinterpret_cast %state to offset: [0], sizes: [8], strides: [1] : memref<16xf32> to memref<8xf32, strided<[1]>>
  %w = memref.reinterpret_cast %state to offset: [8], sizes: [8], strides: [1] : memref<16xf32> to memref<8xf32, strided<[1], offset: 8>>
  %tmp = memref.alloc() : memref<8xf32>
  memref.copy %g, %tmp : memref<8xf32> to memref<8xf32>
  %nw = memref.alloc() : memref<8xf32>
  linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel"]} ins(%v, %tmp : memref<8xf32, strided<[1]>>, memref<8xf32>) outs(%tmp : memref<8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel"]} ins(%w, %tmp : memref<8xf32, strided<[1], offset: 8>>, memref<8xf32>) outs(%nw : memref<8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.subf %a, %b : f32
    linalg.yield %r : f32
  }
  memref.copy %tmp, %v : memref<8xf32> to memref<8xf32, strided<[1]>>
  memref.copy %nw, %w : memref<8xf32> to memref<8xf32, strided<[1], offset: 8>>
  return
}

// -----

// Must not fire: the target's old value is read after the writer (by the
// second generic), or read transposed by the writer itself.
// CHECK-LABEL: func.func @old_value_read
// CHECK-COUNT-2: memref.copy
#id = affine_map<(i, j) -> (i, j)>
#t = affine_map<(i, j) -> (j, i)>
func.func @old_value_read(%a: memref<4x4xf32>, %b: memref<4x4xf32>, %c: memref<4x4xf32>) {
  %tmp = memref.alloc() : memref<4x4xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%a : memref<4x4xf32>) outs(%tmp : memref<4x4xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%b : memref<4x4xf32>) outs(%c : memref<4x4xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }
  memref.copy %tmp, %b : memref<4x4xf32> to memref<4x4xf32>
  %tmp2 = memref.alloc() : memref<4x4xf32>
  linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]} ins(%a : memref<4x4xf32>) outs(%tmp2 : memref<4x4xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }
  linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]} ins(%a : memref<4x4xf32>) outs(%tmp2 : memref<4x4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.addf %x, %o : f32
    linalg.yield %y : f32
  }
  memref.copy %tmp2, %a : memref<4x4xf32> to memref<4x4xf32>
  return
}

// -----

// Must not fire: the temporary is read after the copy; the target's old
// value is read while the temporary lives, and the temporary's last writer
// reduces into it.
// CHECK-LABEL: func.func @still_needed
// CHECK-COUNT-2: memref.copy
#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>
#vec = affine_map<(i) -> (i)>
func.func @still_needed(%a: memref<4x4xf32>, %b: memref<4x4xf32>, %r: memref<4xf32>, %s: memref<4xf32>) {
  %tmp = memref.alloc() : memref<4x4xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%a : memref<4x4xf32>) outs(%tmp : memref<4x4xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }
  memref.copy %tmp, %b : memref<4x4xf32> to memref<4x4xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%tmp : memref<4x4xf32>) outs(%a : memref<4x4xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }
  %sum = memref.alloc() : memref<4xf32>
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%sum : memref<4xf32>)
  linalg.generic {indexing_maps = [#vec, #vec], iterator_types = ["parallel"]} ins(%r : memref<4xf32>) outs(%s : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%a : memref<4x4xf32>) outs(%sum : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.addf %x, %o : f32
    linalg.yield %y : f32
  }
  memref.copy %sum, %r : memref<4xf32> to memref<4xf32>
  return
}
