// RUN: kiln-opt %s -split-input-file -kiln-assign-state-layout | FileCheck %s

// The prediction state: `prepared` states (written by @prepare) come after
// every other state, wherever they are declared, so that the prediction
// state starts with an exact copy of the state (same offsets) and the
// derived tensors follow; kiln.predict_state_size is its size (each tensor
// still on a 16-float boundary), kiln.state_size that of the state alone.

nn.state @a : tensor<3x5xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @a.folded : tensor<3x5xf32> {role = #nn.role<prepared>, init = #nn.init<zeros>}
nn.state @a.bias.folded : tensor<3xf32> {role = #nn.role<prepared>, init = #nn.init<zeros>}
nn.state @m : tensor<17xf32> {role = #nn.role<running_mean>, init = #nn.init<zeros>}
nn.state @o : tensor<f32> {role = #nn.role<optimizer>, init = #nn.init<zeros>}
nn.state @z.folded : tensor<2x17xf32> {role = #nn.role<prepared>, init = #nn.init<zeros>, offset = 7 : i64}
func.func @f() {
  return
}

// State: a 0 (16), m 16 (32), o 48 (16): 64 floats. Then a.folded 64 (16),
// a.bias.folded 80 (16), z.folded 96 (34 -> 48): 144.
// CHECK:       module attributes {kiln.predict_state_size = 144 : i64, kiln.state_size = 64 : i64}
// CHECK-NEXT:    nn.state @a : tensor<3x5xf32> {{.*}}offset = 0 : i64
// CHECK-NEXT:    nn.state @a.folded : tensor<3x5xf32> {{.*}}offset = 64 : i64
// CHECK-NEXT:    nn.state @a.bias.folded : tensor<3xf32> {{.*}}offset = 80 : i64
// CHECK-NEXT:    nn.state @m : tensor<17xf32> {{.*}}offset = 16 : i64
// CHECK-NEXT:    nn.state @o : tensor<f32> {{.*}}offset = 48 : i64
// CHECK-NEXT:    nn.state @z.folded : tensor<2x17xf32> {{.*}}offset = 96 : i64

// -----

// Nothing prepared: no prediction state (predict reads the state).
nn.state @a : tensor<3x5xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @f() {
  return
}
// CHECK:       module attributes {kiln.state_size = 16 : i64}
// CHECK-NOT:   predict_state_size
