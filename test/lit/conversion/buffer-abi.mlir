// RUN: kiln-opt %s -kiln-assign-state-layout -kiln-buffer-abi | FileCheck %s

// The C ABI of the compiled functions: the state buffer (kiln.state_size
// floats) first, then the inputs as memrefs (scalars stay), then one
// out-parameter memref per result; no results. Inputs enter as restrict,
// read-only to_tensor; each state is a view of the state buffer at its
// offset, made once per function and shared by its loads (to_tensor) and
// stores (materialize_in_destination); results are materialized into the
// out-parameters. Functions are renamed <model>_<function>.

module attributes {nn.model = #nn.model<"tiny", optimizer = <adam>, schedule = <constant>>} {
nn.state @w : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
nn.state @b : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
func.func @train_step(%x: tensor<8x4xf32>, %y: tensor<8xf32>, %step: i64, %epoch: i64, %seed: i64) -> tensor<f32> {
  %w = nn.load @w : tensor<3x4xf32>
  %b = nn.load @b : tensor<3xf32>
  %w2 = nn.load @w : tensor<3x4xf32>
  %s = arith.addf %w, %w2 : tensor<3x4xf32>
  nn.store %s, @w : tensor<3x4xf32>
  nn.store %b, @b : tensor<3xf32>
  %l = arith.constant dense<1.0> : tensor<f32>
  return %l : tensor<f32>
}
func.func @eval_step(%x: tensor<8x4xf32>, %y: tensor<8xf32>) -> (tensor<8xf32>, tensor<8x3xf32>) {
  %b = nn.load @b : tensor<3xf32>
  %e = tensor.empty() : tensor<8xf32>
  %e2 = tensor.empty() : tensor<8x3xf32>
  return %e, %e2 : tensor<8xf32>, tensor<8x3xf32>
}
}

// The states stay for the descriptor (until kiln-strip-model-metadata).
// CHECK:       module attributes {kiln.state_size = 32 : i64, nn.model = #nn.model<"tiny", optimizer = <adam>, schedule = <constant>>}
// CHECK:         nn.state @w : tensor<3x4xf32> {{.*}}offset = 0
// CHECK:         nn.state @b : tensor<3xf32> {{.*}}offset = 16

// CHECK-LABEL: func.func @tiny_train_step(
// CHECK-SAME:      %[[STATE:[^:]*]]: memref<32xf32>, %[[X:[^:]*]]: memref<8x4xf32>, %[[Y:[^:]*]]: memref<8xf32>, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %[[LOSS:[^:]*]]: memref<f32>) {
// CHECK-DAG:     %[[VB:.*]] = memref.reinterpret_cast %[[STATE]] to offset: [16], sizes: [3], strides: [1] : memref<32xf32> to memref<3xf32, strided<[1], offset: 16>>
// CHECK-DAG:     %[[VW:.*]] = memref.reinterpret_cast %[[STATE]] to offset: [0], sizes: [3, 4], strides: [4, 1] : memref<32xf32> to memref<3x4xf32, strided<[4, 1]>>
// CHECK:         bufferization.to_tensor %[[X]] restrict : memref<8x4xf32>
// CHECK-NEXT:    bufferization.to_tensor %[[Y]] restrict : memref<8xf32>
// CHECK-NEXT:    %[[W:.*]] = bufferization.to_tensor %[[VW]] restrict : memref<3x4xf32, strided<[4, 1]>>
// CHECK-NEXT:    %[[B:.*]] = bufferization.to_tensor %[[VB]] restrict
// CHECK-NEXT:    %[[W2:.*]] = bufferization.to_tensor %[[VW]] restrict
// CHECK-NEXT:    %[[S:.*]] = arith.addf %[[W]], %[[W2]]
// CHECK-NEXT:    bufferization.materialize_in_destination %[[S]] in restrict writable %[[VW]] : (tensor<3x4xf32>, memref<3x4xf32, strided<[4, 1]>>) -> ()
// CHECK-NEXT:    bufferization.materialize_in_destination %[[B]] in restrict writable %[[VB]]
// CHECK-NEXT:    %[[L:.*]] = arith.constant dense<1.000000e+00> : tensor<f32>
// CHECK-NEXT:    bufferization.materialize_in_destination %[[L]] in restrict writable %[[LOSS]] : (tensor<f32>, memref<f32>) -> ()
// CHECK-NEXT:    return{{$}}
// CHECK-NOT:     nn.load
// CHECK-NOT:     nn.store

// Two results, two out-parameters, in order.
// CHECK-LABEL: func.func @tiny_eval_step(
// CHECK-SAME:      %[[STATE:[^:]*]]: memref<32xf32>, %{{[^:]*}}: memref<8x4xf32>, %{{[^:]*}}: memref<8xf32>, %[[O1:[^:]*]]: memref<8xf32>, %[[O2:[^:]*]]: memref<8x3xf32>) {
// CHECK:         %[[E1:.*]] = tensor.empty() : tensor<8xf32>
// CHECK-NEXT:    %[[E2:.*]] = tensor.empty() : tensor<8x3xf32>
// CHECK-NEXT:    bufferization.materialize_in_destination %[[E1]] in restrict writable %[[O1]]
// CHECK-NEXT:    bufferization.materialize_in_destination %[[E2]] in restrict writable %[[O2]]
// CHECK-NEXT:    return{{$}}
