// RUN: kiln-opt %s -nn-fuse-optimizer | FileCheck %s

// What nn-fuse-optimizer leaves out: a non-elementwise gradient (a matmul)
// is an input of the kernel; an op whose result is read outside the update
// (%a, also averaged into the loss) stays and feeds the kernel; the update
// of a state that is neither a parameter nor optimizer state (a running
// mean) is not fused; functions other than @train_step are not touched.

nn.state @w : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @rm : tensor<4xf32> {role = #nn.role<running_mean>, init = #nn.init<zeros>}
func.func @train_step(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %epoch: i64, %seed: i64) -> tensor<f32> {
  %w = nn.load @w : tensor<3x4xf32>
  %rm = nn.load @rm : tensor<4xf32>
  %dy = nn.dense %x, %w : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %g = nn.matmul %dy, %x {transpose_lhs = true} : (tensor<8x3xf32>, tensor<8x4xf32>) -> tensor<3x4xf32>
  %lr = arith.constant dense<0.5> : tensor<f32>
  %half = arith.constant dense<0.25> : tensor<f32>
  %a = nn.mul %lr, %g : (tensor<f32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %b = nn.mul %a, %half : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
  %nw = nn.sub %w, %b : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  nn.store %nw, @w : tensor<3x4xf32>
  %r2 = nn.mul %rm, %half : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %r3 = nn.add %r2, %rm : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  nn.store %r3, @rm : tensor<4xf32>
  %m = nn.mean %a : tensor<3x4xf32> -> tensor<f32>
  return %m : tensor<f32>
}
func.func @predict(%x: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %h = arith.constant dense<0.25> : tensor<f32>
  %a = nn.mul %x, %h : (tensor<8x4xf32>, tensor<f32>) -> tensor<8x4xf32>
  %b = nn.exp %a : tensor<8x4xf32>
  return %b : tensor<8x4xf32>
}

// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[W:.*]] = nn.load @w
// CHECK:         %[[G:.*]] = nn.matmul
// CHECK:         %[[A:.*]] = nn.mul %{{.*}}, %[[G]]
// CHECK-NEXT:    %[[K:.*]] = nn.elementwise ins(%[[A]], %[[W]] : tensor<3x4xf32>, tensor<3x4xf32>) {
// CHECK-NEXT:    ^bb0(%[[EA:.*]]: f32, %[[EW:.*]]: f32):
// CHECK-NEXT:      %[[Q:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-NEXT:      %[[B:.*]] = arith.mulf %[[EA]], %[[Q]] : f32
// CHECK-NEXT:      %[[NW:.*]] = arith.subf %[[EW]], %[[B]] : f32
// CHECK-NEXT:      nn.yield %[[NW]] : f32
// CHECK-NEXT:    } -> tensor<3x4xf32>
// CHECK-NEXT:    nn.store %[[K]], @w
// CHECK-NEXT:    nn.mul
// CHECK-NEXT:    nn.add
// CHECK-NEXT:    nn.store %{{.*}}, @rm
// CHECK-NEXT:    nn.mean %[[A]]
// CHECK-LABEL: func.func @predict(
// CHECK-NOT:     nn.elementwise
// CHECK:         nn.mul
// CHECK-NEXT:    nn.exp
