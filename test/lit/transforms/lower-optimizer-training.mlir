// RUN: kiln-opt %s -split-input-file -nn-lower-optimizer | FileCheck %s

// nn-lower-optimizer beyond the epoch schedules (lower-optimizer-schedules
// .mlir): schedules per step, linear decay, cosine after a warmup, the
// @learning_rate function the runtime reports from, the weight-decay scope,
// AdamW's decoupled decay and clipping by the global gradient norm.

module attributes {nn.model = #nn.model<"m", optimizer = <sgd, lr = 0.1>, schedule = <cosine, unit = step, t_max = 100, min_lr = 0.001, warmup_iters = 10, warmup_start_factor = 0.1>>} {
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

// Per step, t = step - 1. Cosine from t - warmup: min + (lr0 - min)/2 (1 +
// cos(pi (t - 10) / 100)); the warmup lr0 (0.1 + 0.9 t / 10) while t < 10.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      %{{[^:]*}}: tensor<8xf32>, %[[STEP:[^:]*]]: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64) -> tensor<f32>
// CHECK:         %[[ONE:.*]] = arith.constant 1 : i64
// CHECK-NEXT:    %[[T:.*]] = arith.subi %[[STEP]], %[[ONE]] : i64
// CHECK-NEXT:    %[[LR0:.*]] = arith.constant 1.000000e-01 : f64
// CHECK-NEXT:    %[[W:.*]] = arith.constant 10 : i64
// CHECK-NEXT:    %[[TM:.*]] = arith.subi %[[T]], %[[W]] : i64
// CHECK-NEXT:    %[[TMF:.*]] = arith.sitofp %[[TM]] : i64 to f64
// CHECK-NEXT:    %[[PI:.*]] = arith.constant 0.031415926535897934 : f64
// CHECK-NEXT:    %[[A:.*]] = arith.mulf %[[TMF]], %[[PI]] : f64
// CHECK-NEXT:    %[[MIN:.*]] = arith.constant 1.000000e-03 : f64
// CHECK-NEXT:    %[[HALF:.*]] = arith.constant 4.950000e-02 : f64
// CHECK-NEXT:    %[[C1:.*]] = arith.constant 1.000000e+00 : f64
// CHECK-NEXT:    %[[COS:.*]] = math.cos %[[A]] : f64
// CHECK-NEXT:    %[[S:.*]] = arith.addf %[[C1]], %[[COS]] : f64
// CHECK-NEXT:    %[[M:.*]] = arith.mulf %[[HALF]], %[[S]] : f64
// CHECK-NEXT:    %[[MAIN:.*]] = arith.addf %[[MIN]], %[[M]] : f64
// CHECK-NEXT:    %[[S0:.*]] = arith.constant 1.000000e-01 : f64
// CHECK-NEXT:    %[[SL:.*]] = arith.constant 0.08999{{.*}} : f64
// CHECK-NEXT:    %[[TF:.*]] = arith.sitofp %[[T]] : i64 to f64
// CHECK-NEXT:    %[[R:.*]] = arith.mulf %[[SL]], %[[TF]] : f64
// CHECK-NEXT:    %[[F:.*]] = arith.addf %[[S0]], %[[R]] : f64
// CHECK-NEXT:    %[[WARM:.*]] = arith.mulf %[[LR0]], %[[F]] : f64
// CHECK-NEXT:    %[[W2:.*]] = arith.constant 10 : i64
// CHECK-NEXT:    %[[IN:.*]] = arith.cmpi slt, %[[T]], %[[W2]] : i64
// CHECK-NEXT:    %[[LR:.*]] = arith.select %[[IN]], %[[WARM]], %[[MAIN]] : f64
// CHECK-NEXT:    arith.truncf %[[LR]] : f64 to f32

// The same formula as a function of (step, epoch), for the runtime.
// CHECK-LABEL: func.func @learning_rate(
// CHECK-SAME:      %[[STEP:[^:]*]]: i64, %{{[^:]*}}: i64) -> tensor<f32>
// CHECK-NEXT:    %[[ONE:.*]] = arith.constant 1 : i64
// CHECK-NEXT:    arith.subi %[[STEP]], %[[ONE]] : i64
// CHECK:         math.cos
// CHECK:         arith.select
// CHECK-NEXT:    %[[LR32:.*]] = arith.truncf
// CHECK-NEXT:    %[[R:.*]] = tensor.from_elements %[[LR32]] : tensor<f32>
// CHECK-NEXT:    return %[[R]] : tensor<f32>

// -----

module attributes {nn.model = #nn.model<"m", optimizer = <sgd, lr = 0.1>, schedule = <linear_decay, start_factor = 1.0, end_factor = 0.25, iters = 4>>} {
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

// linear_decay per epoch: lr0 (1 + (0.25 - 1) min(epoch, 4) / 4), no warmup.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      %{{[^:]*}}: i64, %[[EPOCH:[^:]*]]: i64, %{{[^:]*}}: i64) -> tensor<f32>
// CHECK:         %[[LR0:.*]] = arith.constant 1.000000e-01 : f64
// CHECK-NEXT:    %[[N:.*]] = arith.constant 4 : i64
// CHECK-NEXT:    %[[T:.*]] = arith.minsi %[[EPOCH]], %[[N]] : i64
// CHECK-NEXT:    %[[TF:.*]] = arith.sitofp %[[T]] : i64 to f64
// CHECK-NEXT:    %[[Q:.*]] = arith.constant 2.500000e-01 : f64
// CHECK-NEXT:    %[[FR:.*]] = arith.mulf %[[TF]], %[[Q]] : f64
// CHECK-NEXT:    %[[S:.*]] = arith.constant 1.000000e+00 : f64
// CHECK-NEXT:    %[[D:.*]] = arith.constant -7.500000e-01 : f64
// CHECK-NEXT:    %[[X:.*]] = arith.mulf %[[D]], %[[FR]] : f64
// CHECK-NEXT:    %[[F:.*]] = arith.addf %[[S]], %[[X]] : f64
// CHECK-NEXT:    %[[LR:.*]] = arith.mulf %[[LR0]], %[[F]] : f64
// CHECK-NEXT:    arith.truncf %[[LR]] : f64 to f32
// CHECK-NOT:     arith.select

// -----

module attributes {nn.model = #nn.model<"m", optimizer = <sgd, lr = 0.1>, schedule = <constant>, weight_decay = 0.01>} {
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

// The default scope, "weights": the matrix @w decays, the bias @b does not.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[W:.*]] = nn.load @w
// CHECK:         %[[B:.*]] = nn.load @b
// CHECK:         %[[GW:.*]] = nn.neg %[[W]]
// CHECK:         %[[GB:.*]] = nn.neg %[[B]]
// CHECK:         %[[LR:.*]] = tensor.from_elements
// CHECK-NEXT:    %[[L:.*]] = arith.constant dense<0.00999999977> : tensor<f32>
// CHECK-NEXT:    %[[LW:.*]] = nn.mul %[[L]], %[[W]]
// CHECK-NEXT:    %[[G:.*]] = nn.add %[[GW]], %[[LW]]
// CHECK-NEXT:    %[[S:.*]] = nn.mul %[[LR]], %[[G]]
// CHECK-NEXT:    %[[NW:.*]] = nn.sub %[[W]], %[[S]]
// CHECK-NEXT:    nn.store %[[NW]], @w
// CHECK-NEXT:    %[[S2:.*]] = nn.mul %[[LR]], %[[GB]]
// CHECK-NEXT:    %[[NB:.*]] = nn.sub %[[B]], %[[S2]]
// CHECK-NEXT:    nn.store %[[NB]], @b

// -----

module attributes {nn.model = #nn.model<"m", optimizer = <adamw, lr = 0.001, weight_decay = 0.01>, schedule = <constant>, clip_norm = 1.0>} {
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

// clip_norm: the global norm over every gradient, min(1, 1 / (norm + 1e-6))
// in f32 (torch.nn.utils.clip_grad_norm_), scales each gradient. AdamW
// scales the weight (not its gradient) by 1 - lr lambda first; the bias is
// outside the default scope and is not decayed.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[W:.*]] = nn.load @w
// CHECK:         %[[B:.*]] = nn.load @b
// CHECK:         %[[GW:.*]] = nn.neg %[[W]]
// CHECK:         %[[GB:.*]] = nn.neg %[[B]]
// CHECK:         %[[LR0:.*]] = arith.constant 1.000000e-03 : f64
// CHECK:         %[[SQW:.*]] = nn.mul %[[GW]], %[[GW]]
// CHECK-NEXT:    %[[SW:.*]] = nn.sum_to %[[SQW]] : tensor<3x4xf32> -> tensor<f32>
// CHECK-NEXT:    %[[SQB:.*]] = nn.mul %[[GB]], %[[GB]]
// CHECK-NEXT:    %[[SB:.*]] = nn.sum_to %[[SQB]] : tensor<3xf32> -> tensor<f32>
// CHECK-NEXT:    %[[SUM:.*]] = nn.add %[[SW]], %[[SB]]
// CHECK-NEXT:    %[[NORM:.*]] = nn.sqrt %[[SUM]] : tensor<f32>
// CHECK-NEXT:    %[[N:.*]] = tensor.extract %[[NORM]][] : tensor<f32>
// CHECK-NEXT:    %[[MAX:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:    %[[EPS:.*]] = arith.constant 9.99999997E-7 : f32
// CHECK-NEXT:    %[[D:.*]] = arith.addf %[[N]], %[[EPS]] : f32
// CHECK-NEXT:    %[[C:.*]] = arith.divf %[[MAX]], %[[D]] : f32
// CHECK-NEXT:    %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:    %[[CC:.*]] = arith.minimumf %[[C]], %[[ONE]] : f32
// CHECK-NEXT:    %[[FAC:.*]] = tensor.from_elements %[[CC]] : tensor<f32>
// CHECK-NEXT:    %[[CGW:.*]] = nn.mul %[[GW]], %[[FAC]]
// CHECK-NEXT:    %[[CGB:.*]] = nn.mul %[[GB]], %[[FAC]]
// CHECK-NEXT:    %[[C1:.*]] = arith.constant 1.000000e+00 : f64
// CHECK-NEXT:    %[[LAM:.*]] = arith.constant 1.000000e-02 : f64
// CHECK-NEXT:    %[[LL:.*]] = arith.mulf %[[LR0]], %[[LAM]] : f64
// CHECK-NEXT:    %[[KEEP:.*]] = arith.subf %[[C1]], %[[LL]] : f64
// CHECK-NEXT:    %[[KEEP32:.*]] = arith.truncf %[[KEEP]] : f64 to f32
// CHECK-NEXT:    %[[KT:.*]] = tensor.from_elements %[[KEEP32]] : tensor<f32>
// CHECK-NEXT:    %[[DW:.*]] = nn.mul %[[W]], %[[KT]]
// CHECK:         nn.mul %{{.*}}, %[[CGW]]
// CHECK:         %[[NW:.*]] = nn.sub %[[DW]], %{{.*}}
// CHECK-NEXT:    nn.store %[[NW]], @w
// CHECK:         nn.mul %{{.*}}, %[[CGB]]
// CHECK:         %[[NB:.*]] = nn.sub %[[B]], %{{.*}}
// CHECK-NEXT:    nn.store %[[NB]], @b
