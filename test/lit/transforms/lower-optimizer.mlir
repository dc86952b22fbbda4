// RUN: kiln-opt %s -split-input-file -nn-lower-optimizer | FileCheck %s

// nn-lower-optimizer, each optimizer: its state tensors (named as in
// torch.optim, role optimizer, zeros at start) and its update ops, stored
// back. The gradients here are stand-ins (nn.neg of the parameter), and the
// schedule is constant; see lower-optimizer-schedules.mlir for the others.

module attributes {nn.model = #nn.model<"m", optimizer = <sgd, lr = 0.5>, schedule = <constant>, weight_decay = 0.0>} {
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

// sgd: w <- w - lr g, lr a rank-0 tensor made from the f64 schedule value.
// No optimizer state, no weight decay term. The epoch argument is inserted
// after step: train_step(x, y, step, epoch, seed) -> loss.
// CHECK-NOT:     nn.state @w.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      %{{[^:]*}}: tensor<8x4xf32>, %{{[^:]*}}: tensor<8xf32>, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64) -> tensor<f32> {
// CHECK:         %[[W:.*]] = nn.load @w
// CHECK:         %[[B:.*]] = nn.load @b
// CHECK:         %[[LOSS:.*]] = arith.constant dense<1.000000e+00> : tensor<f32>
// CHECK:         %[[GW:.*]] = nn.neg %[[W]]
// CHECK:         %[[GB:.*]] = nn.neg %[[B]]
// CHECK:         %[[LR0:.*]] = arith.constant 5.000000e-01 : f64
// CHECK-NEXT:    %[[LR32:.*]] = arith.truncf %[[LR0]] : f64 to f32
// CHECK-NEXT:    %[[LR:.*]] = tensor.from_elements %[[LR32]] : tensor<f32>
// CHECK-NEXT:    %[[S:.*]] = nn.mul %[[LR]], %[[GW]] : (tensor<f32>, tensor<3x4xf32>) -> tensor<3x4xf32>
// CHECK-NEXT:    %[[NW:.*]] = nn.sub %[[W]], %[[S]]
// CHECK-NEXT:    nn.store %[[NW]], @w : tensor<3x4xf32>
// CHECK-NEXT:    %[[SB:.*]] = nn.mul %[[LR]], %[[GB]]
// CHECK-NEXT:    %[[NB:.*]] = nn.sub %[[B]], %[[SB]]
// CHECK-NEXT:    nn.store %[[NB]], @b : tensor<3xf32>
// CHECK-NEXT:    return %[[LOSS]] : tensor<f32>

// -----

module attributes {nn.model = #nn.model<"m", optimizer = <momentum, lr = 0.1, momentum = 0.8>, schedule = <constant>, weight_decay = 0.0>} {
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

// momentum: v <- mu v + g; w <- w - lr v. The buffer is declared right after
// its parameter, zero at start, with the parameter's type and fans.
// CHECK:         nn.state @w : tensor<3x4xf32>
// CHECK-NEXT:    nn.state @w.momentum_buffer : tensor<3x4xf32> {fan_in = 4 : i64, fan_out = 3 : i64, init = #nn.init<zeros>, role = #nn.role<optimizer>}
// CHECK-NEXT:    nn.state @b : tensor<3xf32>
// CHECK-NEXT:    nn.state @b.momentum_buffer : tensor<3xf32> {init = #nn.init<zeros>, role = #nn.role<optimizer>}
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[W:.*]] = nn.load @w
// CHECK:         %[[GW:.*]] = nn.neg %[[W]]
// CHECK:         %[[LR:.*]] = tensor.from_elements
// CHECK-NEXT:    %[[V0:.*]] = nn.load @w.momentum_buffer : tensor<3x4xf32>
// CHECK-NEXT:    %[[MU:.*]] = arith.constant dense<8.000000e-01> : tensor<f32>
// CHECK-NEXT:    %[[T:.*]] = nn.mul %[[MU]], %[[V0]]
// CHECK-NEXT:    %[[V:.*]] = nn.add %[[T]], %[[GW]]
// CHECK-NEXT:    nn.store %[[V]], @w.momentum_buffer
// CHECK-NEXT:    %[[S:.*]] = nn.mul %[[LR]], %[[V]]
// CHECK-NEXT:    %[[NW:.*]] = nn.sub %[[W]], %[[S]]
// CHECK-NEXT:    nn.store %[[NW]], @w
// CHECK:         nn.load @b.momentum_buffer
// CHECK:         nn.store %{{.*}}, @b.momentum_buffer
// CHECK:         nn.store %{{.*}}, @b :

// -----

module attributes {nn.model = #nn.model<"m", optimizer = <nesterov, lr = 0.1, momentum = 0.8>, schedule = <constant>, weight_decay = 0.0>} {
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

// nesterov (PyTorch's form): v <- mu v + g; w <- w - lr (g + mu v).
// CHECK:         nn.state @w.momentum_buffer : tensor<3x4xf32> {{.*}}role = #nn.role<optimizer>
// CHECK:         nn.state @b.momentum_buffer : tensor<3xf32> {{.*}}role = #nn.role<optimizer>
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[W:.*]] = nn.load @w
// CHECK:         %[[GW:.*]] = nn.neg %[[W]]
// CHECK:         %[[LR:.*]] = tensor.from_elements
// CHECK-NEXT:    %[[V0:.*]] = nn.load @w.momentum_buffer
// CHECK-NEXT:    %[[MU:.*]] = arith.constant dense<8.000000e-01>
// CHECK-NEXT:    %[[T:.*]] = nn.mul %[[MU]], %[[V0]]
// CHECK-NEXT:    %[[V:.*]] = nn.add %[[T]], %[[GW]]
// CHECK-NEXT:    nn.store %[[V]], @w.momentum_buffer
// CHECK-NEXT:    %[[MU2:.*]] = arith.constant dense<8.000000e-01>
// CHECK-NEXT:    %[[MV:.*]] = nn.mul %[[MU2]], %[[V]]
// CHECK-NEXT:    %[[D:.*]] = nn.add %[[GW]], %[[MV]]
// CHECK-NEXT:    %[[S:.*]] = nn.mul %[[LR]], %[[D]]
// CHECK-NEXT:    %[[NW:.*]] = nn.sub %[[W]], %[[S]]
// CHECK-NEXT:    nn.store %[[NW]], @w

// -----

module attributes {nn.model = #nn.model<"m", optimizer = <adagrad, lr = 0.1, eps = 1.0e-10>, schedule = <constant>, weight_decay = 0.0>} {
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

// adagrad (torch.optim.Adagrad): G <- G + g^2; w <- w - lr g / (sqrt(G) + eps).
// CHECK:         nn.state @w.sum : tensor<3x4xf32> {{.*}}init = #nn.init<zeros>, role = #nn.role<optimizer>
// CHECK:         nn.state @b.sum : tensor<3xf32> {{.*}}role = #nn.role<optimizer>
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[W:.*]] = nn.load @w
// CHECK:         %[[GW:.*]] = nn.neg %[[W]]
// CHECK:         %[[LR:.*]] = tensor.from_elements
// CHECK-NEXT:    %[[G0:.*]] = nn.load @w.sum
// CHECK-NEXT:    %[[G2:.*]] = nn.mul %[[GW]], %[[GW]]
// CHECK-NEXT:    %[[G:.*]] = nn.add %[[G0]], %[[G2]]
// CHECK-NEXT:    nn.store %[[G]], @w.sum
// CHECK-NEXT:    %[[R:.*]] = nn.sqrt %[[G]]
// CHECK-NEXT:    %[[EPS:.*]] = arith.constant dense<1.000000e-10> : tensor<f32>
// CHECK-NEXT:    %[[DEN:.*]] = nn.add %[[R]], %[[EPS]]
// CHECK-NEXT:    %[[D:.*]] = nn.div %[[GW]], %[[DEN]]
// CHECK-NEXT:    %[[S:.*]] = nn.mul %[[LR]], %[[D]]
// CHECK-NEXT:    %[[NW:.*]] = nn.sub %[[W]], %[[S]]
// CHECK-NEXT:    nn.store %[[NW]], @w

// -----

module attributes {nn.model = #nn.model<"m", optimizer = <rmsprop, lr = 0.1, rho = 0.9, eps = 1.0e-8>, schedule = <constant>, weight_decay = 0.0>} {
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

// rmsprop: s <- rho s + (1 - rho) g^2; w <- w - lr g / (sqrt(s) + eps).
// CHECK:         nn.state @w.square_avg : tensor<3x4xf32> {{.*}}role = #nn.role<optimizer>
// CHECK:         nn.state @b.square_avg : tensor<3xf32> {{.*}}role = #nn.role<optimizer>
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[W:.*]] = nn.load @w
// CHECK:         %[[GW:.*]] = nn.neg %[[W]]
// CHECK:         %[[LR:.*]] = tensor.from_elements
// CHECK-NEXT:    %[[S0:.*]] = nn.load @w.square_avg
// CHECK-NEXT:    %[[RHO:.*]] = arith.constant dense<0.899999976> : tensor<f32>
// CHECK-NEXT:    %[[A:.*]] = nn.mul %[[RHO]], %[[S0]]
// CHECK-NEXT:    %[[G2:.*]] = nn.mul %[[GW]], %[[GW]]
// CHECK-NEXT:    %[[OMR:.*]] = arith.constant dense<1.000000e-01> : tensor<f32>
// CHECK-NEXT:    %[[B:.*]] = nn.mul %[[OMR]], %[[G2]]
// CHECK-NEXT:    %[[S:.*]] = nn.add %[[A]], %[[B]]
// CHECK-NEXT:    nn.store %[[S]], @w.square_avg
// CHECK-NEXT:    %[[R:.*]] = nn.sqrt %[[S]]
// CHECK-NEXT:    %[[EPS:.*]] = arith.constant dense<9.99999993E-9>
// CHECK-NEXT:    %[[DEN:.*]] = nn.add %[[R]], %[[EPS]]
// CHECK-NEXT:    %[[D:.*]] = nn.div %[[GW]], %[[DEN]]
// CHECK-NEXT:    %[[U:.*]] = nn.mul %[[LR]], %[[D]]
// CHECK-NEXT:    %[[NW:.*]] = nn.sub %[[W]], %[[U]]
// CHECK-NEXT:    nn.store %[[NW]], @w

// -----

module attributes {nn.model = #nn.model<"m", optimizer = <adam, lr = 0.001, beta1 = 0.9, beta2 = 0.999, eps = 1.0e-8>, schedule = <constant>, weight_decay = 0.0>} {
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

// adam: m <- b1 m + (1 - b1) g; v <- b2 v + (1 - b2) g^2;
// w <- w - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps), with t the
// step argument (1 for the first call) and the bias corrections in f64.
// CHECK:         nn.state @w : tensor<3x4xf32>
// CHECK-NEXT:    nn.state @w.exp_avg : tensor<3x4xf32> {{.*}}init = #nn.init<zeros>, role = #nn.role<optimizer>
// CHECK-NEXT:    nn.state @w.exp_avg_sq : tensor<3x4xf32> {{.*}}init = #nn.init<zeros>, role = #nn.role<optimizer>
// CHECK-NEXT:    nn.state @b : tensor<3xf32>
// CHECK-NEXT:    nn.state @b.exp_avg : tensor<3xf32>
// CHECK-NEXT:    nn.state @b.exp_avg_sq : tensor<3xf32>
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      %{{[^:]*}}: tensor<8x4xf32>, %{{[^:]*}}: tensor<8xf32>, %[[STEP:[^:]*]]: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64)
// CHECK:         %[[W:.*]] = nn.load @w
// CHECK:         %[[GW:.*]] = nn.neg %[[W]]
// CHECK:         %[[LR0:.*]] = arith.constant 1.000000e-03 : f64
// CHECK:         %[[LR:.*]] = tensor.from_elements
// CHECK-NEXT:    %[[M0:.*]] = nn.load @w.exp_avg
// CHECK-NEXT:    %[[B1:.*]] = arith.constant dense<0.899999976>
// CHECK-NEXT:    %[[MA:.*]] = nn.mul %[[B1]], %[[M0]]
// CHECK-NEXT:    %[[OMB1:.*]] = arith.constant dense<1.000000e-01>
// CHECK-NEXT:    %[[MB:.*]] = nn.mul %[[OMB1]], %[[GW]]
// CHECK-NEXT:    %[[M:.*]] = nn.add %[[MA]], %[[MB]]
// CHECK-NEXT:    %[[V0:.*]] = nn.load @w.exp_avg_sq
// CHECK-NEXT:    %[[B2:.*]] = arith.constant dense<9.990000e-01>
// CHECK-NEXT:    %[[VA:.*]] = nn.mul %[[B2]], %[[V0]]
// CHECK-NEXT:    %[[G2:.*]] = nn.mul %[[GW]], %[[GW]]
// CHECK-NEXT:    %[[OMB2:.*]] = arith.constant dense<1.000000e-03>
// CHECK-NEXT:    %[[VB:.*]] = nn.mul %[[OMB2]], %[[G2]]
// CHECK-NEXT:    %[[V:.*]] = nn.add %[[VA]], %[[VB]]
// CHECK-NEXT:    nn.store %[[M]], @w.exp_avg
// CHECK-NEXT:    nn.store %[[V]], @w.exp_avg_sq
// CHECK-NEXT:    %[[T:.*]] = arith.sitofp %[[STEP]] : i64 to f64
// CHECK-NEXT:    %[[ONE:.*]] = arith.constant 1.000000e+00 : f64
// CHECK-NEXT:    %[[B1F:.*]] = arith.constant 9.000000e-01 : f64
// CHECK-NEXT:    %[[P1:.*]] = math.powf %[[B1F]], %[[T]] : f64
// CHECK-NEXT:    %[[C1:.*]] = arith.subf %[[ONE]], %[[P1]] : f64
// CHECK-NEXT:    %[[C1F:.*]] = arith.truncf %[[C1]]
// CHECK-NEXT:    %[[C1T:.*]] = tensor.from_elements %[[C1F]] : tensor<f32>
// CHECK-NEXT:    %[[ONE2:.*]] = arith.constant 1.000000e+00 : f64
// CHECK-NEXT:    %[[B2F:.*]] = arith.constant 0.99899999999999999 : f64
// CHECK-NEXT:    %[[P2:.*]] = math.powf %[[B2F]], %[[T]] : f64
// CHECK-NEXT:    %[[C2:.*]] = arith.subf %[[ONE2]], %[[P2]] : f64
// CHECK-NEXT:    %[[C2F:.*]] = arith.truncf %[[C2]]
// CHECK-NEXT:    %[[C2T:.*]] = tensor.from_elements %[[C2F]] : tensor<f32>
// CHECK-NEXT:    %[[MH:.*]] = nn.div %[[M]], %[[C1T]]
// CHECK-NEXT:    %[[VH:.*]] = nn.div %[[V]], %[[C2T]]
// CHECK-NEXT:    %[[R:.*]] = nn.sqrt %[[VH]]
// CHECK-NEXT:    %[[EPS:.*]] = arith.constant dense<9.99999993E-9>
// CHECK-NEXT:    %[[DEN:.*]] = nn.add %[[R]], %[[EPS]]
// CHECK-NEXT:    %[[D:.*]] = nn.div %[[MH]], %[[DEN]]
// CHECK-NEXT:    %[[U:.*]] = nn.mul %[[LR]], %[[D]]
// CHECK-NEXT:    %[[NW:.*]] = nn.sub %[[W]], %[[U]]
// CHECK-NEXT:    nn.store %[[NW]], @w
// CHECK:         nn.store %{{.*}}, @b.exp_avg
// CHECK:         nn.store %{{.*}}, @b.exp_avg_sq
// CHECK:         nn.store %{{.*}}, @b :
// CHECK-NEXT:    return

// -----

// The epoch goes in after step: what read the seed (argument 3) reads
// argument 4 afterwards. Other functions are left alone; without parameters,
// the learning rate is computed and unused.
module attributes {nn.model = #nn.model<"m", optimizer = <adam, lr = 0.01>, schedule = <constant>>} {
  func.func @train_step(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64) -> tensor<f32> {
    %d = nn.dropout %x, %seed, %step {p = 0.5 : f64, stream = 0 : i32} : tensor<8x4xf32>
    %l = nn.mse %d, %x : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<8xf32>
    %m = nn.mean %l : tensor<8xf32> -> tensor<f32>
    return %m : tensor<f32>
  }
  func.func @predict(%x: tensor<8x4xf32>) -> tensor<8x4xf32> {
    return %x : tensor<8x4xf32>
  }
}

// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<8x4xf32>, %{{[^:]*}}: tensor<8xf32>, %[[STEP:[^:]*]]: i64, %[[EPOCH:[^:]*]]: i64, %[[SEED:[^:]*]]: i64) -> tensor<f32>
// CHECK:         nn.dropout %[[X]], %[[SEED]], %[[STEP]]
// CHECK-NOT:     nn.store
// CHECK-NOT:     nn.state
// CHECK:         return
// CHECK-LABEL: func.func @predict(
// CHECK-SAME:      %{{[^:]*}}: tensor<8x4xf32>) -> tensor<8x4xf32>
