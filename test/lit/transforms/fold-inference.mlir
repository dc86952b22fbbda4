// RUN: kiln-opt %s -split-input-file -nn-fold-inference | FileCheck %s

// nn-fold-inference (the `predict` stage): in @predict, a dense layer whose
// only user is an inference-mode batch norm becomes one dense layer over
// `prepared` states W' = W s, b' = (b - mean) s + beta, s = gamma /
// sqrt(var + eps), keeping the norm's activation. A new @prepare computes
// them once from the state and copies every other state that predict reads
// (load + store of the same state: from the state into the prediction
// state). Nothing else changes: eval_step keeps its batch norm.

nn.state @d.weight : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<xavier_uniform>, fan_in = 4 : i64, fan_out = 3 : i64}
nn.state @d.bias : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @bn.gamma : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<ones>}
nn.state @bn.beta : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @bn.running_mean : tensor<3xf32> {role = #nn.role<running_mean>, init = #nn.init<zeros>}
nn.state @bn.running_var : tensor<3xf32> {role = #nn.role<running_var>, init = #nn.init<ones>}
nn.state @e.weight : tensor<2x3xf32> {role = #nn.role<param>, init = #nn.init<xavier_uniform>, fan_in = 3 : i64, fan_out = 2 : i64}
nn.state @bn2.gamma : tensor<2xf32> {role = #nn.role<param>, init = #nn.init<ones>}
nn.state @bn2.beta : tensor<2xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @bn2.running_mean : tensor<2xf32> {role = #nn.role<running_mean>, init = #nn.init<zeros>}
nn.state @bn2.running_var : tensor<2xf32> {role = #nn.role<running_var>, init = #nn.init<ones>}
nn.state @out.weight : tensor<2x2xf32> {role = #nn.role<param>, init = #nn.init<xavier_uniform>, fan_in = 2 : i64, fan_out = 2 : i64}
func.func @predict(%x: tensor<8x4xf32>) -> tensor<8x2xf32> {
  %w = nn.load @d.weight : tensor<3x4xf32>
  %b = nn.load @d.bias : tensor<3xf32>
  %0 = nn.dense %x, %w, %b : (tensor<8x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  %g = nn.load @bn.gamma : tensor<3xf32>
  %be = nn.load @bn.beta : tensor<3xf32>
  %m = nn.load @bn.running_mean : tensor<3xf32>
  %v = nn.load @bn.running_var : tensor<3xf32>
  %y, %nm, %nv = nn.batch_norm %0, %g, %be, %m, %v {activation = #nn.act<relu>, eps = 1.0e-3 : f64, momentum = 0.1 : f64, training = false, fused} : (tensor<8x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<8x3xf32>, tensor<3xf32>, tensor<3xf32>)
  %ew = nn.load @e.weight : tensor<2x3xf32>
  %1 = nn.dense %y, %ew : (tensor<8x3xf32>, tensor<2x3xf32>) -> tensor<8x2xf32>
  %g2 = nn.load @bn2.gamma : tensor<2xf32>
  %be2 = nn.load @bn2.beta : tensor<2xf32>
  %m2 = nn.load @bn2.running_mean : tensor<2xf32>
  %v2 = nn.load @bn2.running_var : tensor<2xf32>
  %y2, %nm2, %nv2 = nn.batch_norm %1, %g2, %be2, %m2, %v2 {eps = 1.0e-5 : f64, momentum = 0.1 : f64, training = false} : (tensor<8x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<8x2xf32>, tensor<2xf32>, tensor<2xf32>)
  %ow = nn.load @out.weight : tensor<2x2xf32>
  %2 = nn.dense %y2, %ow : (tensor<8x2xf32>, tensor<2x2xf32>) -> tensor<8x2xf32>
  return %2 : tensor<8x2xf32>
}
func.func @eval_step(%x: tensor<8x4xf32>) -> tensor<8x3xf32> {
  %w = nn.load @d.weight : tensor<3x4xf32>
  %b = nn.load @d.bias : tensor<3xf32>
  %0 = nn.dense %x, %w, %b : (tensor<8x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  %g = nn.load @bn.gamma : tensor<3xf32>
  %be = nn.load @bn.beta : tensor<3xf32>
  %m = nn.load @bn.running_mean : tensor<3xf32>
  %v = nn.load @bn.running_var : tensor<3xf32>
  %y, %nm, %nv = nn.batch_norm %0, %g, %be, %m, %v {eps = 1.0e-3 : f64, momentum = 0.1 : f64, training = false} : (tensor<8x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<8x3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %y : tensor<8x3xf32>
}

// Two prepared states per folded layer, named after the dense layer,
// declared after its weight, zero-initialized (prepare writes them).
// CHECK:       nn.state @d.weight : tensor<3x4xf32>
// CHECK-NEXT:  nn.state @d.weight.folded : tensor<3x4xf32> {init = #nn.init<zeros>, role = #nn.role<prepared>}
// CHECK-NEXT:  nn.state @d.bias.folded : tensor<3xf32> {init = #nn.init<zeros>, role = #nn.role<prepared>}
// CHECK-NEXT:  nn.state @d.bias : tensor<3xf32>
// CHECK:       nn.state @e.weight : tensor<2x3xf32>
// CHECK-NEXT:  nn.state @e.weight.folded : tensor<2x3xf32> {init = #nn.init<zeros>, role = #nn.role<prepared>}
// CHECK-NEXT:  nn.state @e.bias.folded : tensor<2xf32> {init = #nn.init<zeros>, role = #nn.role<prepared>}
// CHECK-NOT:   role = #nn.role<prepared>

// @prepare, the first layer: s = gamma / sqrt(var + eps) with the norm's
// own eps (1e-3 as f32), W' = W * s as a column [3, 1] (each output row of W
// scaled), b' = (b - mean) s + beta.
// CHECK-LABEL: func.func @prepare() {
// CHECK-NEXT:    %[[EPS:.*]] = arith.constant dense<1.000000e-03> : tensor<f32>
// CHECK-NEXT:    %[[G:.*]] = nn.load @bn.gamma : tensor<3xf32>
// CHECK-NEXT:    %[[BE:.*]] = nn.load @bn.beta : tensor<3xf32>
// CHECK-NEXT:    %[[M:.*]] = nn.load @bn.running_mean : tensor<3xf32>
// CHECK-NEXT:    %[[V:.*]] = nn.load @bn.running_var : tensor<3xf32>
// CHECK-NEXT:    %[[VE:.*]] = nn.add %[[V]], %[[EPS]] : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
// CHECK-NEXT:    %[[SD:.*]] = nn.sqrt %[[VE]] : tensor<3xf32>
// CHECK-NEXT:    %[[S:.*]] = nn.div %[[G]], %[[SD]] : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
// CHECK-NEXT:    %[[COL:.*]] = nn.reshape %[[S]] : tensor<3xf32> -> tensor<3x1xf32>
// CHECK-NEXT:    %[[W:.*]] = nn.load @d.weight : tensor<3x4xf32>
// CHECK-NEXT:    %[[FW:.*]] = nn.mul %[[W]], %[[COL]] : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
// CHECK-NEXT:    %[[B:.*]] = nn.load @d.bias : tensor<3xf32>
// CHECK-NEXT:    %[[BM:.*]] = nn.sub %[[B]], %[[M]] : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
// CHECK-NEXT:    %[[BS:.*]] = nn.mul %[[BM]], %[[S]] : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
// CHECK-NEXT:    %[[FB:.*]] = nn.add %[[BS]], %[[BE]] : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
// CHECK-NEXT:    nn.store %[[FW]], @d.weight.folded : tensor<3x4xf32>
// CHECK-NEXT:    nn.store %[[FB]], @d.bias.folded : tensor<3xf32>
// The second layer has no bias: b' = -mean s + beta; its eps is the
// default 1e-5.
// CHECK-NEXT:    %[[EPS2:.*]] = arith.constant dense<9.99999974E-6> : tensor<f32>
// CHECK-NEXT:    %[[G2:.*]] = nn.load @bn2.gamma : tensor<2xf32>
// CHECK-NEXT:    %[[BE2:.*]] = nn.load @bn2.beta : tensor<2xf32>
// CHECK-NEXT:    %[[M2:.*]] = nn.load @bn2.running_mean : tensor<2xf32>
// CHECK-NEXT:    %[[V2:.*]] = nn.load @bn2.running_var : tensor<2xf32>
// CHECK-NEXT:    %[[VE2:.*]] = nn.add %[[V2]], %[[EPS2]]
// CHECK-NEXT:    %[[SD2:.*]] = nn.sqrt %[[VE2]]
// CHECK-NEXT:    %[[S2:.*]] = nn.div %[[G2]], %[[SD2]]
// CHECK-NEXT:    %[[COL2:.*]] = nn.reshape %[[S2]] : tensor<2xf32> -> tensor<2x1xf32>
// CHECK-NEXT:    %[[W2:.*]] = nn.load @e.weight : tensor<2x3xf32>
// CHECK-NEXT:    %[[FW2:.*]] = nn.mul %[[W2]], %[[COL2]]
// CHECK-NEXT:    %[[NM2:.*]] = nn.neg %[[M2]] : tensor<2xf32>
// CHECK-NEXT:    %[[BS2:.*]] = nn.mul %[[NM2]], %[[S2]]
// CHECK-NEXT:    %[[FB2:.*]] = nn.add %[[BS2]], %[[BE2]]
// CHECK-NEXT:    nn.store %[[FW2]], @e.weight.folded : tensor<2x3xf32>
// CHECK-NEXT:    nn.store %[[FB2]], @e.bias.folded : tensor<2xf32>
// The unfolded state that predict still reads is copied, and only that.
// CHECK-NEXT:    %[[OW:.*]] = nn.load @out.weight : tensor<2x2xf32>
// CHECK-NEXT:    nn.store %[[OW]], @out.weight : tensor<2x2xf32>
// CHECK-NEXT:    return

// @predict: two dense layers over the prepared states (the first with the
// norm's relu), no batch norm, no load of what was folded.
// CHECK-LABEL: func.func @predict(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<8x4xf32>)
// CHECK-NEXT:    %[[W:.*]] = nn.load @d.weight.folded : tensor<3x4xf32>
// CHECK-NEXT:    %[[B:.*]] = nn.load @d.bias.folded : tensor<3xf32>
// CHECK-NEXT:    %[[H:.*]] = nn.dense %[[X]], %[[W]], %[[B]] {activation = #nn.act<relu>} : (tensor<8x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<8x3xf32>
// CHECK-NEXT:    %[[W2:.*]] = nn.load @e.weight.folded : tensor<2x3xf32>
// CHECK-NEXT:    %[[B2:.*]] = nn.load @e.bias.folded : tensor<2xf32>
// CHECK-NEXT:    %[[H2:.*]] = nn.dense %[[H]], %[[W2]], %[[B2]] : (tensor<8x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<8x2xf32>
// CHECK-NEXT:    %[[OW:.*]] = nn.load @out.weight : tensor<2x2xf32>
// CHECK-NEXT:    %[[O:.*]] = nn.dense %[[H2]], %[[OW]] : (tensor<8x2xf32>, tensor<2x2xf32>) -> tensor<8x2xf32>
// CHECK-NEXT:    return %[[O]]

// CHECK-LABEL: func.func @eval_step(
// CHECK:         nn.load @d.weight : tensor<3x4xf32>
// CHECK:         nn.batch_norm
// CHECK-NOT:     folded

// -----

// Nothing folds: no @prepare and no prepared state (predict then reads the
// state itself), and predict is unchanged. Not folded: a batch norm in
// training mode; a dense result that is also used elsewhere (here added to
// the norm's output); a dense layer that has an activation of its own; a
// weight that is no state (prepare could not compute W'); a batch norm of
// something else than a dense layer.

nn.state @d.weight : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<xavier_uniform>, fan_in = 4 : i64, fan_out = 3 : i64}
nn.state @d.bias : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @bn.gamma : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<ones>}
nn.state @bn.beta : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @bn.running_mean : tensor<3xf32> {role = #nn.role<running_mean>, init = #nn.init<zeros>}
nn.state @bn.running_var : tensor<3xf32> {role = #nn.role<running_var>, init = #nn.init<ones>}
func.func @predict(%x: tensor<8x4xf32>, %wa: tensor<3x4xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>) {
  %w = nn.load @d.weight : tensor<3x4xf32>
  %b = nn.load @d.bias : tensor<3xf32>
  %g = nn.load @bn.gamma : tensor<3xf32>
  %be = nn.load @bn.beta : tensor<3xf32>
  %m = nn.load @bn.running_mean : tensor<3xf32>
  %v = nn.load @bn.running_var : tensor<3xf32>
  %0 = nn.dense %x, %w, %b : (tensor<8x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  %y0, %a0, %b0 = nn.batch_norm %0, %g, %be, %m, %v {eps = 1.0e-5 : f64, momentum = 0.1 : f64, training = true} : (tensor<8x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<8x3xf32>, tensor<3xf32>, tensor<3xf32>)
  %1 = nn.dense %x, %w, %b : (tensor<8x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  %y1, %a1, %b1 = nn.batch_norm %1, %g, %be, %m, %v {eps = 1.0e-5 : f64, momentum = 0.1 : f64, training = false} : (tensor<8x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<8x3xf32>, tensor<3xf32>, tensor<3xf32>)
  %s1 = nn.add %y1, %1 : (tensor<8x3xf32>, tensor<8x3xf32>) -> tensor<8x3xf32>
  %2 = nn.dense %x, %w, %b {activation = #nn.act<tanh>} : (tensor<8x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  %y2, %a2, %b2 = nn.batch_norm %2, %g, %be, %m, %v {eps = 1.0e-5 : f64, momentum = 0.1 : f64, training = false} : (tensor<8x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<8x3xf32>, tensor<3xf32>, tensor<3xf32>)
  %3 = nn.dense %x, %wa, %b : (tensor<8x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  %y3, %a3, %b3 = nn.batch_norm %3, %g, %be, %m, %v {eps = 1.0e-5 : f64, momentum = 0.1 : f64, training = false} : (tensor<8x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<8x3xf32>, tensor<3xf32>, tensor<3xf32>)
  %4 = nn.dense %x, %w, %b : (tensor<8x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  %5 = nn.add %4, %4 : (tensor<8x3xf32>, tensor<8x3xf32>) -> tensor<8x3xf32>
  %y4, %a4, %b4 = nn.batch_norm %5, %g, %be, %m, %v {eps = 1.0e-5 : f64, momentum = 0.1 : f64, training = false} : (tensor<8x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<8x3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %y0, %s1, %y2, %y3, %y4 : tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>
}

// CHECK-NOT:     role = #nn.role<prepared>
// CHECK-NOT:     func.func @prepare
// CHECK-LABEL: func.func @predict(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<8x4xf32>, %[[WA:[^:]*]]: tensor<3x4xf32>)
// CHECK-COUNT-6: nn.load
// CHECK-NEXT:    %[[D0:.*]] = nn.dense
// CHECK-NEXT:    nn.batch_norm %[[D0]], {{.*}} training = true}
// CHECK-NEXT:    %[[D1:.*]] = nn.dense
// CHECK-NEXT:    %[[Y1:[^,]*]], {{.*}} = nn.batch_norm %[[D1]], {{.*}} training = false}
// CHECK-NEXT:    nn.add %[[Y1]], %[[D1]]
// CHECK-NEXT:    %[[D2:.*]] = nn.dense {{.*}} {activation = #nn.act<tanh>}
// CHECK-NEXT:    nn.batch_norm %[[D2]], {{.*}} training = false}
// CHECK-NEXT:    %[[D3:.*]] = nn.dense %[[X]], %[[WA]],
// CHECK-NEXT:    nn.batch_norm %[[D3]], {{.*}} training = false}
// CHECK-NEXT:    %[[D4:.*]] = nn.dense
// CHECK-NEXT:    %[[S4:.*]] = nn.add %[[D4]], %[[D4]]
// CHECK-NEXT:    nn.batch_norm %[[S4]], {{.*}} training = false}
// CHECK-NEXT:    return
// CHECK-NOT:     func.func @prepare

// -----

// A module without @predict is left alone.
func.func @train_step(%x: tensor<8x4xf32>) -> tensor<8x4xf32> {
  return %x : tensor<8x4xf32>
}
// CHECK-LABEL: func.func @train_step(
// CHECK-NOT:     func.func @prepare
