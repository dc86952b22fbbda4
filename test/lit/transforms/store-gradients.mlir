// RUN: kiln-opt %s -nn-store-gradients | FileCheck %s

// nn-store-gradients: @train_step's gradients go into gradient states
// declared after every other state (the state's last span), in result
// order, and @grad_step returns only the loss. A state that is not
// differentiated (the running mean) gets no gradient state.

nn.state @w : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<he_uniform>, fan_in = 4 : i64, fan_out = 3 : i64}
nn.state @b : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @bn.running_mean : tensor<3xf32> {role = #nn.role<running_mean>, init = #nn.init<zeros>}
func.func @train_step(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64, %row: i64) -> (tensor<f32>, tensor<3x4xf32> {nn.grad_of = @w}, tensor<3xf32> {nn.grad_of = @b}) {
  %w = nn.load @w : tensor<3x4xf32>
  %b = nn.load @b : tensor<3xf32>
  %l = arith.constant dense<1.0> : tensor<f32>
  %gw = nn.neg %w : tensor<3x4xf32>
  %gb = nn.neg %b : tensor<3xf32>
  return %l, %gw, %gb : tensor<f32>, tensor<3x4xf32>, tensor<3xf32>
}
// CHECK:       nn.state @bn.running_mean
// CHECK-NEXT:  nn.state @w.grad : tensor<3x4xf32> {{{.*}}role = #nn.role<gradient>}
// CHECK-NEXT:  nn.state @b.grad : tensor<3xf32> {{{.*}}role = #nn.role<gradient>}
// CHECK-NOT:   nn.state @bn.running_mean.grad
// CHECK-LABEL: func.func @grad_step(
// CHECK-SAME:      %{{.*}}: i64) -> tensor<f32> {
// CHECK:         %[[GW:.*]] = nn.neg
// CHECK:         %[[GB:.*]] = nn.neg
// CHECK:         nn.store %[[GW]], @w.grad
// CHECK:         nn.store %[[GB]], @b.grad
// CHECK:         return %{{.*}} : tensor<f32>
