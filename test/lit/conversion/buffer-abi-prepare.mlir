// RUN: kiln-opt %s -kiln-assign-state-layout -kiln-buffer-abi | FileCheck %s

// With inference folding, the module has `prepared` states and a @prepare:
// - the state layout puts the prepared states after all the others, in the
//   prediction state (kiln.predict_state_size floats), which starts with a
//   copy of the state (same offsets);
// - @prepare takes two buffers, the state then the prediction state: its
//   loads read the first, its stores write the second (a load + store of the
//   same state is the copy);
// - @predict takes the prediction state alone; the other functions keep the
//   state.

module attributes {nn.model = #nn.model<"m", optimizer = <adam>, schedule = <constant>>} {
nn.state @w : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @w.folded : tensor<3x4xf32> {role = #nn.role<prepared>, init = #nn.init<zeros>}
nn.state @b.folded : tensor<3xf32> {role = #nn.role<prepared>, init = #nn.init<zeros>}
nn.state @g : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<ones>}
nn.state @o : tensor<2x3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @prepare() {
  %w = nn.load @w : tensor<3x4xf32>
  %g = nn.load @g : tensor<3xf32>
  nn.store %w, @w.folded : tensor<3x4xf32>
  nn.store %g, @b.folded : tensor<3xf32>
  %o = nn.load @o : tensor<2x3xf32>
  nn.store %o, @o : tensor<2x3xf32>
  return
}
func.func @predict(%x: tensor<8x4xf32>) -> tensor<8x3xf32> {
  %w = nn.load @w.folded : tensor<3x4xf32>
  %o = nn.load @o : tensor<2x3xf32>
  %e = tensor.empty() : tensor<8x3xf32>
  return %e : tensor<8x3xf32>
}
func.func @eval_step(%x: tensor<8x4xf32>, %y: tensor<8xf32>) -> tensor<8x3xf32> {
  %w = nn.load @w : tensor<3x4xf32>
  %e = tensor.empty() : tensor<8x3xf32>
  return %e : tensor<8x3xf32>
}
}

// The state: w at 0, g at 16, o at 32 (48 floats); then w.folded at 48 and
// b.folded at 64 (80 floats), though declared between w and g.
// CHECK:       module attributes {kiln.predict_state_size = 80 : i64, kiln.state_size = 48 : i64, nn.model = #nn.model<"m", optimizer = <adam>, schedule = <constant>>}
// CHECK-NEXT:    nn.state @w : tensor<3x4xf32> {{.*}}offset = 0 : i64
// CHECK-NEXT:    nn.state @w.folded : tensor<3x4xf32> {{.*}}offset = 48 : i64, role = #nn.role<prepared>
// CHECK-NEXT:    nn.state @b.folded : tensor<3xf32> {{.*}}offset = 64 : i64, role = #nn.role<prepared>
// CHECK-NEXT:    nn.state @g : tensor<3xf32> {{.*}}offset = 16 : i64
// CHECK-NEXT:    nn.state @o : tensor<2x3xf32> {{.*}}offset = 32 : i64

// CHECK-LABEL: func.func @m_prepare(
// CHECK-SAME:      %[[S:[^:]*]]: memref<48xf32>, %[[P:[^:]*]]: memref<80xf32>) {
// CHECK-DAG:     %[[PO:.*]] = memref.reinterpret_cast %[[P]] to offset: [32], sizes: [2, 3], strides: [3, 1] : memref<80xf32> to
// CHECK-DAG:     %[[SO:.*]] = memref.reinterpret_cast %[[S]] to offset: [32], sizes: [2, 3], strides: [3, 1] : memref<48xf32> to
// CHECK-DAG:     %[[PB:.*]] = memref.reinterpret_cast %[[P]] to offset: [64], sizes: [3], strides: [1] : memref<80xf32> to
// CHECK-DAG:     %[[PW:.*]] = memref.reinterpret_cast %[[P]] to offset: [48], sizes: [3, 4], strides: [4, 1] : memref<80xf32> to
// CHECK-DAG:     %[[SG:.*]] = memref.reinterpret_cast %[[S]] to offset: [16], sizes: [3], strides: [1] : memref<48xf32> to
// CHECK-DAG:     %[[SW:.*]] = memref.reinterpret_cast %[[S]] to offset: [0], sizes: [3, 4], strides: [4, 1] : memref<48xf32> to
// CHECK:         %[[W:.*]] = bufferization.to_tensor %[[SW]] restrict
// CHECK-NEXT:    %[[G:.*]] = bufferization.to_tensor %[[SG]] restrict
// CHECK-NEXT:    bufferization.materialize_in_destination %[[W]] in restrict writable %[[PW]]
// CHECK-NEXT:    bufferization.materialize_in_destination %[[G]] in restrict writable %[[PB]]
// CHECK-NEXT:    %[[O:.*]] = bufferization.to_tensor %[[SO]] restrict
// CHECK-NEXT:    bufferization.materialize_in_destination %[[O]] in restrict writable %[[PO]]
// CHECK-NEXT:    return

// predict reads w.folded and the copy of o, both in the prediction state.
// CHECK-LABEL: func.func @m_predict(
// CHECK-SAME:      %[[P:[^:]*]]: memref<80xf32>, %{{[^:]*}}: memref<8x4xf32>, %{{[^:]*}}: memref<8x3xf32>) {
// CHECK-DAG:     memref.reinterpret_cast %[[P]] to offset: [32], sizes: [2, 3]
// CHECK-DAG:     memref.reinterpret_cast %[[P]] to offset: [48], sizes: [3, 4]
// CHECK-NOT:     memref<48xf32>
// CHECK:         return

// CHECK-LABEL: func.func @m_eval_step(
// CHECK-SAME:      %[[S:[^:]*]]: memref<48xf32>, %{{[^:]*}}: memref<8x4xf32>, %{{[^:]*}}: memref<8xf32>, %{{[^:]*}}: memref<8x3xf32>) {
// CHECK:         memref.reinterpret_cast %[[S]] to offset: [0], sizes: [3, 4]
