// RUN: kiln-opt %s -split-input-file -verify-diagnostics

func.func @dense_weight_mismatch(%x: tensor<4x3xf32>, %w: tensor<2x5xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{weight [2, 5] does not take 3 inputs}}
  %0 = nn.dense %x, %w : (tensor<4x3xf32>, tensor<2x5xf32>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

// A transposed weight is [in, out].
func.func @dense_transposed_weight_mismatch(%x: tensor<4x3xf32>, %w: tensor<2x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{weight [2, 3] does not take 3 inputs}}
  %0 = nn.dense %x, %w {transposed_weight} : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @transpose_shape(%w: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{expects a result of shape [3, 2], got [2, 3]}}
  %0 = nn.transpose %w : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @dense_bias_mismatch(%x: tensor<4x3xf32>, %w: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{expects a bias of shape [2], got [3]}}
  %0 = nn.dense %x, %w, %b : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @dense_rank(%x: tensor<3xf32>, %w: tensor<2x3xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{expects an input of rank 2, got [3]}}
  %0 = nn.dense %x, %w : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @matmul_contraction(%a: tensor<4x3xf32>, %b: tensor<4x2xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{contracts 3 with 4 elements}}
  %0 = nn.matmul %a, %b : (tensor<4x3xf32>, tensor<4x2xf32>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @matmul_transposed(%a: tensor<4x3xf32>, %b: tensor<4x2xf32>) -> tensor<3x2xf32> {
  // A transposed lhs contracts over its rows: [3, 4] x [4, 2].
  %0 = nn.matmul %a, %b {transpose_lhs = true} : (tensor<4x3xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @broadcast_mismatch(%a: tensor<4x3xf32>, %b: tensor<2xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{cannot broadcast [4, 3] with [2]}}
  %0 = nn.add %a, %b : (tensor<4x3xf32>, tensor<2xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @broadcast_result(%a: tensor<4x3xf32>, %b: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{expects a result of shape [4, 3], got [3]}}
  %0 = nn.mul %a, %b : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @dropout_p(%x: tensor<4x3xf32>, %s: i64) -> tensor<4x3xf32> {
  // expected-error @+1 {{expects p in [0, 1), got 1}}
  %0 = nn.dropout %x, %s, %s {p = 1.0 : f64, stream = 0 : i32} : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @batch_norm_gamma(%x: tensor<4x3xf32>, %g: tensor<2xf32>, %v: tensor<3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{expects a gamma of shape [3], got [2]}}
  %0:3 = nn.batch_norm %x, %g, %v, %v, %v {eps = 1.0e-5 : f64, momentum = 0.1 : f64, training = true}
      : (tensor<4x3xf32>, tensor<2xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %0#0 : tensor<4x3xf32>
}

// -----

func.func @batch_norm_momentum(%x: tensor<4x3xf32>, %v: tensor<3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{expects momentum in [0, 1], got 1.5}}
  %0:3 = nn.batch_norm %x, %v, %v, %v, %v {eps = 1.0e-5 : f64, momentum = 1.5 : f64, training = true}
      : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %0#0 : tensor<4x3xf32>
}

// -----

func.func @layer_norm_eps(%x: tensor<4x3xf32>, %v: tensor<3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{expects eps > 0, got 0}}
  %0 = nn.layer_norm %x, %v, %v {eps = 0.0 : f64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @cross_entropy_labels(%x: tensor<4x3xf32>, %y: tensor<4x3xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{expects labels of shape [4], got [4, 3]}}
  %0 = nn.cross_entropy %x, %y : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @mse_target(%x: tensor<4x3xf32>, %y: tensor<4x2xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{expects a target of shape [4, 3], got [4, 2]}}
  %0 = nn.mse %x, %y : (tensor<4x3xf32>, tensor<4x2xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @huber_delta(%x: tensor<4x3xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{expects delta > 0}}
  %0 = nn.huber %x, %x {delta = 0.0 : f64} : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @sum_to(%x: tensor<4x3xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{[2] does not broadcast to [4, 3]}}
  %0 = nn.sum_to %x : tensor<4x3xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @unknown_state() -> tensor<3xf32> {
  // expected-error @+1 {{refers to unknown state @missing}}
  %0 = nn.load @missing : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

nn.state @w : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @load_type() -> tensor<4xf32> {
  // expected-error @+1 {{result type 'tensor<4xf32>' differs from the state's 'tensor<3xf32>'}}
  %0 = nn.load @w : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

nn.state @w : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @store_type(%v: tensor<2xf32>) {
  // expected-error @+1 {{stores 'tensor<2xf32>' into a state of type 'tensor<3xf32>'}}
  nn.store %v, @w : tensor<2xf32>
  return
}

// -----

func.func @dynamic_shape(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{must be statically shaped tensor of 32-bit float values}}
  %0 = nn.relu %x : tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

func.func @activation_attr(%x: tensor<4x3xf32>, %w: tensor<2x3xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{leaky_relu's alpha must be >= 0, got -1}}
  %0 = nn.dense %x, %w {activation = #nn.act<leaky_relu, -1.0>} : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @elu_attr(%x: tensor<4x3xf32>, %w: tensor<2x3xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{elu's alpha must be >= 0, got -2}}
  %0 = nn.dense %x, %w {activation = #nn.act<elu, -2.0>} : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @elu_op(%x: tensor<4x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{'nn.elu' op expects alpha >= 0}}
  %0 = nn.elu %x {alpha = -2.0 : f64} : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @unknown_activation(%x: tensor<4x3xf32>, %w: tensor<2x3xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{unknown activation 'rleu'}}
  %0 = nn.dense %x, %w {activation = #nn.act<rleu>} : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @softmax_scalar(%x: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{needs a tensor of rank 1 or more}}
  %y = nn.softmax %x : tensor<f32>
  return %y : tensor<f32>
}

// -----

func.func @softmax_grad_scalar(%y: tensor<f32>, %dy: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{needs a tensor of rank 1 or more}}
  %g = nn.softmax_grad %y, %dy : tensor<f32>
  return %g : tensor<f32>
}
