// RUN: kiln-opt %s -split-input-file -kiln-plan-memory -verify-diagnostics -allow-unregistered-dialect

// The workspace holds static, identity-layout buffers allocated at the top
// level of a function; anything else is an error, not a silent allocation.

func.func @dynamic(%state: memref<32xf32>, %n: index) {
  // expected-error @+1 {{'memref.alloc' op cannot be planned: the workspace holds only static, identity-layout buffers of the function's top level}}
  %a = memref.alloc(%n) : memref<?xf32>
  return
}
// -----
func.func @nested(%state: memref<32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %c1 step %c1 {
    // expected-error @+1 {{'memref.alloc' op cannot be planned}}
    %a = memref.alloc() : memref<4xf32>
    "test.use"(%a) : (memref<4xf32>) -> ()
  }
  return
}
// -----
func.func @layout(%state: memref<32xf32>) {
  // expected-error @+1 {{'memref.alloc' op cannot be planned}}
  %a = memref.alloc() : memref<4xf32, strided<[2]>>
  "test.use"(%a) : (memref<4xf32, strided<[2]>>) -> ()
  return
}
