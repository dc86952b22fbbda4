// RUN: kiln-opt %s -split-input-file -nn-lower-optimizer | FileCheck %s

// nn-lower-optimizer: the learning rate of each schedule, computed in f64
// from the epoch argument that the pass inserts after step, and L2 weight
// decay present or absent.

module attributes {nn.model = #nn.model<"m", optimizer = <sgd, lr = 0.1>, schedule = <step_decay, gamma = 0.5, step_size = 10>, weight_decay = 0.0>} {
nn.state @w : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<he_uniform>, fan_in = 4 : i64, fan_out = 3 : i64}
nn.state @b : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @train_step(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64) -> (tensor<f32>, tensor<3x4xf32> {nn.grad_of = @w}, tensor<3xf32> {nn.grad_of = @b}) {
  %w = nn.load @w : tensor<3x4xf32>
  %b = nn.load @b : tensor<3xf32>
  %l = arith.constant dense<1.0> : tensor<f32>
  %gw = nn.neg %w : tensor<3x4xf32>
  %gb = nn.neg %b : tensor<3xf32>
  return %l, %gw, %gb : tensor<f32>, tensor<3x4xf32>, tensor<3xf32>
}
}

// step_decay: lr0 gamma^floor(epoch / step_size), the epoch being the new
// fourth argument; the division is an integer one.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      %{{[^:]*}}: i64, %[[EPOCH:[^:]*]]: i64, %{{[^:]*}}: i64) -> tensor<f32>
// CHECK:         %[[LR0:.*]] = arith.constant 1.000000e-01 : f64
// CHECK-NEXT:    %[[G:.*]] = arith.constant 5.000000e-01 : f64
// CHECK-NEXT:    %[[SS:.*]] = arith.constant 10 : i64
// CHECK-NEXT:    %[[Q:.*]] = arith.divsi %[[EPOCH]], %[[SS]] : i64
// CHECK-NEXT:    %[[QF:.*]] = arith.sitofp %[[Q]] : i64 to f64
// CHECK-NEXT:    %[[P:.*]] = math.powf %[[G]], %[[QF]] : f64
// CHECK-NEXT:    %[[LR:.*]] = arith.mulf %[[LR0]], %[[P]] : f64
// CHECK-NEXT:    %[[LR32:.*]] = arith.truncf %[[LR]] : f64 to f32
// CHECK-NEXT:    tensor.from_elements %[[LR32]] : tensor<f32>

// -----

module attributes {nn.model = #nn.model<"m", optimizer = <sgd, lr = 0.1>, schedule = <exponential_decay, gamma = 0.9>, weight_decay = 0.0>} {
nn.state @w : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<he_uniform>, fan_in = 4 : i64, fan_out = 3 : i64}
nn.state @b : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @train_step(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64) -> (tensor<f32>, tensor<3x4xf32> {nn.grad_of = @w}, tensor<3xf32> {nn.grad_of = @b}) {
  %w = nn.load @w : tensor<3x4xf32>
  %b = nn.load @b : tensor<3xf32>
  %l = arith.constant dense<1.0> : tensor<f32>
  %gw = nn.neg %w : tensor<3x4xf32>
  %gb = nn.neg %b : tensor<3xf32>
  return %l, %gw, %gb : tensor<f32>, tensor<3x4xf32>, tensor<3xf32>
}
}

// exponential_decay: lr0 gamma^epoch.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      %{{[^:]*}}: i64, %[[EPOCH:[^:]*]]: i64, %{{[^:]*}}: i64) -> tensor<f32>
// CHECK:         %[[LR0:.*]] = arith.constant 1.000000e-01 : f64
// CHECK-NEXT:    %[[G:.*]] = arith.constant 9.000000e-01 : f64
// CHECK-NEXT:    %[[E:.*]] = arith.sitofp %[[EPOCH]] : i64 to f64
// CHECK-NEXT:    %[[P:.*]] = math.powf %[[G]], %[[E]] : f64
// CHECK-NEXT:    %[[LR:.*]] = arith.mulf %[[LR0]], %[[P]] : f64
// CHECK-NEXT:    %[[LR32:.*]] = arith.truncf %[[LR]] : f64 to f32
// CHECK-NEXT:    tensor.from_elements %[[LR32]] : tensor<f32>

// -----

module attributes {nn.model = #nn.model<"m", optimizer = <sgd, lr = 0.1>, schedule = <exp_decay, k = 0.05>, weight_decay = 0.0>} {
nn.state @w : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<he_uniform>, fan_in = 4 : i64, fan_out = 3 : i64}
nn.state @b : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @train_step(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64) -> (tensor<f32>, tensor<3x4xf32> {nn.grad_of = @w}, tensor<3xf32> {nn.grad_of = @b}) {
  %w = nn.load @w : tensor<3x4xf32>
  %b = nn.load @b : tensor<3xf32>
  %l = arith.constant dense<1.0> : tensor<f32>
  %gw = nn.neg %w : tensor<3x4xf32>
  %gb = nn.neg %b : tensor<3xf32>
  return %l, %gw, %gb : tensor<f32>, tensor<3x4xf32>, tensor<3xf32>
}
}

// exp_decay: lr0 e^(-k epoch).
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      %{{[^:]*}}: i64, %[[EPOCH:[^:]*]]: i64, %{{[^:]*}}: i64) -> tensor<f32>
// CHECK:         %[[LR0:.*]] = arith.constant 1.000000e-01 : f64
// CHECK-NEXT:    %[[K:.*]] = arith.constant -5.000000e-02 : f64
// CHECK-NEXT:    %[[E:.*]] = arith.sitofp %[[EPOCH]] : i64 to f64
// CHECK-NEXT:    %[[KE:.*]] = arith.mulf %[[K]], %[[E]] : f64
// CHECK-NEXT:    %[[X:.*]] = math.exp %[[KE]] : f64
// CHECK-NEXT:    %[[LR:.*]] = arith.mulf %[[LR0]], %[[X]] : f64
// CHECK-NEXT:    %[[LR32:.*]] = arith.truncf %[[LR]] : f64 to f32
// CHECK-NEXT:    tensor.from_elements %[[LR32]] : tensor<f32>

// -----

module attributes {nn.model = #nn.model<"m", optimizer = <sgd, lr = 0.1>, schedule = <constant>, weight_decay = 0.0>} {
nn.state @w : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<he_uniform>, fan_in = 4 : i64, fan_out = 3 : i64}
nn.state @b : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @train_step(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64) -> (tensor<f32>, tensor<3x4xf32> {nn.grad_of = @w}, tensor<3xf32> {nn.grad_of = @b}) {
  %w = nn.load @w : tensor<3x4xf32>
  %b = nn.load @b : tensor<3xf32>
  %l = arith.constant dense<1.0> : tensor<f32>
  %gw = nn.neg %w : tensor<3x4xf32>
  %gb = nn.neg %b : tensor<3xf32>
  return %l, %gw, %gb : tensor<f32>, tensor<3x4xf32>, tensor<3xf32>
}
}

// constant: lr0 alone; the epoch is still inserted, and unused.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64) -> tensor<f32>
// CHECK:         %[[LR0:.*]] = arith.constant 1.000000e-01 : f64
// CHECK-NEXT:    %[[LR32:.*]] = arith.truncf %[[LR0]] : f64 to f32
// CHECK-NEXT:    tensor.from_elements %[[LR32]] : tensor<f32>
// CHECK-NOT:     math.
// CHECK-NOT:     arith.sitofp
// CHECK:         return

// -----

module attributes {nn.model = #nn.model<"m", optimizer = <sgd, lr = 0.1>, schedule = <constant>, weight_decay = 0.01, decay_scope = all>} {
nn.state @w : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<he_uniform>, fan_in = 4 : i64, fan_out = 3 : i64}
nn.state @b : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @train_step(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64) -> (tensor<f32>, tensor<3x4xf32> {nn.grad_of = @w}, tensor<3xf32> {nn.grad_of = @b}) {
  %w = nn.load @w : tensor<3x4xf32>
  %b = nn.load @b : tensor<3xf32>
  %l = arith.constant dense<1.0> : tensor<f32>
  %gw = nn.neg %w : tensor<3x4xf32>
  %gb = nn.neg %b : tensor<3xf32>
  return %l, %gw, %gb : tensor<f32>, tensor<3x4xf32>, tensor<3xf32>
}
}

// L2 weight decay (lambda/2 |w|^2 in the loss) adds lambda w to each
// gradient before the optimizer sees it; with decay_scope "all", biases
// included.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[W:.*]] = nn.load @w
// CHECK:         %[[B:.*]] = nn.load @b
// CHECK:         %[[GW:.*]] = nn.neg %[[W]]
// CHECK:         %[[GB:.*]] = nn.neg %[[B]]
// CHECK:         %[[LR:.*]] = tensor.from_elements
// CHECK-NEXT:    %[[L:.*]] = arith.constant dense<0.00999999977> : tensor<f32>
// CHECK-NEXT:    %[[LW:.*]] = nn.mul %[[L]], %[[W]] : (tensor<f32>, tensor<3x4xf32>) -> tensor<3x4xf32>
// CHECK-NEXT:    %[[G:.*]] = nn.add %[[GW]], %[[LW]]
// CHECK-NEXT:    %[[S:.*]] = nn.mul %[[LR]], %[[G]]
// CHECK-NEXT:    %[[NW:.*]] = nn.sub %[[W]], %[[S]]
// CHECK-NEXT:    nn.store %[[NW]], @w
// CHECK-NEXT:    %[[L2:.*]] = arith.constant dense<0.00999999977> : tensor<f32>
// CHECK-NEXT:    %[[LB:.*]] = nn.mul %[[L2]], %[[B]]
// CHECK-NEXT:    %[[G2:.*]] = nn.add %[[GB]], %[[LB]]
// CHECK-NEXT:    %[[S2:.*]] = nn.mul %[[LR]], %[[G2]]

// -----

module attributes {nn.model = #nn.model<"m", optimizer = <adam, lr = 0.001, beta1 = 0.9, beta2 = 0.999, eps = 1.0e-8>, schedule = <constant>, weight_decay = 0.001>} {
nn.state @w : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<he_uniform>, fan_in = 4 : i64, fan_out = 3 : i64}
nn.state @b : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @train_step(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64) -> (tensor<f32>, tensor<3x4xf32> {nn.grad_of = @w}, tensor<3xf32> {nn.grad_of = @b}) {
  %w = nn.load @w : tensor<3x4xf32>
  %b = nn.load @b : tensor<3xf32>
  %l = arith.constant dense<1.0> : tensor<f32>
  %gw = nn.neg %w : tensor<3x4xf32>
  %gb = nn.neg %b : tensor<3xf32>
  return %l, %gw, %gb : tensor<f32>, tensor<3x4xf32>, tensor<3xf32>
}
}

// With adam, the decayed gradient is what the moments see.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[W:.*]] = nn.load @w
// CHECK:         %[[GW:.*]] = nn.neg %[[W]]
// CHECK:         %[[LR:.*]] = tensor.from_elements
// CHECK-NEXT:    %[[L:.*]] = arith.constant dense<1.000000e-03> : tensor<f32>
// CHECK-NEXT:    %[[LW:.*]] = nn.mul %[[L]], %[[W]]
// CHECK-NEXT:    %[[G:.*]] = nn.add %[[GW]], %[[LW]]
// CHECK-NEXT:    nn.load @w.exp_avg
// CHECK-NEXT:    arith.constant dense<0.899999976>
// CHECK-NEXT:    nn.mul
// CHECK-NEXT:    arith.constant dense<1.000000e-01>
// CHECK-NEXT:    nn.mul %{{.*}}, %[[G]]
// CHECK:         nn.mul %[[G]], %[[G]]

// -----

module attributes {nn.model = #nn.model<"m", optimizer = <sgd, lr = 0.1>, schedule = <constant>, weight_decay = 0.0>} {
nn.state @w : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<he_uniform>, fan_in = 4 : i64, fan_out = 3 : i64}
nn.state @b : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @train_step(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64) -> (tensor<f32>, tensor<3x4xf32> {nn.grad_of = @w}, tensor<3xf32> {nn.grad_of = @b}) {
  %w = nn.load @w : tensor<3x4xf32>
  %b = nn.load @b : tensor<3xf32>
  %l = arith.constant dense<1.0> : tensor<f32>
  %gw = nn.neg %w : tensor<3x4xf32>
  %gb = nn.neg %b : tensor<3xf32>
  return %l, %gw, %gb : tensor<f32>, tensor<3x4xf32>, tensor<3xf32>
}
}

// Without weight decay there is no decay term.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[W:.*]] = nn.load @w
// CHECK:         %[[GW:.*]] = nn.neg %[[W]]
// CHECK:         %[[LR:.*]] = tensor.from_elements
// CHECK-NEXT:    %[[S:.*]] = nn.mul %[[LR]], %[[GW]]
// CHECK-NOT:     nn.add
// CHECK:         return
