// RUN: kiln-opt %s -split-input-file -nn-fold-inference | FileCheck %s

// nn-fold-inference, a batch norm on a dense layer's input: x s + t, with
// s = gamma / sqrt(var + eps) and t = beta - mean s, folds into the layer
// as W' = W diag(s) (each input column scaled) and b' = b + W t; the
// layer keeps its activation, and predict reads the prepared W' and b'.

nn.state @bn.gamma : tensor<4xf32> {role = #nn.role<param>, init = #nn.init<ones>}
nn.state @bn.beta : tensor<4xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @bn.running_mean : tensor<4xf32> {role = #nn.role<running_mean>, init = #nn.init<zeros>}
nn.state @bn.running_var : tensor<4xf32> {role = #nn.role<running_var>, init = #nn.init<ones>}
nn.state @d.weight : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<xavier_uniform>, fan_in = 4 : i64, fan_out = 3 : i64}
nn.state @d.bias : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @predict(%x: tensor<8x4xf32>) -> tensor<8x3xf32> {
  %g = nn.load @bn.gamma : tensor<4xf32>
  %be = nn.load @bn.beta : tensor<4xf32>
  %m = nn.load @bn.running_mean : tensor<4xf32>
  %v = nn.load @bn.running_var : tensor<4xf32>
  %y, %nm, %nv = nn.batch_norm %x, %g, %be, %m, %v {eps = 1.0e-3 : f64, momentum = 0.1 : f64, training = false} : (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>)
  %w = nn.load @d.weight : tensor<3x4xf32>
  %b = nn.load @d.bias : tensor<3xf32>
  %0 = nn.dense %y, %w, %b {activation = #nn.act<tanh>} : (tensor<8x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}

// CHECK:       nn.state @d.weight : tensor<3x4xf32>
// CHECK-NEXT:  nn.state @d.weight.folded : tensor<3x4xf32> {init = #nn.init<zeros>, role = #nn.role<prepared>}
// CHECK-NEXT:  nn.state @d.bias.folded : tensor<3xf32> {init = #nn.init<zeros>, role = #nn.role<prepared>}
// CHECK-LABEL: func.func @prepare()
// CHECK:         %[[EPS:.*]] = arith.constant dense<1.000000e-03> : tensor<f32>
// CHECK:         %[[G:.*]] = nn.load @bn.gamma
// CHECK:         %[[BETA:.*]] = nn.load @bn.beta
// CHECK:         %[[MEAN:.*]] = nn.load @bn.running_mean
// CHECK:         %[[VAR:.*]] = nn.load @bn.running_var
// CHECK:         %[[VE:.*]] = nn.add %[[VAR]], %[[EPS]]
// CHECK:         %[[SD:.*]] = nn.sqrt %[[VE]]
// CHECK:         %[[S:.*]] = nn.div %[[G]], %[[SD]] : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
// CHECK:         %[[MS:.*]] = nn.mul %[[MEAN]], %[[S]]
// CHECK:         %[[T:.*]] = nn.sub %[[BETA]], %[[MS]]
// CHECK:         %[[W:.*]] = nn.load @d.weight : tensor<3x4xf32>
// CHECK:         %[[ROW:.*]] = nn.reshape %[[S]] : tensor<4xf32> -> tensor<1x4xf32>
// CHECK:         %[[WS:.*]] = nn.mul %[[W]], %[[ROW]] : (tensor<3x4xf32>, tensor<1x4xf32>) -> tensor<3x4xf32>
// CHECK:         %[[TC:.*]] = nn.reshape %[[T]] : tensor<4xf32> -> tensor<4x1xf32>
// CHECK:         %[[WT:.*]] = nn.matmul %[[W]], %[[TC]] : (tensor<3x4xf32>, tensor<4x1xf32>) -> tensor<3x1xf32>
// CHECK:         %[[SHIFT:.*]] = nn.reshape %[[WT]] : tensor<3x1xf32> -> tensor<3xf32>
// CHECK:         %[[B:.*]] = nn.load @d.bias
// CHECK:         %[[NB:.*]] = nn.add %[[B]], %[[SHIFT]]
// CHECK:         nn.store %[[WS]], @d.weight.folded
// CHECK:         nn.store %[[NB]], @d.bias.folded
// CHECK-LABEL: func.func @predict(
// CHECK-SAME:      %[[X:.*]]: tensor<8x4xf32>)
// CHECK-NOT:     nn.batch_norm
// CHECK:         %[[FW:.*]] = nn.load @d.weight.folded
// CHECK:         %[[FB:.*]] = nn.load @d.bias.folded
// CHECK:         %[[R:.*]] = nn.dense %[[X]], %[[FW]], %[[FB]] {activation = #nn.act<tanh>}
// CHECK:         return %[[R]]

// -----

// Without a bias the folded bias is W t alone.
nn.state @bn.gamma : tensor<4xf32> {role = #nn.role<param>, init = #nn.init<ones>}
nn.state @bn.beta : tensor<4xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @bn.running_mean : tensor<4xf32> {role = #nn.role<running_mean>, init = #nn.init<zeros>}
nn.state @bn.running_var : tensor<4xf32> {role = #nn.role<running_var>, init = #nn.init<ones>}
nn.state @d.weight : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<xavier_uniform>, fan_in = 4 : i64, fan_out = 3 : i64}
func.func @predict(%x: tensor<8x4xf32>) -> tensor<8x3xf32> {
  %g = nn.load @bn.gamma : tensor<4xf32>
  %be = nn.load @bn.beta : tensor<4xf32>
  %m = nn.load @bn.running_mean : tensor<4xf32>
  %v = nn.load @bn.running_var : tensor<4xf32>
  %y, %nm, %nv = nn.batch_norm %x, %g, %be, %m, %v {eps = 1.0e-5 : f64, momentum = 0.1 : f64, training = false} : (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>)
  %w = nn.load @d.weight : tensor<3x4xf32>
  %0 = nn.dense %y, %w : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}

// CHECK-LABEL: func.func @prepare()
// CHECK:         %[[WT:.*]] = nn.matmul
// CHECK:         %[[SHIFT:.*]] = nn.reshape %[[WT]] : tensor<3x1xf32> -> tensor<3xf32>
// CHECK-NOT:     nn.add
// CHECK:         nn.store %[[SHIFT]], @d.bias.folded
// CHECK-LABEL: func.func @predict(
// CHECK-NOT:     nn.batch_norm
// CHECK:         nn.dense %{{.*}}, %{{.*}}, %{{.*}} : (tensor<8x4xf32>, tensor<3x4xf32>, tensor<3xf32>)

// -----

// Must not fold into the next layer: a norm with an activation of its own
// (no longer affine), a norm whose result has another use, and a norm in
// training mode. Nothing to fold: no @prepare.
nn.state @bn.gamma : tensor<4xf32> {role = #nn.role<param>, init = #nn.init<ones>}
nn.state @bn.beta : tensor<4xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @bn.running_mean : tensor<4xf32> {role = #nn.role<running_mean>, init = #nn.init<zeros>}
nn.state @bn.running_var : tensor<4xf32> {role = #nn.role<running_var>, init = #nn.init<ones>}
nn.state @d.weight : tensor<4x4xf32> {role = #nn.role<param>, init = #nn.init<xavier_uniform>, fan_in = 4 : i64, fan_out = 4 : i64}
func.func @predict(%x: tensor<8x4xf32>, %x2: tensor<8x4xf32>, %x3: tensor<8x4xf32>) -> (tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>) {
  %g = nn.load @bn.gamma : tensor<4xf32>
  %be = nn.load @bn.beta : tensor<4xf32>
  %m = nn.load @bn.running_mean : tensor<4xf32>
  %v = nn.load @bn.running_var : tensor<4xf32>
  %w = nn.load @d.weight : tensor<4x4xf32>
  %y, %nm, %nv = nn.batch_norm %x, %g, %be, %m, %v {activation = #nn.act<relu>, eps = 1.0e-5 : f64, momentum = 0.1 : f64, training = false, fused} : (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>)
  %0 = nn.dense %y, %w : (tensor<8x4xf32>, tensor<4x4xf32>) -> tensor<8x4xf32>
  %y2, %nm2, %nv2 = nn.batch_norm %x2, %g, %be, %m, %v {eps = 1.0e-5 : f64, momentum = 0.1 : f64, training = false} : (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>)
  %1 = nn.dense %y2, %w : (tensor<8x4xf32>, tensor<4x4xf32>) -> tensor<8x4xf32>
  %2 = nn.add %1, %y2 : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<8x4xf32>
  %y3, %nm3, %nv3 = nn.batch_norm %x3, %g, %be, %m, %v {eps = 1.0e-5 : f64, momentum = 0.1 : f64, training = true} : (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>)
  %3 = nn.dense %y3, %w : (tensor<8x4xf32>, tensor<4x4xf32>) -> tensor<8x4xf32>
  return %0, %2, %3 : tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>
}

// CHECK-NOT:   func.func @prepare
// CHECK-LABEL: func.func @predict(
// CHECK-COUNT-3: nn.batch_norm
// CHECK-NOT:   .folded
