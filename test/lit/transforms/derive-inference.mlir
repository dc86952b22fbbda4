// RUN: kiln-opt %s -split-input-file -nn-derive-inference | FileCheck %s

// nn-derive-inference clones @forward(x, y, step, seed) -> mean(loss) into
// @eval_step(x, y) -> (per-sample losses, output) and @predict(x) -> output,
// both in inference mode. @forward itself is left for autodiff.

// Dropout disappears, batch norm reads its running statistics (training =
// false) and the stores of the new statistics are gone, so that the new
// statistics are never computed. Cross-entropy's output is the softmax of the
// logits. step and seed (only read by dropout) and, in predict, the target are
// dropped from the signatures.

nn.state @w : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @g : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<ones>}
nn.state @b : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @rm : tensor<3xf32> {role = #nn.role<running_mean>, init = #nn.init<zeros>}
nn.state @rv : tensor<3xf32> {role = #nn.role<running_var>, init = #nn.init<ones>}
func.func @forward(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %w = nn.load @w : tensor<3x4xf32>
  %h = nn.dense %x, %w : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %d = nn.dropout %h, %seed, %step {p = 0.5 : f64, stream = 0 : i32} : tensor<8x3xf32>
  %g = nn.load @g : tensor<3xf32>
  %b = nn.load @b : tensor<3xf32>
  %rm = nn.load @rm : tensor<3xf32>
  %rv = nn.load @rv : tensor<3xf32>
  %n:3 = nn.batch_norm %d, %g, %b, %rm, %rv {eps = 1.0e-5 : f64, momentum = 0.1 : f64, training = true}
      : (tensor<8x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<8x3xf32>, tensor<3xf32>, tensor<3xf32>)
  nn.store %n#1, @rm : tensor<3xf32>
  nn.store %n#2, @rv : tensor<3xf32>
  %l = nn.cross_entropy %n#0, %y : (tensor<8x3xf32>, tensor<8xf32>) -> tensor<8xf32>
  %m = nn.mean %l : tensor<8xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// @forward is kept as it was, in training mode.
// CHECK-LABEL: func.func @forward(
// CHECK-SAME:      tensor<8x4xf32>, %{{.*}}: tensor<8xf32>, %{{.*}}: i64, %{{.*}}: i64) -> tensor<f32>
// CHECK:         nn.dropout
// CHECK:         nn.batch_norm {{.*}}training = true
// CHECK-COUNT-2: nn.store
// CHECK:         nn.mean

// CHECK-LABEL: func.func @predict(
// CHECK-SAME:      %[[X:.*]]: tensor<8x4xf32>) -> tensor<8x3xf32>
// CHECK-NOT:     nn.dropout
// CHECK:         %[[W:.*]] = nn.load @w
// CHECK:         %[[H:.*]] = nn.dense %[[X]], %[[W]]
// CHECK:         %[[RM:.*]] = nn.load @rm
// CHECK:         %[[RV:.*]] = nn.load @rv
// CHECK:         %[[N:.*]], %{{.*}}, %{{.*}} = nn.batch_norm %[[H]], %{{.*}}, %{{.*}}, %[[RM]], %[[RV]] {{.*}}training = false
// CHECK-NOT:     nn.store
// CHECK-NOT:     nn.cross_entropy
// CHECK:         %[[P:.*]] = nn.softmax %[[N]] : tensor<8x3xf32>
// CHECK-NOT:     nn.mean
// CHECK:         return %[[P]] : tensor<8x3xf32>

// CHECK-LABEL: func.func @eval_step(
// CHECK-SAME:      %[[X:.*]]: tensor<8x4xf32>, %[[Y:.*]]: tensor<8xf32>) -> (tensor<8xf32>, tensor<8x3xf32>)
// CHECK-NOT:     nn.dropout
// CHECK:         %[[H:.*]] = nn.dense %[[X]]
// CHECK:         %[[N:.*]], %{{.*}}, %{{.*}} = nn.batch_norm %[[H]], {{.*}}training = false
// CHECK-NOT:     nn.store
// CHECK:         %[[L:.*]] = nn.cross_entropy %[[N]], %[[Y]]
// CHECK:         %[[P:.*]] = nn.softmax %[[N]]
// CHECK-NOT:     nn.mean
// CHECK:         return %[[L]], %[[P]] : tensor<8xf32>, tensor<8x3xf32>

// -----

// bce from logits: the output is the probability, sigmoid of the logits.

nn.state @w : tensor<1x4xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<8x4xf32>, %y: tensor<8x1xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %w = nn.load @w : tensor<1x4xf32>
  %h = nn.dense %x, %w : (tensor<8x4xf32>, tensor<1x4xf32>) -> tensor<8x1xf32>
  %l = nn.bce %h, %y {from_logits = true} : (tensor<8x1xf32>, tensor<8x1xf32>) -> tensor<8xf32>
  %m = nn.mean %l : tensor<8xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// CHECK-LABEL: func.func @predict(
// CHECK-SAME:      %{{.*}}: tensor<8x4xf32>) -> tensor<8x1xf32>
// CHECK:         %[[H:.*]] = nn.dense
// CHECK-NOT:     nn.bce
// CHECK:         %[[P:.*]] = nn.sigmoid %[[H]] : tensor<8x1xf32>
// CHECK:         return %[[P]]
// CHECK-LABEL: func.func @eval_step(
// CHECK-SAME:      -> (tensor<8xf32>, tensor<8x1xf32>)
// CHECK:         %[[H:.*]] = nn.dense
// CHECK:         %[[L:.*]] = nn.bce %[[H]], %{{.*}} {from_logits = true}
// CHECK:         %[[P:.*]] = nn.sigmoid %[[H]]
// CHECK:         return %[[L]], %[[P]]

// -----

// bce on probabilities: the prediction already is the output; no second
// sigmoid is added.

nn.state @w : tensor<1x4xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<8x4xf32>, %y: tensor<8x1xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %w = nn.load @w : tensor<1x4xf32>
  %h = nn.dense %x, %w : (tensor<8x4xf32>, tensor<1x4xf32>) -> tensor<8x1xf32>
  %p = nn.sigmoid %h : tensor<8x1xf32>
  %l = nn.bce %p, %y : (tensor<8x1xf32>, tensor<8x1xf32>) -> tensor<8xf32>
  %m = nn.mean %l : tensor<8xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// CHECK-LABEL: func.func @predict(
// CHECK:         %[[P:.*]] = nn.sigmoid
// CHECK-NOT:     nn.sigmoid
// CHECK:         return %[[P]] : tensor<8x1xf32>
// CHECK-LABEL: func.func @eval_step(
// CHECK:         %[[P:.*]] = nn.sigmoid
// CHECK:         %[[L:.*]] = nn.bce %[[P]]
// CHECK-NOT:     nn.sigmoid
// CHECK:         return %[[L]], %[[P]]

// -----

// Regression losses: the output is the prediction itself. Here it is the
// input, so predict is the identity.

func.func @forward(%x: tensor<8x4xf32>, %y: tensor<8x4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %l = nn.huber %x, %y {delta = 2.0 : f64} : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<8xf32>
  %m = nn.mean %l : tensor<8xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// CHECK-LABEL: func.func @predict(
// CHECK-SAME:      %[[X:.*]]: tensor<8x4xf32>) -> tensor<8x4xf32>
// CHECK-NEXT:    return %[[X]] : tensor<8x4xf32>
// CHECK-LABEL: func.func @eval_step(
// CHECK-SAME:      %[[X:.*]]: tensor<8x4xf32>, %[[Y:.*]]: tensor<8x4xf32>) -> (tensor<8xf32>, tensor<8x4xf32>)
// CHECK-NEXT:    %[[L:.*]] = nn.huber %[[X]], %[[Y]] {delta = 2.000000e+00 : f64}
// CHECK-NEXT:    return %[[L]], %[[X]]

// -----

// mse, and an output that does not read x: predict still takes x (the first
// argument is never dropped, the C ABI always passes it).

nn.state @c : tensor<2xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<8x4xf32>, %y: tensor<8x2xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %c = nn.load @c : tensor<2xf32>
  %p = nn.broadcast_to %c : tensor<2xf32> -> tensor<8x2xf32>
  %l = nn.mse %p, %y : (tensor<8x2xf32>, tensor<8x2xf32>) -> tensor<8xf32>
  %m = nn.mean %l : tensor<8xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// CHECK-LABEL: func.func @predict(
// CHECK-SAME:      %{{.*}}: tensor<8x4xf32>) -> tensor<8x2xf32>
// CHECK:         %[[P:.*]] = nn.broadcast_to
// CHECK-NEXT:    return %[[P]]
// CHECK-LABEL: func.func @eval_step(
// CHECK-SAME:      %{{.*}}: tensor<8x4xf32>, %[[Y:.*]]: tensor<8x2xf32>) -> (tensor<8xf32>, tensor<8x2xf32>)
// CHECK:         %[[P:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[L:.*]] = nn.mse %[[P]], %[[Y]]
// CHECK-NEXT:    return %[[L]], %[[P]]

// -----

// mae: identity output as well.

func.func @forward(%x: tensor<8x4xf32>, %y: tensor<8x4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %e = nn.exp %x : tensor<8x4xf32>
  %l = nn.mae %e, %y : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<8xf32>
  %m = nn.mean %l : tensor<8xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// CHECK-LABEL: func.func @predict(
// CHECK:         %[[E:.*]] = nn.exp
// CHECK-NEXT:    return %[[E]] : tensor<8x4xf32>
// CHECK-LABEL: func.func @eval_step(
// CHECK:         %[[E:.*]] = nn.exp
// CHECK-NEXT:    %[[L:.*]] = nn.mae %[[E]]
// CHECK-NEXT:    return %[[L]], %[[E]]

// -----

// A dropout that feeds another dropout, and the step and seed used only by
// them: both dropouts go, and so do step and seed.

func.func @forward(%x: tensor<8x4xf32>, %y: tensor<8x4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.dropout %x, %seed, %step {p = 0.5 : f64, stream = 0 : i32} : tensor<8x4xf32>
  %b = nn.dropout %a, %seed, %step {p = 0.25 : f64, stream = 1 : i32} : tensor<8x4xf32>
  %t = nn.tanh %b : tensor<8x4xf32>
  %l = nn.mse %t, %y : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<8xf32>
  %m = nn.mean %l : tensor<8xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// CHECK-LABEL: func.func @predict(
// CHECK-SAME:      %[[X:.*]]: tensor<8x4xf32>) -> tensor<8x4xf32>
// CHECK-NEXT:    %[[T:.*]] = nn.tanh %[[X]]
// CHECK-NEXT:    return %[[T]]
// CHECK-LABEL: func.func @eval_step(
// CHECK-SAME:      %[[X:.*]]: tensor<8x4xf32>, %{{.*}}: tensor<8x4xf32>) -> (tensor<8xf32>, tensor<8x4xf32>)
// CHECK-NEXT:    %[[T:.*]] = nn.tanh %[[X]]
// CHECK-NOT:     nn.dropout
// CHECK:         return
