// RUN: kiln-opt %s -pass-pipeline='builtin.module(func.func(kiln-vectorize-matmul{lanes=32}))' | FileCheck %s
// (lanes=32: each 32-float row of a tile stays one vector op, as the checks
// read it; vectorize-matmul-few-rows.mlir has the split into registers.)

// The elementwise kernel right after a matmul that reads its result (the
// bias + activation of a fused dense layer, the activation gradient of a
// matmul epilogue) is applied to each register tile inside the matmul's
// tile loop, right after the tile's k loop, on the accumulator itself:
// no separate pass over the result, and the product is never stored
// before the epilogue (when the epilogue writes back into C, as bufferized
// code does, the tile is stored once).

#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>

// A fused dense + relu, 20 x 64 (B packed in two 32-wide panels; two full
// 8-row tiles per panel, then a peeled 4-row one): per tile, the k loop,
// then + bias and max(., 0) on the loop's result, then one store.
func.func @dense_relu(%a: memref<20x5xf32>, %b: memref<5x64xf32>, %bias: memref<64xf32>, %c: memref<20x64xf32>) {
  linalg.matmul ins(%a, %b : memref<20x5xf32>, memref<5x64xf32>) outs(%c : memref<20x64xf32>)
  linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%c, %bias : memref<20x64xf32>, memref<64xf32>) outs(%c : memref<20x64xf32>) {
  ^bb0(%p: f32, %bi: f32, %o: f32):
    %s = arith.addf %p, %bi : f32
    %z = arith.constant 0.0 : f32
    %r = arith.maximumf %s, %z : f32
    linalg.yield %r : f32
  }
  return
}
// CHECK-LABEL: func.func @dense_relu(
// CHECK-SAME:      %{{[^:]*}}: memref<20x5xf32>, %{{[^:]*}}: memref<5x64xf32>, %[[BIAS:[^:]*]]: memref<64xf32>, %[[C:[^:]*]]: memref<20x64xf32>)
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<8x32xf32>
// CHECK-DAG:     %[[ZERO4:.*]] = arith.constant dense<0.000000e+00> : vector<4x32xf32>
// CHECK-NOT:     linalg.generic
// CHECK:         scf.for %[[P:.*]] = {{.*}} {
//                  The panel's bias, read once.
// CHECK:           vector.transfer_read %[[BIAS]][%[[COL:[0-9a-z_]+]]]{{.*}} : memref<64xf32>, vector<32xf32>
// CHECK:           scf.for %[[M:.*]] = {{.*}} {
// CHECK-NEXT:        %[[ACC0:.*]] = vector.transfer_read %[[C]][%[[M]], %[[COL]]]{{.*}} vector<8x32xf32>
// CHECK-NEXT:        %[[ACC:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[ACC0]]) -> (vector<8x32xf32>) {
// CHECK-COUNT-8:       vector.fma
// CHECK:               scf.yield
// CHECK-NEXT:        }
// CHECK-NOT:         vector.transfer_write
// CHECK-NEXT:        %[[S:.*]] = arith.addf %[[ACC]], %{{.*}} : vector<8x32xf32>
// CHECK-NEXT:        %[[R:.*]] = arith.maximumf %[[S]], %[[ZERO]] : vector<8x32xf32>
// CHECK-NEXT:        vector.transfer_write %[[R]], %[[C]][%[[M]], %[[COL]]] {{.*}} : vector<8x32xf32>, memref<20x64xf32>
// CHECK-NEXT:      }
//                  The peeled 4-row tile: the same, on vector<4x32xf32>.
// CHECK:           %[[ACC:.*]] = scf.for {{.*}} -> (vector<4x32xf32>) {
// CHECK:             scf.yield
// CHECK-NEXT:      }
// CHECK-NOT:       vector.transfer_write
// CHECK:           %[[S:.*]] = arith.addf %[[ACC]], %{{.*}} : vector<4x32xf32>
// CHECK-NEXT:      %[[R:.*]] = arith.maximumf %[[S]], %[[ZERO4]] : vector<4x32xf32>
// CHECK-NEXT:      vector.transfer_write %[[R]], %[[C]][%{{.*}}, %[[COL]]] {{.*}} : vector<4x32xf32>, memref<20x64xf32>
// CHECK-NEXT:    }
// CHECK-NOT:     linalg.generic
// CHECK:         return

// The activation gradient of a matmul epilogue, 12 x 40 (not packed: four
// static tiles, 8 + 4 rows by 32 + 8 columns): each tile reads its block of
// z and scales the accumulator by 1 - z^2.
func.func @grad_tanh(%a: memref<12x3xf32>, %b: memref<3x40xf32>, %z: memref<12x40xf32>, %c: memref<12x40xf32>) {
  linalg.matmul ins(%a, %b : memref<12x3xf32>, memref<3x40xf32>) outs(%c : memref<12x40xf32>)
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%c, %z : memref<12x40xf32>, memref<12x40xf32>) outs(%c : memref<12x40xf32>) {
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
// CHECK-SAME:      %{{[^:]*}}: memref<12x3xf32>, %{{[^:]*}}: memref<3x40xf32>, %[[Z:[^:]*]]: memref<12x40xf32>, %[[C:[^:]*]]: memref<12x40xf32>)
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG:     %[[C32:.*]] = arith.constant 32 : index
// CHECK-NOT:     linalg.generic
// CHECK:         %[[ACC:.*]] = scf.for {{.*}} -> (vector<8x32xf32>) {
// CHECK:           scf.yield
// CHECK-NEXT:    }
// CHECK-NEXT:    %[[ZT:.*]] = vector.transfer_read %[[Z]][%[[C0]], %[[C0]]]{{.*}} : memref<12x40xf32>, vector<8x32xf32>
// CHECK-NEXT:    %[[Z2:.*]] = arith.mulf %[[ZT]], %[[ZT]] : vector<8x32xf32>
// CHECK-NEXT:    %[[D:.*]] = arith.subf %{{.*}}, %[[Z2]] : vector<8x32xf32>
// CHECK-NEXT:    %[[G:.*]] = arith.mulf %[[ACC]], %[[D]] : vector<8x32xf32>
// CHECK-NEXT:    vector.transfer_write %[[G]], %[[C]][%[[C0]], %[[C0]]] {{.*}} : vector<8x32xf32>, memref<12x40xf32>
// CHECK:         %[[ACC:.*]] = scf.for {{.*}} -> (vector<8x8xf32>) {
// CHECK:           scf.yield
// CHECK-NEXT:    }
// CHECK-NEXT:    vector.transfer_read %[[Z]][%[[C0]], %[[C32]]]{{.*}} vector<8x8xf32>
// CHECK:         arith.mulf %[[ACC]], %{{.*}} : vector<8x8xf32>
// CHECK:         %[[ACC:.*]] = scf.for {{.*}} -> (vector<4x32xf32>) {
// CHECK:           scf.yield
// CHECK-NEXT:    }
// CHECK-NEXT:    vector.transfer_read %[[Z]][%[[C8]], %[[C0]]]{{.*}} vector<4x32xf32>
// CHECK:         arith.mulf %[[ACC]], %{{.*}} : vector<4x32xf32>
// CHECK:         %[[ACC:.*]] = scf.for {{.*}} -> (vector<4x8xf32>) {
// CHECK:           scf.yield
// CHECK-NEXT:    }
// CHECK-NEXT:    vector.transfer_read %[[Z]][%[[C8]], %[[C32]]]{{.*}} vector<4x8xf32>
// CHECK:         arith.mulf %[[ACC]], %{{.*}} : vector<4x8xf32>
// CHECK-NOT:     linalg.generic
// CHECK:         return

// Not moved: the product C is read again after the epilogue (which writes
// elsewhere), so it must be stored whole; the epilogue stays one pass after
// the matmul's loops.
func.func @product_read_later(%a: memref<12x3xf32>, %b: memref<3x40xf32>, %c: memref<12x40xf32>, %d: memref<12x40xf32>, %e: memref<12x40xf32>) {
  linalg.matmul ins(%a, %b : memref<12x3xf32>, memref<3x40xf32>) outs(%c : memref<12x40xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%c : memref<12x40xf32>) outs(%d : memref<12x40xf32>) {
  ^bb0(%p: f32, %o: f32):
    %t = math.tanh %p : f32
    linalg.yield %t : f32
  }
  linalg.copy ins(%c : memref<12x40xf32>) outs(%e : memref<12x40xf32>)
  return
}
// CHECK-LABEL: func.func @product_read_later(
// CHECK-SAME:      %{{[^:]*}}: memref<12x3xf32>, %{{[^:]*}}: memref<3x40xf32>, %[[C:[^:]*]]: memref<12x40xf32>, %[[D:[^:]*]]: memref<12x40xf32>,
// CHECK-NOT:     math.tanh
// CHECK-COUNT-4: vector.transfer_write %{{.*}}, %[[C]]
// CHECK-NOT:     kiln.epilogue
// CHECK:         linalg.generic {{.*}} ins(%[[C]] : memref<12x40xf32>) outs(%[[D]] : memref<12x40xf32>) {
// CHECK:           math.tanh
// CHECK:         linalg.copy

// Not moved: the epilogue writes into the matmul's own operand A, which the
// matmul still reads while tiles are computed.
func.func @writes_operand(%a: memref<12x40xf32>, %b: memref<40x40xf32>, %c: memref<12x40xf32>) {
  linalg.matmul ins(%a, %b : memref<12x40xf32>, memref<40x40xf32>) outs(%c : memref<12x40xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%c : memref<12x40xf32>) outs(%a : memref<12x40xf32>) {
  ^bb0(%p: f32, %o: f32):
    %t = math.tanh %p : f32
    linalg.yield %t : f32
  }
  return
}
// CHECK-LABEL: func.func @writes_operand(
// CHECK-SAME:      %[[A:[^:]*]]: memref<12x40xf32>, %{{[^:]*}}: memref<40x40xf32>, %[[C:[^:]*]]: memref<12x40xf32>)
// CHECK-NOT:     math.tanh
// CHECK-COUNT-4: vector.transfer_write %{{.*}}, %[[C]]
// CHECK-NOT:     kiln.epilogue
// CHECK:         linalg.generic {{.*}} ins(%[[C]] : memref<12x40xf32>) outs(%[[A]] : memref<12x40xf32>) {
// CHECK:           math.tanh
// CHECK:         return
