// RUN: kiln-opt %s -split-input-file -nn-autodiff | FileCheck %s

// The derivative rules of nn.dense and nn.matmul (each transpose
// combination). Each @forward returns the mean of the op's result, so the
// result's gradient is 1/n broadcast: the %DY below.

nn.state @x : tensor<8x4xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @w : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @b : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%in: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %x = nn.load @x : tensor<8x4xf32>
  %w = nn.load @w : tensor<3x4xf32>
  %b = nn.load @b : tensor<3xf32>
  %h = nn.dense %x, %w, %b : (tensor<8x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  %m = nn.mean %h : tensor<8x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// y = x W^T + b: dx = dy W, dW = dy^T x ([out, in] like W), db = dy summed
// over the batch.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      -> (tensor<f32>, tensor<8x4xf32> {nn.grad_of = @x}, tensor<3x4xf32> {nn.grad_of = @w}, tensor<3xf32> {nn.grad_of = @b})
// CHECK:         %[[X:.*]] = nn.load @x
// CHECK:         %[[W:.*]] = nn.load @w
// CHECK:         %[[Y:.*]] = nn.dense
// CHECK:         %[[L:.*]] = nn.mean %[[Y]]
// CHECK:         %[[DY:.*]] = nn.broadcast_to %{{.*}} : tensor<f32> -> tensor<8x3xf32>
// CHECK:         %[[DX:.*]] = nn.matmul %[[DY]], %[[W]] : (tensor<8x3xf32>, tensor<3x4xf32>) -> tensor<8x4xf32>
// CHECK:         %[[DW:.*]] = nn.matmul %[[DY]], %[[X]] {transpose_lhs = true} : (tensor<8x3xf32>, tensor<8x4xf32>) -> tensor<3x4xf32>
// CHECK:         %[[DB:.*]] = nn.sum_to %[[DY]] : tensor<8x3xf32> -> tensor<3xf32>
// CHECK:         return %[[L]], %[[DX]], %[[DW]], %[[DB]]

// -----

nn.state @w : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %w = nn.load @w : tensor<3x4xf32>
  %h = nn.dense %x, %w : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %m = nn.mean %h : tensor<8x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// Without a bias, and with x an input: only dW is built.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<8x4xf32>
// CHECK-SAME:      -> (tensor<f32>, tensor<3x4xf32> {nn.grad_of = @w})
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DW:.*]] = nn.matmul %[[DY]], %[[X]] {transpose_lhs = true}
// CHECK-NEXT:    return %{{.*}}, %[[DW]]

// -----

nn.state @a : tensor<5x4xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @b : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<5x4xf32>
  %b = nn.load @b : tensor<4x3xf32>
  %c = nn.matmul %a, %b : (tensor<5x4xf32>, tensor<4x3xf32>) -> tensor<5x3xf32>
  %m = nn.mean %c : tensor<5x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// C = A B: dA = dC B^T, dB = A^T dC.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[A:.*]] = nn.load @a
// CHECK:         %[[B:.*]] = nn.load @b
// CHECK:         %[[DC:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DA:.*]] = nn.matmul %[[DC]], %[[B]] {transpose_rhs = true} : (tensor<5x3xf32>, tensor<4x3xf32>) -> tensor<5x4xf32>
// CHECK-NEXT:    %[[DB:.*]] = nn.matmul %[[A]], %[[DC]] {transpose_lhs = true} : (tensor<5x4xf32>, tensor<5x3xf32>) -> tensor<4x3xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DA]], %[[DB]]

// -----

nn.state @a : tensor<4x5xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @b : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x5xf32>
  %b = nn.load @b : tensor<4x3xf32>
  %c = nn.matmul %a, %b {transpose_lhs = true} : (tensor<4x5xf32>, tensor<4x3xf32>) -> tensor<5x3xf32>
  %m = nn.mean %c : tensor<5x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// C = A^T B with A stored [K, M]: dA = B dC^T, dB = A dC.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[A:.*]] = nn.load @a
// CHECK:         %[[B:.*]] = nn.load @b
// CHECK:         %[[DC:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DA:.*]] = nn.matmul %[[B]], %[[DC]] {transpose_rhs = true} : (tensor<4x3xf32>, tensor<5x3xf32>) -> tensor<4x5xf32>
// CHECK-NEXT:    %[[DB:.*]] = nn.matmul %[[A]], %[[DC]] : (tensor<4x5xf32>, tensor<5x3xf32>) -> tensor<4x3xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DA]], %[[DB]]

// -----

nn.state @a : tensor<5x4xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @b : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<5x4xf32>
  %b = nn.load @b : tensor<3x4xf32>
  %c = nn.matmul %a, %b {transpose_rhs = true} : (tensor<5x4xf32>, tensor<3x4xf32>) -> tensor<5x3xf32>
  %m = nn.mean %c : tensor<5x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// C = A B^T with B stored [N, K]: dA = dC B, dB = dC^T A.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[A:.*]] = nn.load @a
// CHECK:         %[[B:.*]] = nn.load @b
// CHECK:         %[[DC:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DA:.*]] = nn.matmul %[[DC]], %[[B]] : (tensor<5x3xf32>, tensor<3x4xf32>) -> tensor<5x4xf32>
// CHECK-NEXT:    %[[DB:.*]] = nn.matmul %[[DC]], %[[A]] {transpose_lhs = true} : (tensor<5x3xf32>, tensor<5x4xf32>) -> tensor<3x4xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DA]], %[[DB]]

// -----

nn.state @a : tensor<4x5xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @b : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x5xf32>
  %b = nn.load @b : tensor<3x4xf32>
  %c = nn.matmul %a, %b {transpose_lhs = true, transpose_rhs = true} : (tensor<4x5xf32>, tensor<3x4xf32>) -> tensor<5x3xf32>
  %m = nn.mean %c : tensor<5x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// C = A^T B^T: dA = B^T dC^T, dB = dC^T A^T.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[A:.*]] = nn.load @a
// CHECK:         %[[B:.*]] = nn.load @b
// CHECK:         %[[DC:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DA:.*]] = nn.matmul %[[B]], %[[DC]] {transpose_lhs = true, transpose_rhs = true} : (tensor<3x4xf32>, tensor<5x3xf32>) -> tensor<4x5xf32>
// CHECK-NEXT:    %[[DB:.*]] = nn.matmul %[[DC]], %[[A]] {transpose_lhs = true, transpose_rhs = true} : (tensor<5x3xf32>, tensor<4x5xf32>) -> tensor<3x4xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DA]], %[[DB]]
