// RUN: kiln-opt %s -split-input-file -nn-lower-optimizer -verify-diagnostics

// What nn-lower-optimizer refuses: no @train_step, a missing nn.model (a
// malformed one does not parse: dialect/model-invalid.mlir), a train_step
// of the wrong signature (e.g. already lowered, with its epoch), a result
// that is not a gradient, and a gradient of an unknown or unloaded
// parameter.

// expected-error @+1 {{no @train_step to lower the optimizer into}}
module attributes {nn.model = #nn.model<"m", optimizer = <adam>, schedule = <constant>>} {
  func.func @forward(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64) -> tensor<f32> {
    %l = arith.constant dense<1.0> : tensor<f32>
    return %l : tensor<f32>
  }
}

// -----

// expected-error @+1 {{module has no 'nn.model' attribute}}
module {
  func.func @train_step(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64) -> tensor<f32> {
    %l = arith.constant dense<1.0> : tensor<f32>
    return %l : tensor<f32>
  }
}

// -----

module attributes {nn.model = #nn.model<"m", optimizer = <adam>, schedule = <constant>>} {
  // expected-error @+1 {{@train_step must take (x, y, step, seed) and return the loss first}}
  func.func @train_step(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %epoch: i64, %seed: i64) -> tensor<f32> {
    %l = arith.constant dense<1.0> : tensor<f32>
    return %l : tensor<f32>
  }
}

// -----

module attributes {nn.model = #nn.model<"m", optimizer = <adam>, schedule = <constant>>} {
  nn.state @w : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
  // expected-error @+1 {{result 1 is no gradient}}
  func.func @train_step(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64) -> (tensor<f32>, tensor<3xf32>) {
    %l = arith.constant dense<1.0> : tensor<f32>
    %w = nn.load @w : tensor<3xf32>
    return %l, %w : tensor<f32>, tensor<3xf32>
  }
}

// -----

module attributes {nn.model = #nn.model<"m", optimizer = <adam>, schedule = <constant>>} {
  nn.state @w : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
  // expected-error @+1 {{gradient of unknown parameter @v}}
  func.func @train_step(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64) -> (tensor<f32>, tensor<3xf32> {nn.grad_of = @v}) {
    %l = arith.constant dense<1.0> : tensor<f32>
    %w = nn.load @w : tensor<3xf32>
    return %l, %w : tensor<f32>, tensor<3xf32>
  }
}

// -----

// A gradient of a parameter that train_step does not load: there is no w to
// update from.
module attributes {nn.model = #nn.model<"m", optimizer = <adam>, schedule = <constant>>} {
  nn.state @w : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
  // expected-error @+1 {{gradient of unknown parameter @w}}
  func.func @train_step(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64) -> (tensor<f32>, tensor<3xf32> {nn.grad_of = @w}) {
    %l = arith.constant dense<1.0> : tensor<f32>
    %g = arith.constant dense<1.0> : tensor<3xf32>
    return %l, %g : tensor<f32>, tensor<3xf32>
  }
}
