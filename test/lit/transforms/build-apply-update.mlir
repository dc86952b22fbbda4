// RUN: kiln-opt %s -nn-build-apply-update | FileCheck %s

// nn-build-apply-update: beside the untouched @train_step, @apply_update
// (step, epoch) loads each parameter and its gradient state (declared last)
// and returns the gradients marked nn.grad_of, for nn-lower-optimizer to
// turn into updates.

nn.state @w : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<he_uniform>, fan_in = 4 : i64, fan_out = 3 : i64}
nn.state @w.exp_avg : tensor<3x4xf32> {role = #nn.role<optimizer>, init = #nn.init<zeros>}
nn.state @b : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @train_step(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %seed: i64) -> (tensor<f32>, tensor<3x4xf32> {nn.grad_of = @w}, tensor<3xf32> {nn.grad_of = @b}) {
  %w = nn.load @w : tensor<3x4xf32>
  %b = nn.load @b : tensor<3xf32>
  %l = arith.constant dense<1.0> : tensor<f32>
  %gw = nn.neg %w : tensor<3x4xf32>
  %gb = nn.neg %b : tensor<3xf32>
  return %l, %gw, %gb : tensor<f32>, tensor<3x4xf32>, tensor<3xf32>
}
// CHECK:       nn.state @b :
// CHECK-NEXT:  nn.state @w.grad : tensor<3x4xf32> {{{.*}}role = #nn.role<gradient>}
// CHECK-NEXT:  nn.state @b.grad : tensor<3xf32> {{{.*}}role = #nn.role<gradient>}
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      -> (tensor<f32>, tensor<3x4xf32> {nn.grad_of = @w}, tensor<3xf32> {nn.grad_of = @b})
// CHECK-NOT:     nn.store
// CHECK:         return
// CHECK-LABEL: func.func @apply_update(
// CHECK-SAME:      %{{.*}}: i64, %{{.*}}: i64) -> (tensor<3x4xf32> {nn.grad_of = @w}, tensor<3xf32> {nn.grad_of = @b})
// CHECK-NEXT:    nn.load @w : tensor<3x4xf32>
// CHECK-NEXT:    %[[GW:.*]] = nn.load @w.grad : tensor<3x4xf32>
// CHECK-NEXT:    nn.load @b : tensor<3xf32>
// CHECK-NEXT:    %[[GB:.*]] = nn.load @b.grad : tensor<3xf32>
// CHECK-NEXT:    return %[[GW]], %[[GB]]
