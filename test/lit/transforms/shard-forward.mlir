// RUN: kiln-opt %s -nn-shard-forward=global-batch=12 | FileCheck %s
// RUN: kiln-opt %s -nn-shard-forward=global-batch=4 | FileCheck %s --check-prefix=WHOLE

// nn-shard-forward: @forward on 4 rows as one shard of a batch of 12. The
// new last argument is the shard's first row, which every dropout takes as
// its row offset, and the loss (a mean over the shard) is scaled by 4/12.
// A "shard" that is the whole batch keeps its loss unscaled.

func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %d = nn.dropout %x, %seed, %step {p = 0.5 : f64, stream = 0 : i32} : tensor<4x3xf32>
  %l = nn.mean %d : tensor<4x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}
// CHECK-LABEL: func.func @forward(
// CHECK-SAME:      %{{.*}}: tensor<4x3xf32>, %{{.*}}: tensor<4xf32>, %[[STEP:.*]]: i64, %[[SEED:.*]]: i64, %[[ROW:.*]]: i64) -> tensor<f32>
// CHECK:         %[[D:.*]] = nn.dropout %{{.*}}, %[[SEED]], %[[STEP]] rows + %[[ROW]]
// CHECK:         %[[L:.*]] = nn.mean %[[D]]
// CHECK:         %[[SHARE:.*]] = arith.constant dense<0.333333343> : tensor<f32>
// CHECK:         %[[S:.*]] = nn.mul %[[L]], %[[SHARE]]
// CHECK:         return %[[S]] : tensor<f32>

// WHOLE-LABEL: func.func @forward(
// WHOLE-SAME:      %[[ROW:[^:]*]]: i64) -> tensor<f32>
// WHOLE:         nn.dropout {{.*}} rows + %[[ROW]]
// WHOLE-NOT:     nn.mul
// WHOLE:         return
