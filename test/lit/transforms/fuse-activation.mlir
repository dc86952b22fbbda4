// RUN: kiln-opt %s -nn-fuse-activation | FileCheck %s

// nn-fuse-activation (the `fused` stage): act(dense(x, W, b)) becomes one
// nn.dense {activation = act}; activation_grad(z, matmul(a, b)) becomes
// nn.matmul(a, b) epilogue(z) {epilogue = act}. Neither fires when the
// intermediate (the pre-activation, the unscaled gradient) has another use.

// Forward: the activation moves into the dense op, which replaces both.
func.func @dense_relu(%x: tensor<8x4xf32>, %w: tensor<3x4xf32>, %b: tensor<3xf32>) -> tensor<8x3xf32> {
  %0 = nn.dense %x, %w, %b : (tensor<8x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  %1 = nn.relu %0 : tensor<8x3xf32>
  return %1 : tensor<8x3xf32>
}
// CHECK-LABEL: func.func @dense_relu(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<8x4xf32>, %[[W:[^:]*]]: tensor<3x4xf32>, %[[B:[^:]*]]: tensor<3xf32>)
// CHECK-NEXT:    %[[D:.*]] = nn.dense %[[X]], %[[W]], %[[B]] {activation = #nn.act<relu>} : (tensor<8x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<8x3xf32>
// CHECK-NEXT:    return %[[D]]

// Every activation kind, with its parameter (alpha, beta) carried into the
// attribute; both gelu forms (approximate = true is gelu_sigmoid); a dense
// layer without bias.
func.func @every_activation(%x: tensor<8x4xf32>, %w: tensor<3x4xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>) {
  %0 = nn.dense %x, %w : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %1 = nn.leaky_relu %0 {alpha = 0.2 : f64} : tensor<8x3xf32>
  %2 = nn.dense %x, %w : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %3 = nn.gelu %2 {approximate = true} : tensor<8x3xf32>
  %4 = nn.dense %x, %w : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %5 = nn.softplus %4 {beta = 2.0 : f64} : tensor<8x3xf32>
  %6 = nn.dense %x, %w : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %7 = nn.swish %6 {beta = 1.5 : f64} : tensor<8x3xf32>
  %8 = nn.dense %x, %w : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %9 = nn.gelu %8 : tensor<8x3xf32>
  %10 = nn.dense %x, %w : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %11 = nn.sigmoid %10 : tensor<8x3xf32>
  %12 = nn.dense %x, %w : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %13 = nn.tanh %12 : tensor<8x3xf32>
  %14 = nn.dense %x, %w : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %15 = nn.elu %14 {alpha = 0.5 : f64} : tensor<8x3xf32>
  return %1, %3, %5, %7, %9, %11, %13, %15 : tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>
}
// CHECK-LABEL: func.func @every_activation(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<8x4xf32>, %[[W:[^:]*]]: tensor<3x4xf32>)
// CHECK-NEXT:    %[[A:.*]] = nn.dense %[[X]], %[[W]] {activation = #nn.act<leaky_relu, 2.000000e-01>} : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
// CHECK-NEXT:    %[[B:.*]] = nn.dense %[[X]], %[[W]] {activation = #nn.act<gelu_sigmoid>}
// CHECK-NEXT:    %[[C:.*]] = nn.dense %[[X]], %[[W]] {activation = #nn.act<softplus, 2.000000e+00>}
// CHECK-NEXT:    %[[D:.*]] = nn.dense %[[X]], %[[W]] {activation = #nn.act<swish, 1.500000e+00>}
// CHECK-NEXT:    %[[E:.*]] = nn.dense %[[X]], %[[W]] {activation = #nn.act<gelu>}
// CHECK-NEXT:    %[[F:.*]] = nn.dense %[[X]], %[[W]] {activation = #nn.act<sigmoid>}
// CHECK-NEXT:    %[[G:.*]] = nn.dense %[[X]], %[[W]] {activation = #nn.act<tanh>}
// CHECK-NEXT:    %[[H:.*]] = nn.dense %[[X]], %[[W]] {activation = #nn.act<elu, 5.000000e-01>}
// CHECK-NEXT:    return %[[A]], %[[B]], %[[C]], %[[D]], %[[E]], %[[F]], %[[G]], %[[H]] :

// Backward: the gradient through the activation scales the product tile.
// The transpose flags stay; from_output becomes epilogue_from_output.
func.func @matmul_gelu_grad(%dy: tensor<8x2xf32>, %w: tensor<2x3xf32>, %z: tensor<8x3xf32>) -> tensor<8x3xf32> {
  %0 = nn.matmul %dy, %w : (tensor<8x2xf32>, tensor<2x3xf32>) -> tensor<8x3xf32>
  %1 = nn.activation_grad %z, %0 {activation = #nn.act<gelu>} : tensor<8x3xf32>
  return %1 : tensor<8x3xf32>
}
// CHECK-LABEL: func.func @matmul_gelu_grad(
// CHECK-SAME:      %[[DY:[^:]*]]: tensor<8x2xf32>, %[[W:[^:]*]]: tensor<2x3xf32>, %[[Z:[^:]*]]: tensor<8x3xf32>)
// CHECK-NEXT:    %[[G:.*]] = nn.matmul %[[DY]], %[[W]] epilogue(%[[Z]]) {epilogue = #nn.act<gelu>} : (tensor<8x2xf32>, tensor<2x3xf32>, tensor<8x3xf32>) -> tensor<8x3xf32>
// CHECK-NEXT:    return %[[G]]

func.func @matmul_sigmoid_grad_transposed(%dy: tensor<2x8xf32>, %w: tensor<3x2xf32>, %y: tensor<8x3xf32>) -> tensor<8x3xf32> {
  %0 = nn.matmul %dy, %w {transpose_lhs = true, transpose_rhs = true} : (tensor<2x8xf32>, tensor<3x2xf32>) -> tensor<8x3xf32>
  %1 = nn.activation_grad %y, %0 {activation = #nn.act<sigmoid>, from_output = true} : tensor<8x3xf32>
  return %1 : tensor<8x3xf32>
}
// CHECK-LABEL: func.func @matmul_sigmoid_grad_transposed(
// CHECK-SAME:      %[[DY:[^:]*]]: tensor<2x8xf32>, %[[W:[^:]*]]: tensor<3x2xf32>, %[[Y:[^:]*]]: tensor<8x3xf32>)
// CHECK-NEXT:    %[[G:.*]] = nn.matmul %[[DY]], %[[W]] epilogue(%[[Y]]) {epilogue = #nn.act<sigmoid>, epilogue_from_output = true, transpose_lhs = true, transpose_rhs = true}
// CHECK-NEXT:    return %[[G]]

// A training step through relu: relu's gradient reads its output, so the
// pre-activation has one use and both fusions fire; the matmul's epilogue
// reads the fused dense op's (activated) result.
func.func @train_relu(%x: tensor<8x4xf32>, %w: tensor<3x4xf32>, %b: tensor<3xf32>, %w2: tensor<2x3xf32>, %dy: tensor<8x2xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>) {
  %0 = nn.dense %x, %w, %b : (tensor<8x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  %1 = nn.relu %0 : tensor<8x3xf32>
  %2 = nn.matmul %dy, %w2 : (tensor<8x2xf32>, tensor<2x3xf32>) -> tensor<8x3xf32>
  %3 = nn.activation_grad %1, %2 {activation = #nn.act<relu>, from_output = true} : tensor<8x3xf32>
  return %1, %3 : tensor<8x3xf32>, tensor<8x3xf32>
}
// CHECK-LABEL: func.func @train_relu(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<8x4xf32>, %[[W:[^:]*]]: tensor<3x4xf32>, %[[B:[^:]*]]: tensor<3xf32>, %[[W2:[^:]*]]: tensor<2x3xf32>, %[[DY:[^:]*]]: tensor<8x2xf32>)
// CHECK-NEXT:    %[[H:.*]] = nn.dense %[[X]], %[[W]], %[[B]] {activation = #nn.act<relu>}
// CHECK-NEXT:    %[[G:.*]] = nn.matmul %[[DY]], %[[W2]] epilogue(%[[H]]) {epilogue = #nn.act<relu>, epilogue_from_output = true}
// CHECK-NEXT:    return %[[H]], %[[G]]

// A training step through gelu: its gradient needs the pre-activation, which
// therefore has two uses: the forward fusion must not fire (the dense
// result must exist in memory), the backward one still does.
func.func @train_gelu(%x: tensor<8x4xf32>, %w: tensor<3x4xf32>, %b: tensor<3xf32>, %w2: tensor<2x3xf32>, %dy: tensor<8x2xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>) {
  %0 = nn.dense %x, %w, %b : (tensor<8x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  %1 = nn.gelu %0 : tensor<8x3xf32>
  %2 = nn.matmul %dy, %w2 : (tensor<8x2xf32>, tensor<2x3xf32>) -> tensor<8x3xf32>
  %3 = nn.activation_grad %0, %2 {activation = #nn.act<gelu>} : tensor<8x3xf32>
  return %1, %3 : tensor<8x3xf32>, tensor<8x3xf32>
}
// CHECK-LABEL: func.func @train_gelu(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<8x4xf32>, %[[W:[^:]*]]: tensor<3x4xf32>, %[[B:[^:]*]]: tensor<3xf32>, %[[W2:[^:]*]]: tensor<2x3xf32>, %[[DY:[^:]*]]: tensor<8x2xf32>)
// CHECK-NEXT:    %[[Z:.*]] = nn.dense %[[X]], %[[W]], %[[B]] : (tensor<8x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<8x3xf32>
// CHECK-NEXT:    %[[H:.*]] = nn.gelu %[[Z]] : tensor<8x3xf32>
// CHECK-NEXT:    %[[G:.*]] = nn.matmul %[[DY]], %[[W2]] epilogue(%[[Z]]) {epilogue = #nn.act<gelu>}
// CHECK-NEXT:    return %[[H]], %[[G]]

// Not fused: a dense result with two consumers (the activation and an add).
func.func @dense_two_consumers(%x: tensor<8x4xf32>, %w: tensor<3x4xf32>) -> tensor<8x3xf32> {
  %0 = nn.dense %x, %w : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %1 = nn.tanh %0 : tensor<8x3xf32>
  %2 = nn.add %1, %0 : (tensor<8x3xf32>, tensor<8x3xf32>) -> tensor<8x3xf32>
  return %2 : tensor<8x3xf32>
}
// CHECK-LABEL: func.func @dense_two_consumers(
// CHECK-NEXT:    %[[Z:.*]] = nn.dense %{{[^ ]*}}, %{{[^ ]*}} : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
// CHECK-NEXT:    %[[H:.*]] = nn.tanh %[[Z]]
// CHECK-NEXT:    nn.add %[[H]], %[[Z]]

// Not fused: two activations of one dense result (neither owns it).
func.func @dense_two_activations(%x: tensor<8x4xf32>, %w: tensor<3x4xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>) {
  %0 = nn.dense %x, %w : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %1 = nn.relu %0 : tensor<8x3xf32>
  %2 = nn.sigmoid %0 : tensor<8x3xf32>
  return %1, %2 : tensor<8x3xf32>, tensor<8x3xf32>
}
// CHECK-LABEL: func.func @dense_two_activations(
// CHECK-NEXT:    %[[Z:.*]] = nn.dense %{{[^ ]*}}, %{{[^ ]*}} : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
// CHECK-NEXT:    nn.relu %[[Z]]
// CHECK-NEXT:    nn.sigmoid %[[Z]]

// Not fused: an activation of what is no dense layer, a second activation
// after a dense op that already has one, and softmax (no elementwise
// activation: it reduces along a row).
func.func @no_dense(%x: tensor<8x4xf32>, %w: tensor<3x4xf32>) -> (tensor<8x4xf32>, tensor<8x3xf32>, tensor<8x3xf32>) {
  %0 = nn.add %x, %x : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<8x4xf32>
  %1 = nn.relu %0 : tensor<8x4xf32>
  %2 = nn.dense %x, %w {activation = #nn.act<tanh>} : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %3 = nn.relu %2 : tensor<8x3xf32>
  %4 = nn.dense %x, %w : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %5 = nn.softmax %4 : tensor<8x3xf32>
  return %1, %3, %5 : tensor<8x4xf32>, tensor<8x3xf32>, tensor<8x3xf32>
}
// CHECK-LABEL: func.func @no_dense(
// CHECK:         %[[S:.*]] = nn.add
// CHECK-NEXT:    nn.relu %[[S]] : tensor<8x4xf32>
// CHECK-NEXT:    %[[T:.*]] = nn.dense {{.*}} {activation = #nn.act<tanh>}
// CHECK-NEXT:    nn.relu %[[T]] : tensor<8x3xf32>
// CHECK-NEXT:    %[[P:.*]] = nn.dense %{{[^ ]*}}, %{{[^ ]*}} : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
// CHECK-NEXT:    nn.softmax %[[P]]

// Not fused: a matmul whose result has another use (here it is also
// returned), so the unscaled gradient must be written anyway.
func.func @matmul_two_uses(%dy: tensor<8x2xf32>, %w: tensor<2x3xf32>, %z: tensor<8x3xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>) {
  %0 = nn.matmul %dy, %w : (tensor<8x2xf32>, tensor<2x3xf32>) -> tensor<8x3xf32>
  %1 = nn.activation_grad %z, %0 {activation = #nn.act<tanh>} : tensor<8x3xf32>
  return %0, %1 : tensor<8x3xf32>, tensor<8x3xf32>
}
// CHECK-LABEL: func.func @matmul_two_uses(
// CHECK-NEXT:    %[[M:.*]] = nn.matmul %{{[^ ]*}}, %{{[^ ]*}} : (tensor<8x2xf32>, tensor<2x3xf32>) -> tensor<8x3xf32>
// CHECK-NEXT:    %[[G:.*]] = nn.activation_grad %{{[^ ]*}}, %[[M]] {activation = #nn.act<tanh>}
// CHECK-NEXT:    return %[[M]], %[[G]]

// Not fused: one gradient through two activations (a value that feeds two
// activation ops): the matmul has two uses, and neither gradient takes it.
func.func @matmul_two_activation_grads(%dy: tensor<8x2xf32>, %w: tensor<2x3xf32>, %z: tensor<8x3xf32>, %y: tensor<8x3xf32>) -> tensor<8x3xf32> {
  %0 = nn.matmul %dy, %w : (tensor<8x2xf32>, tensor<2x3xf32>) -> tensor<8x3xf32>
  %1 = nn.activation_grad %z, %0 {activation = #nn.act<gelu>} : tensor<8x3xf32>
  %2 = nn.activation_grad %y, %0 {activation = #nn.act<relu>, from_output = true} : tensor<8x3xf32>
  %3 = nn.add %1, %2 : (tensor<8x3xf32>, tensor<8x3xf32>) -> tensor<8x3xf32>
  return %3 : tensor<8x3xf32>
}
// CHECK-LABEL: func.func @matmul_two_activation_grads(
// CHECK-NEXT:    %[[M:.*]] = nn.matmul %{{[^ ]*}}, %{{[^ ]*}} : (tensor<8x2xf32>, tensor<2x3xf32>) -> tensor<8x3xf32>
// CHECK-NEXT:    nn.activation_grad %{{[^ ]*}}, %[[M]] {activation = #nn.act<gelu>}
// CHECK-NEXT:    nn.activation_grad %{{[^ ]*}}, %[[M]] {activation = #nn.act<relu>, from_output = true}

// Not fused: a gradient that no matmul produces, and one whose matmul has an
// epilogue already (one epilogue per matmul).
func.func @no_matmul(%dy: tensor<8x3xf32>, %a: tensor<8x2xf32>, %w: tensor<2x3xf32>, %z: tensor<8x3xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>) {
  %0 = nn.activation_grad %z, %dy {activation = #nn.act<tanh>} : tensor<8x3xf32>
  %1 = nn.matmul %a, %w epilogue(%z) {epilogue = #nn.act<relu>, epilogue_from_output = true} : (tensor<8x2xf32>, tensor<2x3xf32>, tensor<8x3xf32>) -> tensor<8x3xf32>
  %2 = nn.activation_grad %z, %1 {activation = #nn.act<sigmoid>, from_output = true} : tensor<8x3xf32>
  return %0, %2 : tensor<8x3xf32>, tensor<8x3xf32>
}
// CHECK-LABEL: func.func @no_matmul(
// CHECK-NEXT:    nn.activation_grad {{.*}} {activation = #nn.act<tanh>}
// CHECK-NEXT:    %[[M:.*]] = nn.matmul {{.*}} epilogue(%{{[^)]*}}) {epilogue = #nn.act<relu>, epilogue_from_output = true}
// CHECK-NEXT:    nn.activation_grad %{{[^ ]*}}, %[[M]] {activation = #nn.act<sigmoid>, from_output = true}
