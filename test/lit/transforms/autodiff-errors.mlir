// RUN: kiln-opt %s -split-input-file -nn-autodiff -verify-diagnostics

// What autodiff refuses, each with a diagnostic: no @forward, a non-scalar
// loss, an op without a derivative rule between a parameter and the loss
// (here a tensor arith op, and a gradient op), a dense layer whose activation
// was fused before differentiation, batch norm in inference mode, and a
// parameter loaded twice (its gradient would be split across the loads).

// expected-error @+1 {{no @forward function to differentiate}}
module {
}

// -----

// expected-error @+1 {{@forward must return one scalar loss}}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<4xf32> {
  return %y : tensor<4xf32>
}

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  // expected-error @+1 {{'arith.addf' op lies between a parameter and the loss but has no derivative rule}}
  %s = arith.addf %a, %x : tensor<4x3xf32>
  %m = nn.mean %s : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  // expected-error @+1 {{'nn.activation_grad' op lies between a parameter and the loss but has no derivative rule}}
  %g = nn.activation_grad %a, %x {activation = #nn.act<relu>} : tensor<4x3xf32>
  %m = nn.mean %g : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// -----

nn.state @w : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %w = nn.load @w : tensor<3x4xf32>
  // expected-error @+1 {{'nn.dense' op with a fused activation has no derivative rule; differentiate before fusing}}
  %h = nn.dense %x, %w {activation = #nn.act<relu>} : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %l = nn.cross_entropy %h, %y : (tensor<8x3xf32>, tensor<8xf32>) -> tensor<8xf32>
  %m = nn.mean %l : tensor<8xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// -----

nn.state @g : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<ones>}
nn.state @rm : tensor<3xf32> {role = #nn.role<running_mean>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %g = nn.load @g : tensor<3xf32>
  %rm = nn.load @rm : tensor<3xf32>
  // expected-error @+1 {{'nn.batch_norm' op in inference mode is not differentiated; training graphs use batch statistics}}
  %n:3 = nn.batch_norm %x, %g, %g, %rm, %rm {eps = 1.0e-3 : f64, momentum = 0.1 : f64, training = false}
      : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  %m = nn.mean %n#0 : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  // expected-error @+1 {{'nn.load' op reads a parameter that is already loaded}}
  %b = nn.load @a : tensor<4x3xf32>
  %s = nn.add %a, %b : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  %m = nn.mean %s : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}
