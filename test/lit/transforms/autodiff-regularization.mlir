// RUN: kiln-opt %s -split-input-file -nn-autodiff | FileCheck %s

// The derivative rules of dropout, batch norm and layer norm.

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %c = nn.dropout %a, %seed, %step {p = 0.25 : f64, stream = 3 : i32} : tensor<4x3xf32>
  %m = nn.mean %c : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// dropout: the gradient goes through the same mask and scale, so the rule
// is a dropout of dy with the same seed, step, p and stream.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      %{{[^:]*}}: tensor<4x3xf32>, %{{[^:]*}}: tensor<4xf32>, %[[STEP:[^:]*]]: i64, %[[SEED:[^:]*]]: i64)
// CHECK:         nn.dropout %{{.*}}, %[[SEED]], %[[STEP]] {p = 2.500000e-01 : f64, stream = 3 : i32}
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DA:.*]] = nn.dropout %[[DY]], %[[SEED]], %[[STEP]] {p = 2.500000e-01 : f64, stream = 3 : i32} : tensor<4x3xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DA]]

// -----

nn.state @g : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<ones>}
nn.state @b : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @rm : tensor<3xf32> {role = #nn.role<running_mean>, init = #nn.init<zeros>}
nn.state @rv : tensor<3xf32> {role = #nn.role<running_var>, init = #nn.init<ones>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %g = nn.load @g : tensor<3xf32>
  %b = nn.load @b : tensor<3xf32>
  %rm = nn.load @rm : tensor<3xf32>
  %rv = nn.load @rv : tensor<3xf32>
  %n:3 = nn.batch_norm %x, %g, %b, %rm, %rv {eps = 1.0e-3 : f64, momentum = 0.1 : f64, training = true}
      : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  nn.store %n#1, @rm : tensor<3xf32>
  nn.store %n#2, @rv : tensor<3xf32>
  %m = nn.mean %n#0 : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// batch norm in training mode: one batch_norm_grad (x, gamma, dy) with the
// forward eps. x is an input here, so only the gamma and beta gradients are
// returned; the running statistics are state but not parameters: they get
// no gradient, and their stores stay.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<4x3xf32>
// CHECK-SAME:      -> (tensor<f32>, tensor<3xf32> {nn.grad_of = @g}, tensor<3xf32> {nn.grad_of = @b})
// CHECK:         %[[G:.*]] = nn.load @g
// CHECK:         nn.batch_norm {{.*}}training = true
// CHECK:         nn.store %{{.*}}, @rm
// CHECK:         nn.store %{{.*}}, @rv
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %{{.*}}, %[[DG:.*]], %[[DB:.*]] = nn.batch_norm_grad %[[X]], %[[G]], %[[DY]] {eps = 1.000000e-03 : f64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
// CHECK-NEXT:    return %{{.*}}, %[[DG]], %[[DB]]

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @g : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<ones>}
nn.state @b : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @rm : tensor<3xf32> {role = #nn.role<running_mean>, init = #nn.init<zeros>}
nn.state @rv : tensor<3xf32> {role = #nn.role<running_var>, init = #nn.init<ones>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %g = nn.load @g : tensor<3xf32>
  %b = nn.load @b : tensor<3xf32>
  %rm = nn.load @rm : tensor<3xf32>
  %rv = nn.load @rv : tensor<3xf32>
  %n:3 = nn.batch_norm %a, %g, %b, %rm, %rv {eps = 1.0e-3 : f64, momentum = 0.1 : f64, training = true}
      : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  nn.store %n#1, @rm : tensor<3xf32>
  nn.store %n#2, @rv : tensor<3xf32>
  %m = nn.mean %n#0 : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// With x a parameter too, the input gradient is the first result.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      -> (tensor<f32>, tensor<4x3xf32> {nn.grad_of = @a}, tensor<3xf32> {nn.grad_of = @g}, tensor<3xf32> {nn.grad_of = @b})
// CHECK:         %[[A:.*]] = nn.load @a
// CHECK:         %[[G:.*]] = nn.load @g
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DX:.*]], %[[DG:.*]], %[[DB:.*]] = nn.batch_norm_grad %[[A]], %[[G]], %[[DY]]
// CHECK-NEXT:    return %{{.*}}, %[[DX]], %[[DG]], %[[DB]]

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @g : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<ones>}
nn.state @b : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %g = nn.load @g : tensor<3xf32>
  %b = nn.load @b : tensor<3xf32>
  %n = nn.layer_norm %a, %g, %b {eps = 1.0e-5 : f64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %m = nn.mean %n : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// layer norm: one layer_norm_grad with the forward eps.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[A:.*]] = nn.load @a
// CHECK:         %[[G:.*]] = nn.load @g
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DX:.*]], %[[DG:.*]], %[[DB:.*]] = nn.layer_norm_grad %[[A]], %[[G]], %[[DY]] {eps = 1.000000e-05 : f64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
// CHECK-NEXT:    return %{{.*}}, %[[DX]], %[[DG]], %[[DB]]
