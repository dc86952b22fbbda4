// RUN: kiln-opt %s -pass-pipeline='builtin.module(func.func(kiln-vectorize-elementwise))' | FileCheck %s

// kiln-vectorize-elementwise: each linalg.generic and linalg.fill on buffers
// is tiled 1 x ... x lanes (8 by default) along its last dimension, the
// remainder peeled, and each tile vectorized.

#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @add(%a: memref<4x20xf32>, %b: memref<20xf32>, %c: memref<4x20xf32>) {
  linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%a, %b : memref<4x20xf32>, memref<20xf32>) outs(%c : memref<4x20xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  }
  return
}
func.func @rowsum(%a: memref<4x20xf32>, %c: memref<4xf32>) {
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%a : memref<4x20xf32>) outs(%c : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %x, %o : f32
    linalg.yield %s : f32
  }
  return
}
func.func @rowmax(%a: memref<4x16xf32>, %c: memref<4xf32>) {
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%a : memref<4x16xf32>) outs(%c : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %m = arith.maximumf %x, %o : f32
    linalg.yield %m : f32
  }
  return
}
// A loop that also writes elsewhere: its accumulator stays in memory.
func.func @other_write(%a: memref<16xf32>, %acc: memref<1xf32>, %d: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %pad = arith.constant 0.0 : f32
  scf.for %j = %c0 to %c16 step %c8 {
    %v = vector.transfer_read %a[%j], %pad {in_bounds = [true]} : memref<16xf32>, vector<8xf32>
    %r = vector.transfer_read %acc[%c0], %pad {in_bounds = [true]} : memref<1xf32>, vector<1xf32>
    %e = vector.extract %r[0] : f32 from vector<1xf32>
    %s = vector.reduction <add>, %v, %e : vector<8xf32> into f32
    %w = vector.broadcast %s : f32 to vector<1xf32>
    vector.transfer_write %w, %acc[%c0] {in_bounds = [true]} : vector<1xf32>, memref<1xf32>
    vector.transfer_write %v, %d[%j] {in_bounds = [true]} : vector<8xf32>, memref<16xf32>
  }
  return
}
// A reduction whose kind has no identity to start lanes from.
func.func @and_reduction(%a: memref<16xi32>, %acc: memref<1xi32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %pad = arith.constant 0 : i32
  scf.for %j = %c0 to %c16 step %c8 {
    %v = vector.transfer_read %a[%j], %pad {in_bounds = [true]} : memref<16xi32>, vector<8xi32>
    %r = vector.transfer_read %acc[%c0], %pad {in_bounds = [true]} : memref<1xi32>, vector<1xi32>
    %e = vector.extract %r[0] : i32 from vector<1xi32>
    %s = vector.reduction <and>, %v, %e : vector<8xi32> into i32
    %w = vector.broadcast %s : i32 to vector<1xi32>
    vector.transfer_write %w, %acc[%c0] {in_bounds = [true]} : vector<1xi32>, memref<1xi32>
  }
  return
}
func.func @fill(%c: memref<4x20xf32>) {
  %z = arith.constant 0.0 : f32
  linalg.fill ins(%z : f32) outs(%c : memref<4x20xf32>)
  return
}
func.func @tensor(%a: tensor<4x20xf32>) -> tensor<4x20xf32> {
  %z = arith.constant 0.0 : f32
  %0 = linalg.fill ins(%z : f32) outs(%a : tensor<4x20xf32>) -> tensor<4x20xf32>
  return %0 : tensor<4x20xf32>
}

// 20 columns = 2 x 8 + 4: a loop of 8-wide tiles, then a 4-wide one; the
// bias [20] is read 8 at a time and broadcast over the row.
// CHECK-LABEL: func.func @add(
// CHECK-SAME:      %[[A:[^:]*]]: memref<4x20xf32>, %[[B:[^:]*]]: memref<20xf32>, %[[C:[^:]*]]: memref<4x20xf32>)
// CHECK-NOT:     linalg.generic
// CHECK-DAG:     %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG:     %[[C16:.*]] = arith.constant 16 : index
// CHECK:         scf.for %[[I:.*]] =
// CHECK:           scf.for %[[J:.*]] = %{{.*}} to %[[C16]] step %[[C8]] {
// CHECK:             %[[SA:.*]] = memref.subview %[[A]][%[[I]], %[[J]]] [1, 8] [1, 1]
// CHECK:             %[[SB:.*]] = memref.subview %[[B]][%[[J]]] [8] [1]
// CHECK:             %[[SC:.*]] = memref.subview %[[C]][%[[I]], %[[J]]] [1, 8] [1, 1]
// CHECK:             %[[VA:.*]] = vector.transfer_read %[[SA]]{{.*}} vector<1x8xf32>
// CHECK:             %[[VB:.*]] = vector.transfer_read %[[SB]]{{.*}} vector<8xf32>
// CHECK:             %[[BB:.*]] = vector.broadcast %[[VB]] : vector<8xf32> to vector<1x8xf32>
// CHECK:             %[[S:.*]] = arith.addf %[[VA]], %[[BB]] : vector<1x8xf32>
// CHECK:             vector.transfer_write %[[S]], %[[SC]]
// CHECK:           }
// CHECK:           memref.subview %[[A]][%[[I]], 16] [1, 4] [1, 1]
// CHECK:           arith.addf %{{.*}}, %{{.*}} : vector<1x4xf32>
// CHECK:           vector.transfer_write

// A row reduction: 8 lanes accumulate in a register across the row's
// vectors, and are folded into the row's scalar once, after the loop; the
// 4-wide remainder then folds into it as before.
// CHECK-LABEL: func.func @rowsum(
// CHECK-NOT:     linalg.generic
// CHECK:         %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<8xf32>
// CHECK:         scf.for %[[I:[^ ]*]] =
// CHECK:           %[[OUT:.*]] = memref.subview %{{.*}}[%[[I]]] [1] [1]
// CHECK:           %[[SUM:.*]] = scf.for {{.*}} iter_args(%[[LANES:.*]] = %[[ZERO]]) -> (vector<8xf32>) {
// CHECK:             %[[V:.*]] = vector.transfer_read {{.*}} vector<1x8xf32>
// CHECK-NOT:         memref<1xf32
// CHECK:             %[[ROW:.*]] = vector.extract %[[V]][0] : vector<8xf32> from vector<1x8xf32>
// CHECK-NEXT:        %[[NEXT:.*]] = arith.addf %[[ROW]], %[[LANES]] : vector<8xf32>
// CHECK-NEXT:        scf.yield %[[NEXT]]
// CHECK:           %[[ACC:.*]] = vector.transfer_read %[[OUT]]{{.*}} vector<1xf32>
// CHECK:           %[[A0:.*]] = vector.extract %[[ACC]][0] : f32 from vector<1xf32>
// CHECK:           vector.reduction <add>, %[[SUM]], %[[A0]] : vector<8xf32> into f32
// CHECK:           vector.transfer_write {{.*}}, %[[OUT]]
// CHECK:           vector.reduction <add>, %{{.*}} : vector<4xf32> into f32

// CHECK-LABEL: func.func @rowmax(
// CHECK:         arith.constant dense<0xFF800000> : vector<8xf32>
// CHECK:         scf.for
// CHECK:           arith.maximumf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK:         vector.reduction <maximumf>

// CHECK-LABEL: func.func @other_write(
// CHECK:         scf.for
// CHECK-NOT:       iter_args
// CHECK:           vector.reduction <add>
// CHECK:           vector.transfer_write
// CHECK:           vector.transfer_write
// CHECK-LABEL: func.func @and_reduction(
// CHECK:         scf.for
// CHECK-NOT:       iter_args
// CHECK:           vector.reduction <and>
// CHECK:           vector.transfer_write

// A fill: vector stores of zeros, 8 then 4.
// CHECK-LABEL: func.func @fill(
// CHECK-NOT:     linalg.fill
// CHECK:         vector.transfer_write %{{.*}} : vector<1x8xf32>
// CHECK:         vector.transfer_write %{{.*}} : vector<1x4xf32>

// Tensors are left alone (the pass runs after bufferization).
// CHECK-LABEL: func.func @tensor(
// CHECK:         linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<4x20xf32>)
