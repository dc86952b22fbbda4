// RUN: kiln-opt %s -split-input-file -nn-autodiff | FileCheck %s
// RUN: kiln-opt %s -split-input-file -nn-autodiff | FileCheck %s --check-prefix=MEAN

// Each loss differentiates to its *_grad op (prediction, target, gradient
// of the per-sample losses), and nn.mean to 1/n broadcast.

nn.state @p : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %p = nn.load @p : tensor<4x3xf32>
  %l = nn.cross_entropy %p, %y {label_smoothing = 0.1 : f64} : (tensor<4x3xf32>, tensor<4xf32>) -> tensor<4xf32>
  %m = nn.mean %l : tensor<4xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// The gradient of mean(l) is 1 * (1/n) broadcast back to l's shape (the
// MEAN checks); the loss's rule then gives the prediction's gradient, with
// the loss's attributes. The target gets none. cross_entropy keeps its label
// smoothing.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      %{{[^:]*}}: tensor<4x3xf32>, %[[Y:[^:]*]]: tensor<4xf32>
// CHECK-SAME:      -> (tensor<f32>, tensor<4x3xf32> {nn.grad_of = @p})
// CHECK:         %[[P:.*]] = nn.load @p
// CHECK:         %[[DL:.*]] = nn.broadcast_to %{{.*}} : tensor<f32> -> tensor<4xf32>
// CHECK-NEXT:    %[[DP:.*]] = nn.cross_entropy_grad %[[P]], %[[Y]], %[[DL]] {label_smoothing = 1.000000e-01 : f64} : (tensor<4x3xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4x3xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DP]]
// MEAN-LABEL: func.func @train_step(
// MEAN:         %[[L:.*]] = nn.cross_entropy
// MEAN-NEXT:    %[[M:.*]] = nn.mean %[[L]]
// MEAN-NEXT:    %[[ONE:.*]] = arith.constant dense<1.000000e+00> : tensor<f32>
// MEAN-NEXT:    %[[INV:.*]] = arith.constant dense<2.500000e-01> : tensor<f32>
// MEAN-NEXT:    %[[S:.*]] = nn.mul %[[ONE]], %[[INV]] : (tensor<f32>, tensor<f32>) -> tensor<f32>
// MEAN-NEXT:    nn.broadcast_to %[[S]] : tensor<f32> -> tensor<4xf32>

// -----

nn.state @p : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4x3xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %p = nn.load @p : tensor<4x3xf32>
  %l = nn.bce %p, %y : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4xf32>
  %m = nn.mean %l : tensor<4xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// bce on probabilities.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      %{{[^:]*}}: tensor<4x3xf32>, %[[Y:[^:]*]]: tensor<4x3xf32>
// CHECK-SAME:      -> (tensor<f32>, tensor<4x3xf32> {nn.grad_of = @p})
// CHECK:         %[[P:.*]] = nn.load @p
// CHECK:         %[[DL:.*]] = nn.broadcast_to %{{.*}} : tensor<f32> -> tensor<4xf32>
// CHECK-NEXT:    %[[DP:.*]] = nn.bce_grad %[[P]], %[[Y]], %[[DL]] : (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<4x3xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DP]]

// -----

nn.state @p : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4x3xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %p = nn.load @p : tensor<4x3xf32>
  %l = nn.bce %p, %y {from_logits = true} : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4xf32>
  %m = nn.mean %l : tensor<4xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// bce from logits keeps from_logits.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      %{{[^:]*}}: tensor<4x3xf32>, %[[Y:[^:]*]]: tensor<4x3xf32>
// CHECK-SAME:      -> (tensor<f32>, tensor<4x3xf32> {nn.grad_of = @p})
// CHECK:         %[[P:.*]] = nn.load @p
// CHECK:         %[[DL:.*]] = nn.broadcast_to %{{.*}} : tensor<f32> -> tensor<4xf32>
// CHECK-NEXT:    %[[DP:.*]] = nn.bce_grad %[[P]], %[[Y]], %[[DL]] {from_logits = true} : (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<4x3xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DP]]

// -----

nn.state @p : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4x3xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %p = nn.load @p : tensor<4x3xf32>
  %l = nn.mse %p, %y : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4xf32>
  %m = nn.mean %l : tensor<4xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// mse.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      %{{[^:]*}}: tensor<4x3xf32>, %[[Y:[^:]*]]: tensor<4x3xf32>
// CHECK-SAME:      -> (tensor<f32>, tensor<4x3xf32> {nn.grad_of = @p})
// CHECK:         %[[P:.*]] = nn.load @p
// CHECK:         %[[DL:.*]] = nn.broadcast_to %{{.*}} : tensor<f32> -> tensor<4xf32>
// CHECK-NEXT:    %[[DP:.*]] = nn.mse_grad %[[P]], %[[Y]], %[[DL]] : (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<4x3xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DP]]

// -----

nn.state @p : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4x3xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %p = nn.load @p : tensor<4x3xf32>
  %l = nn.mae %p, %y : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4xf32>
  %m = nn.mean %l : tensor<4xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// mae.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      %{{[^:]*}}: tensor<4x3xf32>, %[[Y:[^:]*]]: tensor<4x3xf32>
// CHECK-SAME:      -> (tensor<f32>, tensor<4x3xf32> {nn.grad_of = @p})
// CHECK:         %[[P:.*]] = nn.load @p
// CHECK:         %[[DL:.*]] = nn.broadcast_to %{{.*}} : tensor<f32> -> tensor<4xf32>
// CHECK-NEXT:    %[[DP:.*]] = nn.mae_grad %[[P]], %[[Y]], %[[DL]] : (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<4x3xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DP]]

// -----

nn.state @p : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4x3xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %p = nn.load @p : tensor<4x3xf32>
  %l = nn.huber %p, %y {delta = 0.5 : f64} : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4xf32>
  %m = nn.mean %l : tensor<4xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// huber keeps its delta.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      %{{[^:]*}}: tensor<4x3xf32>, %[[Y:[^:]*]]: tensor<4x3xf32>
// CHECK-SAME:      -> (tensor<f32>, tensor<4x3xf32> {nn.grad_of = @p})
// CHECK:         %[[P:.*]] = nn.load @p
// CHECK:         %[[DL:.*]] = nn.broadcast_to %{{.*}} : tensor<f32> -> tensor<4xf32>
// CHECK-NEXT:    %[[DP:.*]] = nn.huber_grad %[[P]], %[[Y]], %[[DL]] {delta = 5.000000e-01 : f64} : (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<4x3xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DP]]
