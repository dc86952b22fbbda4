// RUN: kiln-opt %s -split-input-file -nn-transpose-inference-weights | FileCheck %s

// nn-transpose-inference-weights: each dense layer of @predict whose weight
// is a state reads W^T, [in, out], which a new @prepare writes once; a
// weight two layers share is transposed once; @prepare copies the biases
// that @predict reads as they are. Training functions keep W.

nn.state @a.weight : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<xavier_uniform>, fan_in = 4 : i64, fan_out = 3 : i64}
nn.state @a.bias : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @s.weight : tensor<3x3xf32> {role = #nn.role<param>, init = #nn.init<xavier_uniform>, fan_in = 3 : i64, fan_out = 3 : i64}
func.func @train_step(%x: tensor<8x4xf32>) -> tensor<8x3xf32> {
  %w = nn.load @a.weight : tensor<3x4xf32>
  %0 = nn.dense %x, %w : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}
func.func @predict(%x: tensor<8x4xf32>) -> tensor<8x3xf32> {
  %w = nn.load @a.weight : tensor<3x4xf32>
  %b = nn.load @a.bias : tensor<3xf32>
  %0 = nn.dense %x, %w, %b {activation = #nn.act<relu>} : (tensor<8x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  %s = nn.load @s.weight : tensor<3x3xf32>
  %1 = nn.dense %0, %s : (tensor<8x3xf32>, tensor<3x3xf32>) -> tensor<8x3xf32>
  %2 = nn.dense %1, %s : (tensor<8x3xf32>, tensor<3x3xf32>) -> tensor<8x3xf32>
  return %2 : tensor<8x3xf32>
}

// CHECK:       nn.state @a.weight : tensor<3x4xf32>
// CHECK-NEXT:  nn.state @a.weight.transposed : tensor<4x3xf32> {init = #nn.init<zeros>, role = #nn.role<prepared>}
// CHECK:       nn.state @s.weight : tensor<3x3xf32>
// CHECK-NEXT:  nn.state @s.weight.transposed : tensor<3x3xf32> {init = #nn.init<zeros>, role = #nn.role<prepared>}
// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[W:.*]] = nn.load @a.weight : tensor<3x4xf32>
// CHECK:         nn.dense %{{.*}}, %[[W]] : (tensor<8x4xf32>, tensor<3x4xf32>)
// CHECK-LABEL: func.func @prepare() {
// CHECK-NEXT:    %[[A:.*]] = nn.load @a.weight : tensor<3x4xf32>
// CHECK-NEXT:    %[[AT:.*]] = nn.transpose %[[A]] : tensor<3x4xf32> -> tensor<4x3xf32>
// CHECK-NEXT:    nn.store %[[AT]], @a.weight.transposed
// CHECK-NEXT:    %[[S:.*]] = nn.load @s.weight : tensor<3x3xf32>
// CHECK-NEXT:    %[[ST:.*]] = nn.transpose %[[S]]
// CHECK-NEXT:    nn.store %[[ST]], @s.weight.transposed
// CHECK-NEXT:    %[[B:.*]] = nn.load @a.bias
// CHECK-NEXT:    nn.store %[[B]], @a.bias
// CHECK-NEXT:    return
// CHECK-LABEL: func.func @predict(
// CHECK-NOT:     nn.load @a.weight :
// CHECK-DAG:     %[[PB:.*]] = nn.load @a.bias
// CHECK-DAG:     %[[PA:.*]] = nn.load @a.weight.transposed : tensor<4x3xf32>
// CHECK:         %[[H:.*]] = nn.dense %{{.*}}, %[[PA]], %[[PB]] {activation = #nn.act<relu>, transposed_weight} : (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<8x3xf32>
// CHECK:         %[[PS:.*]] = nn.load @s.weight.transposed
// CHECK:         %[[H1:.*]] = nn.dense %[[H]], %[[PS]] {transposed_weight}
// CHECK:         nn.dense %[[H1]], %{{.*}} {transposed_weight}

// -----

// A folded weight, which @prepare computes and stores as a prepared state,
// is transposed as computed: the untransposed one is no state any more.

nn.state @d.weight : tensor<2x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @d.weight.folded : tensor<2x3xf32> {role = #nn.role<prepared>, init = #nn.init<zeros>}
func.func @prepare() {
  %w = nn.load @d.weight : tensor<2x3xf32>
  %0 = nn.add %w, %w : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  nn.store %0, @d.weight.folded : tensor<2x3xf32>
  return
}
func.func @predict(%x: tensor<5x3xf32>) -> tensor<5x2xf32> {
  %w = nn.load @d.weight.folded : tensor<2x3xf32>
  %0 = nn.dense %x, %w : (tensor<5x3xf32>, tensor<2x3xf32>) -> tensor<5x2xf32>
  return %0 : tensor<5x2xf32>
}

// CHECK-NOT:   nn.state @d.weight.folded :
// CHECK:       nn.state @d.weight.folded.transposed : tensor<3x2xf32>
// CHECK-LABEL: func.func @prepare() {
// CHECK-NEXT:    %[[W:.*]] = nn.load @d.weight
// CHECK-NEXT:    %[[F:.*]] = nn.add %[[W]], %[[W]]
// CHECK-NEXT:    %[[T:.*]] = nn.transpose %[[F]] : tensor<2x3xf32> -> tensor<3x2xf32>
// CHECK-NEXT:    nn.store %[[T]], @d.weight.folded.transposed
// CHECK-NEXT:    return
// CHECK-LABEL: func.func @predict(
// CHECK:         %[[PW:.*]] = nn.load @d.weight.folded.transposed
// CHECK:         nn.dense %{{.*}}, %[[PW]] {transposed_weight} : (tensor<5x3xf32>, tensor<3x2xf32>)

// -----

// Must not fire: a weight that is no state (computed in @predict), and a
// layer that already reads W^T. Nothing to prepare, so no @prepare.

nn.state @e.weight : tensor<2x4xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @predict(%x: tensor<5x3xf32>, %w: tensor<2x3xf32>) -> tensor<5x4xf32> {
  %0 = nn.dense %x, %w : (tensor<5x3xf32>, tensor<2x3xf32>) -> tensor<5x2xf32>
  %t = nn.load @e.weight : tensor<2x4xf32>
  %1 = nn.dense %0, %t {transposed_weight} : (tensor<5x2xf32>, tensor<2x4xf32>) -> tensor<5x4xf32>
  return %1 : tensor<5x4xf32>
}

// CHECK-NOT:   func.func @prepare
// CHECK-NOT:   transposed :
// CHECK-LABEL: func.func @predict(
// CHECK-SAME:      %[[X:.*]]: tensor<5x3xf32>, %[[W:.*]]: tensor<2x3xf32>)
// CHECK:         nn.dense %[[X]], %[[W]] : (tensor<5x3xf32>, tensor<2x3xf32>)
// CHECK:         nn.dense %{{.*}}, %{{.*}} {transposed_weight} : (tensor<5x2xf32>, tensor<2x4xf32>)
