// RUN: kiln-opt %s -nn-derive-inference | FileCheck %s

// A loss written as an expression: no loss op, a mean of per-sample values
// and the prediction marked by nn.prediction. @eval_step returns the
// per-sample values and the marked prediction as it is (no softmax or
// sigmoid: the expression defines no link function); @predict returns the
// prediction alone and drops the loss and the target; no function keeps a
// marker.

func.func @forward(%x: tensor<8x4xf32>, %y: tensor<8x3xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %w = nn.load @w : tensor<3x4xf32>
  %z = nn.dense %x, %w : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %p = nn.prediction %z : tensor<8x3xf32>
  %d = nn.sub %p, %y : (tensor<8x3xf32>, tensor<8x3xf32>) -> tensor<8x3xf32>
  %a = nn.abs %d : tensor<8x3xf32>
  %s = nn.sum_to %a : tensor<8x3xf32> -> tensor<8x1xf32>
  %r = nn.reshape %s : tensor<8x1xf32> -> tensor<8xf32>
  %m = nn.mean %r : tensor<8xf32> -> tensor<f32>
  return %m : tensor<f32>
}
nn.state @w : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<zeros>}

// CHECK-LABEL: func.func @forward(
// CHECK-NOT:     nn.prediction
// CHECK:         %[[Z:.*]] = nn.dense
// CHECK-NEXT:    nn.sub %[[Z]], %{{.*}}
// CHECK:         return

// CHECK-LABEL: func.func @predict(
// CHECK-SAME:      %{{[^:]*}}: tensor<8x4xf32>) -> tensor<8x3xf32>
// CHECK-NEXT:    %[[W:.*]] = nn.load @w
// CHECK-NEXT:    %[[Z:.*]] = nn.dense %{{.*}}, %[[W]]
// CHECK-NEXT:    return %[[Z]] : tensor<8x3xf32>

// CHECK-LABEL: func.func @eval_step(
// CHECK-SAME:      -> (tensor<8xf32>, tensor<8x3xf32>)
// CHECK-NOT:     nn.prediction
// CHECK:         %[[Z:.*]] = nn.dense
// CHECK-NEXT:    nn.sub %[[Z]], %{{.*}}
// CHECK:         %[[R:.*]] = nn.reshape
// CHECK-NEXT:    return %[[R]], %[[Z]] : tensor<8xf32>, tensor<8x3xf32>
