// RUN: kiln-opt %s -split-input-file -nn-autodiff | FileCheck %s

// Every activation differentiates to one nn.activation_grad carrying the
// activation as #nn.act (with its parameter), and softmax to
// nn.softmax_grad. The formulas of act' live in the lowering (see
// conversion/nn-to-linalg-activations.mlir).

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %c = nn.sigmoid %a : tensor<4x3xf32>
  %m = nn.mean %c : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// sigmoid: dx = activation_grad(y, dy), read at the output y = sigmoid(x): its derivative is a function of y.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[A:.*]] = nn.load @a
// CHECK:         %[[Y:.*]] = nn.sigmoid %[[A]]
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DA:.*]] = nn.activation_grad %[[Y]], %[[DY]] {activation = #nn.act<sigmoid>, from_output = true} : tensor<4x3xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DA]]

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %c = nn.tanh %a : tensor<4x3xf32>
  %m = nn.mean %c : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// tanh: dx = activation_grad(y, dy), read at the output y = tanh(x): its derivative is a function of y.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[A:.*]] = nn.load @a
// CHECK:         %[[Y:.*]] = nn.tanh %[[A]]
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DA:.*]] = nn.activation_grad %[[Y]], %[[DY]] {activation = #nn.act<tanh>, from_output = true} : tensor<4x3xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DA]]

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %c = nn.relu %a : tensor<4x3xf32>
  %m = nn.mean %c : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// relu: dx = activation_grad(y, dy), read at the output y = relu(x): its derivative is a function of y.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[A:.*]] = nn.load @a
// CHECK:         %[[Y:.*]] = nn.relu %[[A]]
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DA:.*]] = nn.activation_grad %[[Y]], %[[DY]] {activation = #nn.act<relu>, from_output = true} : tensor<4x3xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DA]]

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %c = nn.leaky_relu %a {alpha = 0.2 : f64} : tensor<4x3xf32>
  %m = nn.mean %c : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// leaky_relu keeps its alpha: dx = activation_grad(x, dy), read at the input x.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[A:.*]] = nn.load @a
// CHECK:         %[[Y:.*]] = nn.leaky_relu %[[A]]
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DA:.*]] = nn.activation_grad %[[Y]], %[[DY]] {activation = #nn.act<leaky_relu, 2.000000e-01>, from_output = true} : tensor<4x3xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DA]]

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %c = nn.elu %a {alpha = 0.5 : f64} : tensor<4x3xf32>
  %m = nn.mean %c : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// elu too differentiates from its output (alpha e^x = y + alpha below 0).
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[A:.*]] = nn.load @a
// CHECK:         %[[Y:.*]] = nn.elu %[[A]]
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DA:.*]] = nn.activation_grad %[[Y]], %[[DY]] {activation = #nn.act<elu, 5.000000e-01>, from_output = true} : tensor<4x3xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DA]]

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %c = nn.gelu %a : tensor<4x3xf32>
  %m = nn.mean %c : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// exact gelu: dx = activation_grad(x, dy), read at the input x.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[A:.*]] = nn.load @a
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DA:.*]] = nn.activation_grad %[[A]], %[[DY]] {activation = #nn.act<gelu>} : tensor<4x3xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DA]]

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %c = nn.gelu %a {approximate = true} : tensor<4x3xf32>
  %m = nn.mean %c : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// gelu {approximate = true} is x sigmoid(1.702 x): gelu_sigmoid: dx = activation_grad(x, dy), read at the input x.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[A:.*]] = nn.load @a
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DA:.*]] = nn.activation_grad %[[A]], %[[DY]] {activation = #nn.act<gelu_sigmoid>} : tensor<4x3xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DA]]

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %c = nn.softplus %a {beta = 2.0 : f64} : tensor<4x3xf32>
  %m = nn.mean %c : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// softplus keeps its beta: dx = activation_grad(x, dy), read at the input x.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[A:.*]] = nn.load @a
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DA:.*]] = nn.activation_grad %[[A]], %[[DY]] {activation = #nn.act<softplus, 2.000000e+00>} : tensor<4x3xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DA]]

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %c = nn.swish %a {beta = 1.5 : f64} : tensor<4x3xf32>
  %m = nn.mean %c : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// swish keeps its beta: dx = activation_grad(x, dy), read at the input x.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[A:.*]] = nn.load @a
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DA:.*]] = nn.activation_grad %[[A]], %[[DY]] {activation = #nn.act<swish, 1.500000e+00>} : tensor<4x3xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DA]]

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %c = nn.softmax %a : tensor<4x3xf32>
  %m = nn.mean %c : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// softmax: softmax_grad reads the forward output y, not the input.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[Y:.*]] = nn.softmax
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DA:.*]] = nn.softmax_grad %[[Y]], %[[DY]] : tensor<4x3xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DA]]
