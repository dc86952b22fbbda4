// RUN: kiln-opt %s -nn-fuse-norm | FileCheck %s

// nn-fuse-norm (the `fused` stage): every batch and layer norm and their
// gradients are marked `fused` (statistics in one pass); an activation that
// is the norm's only user moves into the norm (`activation`), and the
// gradient through it into the norm's gradient, which then takes the
// activation output's gradient and beta (to recompute gamma xhat + beta).

// Training batch norm + relu: relu's gradient reads relu's output, so the
// normalized values have one use (relu). Both the forward and the backward
// fusions fire; the activation gradient is gone, and the norm gradient
// reads the gradient of relu's output directly.
func.func @bn_relu_train(%x: tensor<4x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %rm: tensor<3xf32>, %rv: tensor<3xf32>, %dy: tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %y, %m, %v = nn.batch_norm %x, %g, %b, %rm, %rv {eps = 1.0e-5 : f64, momentum = 0.1 : f64, training = true} : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  %a = nn.relu %y : tensor<4x3xf32>
  %da = nn.activation_grad %a, %dy {activation = #nn.act<relu>, from_output = true} : tensor<4x3xf32>
  %dx, %dg, %db = nn.batch_norm_grad %x, %g, %da {eps = 1.0e-5 : f64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %a, %m, %v, %dx, %dg, %db : tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>
}
// CHECK-LABEL: func.func @bn_relu_train(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<4x3xf32>, %[[G:[^:]*]]: tensor<3xf32>, %[[B:[^:]*]]: tensor<3xf32>, %[[RM:[^:]*]]: tensor<3xf32>, %[[RV:[^:]*]]: tensor<3xf32>, %[[DY:[^:]*]]: tensor<4x3xf32>)
// CHECK-NEXT:    %[[Y:[^,]*]], %[[M:[^,]*]], %[[V:[^ ]*]] = nn.batch_norm %[[X]], %[[G]], %[[B]], %[[RM]], %[[RV]] {activation = #nn.act<relu>, eps = 1.000000e-05 : f64, fused, momentum = 1.000000e-01 : f64, training = true}
// CHECK-NEXT:    %[[DX:[^,]*]], %[[DG:[^,]*]], %[[DB:[^ ]*]] = nn.batch_norm_grad %[[X]], %[[G]], %[[DY]] beta(%[[B]]) {activation = #nn.act<relu>, eps = 1.000000e-05 : f64, fused}
// CHECK-NEXT:    return %[[Y]], %[[M]], %[[V]], %[[DX]], %[[DG]], %[[DB]] :

// Layer norm + gelu: gelu's gradient reads the normalized values (its
// input), a second use; the backward fusion removes it first, then the
// forward fusion fires too. eps is kept.
func.func @ln_gelu_train(%x: tensor<4x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %dy: tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %y = nn.layer_norm %x, %g, %b {eps = 1.0e-4 : f64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %a = nn.gelu %y : tensor<4x3xf32>
  %da = nn.activation_grad %y, %dy {activation = #nn.act<gelu>} : tensor<4x3xf32>
  %dx, %dg, %db = nn.layer_norm_grad %x, %g, %da {eps = 1.0e-4 : f64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %a, %dx, %dg, %db : tensor<4x3xf32>, tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>
}
// CHECK-LABEL: func.func @ln_gelu_train(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<4x3xf32>, %[[G:[^:]*]]: tensor<3xf32>, %[[B:[^:]*]]: tensor<3xf32>, %[[DY:[^:]*]]: tensor<4x3xf32>)
// CHECK-NEXT:    %[[Y:.*]] = nn.layer_norm %[[X]], %[[G]], %[[B]] {activation = #nn.act<gelu>, eps = 1.000000e-04 : f64, fused}
// CHECK-NEXT:    %[[DX:[^,]*]], %{{[^,]*}}, %{{[^ ]*}} = nn.layer_norm_grad %[[X]], %[[G]], %[[DY]] beta(%[[B]]) {activation = #nn.act<gelu>, eps = 1.000000e-04 : f64, fused}
// CHECK-NEXT:    return %[[Y]], %[[DX]],

// Parameters of the activation are kept (approximate gelu, swish's beta).
func.func @params(%x: tensor<4x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %rm: tensor<3xf32>, %rv: tensor<3xf32>) -> (tensor<4x3xf32>, tensor<4x3xf32>) {
  %y, %m, %v = nn.batch_norm %x, %g, %b, %rm, %rv {eps = 1.0e-5 : f64, momentum = 0.1 : f64, training = true} : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  %a = nn.swish %y {beta = 1.5 : f64} : tensor<4x3xf32>
  %l = nn.layer_norm %x, %g, %b {eps = 1.0e-5 : f64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %c = nn.gelu %l {approximate = true} : tensor<4x3xf32>
  return %a, %c : tensor<4x3xf32>, tensor<4x3xf32>
}
// CHECK-LABEL: func.func @params(
// CHECK-NEXT:    %[[Y:[^,]*]], {{.*}} = nn.batch_norm {{.*}} {activation = #nn.act<swish, 1.500000e+00>, {{.*}}fused
// CHECK-NEXT:    %[[L:.*]] = nn.layer_norm {{.*}} {activation = #nn.act<gelu_sigmoid>, {{.*}}fused
// CHECK-NEXT:    return %[[Y]], %[[L]]

// Inference-mode batch norm (eval_step, predict): the activation fuses too.
func.func @bn_eval(%x: tensor<4x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %rm: tensor<3xf32>, %rv: tensor<3xf32>) -> tensor<4x3xf32> {
  %y, %m, %v = nn.batch_norm %x, %g, %b, %rm, %rv {eps = 1.0e-5 : f64, momentum = 0.1 : f64, training = false} : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  %a = nn.sigmoid %y : tensor<4x3xf32>
  return %a : tensor<4x3xf32>
}
// CHECK-LABEL: func.func @bn_eval(
// CHECK-NEXT:    %[[Y:[^,]*]], {{.*}} = nn.batch_norm {{.*}} {activation = #nn.act<sigmoid>, eps = 1.000000e-05 : f64, fused, momentum = 1.000000e-01 : f64, training = false}
// CHECK-NEXT:    return %[[Y]]

// No activation: the norms and their gradients are only marked `fused`, and
// a gradient without activation takes no beta.
func.func @plain(%x: tensor<4x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %rm: tensor<3xf32>, %rv: tensor<3xf32>, %dy: tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>) {
  %y, %m, %v = nn.batch_norm %x, %g, %b, %rm, %rv {eps = 1.0e-5 : f64, momentum = 0.1 : f64, training = true} : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  %dx, %dg, %db = nn.batch_norm_grad %x, %g, %dy {eps = 1.0e-5 : f64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  %l = nn.layer_norm %x, %g, %b {eps = 1.0e-5 : f64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %lx, %lg, %lb = nn.layer_norm_grad %x, %g, %dy {eps = 1.0e-5 : f64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %y, %dx, %l, %lx : tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>
}
// CHECK-LABEL: func.func @plain(
// CHECK-NEXT:    nn.batch_norm {{.*}} {eps = 1.000000e-05 : f64, fused, momentum = 1.000000e-01 : f64, training = true}
// CHECK-NEXT:    nn.batch_norm_grad %{{[^,]*}}, %{{[^,]*}}, %{{[^ ]*}} {eps = 1.000000e-05 : f64, fused} :
// CHECK-NEXT:    nn.layer_norm {{.*}} {eps = 1.000000e-05 : f64, fused}
// CHECK-NEXT:    nn.layer_norm_grad %{{[^,]*}}, %{{[^,]*}}, %{{[^ ]*}} {eps = 1.000000e-05 : f64, fused} :

// Not fused: the normalized values are used by the activation and by
// something else (a residual add), so they must be written out; their
// gradient is the sum of two, and no activation gradient feeds the norm's
// gradient directly. Still `fused` (one statistics pass).
func.func @norm_two_uses(%x: tensor<4x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %dy: tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<4x3xf32>) {
  %y = nn.layer_norm %x, %g, %b {eps = 1.0e-5 : f64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %a = nn.tanh %y : tensor<4x3xf32>
  %s = nn.add %a, %y : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  %da = nn.activation_grad %a, %dy {activation = #nn.act<tanh>, from_output = true} : tensor<4x3xf32>
  %dz = nn.add %da, %dy : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  %dx, %dg, %db = nn.layer_norm_grad %x, %g, %dz {eps = 1.0e-5 : f64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %s, %dx : tensor<4x3xf32>, tensor<4x3xf32>
}
// CHECK-LABEL: func.func @norm_two_uses(
// CHECK-NEXT:    %[[Y:.*]] = nn.layer_norm {{.*}} {eps = 1.000000e-05 : f64, fused} :
// CHECK-NEXT:    %[[A:.*]] = nn.tanh %[[Y]]
// CHECK-NEXT:    nn.add %[[A]], %[[Y]]
// CHECK-NEXT:    %[[DA:.*]] = nn.activation_grad %[[A]], %{{[^ ]*}} {activation = #nn.act<tanh>, from_output = true}
// CHECK-NEXT:    %[[DZ:.*]] = nn.add %[[DA]],
// CHECK-NEXT:    nn.layer_norm_grad %{{[^,]*}}, %{{[^,]*}}, %[[DZ]] {eps = 1.000000e-05 : f64, fused} :

// Not fused: two activations of one norm output.
func.func @norm_two_activations(%x: tensor<4x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>) -> (tensor<4x3xf32>, tensor<4x3xf32>) {
  %y = nn.layer_norm %x, %g, %b {eps = 1.0e-5 : f64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %a = nn.relu %y : tensor<4x3xf32>
  %c = nn.sigmoid %y : tensor<4x3xf32>
  return %a, %c : tensor<4x3xf32>, tensor<4x3xf32>
}
// CHECK-LABEL: func.func @norm_two_activations(
// CHECK-NEXT:    %[[Y:.*]] = nn.layer_norm {{.*}} {eps = 1.000000e-05 : f64, fused} :
// CHECK-NEXT:    nn.relu %[[Y]]
// CHECK-NEXT:    nn.sigmoid %[[Y]]

// Not fused: softmax after a norm (no elementwise activation).
func.func @norm_softmax(%x: tensor<4x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<4x3xf32> {
  %y = nn.layer_norm %x, %g, %b {eps = 1.0e-5 : f64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %a = nn.softmax %y : tensor<4x3xf32>
  return %a : tensor<4x3xf32>
}
// CHECK-LABEL: func.func @norm_softmax(
// CHECK-NEXT:    %[[Y:.*]] = nn.layer_norm {{.*}} {eps = 1.000000e-05 : f64, fused} :
// CHECK-NEXT:    nn.softmax %[[Y]]

// Not fused backward: the activation gradient does not reach its own norm's
// gradient. The gradient through the activation of norm %y (of %x) feeds
// the gradient of another norm (of %x2): the pass must not fuse it into
// that one. The forward fusion of %y's activation cannot fire either (the
// activation gradient still reads %y).
func.func @other_norm(%x: tensor<4x3xf32>, %x2: tensor<4x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %dy: tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<4x3xf32>) {
  %y = nn.layer_norm %x, %g, %b {eps = 1.0e-5 : f64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %a = nn.gelu %y : tensor<4x3xf32>
  %da = nn.activation_grad %y, %dy {activation = #nn.act<gelu>} : tensor<4x3xf32>
  %dx, %dg, %db = nn.layer_norm_grad %x2, %g, %da {eps = 1.0e-5 : f64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %a, %dx : tensor<4x3xf32>, tensor<4x3xf32>
}
// CHECK-LABEL: func.func @other_norm(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<4x3xf32>, %[[X2:[^:]*]]: tensor<4x3xf32>,
// CHECK-NEXT:    %[[Y:.*]] = nn.layer_norm %[[X]], {{.*}} {eps = 1.000000e-05 : f64, fused} :
// CHECK-NEXT:    %[[A:.*]] = nn.gelu %[[Y]]
// CHECK-NEXT:    %[[DA:.*]] = nn.activation_grad %[[Y]], %{{[^ ]*}} {activation = #nn.act<gelu>}
// CHECK-NEXT:    nn.layer_norm_grad %[[X2]], %{{[^,]*}}, %[[DA]] {eps = 1.000000e-05 : f64, fused} :

// Not fused backward: the norm gradient's gamma is not the norm's.
func.func @other_gamma(%x: tensor<4x3xf32>, %g: tensor<3xf32>, %g2: tensor<3xf32>, %b: tensor<3xf32>, %dy: tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<4x3xf32>) {
  %y = nn.layer_norm %x, %g, %b {eps = 1.0e-5 : f64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %a = nn.gelu %y : tensor<4x3xf32>
  %da = nn.activation_grad %y, %dy {activation = #nn.act<gelu>} : tensor<4x3xf32>
  %dx, %dg, %db = nn.layer_norm_grad %x, %g2, %da {eps = 1.0e-5 : f64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %a, %dx : tensor<4x3xf32>, tensor<4x3xf32>
}
// CHECK-LABEL: func.func @other_gamma(
// CHECK-NEXT:    %[[Y:.*]] = nn.layer_norm {{.*}} {eps = 1.000000e-05 : f64, fused} :
// CHECK-NEXT:    nn.gelu %[[Y]]
// CHECK-NEXT:    %[[DA:.*]] = nn.activation_grad %[[Y]],
// CHECK-NEXT:    nn.layer_norm_grad %{{[^,]*}}, %{{[^,]*}}, %[[DA]] {eps = 1.000000e-05 : f64, fused} :

// Not fused backward: the activation gradient is used twice (it must be
// written out anyway), and one that is the gradient of another activation
// than the one after the norm. The forward fusion still fires (sigmoid's
// gradient reads its output, which the norm now produces).
func.func @grad_two_uses(%x: tensor<4x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %dy: tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>) {
  %y = nn.layer_norm %x, %g, %b {eps = 1.0e-5 : f64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %a = nn.sigmoid %y : tensor<4x3xf32>
  %da = nn.activation_grad %a, %dy {activation = #nn.act<sigmoid>, from_output = true} : tensor<4x3xf32>
  %dx, %dg, %db = nn.layer_norm_grad %x, %g, %da {eps = 1.0e-5 : f64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %a, %dx, %da : tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>
}
// CHECK-LABEL: func.func @grad_two_uses(
// CHECK-NEXT:    %[[Y:.*]] = nn.layer_norm {{.*}} {activation = #nn.act<sigmoid>, eps = 1.000000e-05 : f64, fused} :
// CHECK-NEXT:    %[[DA:.*]] = nn.activation_grad %[[Y]], %{{[^ ]*}} {activation = #nn.act<sigmoid>, from_output = true}
// CHECK-NEXT:    %[[DX:[^,]*]], {{.*}} = nn.layer_norm_grad %{{[^,]*}}, %{{[^,]*}}, %[[DA]] {eps = 1.000000e-05 : f64, fused} :
// CHECK-NEXT:    return %{{[^,]*}}, %[[DX]], %[[DA]]

func.func @wrong_activation(%x: tensor<4x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %dy: tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<4x3xf32>) {
  %y = nn.layer_norm %x, %g, %b {eps = 1.0e-5 : f64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %a = nn.sigmoid %y : tensor<4x3xf32>
  %da = nn.activation_grad %a, %dy {activation = #nn.act<tanh>, from_output = true} : tensor<4x3xf32>
  %dx, %dg, %db = nn.layer_norm_grad %x, %g, %da {eps = 1.0e-5 : f64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %a, %dx : tensor<4x3xf32>, tensor<4x3xf32>
}
// CHECK-LABEL: func.func @wrong_activation(
// CHECK-NEXT:    %[[Y:.*]] = nn.layer_norm {{.*}} {activation = #nn.act<sigmoid>, eps = 1.000000e-05 : f64, fused} :
// CHECK-NEXT:    %[[DA:.*]] = nn.activation_grad %[[Y]], %{{[^ ]*}} {activation = #nn.act<tanh>, from_output = true}
// CHECK-NEXT:    nn.layer_norm_grad %{{[^,]*}}, %{{[^,]*}}, %[[DA]] {eps = 1.000000e-05 : f64, fused} :
