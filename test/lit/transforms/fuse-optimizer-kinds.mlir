// RUN: kiln-opt %s -split-input-file -nn-lower-optimizer -nn-fuse-optimizer | FileCheck %s

// nn-fuse-optimizer on the optimizers that fuse-optimizer.mlir (adam) does
// not cover: each parameter's update, with its optimizer state, is one
// nn.elementwise whose body is the optimizer's formula (docs/optimizers.md,
// PyTorch's definitions), its results stored after it. The gradient is
// a stand-in, -w (nn.neg, elementwise, so it joins the kernel).

module attributes {nn.model = #nn.model<"sgd", optimizer = <sgd, lr = 0.1>, schedule = <constant>, weight_decay = 0.0>} {
nn.state @w : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<he_uniform>, fan_in = 4 : i64, fan_out = 3 : i64}
func.func @train_step(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64) -> (tensor<f32>, tensor<3x4xf32> {nn.grad_of = @w}) {
  %w = nn.load @w : tensor<3x4xf32>
  %l = arith.constant dense<1.0> : tensor<f32>
  %g = nn.neg %w : tensor<3x4xf32>
  return %l, %g : tensor<f32>, tensor<3x4xf32>
}
}

// sgd: w - lr g, one result.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[W:.*]] = nn.load @w :
// CHECK:         %[[LR:.*]] = tensor.from_elements
// CHECK-NEXT:    %[[K:.*]] = nn.elementwise ins(%[[W]], %[[LR]] : tensor<3x4xf32>, tensor<f32>) {
// CHECK-NEXT:    ^bb0(%[[EW:[^:]*]]: f32, %[[ELR:[^:]*]]: f32):
// CHECK-NEXT:      %[[G:.*]] = arith.negf %[[EW]] : f32
// CHECK-NEXT:      %[[U:.*]] = arith.mulf %[[ELR]], %[[G]] : f32
// CHECK-NEXT:      %[[NW:.*]] = arith.subf %[[EW]], %[[U]] : f32
// CHECK-NEXT:      nn.yield %[[NW]] : f32
// CHECK-NEXT:    } -> tensor<3x4xf32>
// CHECK-NEXT:    nn.store %[[K]], @w :
// CHECK-NOT:     nn.mul
// CHECK-NOT:     nn.sub
// CHECK:         return

// -----

module attributes {nn.model = #nn.model<"momentum", optimizer = <momentum, lr = 0.1, momentum = 0.9>, schedule = <constant>, weight_decay = 0.0>} {
nn.state @w : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<he_uniform>, fan_in = 4 : i64, fan_out = 3 : i64}
func.func @train_step(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64) -> (tensor<f32>, tensor<3x4xf32> {nn.grad_of = @w}) {
  %w = nn.load @w : tensor<3x4xf32>
  %l = arith.constant dense<1.0> : tensor<f32>
  %g = nn.neg %w : tensor<3x4xf32>
  return %l, %g : tensor<f32>, tensor<3x4xf32>
}
}

// momentum (PyTorch's): buf = mu buf + g, w - lr buf; the buffer and the
// parameter are the kernel's two results.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[W:.*]] = nn.load @w :
// CHECK:         %[[LR:.*]] = tensor.from_elements
// CHECK-NEXT:    %[[BUF:.*]] = nn.load @w.momentum_buffer :
// CHECK:         %[[K:.*]]:2 = nn.elementwise ins(%[[W]], %[[BUF]], %[[LR]] : tensor<3x4xf32>, tensor<3x4xf32>, tensor<f32>) {
// CHECK-NEXT:    ^bb0(%[[EW:[^:]*]]: f32, %[[EB:[^:]*]]: f32, %[[ELR:[^:]*]]: f32):
// CHECK-NEXT:      %[[G:.*]] = arith.negf %[[EW]] : f32
// CHECK-NEXT:      %[[MU:.*]] = arith.constant 0.899999976 : f32
// CHECK-NEXT:      %[[MB:.*]] = arith.mulf %[[MU]], %[[EB]] : f32
// CHECK-NEXT:      %[[NB:.*]] = arith.addf %[[MB]], %[[G]] : f32
// CHECK-NEXT:      %[[U:.*]] = arith.mulf %[[ELR]], %[[NB]] : f32
// CHECK-NEXT:      %[[NW:.*]] = arith.subf %[[EW]], %[[U]] : f32
// CHECK-NEXT:      nn.yield %[[NB]], %[[NW]] : f32, f32
// CHECK-NEXT:    } -> tensor<3x4xf32>, tensor<3x4xf32>
// CHECK-DAG:     nn.store %[[K]]#0, @w.momentum_buffer :
// CHECK-DAG:     nn.store %[[K]]#1, @w :
// CHECK-NOT:     nn.mul
// CHECK:         return

// -----

module attributes {nn.model = #nn.model<"nesterov", optimizer = <nesterov, lr = 0.1, momentum = 0.9>, schedule = <constant>, weight_decay = 0.0>} {
nn.state @w : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<he_uniform>, fan_in = 4 : i64, fan_out = 3 : i64}
func.func @train_step(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64) -> (tensor<f32>, tensor<3x4xf32> {nn.grad_of = @w}) {
  %w = nn.load @w : tensor<3x4xf32>
  %l = arith.constant dense<1.0> : tensor<f32>
  %g = nn.neg %w : tensor<3x4xf32>
  return %l, %g : tensor<f32>, tensor<3x4xf32>
}
}

// nesterov: buf = mu buf + g, w - lr (g + mu buf).
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[K:.*]]:2 = nn.elementwise ins(%{{[^,]*}}, %{{[^,]*}}, %{{[^ ]*}} : tensor<3x4xf32>, tensor<3x4xf32>, tensor<f32>) {
// CHECK-NEXT:    ^bb0(%[[EW:[^:]*]]: f32, %[[EB:[^:]*]]: f32, %[[ELR:[^:]*]]: f32):
// CHECK-NEXT:      %[[G:.*]] = arith.negf %[[EW]] : f32
// CHECK-NEXT:      %[[MU:.*]] = arith.constant 0.899999976 : f32
// CHECK-NEXT:      %[[MB:.*]] = arith.mulf %[[MU]], %[[EB]] : f32
// CHECK-NEXT:      %[[NB:.*]] = arith.addf %[[MB]], %[[G]] : f32
// CHECK-NEXT:      %[[MU2:.*]] = arith.constant 0.899999976 : f32
// CHECK-NEXT:      %[[MNB:.*]] = arith.mulf %[[MU2]], %[[NB]] : f32
// CHECK-NEXT:      %[[D:.*]] = arith.addf %[[G]], %[[MNB]] : f32
// CHECK-NEXT:      %[[U:.*]] = arith.mulf %[[ELR]], %[[D]] : f32
// CHECK-NEXT:      %[[NW:.*]] = arith.subf %[[EW]], %[[U]] : f32
// CHECK-NEXT:      nn.yield %[[NB]], %[[NW]] : f32, f32
// CHECK-DAG:     nn.store %[[K]]#0, @w.momentum_buffer :
// CHECK-DAG:     nn.store %[[K]]#1, @w :

// -----

module attributes {nn.model = #nn.model<"adagrad", optimizer = <adagrad, lr = 0.1, eps = 1.0e-10>, schedule = <constant>, weight_decay = 0.0>} {
nn.state @w : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<he_uniform>, fan_in = 4 : i64, fan_out = 3 : i64}
func.func @train_step(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64) -> (tensor<f32>, tensor<3x4xf32> {nn.grad_of = @w}) {
  %w = nn.load @w : tensor<3x4xf32>
  %l = arith.constant dense<1.0> : tensor<f32>
  %g = nn.neg %w : tensor<3x4xf32>
  return %l, %g : tensor<f32>, tensor<3x4xf32>
}
}

// adagrad: sum += g^2, w - lr g / (sqrt(sum) + eps).
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[S:.*]] = nn.load @w.sum :
// CHECK:         %[[K:.*]]:2 = nn.elementwise ins(%{{[^,]*}}, %[[S]], %{{[^ ]*}} : tensor<3x4xf32>, tensor<3x4xf32>, tensor<f32>) {
// CHECK-NEXT:    ^bb0(%[[EW:[^:]*]]: f32, %[[ES:[^:]*]]: f32, %[[ELR:[^:]*]]: f32):
// CHECK-NEXT:      %[[G:.*]] = arith.negf %[[EW]] : f32
// CHECK-NEXT:      %[[G2:.*]] = arith.mulf %[[G]], %[[G]] : f32
// CHECK-NEXT:      %[[NS:.*]] = arith.addf %[[ES]], %[[G2]] : f32
// CHECK-NEXT:      %[[R:.*]] = math.sqrt %[[NS]] : f32
// CHECK-NEXT:      %[[EPS:.*]] = arith.constant 1.000000e-10 : f32
// CHECK-NEXT:      %[[DEN:.*]] = arith.addf %[[R]], %[[EPS]] : f32
// CHECK-NEXT:      %[[D:.*]] = arith.divf %[[G]], %[[DEN]] : f32
// CHECK-NEXT:      %[[U:.*]] = arith.mulf %[[ELR]], %[[D]] : f32
// CHECK-NEXT:      %[[NW:.*]] = arith.subf %[[EW]], %[[U]] : f32
// CHECK-NEXT:      nn.yield %[[NS]], %[[NW]] : f32, f32
// CHECK-DAG:     nn.store %[[K]]#0, @w.sum :
// CHECK-DAG:     nn.store %[[K]]#1, @w :

// -----

module attributes {nn.model = #nn.model<"rmsprop", optimizer = <rmsprop, lr = 0.1, rho = 0.99, eps = 1.0e-8>, schedule = <constant>, weight_decay = 0.0>} {
nn.state @w : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<he_uniform>, fan_in = 4 : i64, fan_out = 3 : i64}
func.func @train_step(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64) -> (tensor<f32>, tensor<3x4xf32> {nn.grad_of = @w}) {
  %w = nn.load @w : tensor<3x4xf32>
  %l = arith.constant dense<1.0> : tensor<f32>
  %g = nn.neg %w : tensor<3x4xf32>
  return %l, %g : tensor<f32>, tensor<3x4xf32>
}
}

// rmsprop: sq = rho sq + (1 - rho) g^2, w - lr g / (sqrt(sq) + eps).
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[SQ:.*]] = nn.load @w.square_avg :
// CHECK:         %[[K:.*]]:2 = nn.elementwise ins(%{{[^,]*}}, %[[SQ]], %{{[^ ]*}} : tensor<3x4xf32>, tensor<3x4xf32>, tensor<f32>) {
// CHECK-NEXT:    ^bb0(%[[EW:[^:]*]]: f32, %[[ESQ:[^:]*]]: f32, %[[ELR:[^:]*]]: f32):
// CHECK-NEXT:      %[[G:.*]] = arith.negf %[[EW]] : f32
// CHECK-NEXT:      %[[RHO:.*]] = arith.constant 9.900000e-01 : f32
// CHECK-NEXT:      %[[A:.*]] = arith.mulf %[[RHO]], %[[ESQ]] : f32
// CHECK-NEXT:      %[[G2:.*]] = arith.mulf %[[G]], %[[G]] : f32
// CHECK-NEXT:      %[[OR:.*]] = arith.constant 0.00999999977 : f32
// CHECK-NEXT:      %[[B:.*]] = arith.mulf %[[OR]], %[[G2]] : f32
// CHECK-NEXT:      %[[NSQ:.*]] = arith.addf %[[A]], %[[B]] : f32
// CHECK-NEXT:      %[[R:.*]] = math.sqrt %[[NSQ]] : f32
// CHECK-NEXT:      %[[EPS:.*]] = arith.constant 9.99999993E-9 : f32
// CHECK-NEXT:      %[[DEN:.*]] = arith.addf %[[R]], %[[EPS]] : f32
// CHECK-NEXT:      %[[D:.*]] = arith.divf %[[G]], %[[DEN]] : f32
// CHECK-NEXT:      %[[U:.*]] = arith.mulf %[[ELR]], %[[D]] : f32
// CHECK-NEXT:      %[[NW:.*]] = arith.subf %[[EW]], %[[U]] : f32
// CHECK-NEXT:      nn.yield %[[NSQ]], %[[NW]] : f32, f32
// CHECK-DAG:     nn.store %[[K]]#0, @w.square_avg :
// CHECK-DAG:     nn.store %[[K]]#1, @w :
