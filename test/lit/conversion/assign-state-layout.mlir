// RUN: kiln-opt %s -split-input-file -kiln-assign-state-layout | FileCheck %s

// Every nn.state gets its offset (in floats) in the one state buffer, in
// declaration order, each starting on a 16-float (64-byte) boundary; the
// total is kiln.state_size. An offset already present is recomputed.

nn.state @a : tensor<3x5xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @b : tensor<16xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @c : tensor<f32> {role = #nn.role<optimizer>, init = #nn.init<zeros>}
nn.state @d : tensor<17xf32> {role = #nn.role<running_mean>, init = #nn.init<zeros>}
nn.state @e : tensor<2xf32> {role = #nn.role<running_var>, init = #nn.init<ones>, offset = 999 : i64}
func.func @f() {
  return
}

// 15 floats take 16; 16 take 16; a scalar takes 16; 17 take 32; 2 take 16.
// CHECK:       module attributes {kiln.state_size = 96 : i64}
// CHECK-NEXT:    nn.state @a : tensor<3x5xf32> {{.*}}offset = 0 : i64
// CHECK-NEXT:    nn.state @b : tensor<16xf32> {{.*}}offset = 16 : i64
// CHECK-NEXT:    nn.state @c : tensor<f32> {{.*}}offset = 32 : i64
// CHECK-NEXT:    nn.state @d : tensor<17xf32> {{.*}}offset = 48 : i64
// CHECK-NEXT:    nn.state @e : tensor<2xf32> {{.*}}offset = 80 : i64

// -----

// No state: size 0.
// CHECK:       module attributes {kiln.state_size = 0 : i64}
func.func @f() {
  return
}

// -----

// Gradient states (a data-parallel build's) come after every other state,
// wherever they are declared: one span at the end of the state.
nn.state @w : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @w.grad : tensor<3xf32> {role = #nn.role<gradient>, init = #nn.init<zeros>}
nn.state @w.exp_avg : tensor<3xf32> {role = #nn.role<optimizer>, init = #nn.init<zeros>}
nn.state @v.grad : tensor<20xf32> {role = #nn.role<gradient>, init = #nn.init<zeros>}
func.func @f() {
  return
}
// CHECK:       module attributes {kiln.state_size = 80 : i64}
// CHECK-NEXT:    nn.state @w : {{.*}}offset = 0 : i64
// CHECK-NEXT:    nn.state @w.grad : {{.*}}offset = 32 : i64
// CHECK-NEXT:    nn.state @w.exp_avg : {{.*}}offset = 16 : i64
// CHECK-NEXT:    nn.state @v.grad : {{.*}}offset = 48 : i64
