// RUN: kiln-opt %s -split-input-file -nn-autodiff | FileCheck %s

// The rules of sum_to and broadcast_to, and how the reverse sweep puts the
// rules together: accumulation of gradients, which values get one, and the
// results of @train_step.

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %s = nn.sum_to %a : tensor<4x3xf32> -> tensor<1x3xf32>
  %m = nn.mean %s : tensor<1x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// sum_to: its adjoint, broadcast_to back to the input's shape.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[DS:.*]] = nn.broadcast_to %{{.*}} : tensor<f32> -> tensor<1x3xf32>
// CHECK-NEXT:    %[[DA:.*]] = nn.broadcast_to %[[DS]] : tensor<1x3xf32> -> tensor<4x3xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DA]]

// -----

nn.state @a : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<3xf32>
  %s = nn.broadcast_to %a : tensor<3xf32> -> tensor<4x3xf32>
  %m = nn.mean %s : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// broadcast_to: its adjoint, sum_to back to the input's shape.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[DS:.*]] = nn.broadcast_to %{{.*}} : tensor<f32> -> tensor<4x3xf32>
// CHECK-NEXT:    %[[DA:.*]] = nn.sum_to %[[DS]] : tensor<4x3xf32> -> tensor<3xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DA]]

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %e = nn.exp %a : tensor<4x3xf32>
  %t = nn.tanh %a : tensor<4x3xf32>
  %s = nn.add %e, %t : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  %m = nn.mean %s : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// A value used twice gets the sum of its two contributions.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[A:.*]] = nn.load @a
// CHECK:         %[[E:.*]] = nn.exp %[[A]]
// CHECK:         %[[T:.*]] = nn.tanh %[[A]]
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[G1:.*]] = nn.activation_grad %[[T]], %[[DY]] {activation = #nn.act<tanh>, from_output = true}
// CHECK-NEXT:    %[[G2:.*]] = nn.mul %[[DY]], %[[E]]
// CHECK-NEXT:    %[[DA:.*]] = nn.add %[[G1]], %[[G2]] : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DA]]

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %s = nn.mul %a, %a : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  %m = nn.mean %s : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// Also when both uses are operands of one op: d(a a) = dy a + dy a.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[A:.*]] = nn.load @a
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[G1:.*]] = nn.mul %[[DY]], %[[A]]
// CHECK-NEXT:    %[[G2:.*]] = nn.mul %[[DY]], %[[A]]
// CHECK-NEXT:    %[[DA:.*]] = nn.add %[[G1]], %[[G2]]
// CHECK-NEXT:    return %{{.*}}, %[[DA]]

// -----

nn.state @w1 : tensor<5x4xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @w2 : tensor<3x5xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %w1 = nn.load @w1 : tensor<5x4xf32>
  %h = nn.dense %x, %w1 : (tensor<8x4xf32>, tensor<5x4xf32>) -> tensor<8x5xf32>
  %r = nn.relu %h : tensor<8x5xf32>
  %w2 = nn.load @w2 : tensor<3x5xf32>
  %o = nn.dense %r, %w2 : (tensor<8x5xf32>, tensor<3x5xf32>) -> tensor<8x3xf32>
  %l = nn.cross_entropy %o, %y : (tensor<8x3xf32>, tensor<8xf32>) -> tensor<8xf32>
  %m = nn.mean %l : tensor<8xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// Two layers: the first dense reads the input x, so its dx (dy W1) is not
// built, and the target gets no gradient either: three matmuls, not four.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<8x4xf32>, %[[Y:[^:]*]]: tensor<8xf32>
// CHECK-SAME:      -> (tensor<f32>, tensor<5x4xf32> {nn.grad_of = @w1}, tensor<3x5xf32> {nn.grad_of = @w2})
// CHECK:         %[[W1:.*]] = nn.load @w1
// CHECK:         %[[H:.*]] = nn.dense %[[X]], %[[W1]]
// CHECK:         %[[R:.*]] = nn.relu %[[H]]
// CHECK:         %[[W2:.*]] = nn.load @w2
// CHECK:         %[[O:.*]] = nn.dense %[[R]], %[[W2]]
// CHECK:         %[[DO:.*]] = nn.cross_entropy_grad %[[O]], %[[Y]]
// CHECK-NEXT:    %[[DR:.*]] = nn.matmul %[[DO]], %[[W2]] : (tensor<8x3xf32>, tensor<3x5xf32>) -> tensor<8x5xf32>
// CHECK-NEXT:    %[[DW2:.*]] = nn.matmul %[[DO]], %[[R]] {transpose_lhs = true}
// CHECK-NEXT:    %[[DH:.*]] = nn.activation_grad %[[R]], %[[DR]] {activation = #nn.act<relu>, from_output = true}
// CHECK-NEXT:    %[[DW1:.*]] = nn.matmul %[[DH]], %[[X]] {transpose_lhs = true} : (tensor<8x5xf32>, tensor<8x4xf32>) -> tensor<5x4xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DW1]], %[[DW2]]

// -----

nn.state @b : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @unused : tensor<7xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @dead : tensor<2xf32> {role = #nn.role<param>, init = #nn.init<ones>}
nn.state @side : tensor<4x3xf32> {role = #nn.role<optimizer>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %d = nn.load @dead : tensor<2xf32>
  %b = nn.load @b : tensor<3xf32>
  %k = nn.exp %a : tensor<4x3xf32>
  nn.store %k, @side : tensor<4x3xf32>
  %s = nn.add %a, %b : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %m = nn.mean %s : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// Gradients come in the order of the nn.state declarations (@b before @a),
// not of the loads. @dead is loaded but does not reach the loss: its
// gradient is zero. @unused is not read at all and gets no result. The
// exp of @a only feeds a store, not the loss: no gradient flows through it.
// Non-parameter states (@side) get none.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      -> (tensor<f32>, tensor<3xf32> {nn.grad_of = @b}, tensor<4x3xf32> {nn.grad_of = @a}, tensor<2xf32> {nn.grad_of = @dead})
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DB:.*]] = nn.sum_to %[[DY]] : tensor<4x3xf32> -> tensor<3xf32>
// CHECK-NEXT:    %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : tensor<2xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DB]], %[[DY]], %[[ZERO]] : tensor<f32>, tensor<3xf32>, tensor<4x3xf32>, tensor<2xf32>

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %x2 = arith.mulf %x, %x : tensor<4x3xf32>
  %s = nn.mul %a, %x2 : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  %m = nn.mean %s : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// An op without a derivative rule is fine off the path from the parameters
// to the loss: here it only reads the input.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[X2:.*]] = arith.mulf
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DA:.*]] = nn.mul %[[DY]], %[[X2]]
// CHECK-NEXT:    return %{{.*}}, %[[DA]]
