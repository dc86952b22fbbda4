// RUN: kiln-opt %s -split-input-file -nn-shard-forward=global-batch=3 -verify-diagnostics

// nn-shard-forward refuses a shard of more rows than its batch, and a
// module without @forward(x, y, step, seed) -> loss.

// expected-error @+1 {{a shard of 4 rows of a batch of global-batch = 3 rows}}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %l = nn.mean %x : tensor<4x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-error @+1 {{no @forward(x, y, step, seed) -> loss to shard}}
module {
  func.func @train_step(%x: tensor<2x3xf32>) -> tensor<f32> {
    %l = nn.mean %x : tensor<2x3xf32> -> tensor<f32>
    return %l : tensor<f32>
  }
}
