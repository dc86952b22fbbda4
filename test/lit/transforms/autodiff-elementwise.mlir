// RUN: kiln-opt %s -split-input-file -nn-autodiff | FileCheck %s

// The derivative rules of the elementwise ops, with and without
// broadcasting. Each @forward returns the mean of the op's result, so the
// result's gradient %DY is 1/n broadcast.

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @b : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %b = nn.load @b : tensor<4x3xf32>
  %c = nn.add %a, %b : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  %m = nn.mean %c : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// Same shapes: both operands get dy itself.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NOT:     nn.sum_to
// CHECK-NEXT:    return %{{.*}}, %[[DY]], %[[DY]]

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @b : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %b = nn.load @b : tensor<3xf32>
  %c = nn.add %a, %b : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %m = nn.mean %c : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// A broadcast operand gets dy summed back to its shape.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      tensor<4x3xf32> {nn.grad_of = @a}, tensor<3xf32> {nn.grad_of = @b})
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DB:.*]] = nn.sum_to %[[DY]] : tensor<4x3xf32> -> tensor<3xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DY]], %[[DB]]

// -----

nn.state @a : tensor<4x1xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @b : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x1xf32>
  %b = nn.load @b : tensor<4x3xf32>
  %c = nn.sub %a, %b : (tensor<4x1xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  %m = nn.mean %c : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// sub: d lhs = sum_to(dy), d rhs = -dy; here the lhs is the broadcast one
// ([4, 1] stretched along the columns).
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      tensor<4x1xf32> {nn.grad_of = @a}, tensor<4x3xf32> {nn.grad_of = @b})
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DA:.*]] = nn.sum_to %[[DY]] : tensor<4x3xf32> -> tensor<4x1xf32>
// CHECK-NEXT:    %[[DB:.*]] = nn.neg %[[DY]] : tensor<4x3xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DA]], %[[DB]]

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @b : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %b = nn.load @b : tensor<4x3xf32>
  %c = nn.sub %a, %b : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  %m = nn.mean %c : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// sub without broadcasting: no sum_to.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DB:.*]] = nn.neg %[[DY]]
// CHECK-NEXT:    return %{{.*}}, %[[DY]], %[[DB]]

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @b : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %b = nn.load @b : tensor<4x3xf32>
  %c = nn.mul %a, %b : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  %m = nn.mean %c : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// mul: d lhs = dy rhs, d rhs = dy lhs.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[A:.*]] = nn.load @a
// CHECK:         %[[B:.*]] = nn.load @b
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DA:.*]] = nn.mul %[[DY]], %[[B]] : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
// CHECK-NEXT:    %[[DB:.*]] = nn.mul %[[DY]], %[[A]] : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DA]], %[[DB]]

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @b : tensor<f32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %b = nn.load @b : tensor<f32>
  %c = nn.mul %a, %b : (tensor<4x3xf32>, tensor<f32>) -> tensor<4x3xf32>
  %m = nn.mean %c : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// mul by a rank-0 parameter: its gradient is sum(dy lhs), a scalar.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      tensor<4x3xf32> {nn.grad_of = @a}, tensor<f32> {nn.grad_of = @b})
// CHECK:         %[[A:.*]] = nn.load @a
// CHECK:         %[[B:.*]] = nn.load @b
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DA:.*]] = nn.mul %[[DY]], %[[B]] : (tensor<4x3xf32>, tensor<f32>) -> tensor<4x3xf32>
// CHECK-NEXT:    %[[P:.*]] = nn.mul %[[DY]], %[[A]]
// CHECK-NEXT:    %[[DB:.*]] = nn.sum_to %[[P]] : tensor<4x3xf32> -> tensor<f32>
// CHECK-NEXT:    return %{{.*}}, %[[DA]], %[[DB]]

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @b : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %b = nn.load @b : tensor<4x3xf32>
  %c = nn.div %a, %b : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  %m = nn.mean %c : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// div: d lhs = dy / rhs, d rhs = -(dy (lhs / rhs)) / rhs, reusing the
// forward result lhs / rhs.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[B:.*]] = nn.load @b
// CHECK:         %[[C:.*]] = nn.div
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DA:.*]] = nn.div %[[DY]], %[[B]]
// CHECK-NEXT:    %[[T:.*]] = nn.mul %[[DY]], %[[C]]
// CHECK-NEXT:    %[[U:.*]] = nn.div %[[T]], %[[B]]
// CHECK-NEXT:    %[[DB:.*]] = nn.neg %[[U]]
// CHECK-NEXT:    return %{{.*}}, %[[DA]], %[[DB]]

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @b : tensor<1x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %b = nn.load @b : tensor<1x3xf32>
  %c = nn.div %a, %b : (tensor<4x3xf32>, tensor<1x3xf32>) -> tensor<4x3xf32>
  %m = nn.mean %c : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// div by a broadcast [1, 3] divisor: its gradient is summed over the rows.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      tensor<4x3xf32> {nn.grad_of = @a}, tensor<1x3xf32> {nn.grad_of = @b})
// CHECK:         %[[B:.*]] = nn.load @b
// CHECK:         %[[C:.*]] = nn.div
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DA:.*]] = nn.div %[[DY]], %[[B]] : (tensor<4x3xf32>, tensor<1x3xf32>) -> tensor<4x3xf32>
// CHECK-NEXT:    %[[T:.*]] = nn.mul %[[DY]], %[[C]]
// CHECK-NEXT:    %[[U:.*]] = nn.div %[[T]], %[[B]]
// CHECK-NEXT:    %[[V:.*]] = nn.neg %[[U]]
// CHECK-NEXT:    %[[DB:.*]] = nn.sum_to %[[V]] : tensor<4x3xf32> -> tensor<1x3xf32>
// CHECK-NEXT:    return %{{.*}}, %[[DA]], %[[DB]]

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %c = nn.neg %a : tensor<4x3xf32>
  %m = nn.mean %c : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// neg: -dy.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DA:.*]] = nn.neg %[[DY]]
// CHECK-NEXT:    return %{{.*}}, %[[DA]]

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %c = nn.exp %a : tensor<4x3xf32>
  %m = nn.mean %c : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// exp: dy e^x, reusing the forward result.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[E:.*]] = nn.exp
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DA:.*]] = nn.mul %[[DY]], %[[E]]
// CHECK-NEXT:    return %{{.*}}, %[[DA]]

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %c = nn.log %a : tensor<4x3xf32>
  %m = nn.mean %c : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// log: dy / x.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[A:.*]] = nn.load @a
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[DA:.*]] = nn.div %[[DY]], %[[A]]
// CHECK-NEXT:    return %{{.*}}, %[[DA]]

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %c = nn.sqrt %a : tensor<4x3xf32>
  %m = nn.mean %c : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// sqrt: dy 0.5 / sqrt(x), reusing the forward result.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[S:.*]] = nn.sqrt
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[HALF:.*]] = arith.constant dense<5.000000e-01> : tensor<f32>
// CHECK-NEXT:    %[[T:.*]] = nn.mul %[[DY]], %[[HALF]] : (tensor<4x3xf32>, tensor<f32>) -> tensor<4x3xf32>
// CHECK-NEXT:    %[[DA:.*]] = nn.div %[[T]], %[[S]]
// CHECK-NEXT:    return %{{.*}}, %[[DA]]

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %c = nn.abs %a : tensor<4x3xf32>
  %m = nn.mean %c : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// abs: dy sign(x).
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[A:.*]] = nn.load @a
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK-NEXT:    %[[S:.*]] = nn.sign %[[A]]
// CHECK-NEXT:    %[[DA:.*]] = nn.mul %[[DY]], %[[S]]
// CHECK-NEXT:    return %{{.*}}, %[[DA]]

// -----

nn.state @a : tensor<4x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @forward(%x: tensor<4x3xf32>, %y: tensor<4xf32>, %step: i64, %seed: i64) -> tensor<f32> {
  %a = nn.load @a : tensor<4x3xf32>
  %s = nn.sign %a : tensor<4x3xf32>
  %c = nn.mul %s, %a : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  %m = nn.mean %c : tensor<4x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}

// sign is flat: nothing flows back through it, so the gradient of
// sign(a) * a is dy sign(a) alone, the mul's contribution for its rhs.
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[S:.*]] = nn.sign
// CHECK:         %[[DY:.*]] = nn.broadcast_to
// CHECK:         %[[DA:.*]] = nn.mul %[[DY]], %[[S]]
// CHECK-NOT:     nn.add
// CHECK:         return %{{.*}}, %[[DA]]
