// RUN: kiln-opt %s -nn-lower-optimizer -nn-fuse-optimizer | FileCheck %s

// nn-fuse-optimizer (the `fused` stage): in @train_step, the elementwise ops
// that compute the new value of a parameter and of its optimizer state
// become one nn.elementwise kernel per parameter, splat constants folded
// into its body, its results stored after it.

module attributes {nn.model = #nn.model<"m", optimizer = <adam, lr = 0.001, beta1 = 0.9, beta2 = 0.999, eps = 1.0e-8>, schedule = <constant>, weight_decay = 0.01>} {
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

// Adam with weight decay: one kernel per parameter with three results (the
// two moments and the parameter), reading the parameter, the two moments,
// the two bias corrections and the learning rate (the stand-in gradient,
// nn.neg of the parameter, is elementwise and only feeds the update, so it
// joins too).
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[W:.*]] = nn.load @w
// CHECK:         %[[M:.*]] = nn.load @w.exp_avg
// CHECK:         %[[V:.*]] = nn.load @w.exp_avg_sq
// CHECK:         %[[C1:.*]] = tensor.from_elements
// CHECK:         %[[C2:.*]] = tensor.from_elements
// CHECK:         %[[K:.*]]:3 = nn.elementwise ins(%[[W]], %[[M]], %[[V]], %[[C1]], %[[C2]], %{{.*}} : tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>, tensor<f32>, tensor<f32>, tensor<f32>) {
// CHECK-NEXT:    ^bb0(%[[EW:.*]]: f32, %[[EM:.*]]: f32, %[[EV:.*]]: f32, %[[EC1:.*]]: f32, %[[EC2:.*]]: f32, %[[ELR:.*]]: f32):
// CHECK-NEXT:      %[[G0:.*]] = arith.negf %[[EW]]
// CHECK-NEXT:      %[[L:.*]] = arith.constant 0.00999999977 : f32
// CHECK-NEXT:      %[[LW:.*]] = arith.mulf %[[L]], %[[EW]]
// CHECK-NEXT:      %[[G:.*]] = arith.addf %[[G0]], %[[LW]]
// CHECK-NEXT:      %[[B1:.*]] = arith.constant 0.899999976 : f32
// CHECK-NEXT:      %[[MA:.*]] = arith.mulf %[[B1]], %[[EM]]
// CHECK-NEXT:      %[[OB1:.*]] = arith.constant 1.000000e-01 : f32
// CHECK-NEXT:      %[[MB:.*]] = arith.mulf %[[OB1]], %[[G]]
// CHECK-NEXT:      %[[NM:.*]] = arith.addf %[[MA]], %[[MB]]
// CHECK-NEXT:      %[[B2:.*]] = arith.constant 9.990000e-01 : f32
// CHECK-NEXT:      %[[VA:.*]] = arith.mulf %[[B2]], %[[EV]]
// CHECK-NEXT:      %[[G2:.*]] = arith.mulf %[[G]], %[[G]]
// CHECK-NEXT:      %[[OB2:.*]] = arith.constant 1.000000e-03 : f32
// CHECK-NEXT:      %[[VB:.*]] = arith.mulf %[[OB2]], %[[G2]]
// CHECK-NEXT:      %[[NV:.*]] = arith.addf %[[VA]], %[[VB]]
// CHECK-NEXT:      %[[MH:.*]] = arith.divf %[[NM]], %[[EC1]]
// CHECK-NEXT:      %[[VH:.*]] = arith.divf %[[NV]], %[[EC2]]
// CHECK-NEXT:      %[[R:.*]] = math.sqrt %[[VH]]
// CHECK-NEXT:      %[[EPS:.*]] = arith.constant 9.99999993E-9 : f32
// CHECK-NEXT:      %[[DEN:.*]] = arith.addf %[[R]], %[[EPS]]
// CHECK-NEXT:      %[[D:.*]] = arith.divf %[[MH]], %[[DEN]]
// CHECK-NEXT:      %[[U:.*]] = arith.mulf %[[ELR]], %[[D]]
// CHECK-NEXT:      %[[NW:.*]] = arith.subf %[[EW]], %[[U]]
// CHECK-NEXT:      nn.yield %[[NM]], %[[NV]], %[[NW]] : f32, f32, f32
// CHECK-NEXT:    } -> tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>
// CHECK-DAG:     nn.store %[[K]]#0, @w.exp_avg :
// CHECK-DAG:     nn.store %[[K]]#1, @w.exp_avg_sq :
// CHECK-DAG:     nn.store %[[K]]#2, @w :
// CHECK:         %[[KB:.*]]:3 = nn.elementwise ins(%{{.*}} : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<f32>, tensor<f32>, tensor<f32>)
// CHECK-DAG:     nn.store %[[KB]]#0, @b.exp_avg :
// CHECK-DAG:     nn.store %[[KB]]#1, @b.exp_avg_sq :
// CHECK-DAG:     nn.store %[[KB]]#2, @b :
// CHECK-NOT:     nn.add
// CHECK-NOT:     nn.mul
// CHECK:         return
