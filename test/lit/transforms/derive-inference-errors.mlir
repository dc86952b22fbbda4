// RUN: kiln-opt %s -split-input-file -nn-derive-inference -verify-diagnostics

// expected-error @+1 {{no @forward function to derive inference from}}
module {
  func.func @train_step(%x: tensor<8x4xf32>) -> tensor<8x4xf32> {
    return %x : tensor<8x4xf32>
  }
}

// -----

// The loss must be the mean of a loss op, or carry a prediction marker:
// here it is the mean of something computed from the per-sample losses.
// expected-error @+1 {{@forward must return the mean of per-sample losses, from a loss op or with one nn.prediction marking the prediction}}
func.func @forward(%x: tensor<8x4xf32>, %y: tensor<8x4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %l = nn.mae %x, %y : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<8xf32>
  %s = nn.sqrt %l : tensor<8xf32>
  %m = nn.mean %s : tensor<8xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// -----

// Not a mean at all.
// expected-error @+1 {{@forward must return the mean of per-sample losses, from a loss op or with one nn.prediction marking the prediction}}
func.func @forward(%x: tensor<8x4xf32>, %y: tensor<8x4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %c = arith.constant dense<1.0> : tensor<f32>
  return %c : tensor<f32>
}

// -----

// Two results.
// expected-error @+1 {{@forward must return the mean of per-sample losses, from a loss op or with one nn.prediction marking the prediction}}
func.func @forward(%x: tensor<8x4xf32>, %y: tensor<8x4xf32>, %step: i64, %seed: i64) -> (tensor<f32>, tensor<f32>) {
  %l = nn.mse %x, %y : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<8xf32>
  %m = nn.mean %l : tensor<8xf32> -> tensor<f32>
  return %m, %m : tensor<f32>, tensor<f32>
}

// -----

// A loss written as an expression needs exactly one marker: with two, the
// prediction is ambiguous.
// expected-error @+1 {{@forward must return the mean of per-sample losses, from a loss op or with one nn.prediction marking the prediction}}
func.func @forward(%x: tensor<8x4xf32>, %y: tensor<8x4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %p = nn.prediction %x : tensor<8x4xf32>
  %q = nn.prediction %p : tensor<8x4xf32>
  %d = nn.sub %q, %y : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<8x4xf32>
  %s = nn.sum_to %d : tensor<8x4xf32> -> tensor<8x1xf32>
  %r = nn.reshape %s : tensor<8x1xf32> -> tensor<8xf32>
  %m = nn.mean %r : tensor<8xf32> -> tensor<f32>
  return %m : tensor<f32>
}
