// RUN: kiln-opt %s -kiln-strip-model-metadata | FileCheck %s

// Once the descriptor has read them, the nn.state declarations, the nn.model
// configuration, kiln.state_size, kiln.predict_state_size and each function's kiln.workspace_size go,
// so that nothing of the nn dialect reaches the LLVM translation. Other
// attributes and the functions stay.

module attributes {nn.model = #nn.model<"m", optimizer = <adam>, schedule = <constant>>, kiln.state_size = 32 : i64, kiln.predict_state_size = 48 : i64, kiln.other = 1 : i64} {
  nn.state @w : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>, offset = 0 : i64}
  nn.state @w.exp_avg : tensor<3xf32> {role = #nn.role<optimizer>, init = #nn.init<zeros>, offset = 16 : i64}
  func.func @m_predict(%state: memref<32xf32>, %ws: memref<64xi8>) attributes {kiln.workspace_size = 64 : i64, other} {
    return
  }
}
// CHECK:       module attributes {kiln.other = 1 : i64} {
// CHECK-NOT:     nn.state
// CHECK:         func.func @m_predict(%{{.*}}: memref<32xf32>, %{{.*}}: memref<64xi8>) attributes {other} {
// CHECK-NOT:     nn.
// CHECK-NOT:     kiln.workspace_size
