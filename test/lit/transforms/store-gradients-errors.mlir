// RUN: kiln-opt %s -split-input-file -nn-store-gradients -verify-diagnostics

// nn-store-gradients (and nn-build-apply-update, which reads the same
// results) refuse a module without @train_step and a result that is no
// gradient of a declared parameter.

// expected-error @+1 {{no @train_step whose gradients to store}}
module {
  func.func @forward(%x: tensor<2x3xf32>) -> tensor<f32> {
    %l = nn.mean %x : tensor<2x3xf32> -> tensor<f32>
    return %l : tensor<f32>
  }
}

// -----

nn.state @w : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
// expected-error @+1 {{result 1 is no gradient of a declared parameter}}
func.func @train_step(%x: tensor<2x3xf32>) -> (tensor<f32>, tensor<3xf32> {nn.grad_of = @v}) {
  %l = nn.mean %x : tensor<2x3xf32> -> tensor<f32>
  %w = nn.load @w : tensor<3xf32>
  return %l, %w : tensor<f32>, tensor<3xf32>
}
