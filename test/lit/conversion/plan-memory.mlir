// RUN: kiln-opt %s -kiln-plan-memory -allow-unregistered-dialect | FileCheck %s

// Every static memref.alloc becomes a memref.view of one workspace buffer
// (i8, a new argument right after the state buffer) at a compile-time
// offset, 64-byte aligned; buffers whose live ranges (alloc to last use,
// views of them included) do not overlap share bytes. The workspace size is
// recorded as kiln.workspace_size. Afterwards nothing is allocated.

func.func @chain(%state: memref<32xf32>, %x: memref<4x4xf32>, %out: memref<4x4xf32>) {
  %a = memref.alloc() : memref<4x4xf32>
  linalg.copy ins(%x : memref<4x4xf32>) outs(%a : memref<4x4xf32>)
  %b = memref.alloc() : memref<4x4xf32>
  linalg.copy ins(%a : memref<4x4xf32>) outs(%b : memref<4x4xf32>)
  %c = memref.alloc() : memref<4x4xf32>
  linalg.copy ins(%b : memref<4x4xf32>) outs(%c : memref<4x4xf32>)
  %d = memref.alloc() : memref<3xf32>
  %sub = memref.subview %c[0, 0] [1, 3] [1, 1] : memref<4x4xf32> to memref<3xf32, strided<[1]>>
  linalg.copy ins(%sub : memref<3xf32, strided<[1]>>) outs(%d : memref<3xf32>)
  linalg.copy ins(%d : memref<3xf32>) outs(%sub : memref<3xf32, strided<[1]>>)
  linalg.copy ins(%c : memref<4x4xf32>) outs(%out : memref<4x4xf32>)
  return
}
// a -> b -> c: a is dead once b is written, so c takes a's bytes; d, live
// while c is, takes the bytes of b, dead by then. 2 x 64 bytes in all.
// CHECK-LABEL: func.func @chain(
// CHECK-SAME:      %[[STATE:[^:]*]]: memref<32xf32>, %[[WS:[^:]*]]: memref<128xi8>, %[[X:[^:]*]]: memref<4x4xf32>, %[[OUT:[^:]*]]: memref<4x4xf32>)
// CHECK-SAME:      attributes {kiln.workspace_size = 128 : i64}
// CHECK-NOT:     memref.alloc
// CHECK:         %[[O0:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[A:.*]] = memref.view %[[WS]][%[[O0]]][] : memref<128xi8> to memref<4x4xf32>
// CHECK-NEXT:    linalg.copy ins(%[[X]] : memref<4x4xf32>) outs(%[[A]] : memref<4x4xf32>)
// CHECK-NEXT:    %[[O64:.*]] = arith.constant 64 : index
// CHECK-NEXT:    %[[B:.*]] = memref.view %[[WS]][%[[O64]]][] : memref<128xi8> to memref<4x4xf32>
// CHECK-NEXT:    linalg.copy ins(%[[A]] : memref<4x4xf32>) outs(%[[B]] : memref<4x4xf32>)
// CHECK-NEXT:    %[[O0B:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[C:.*]] = memref.view %[[WS]][%[[O0B]]][] : memref<128xi8> to memref<4x4xf32>
// CHECK-NEXT:    linalg.copy ins(%[[B]] : memref<4x4xf32>) outs(%[[C]] : memref<4x4xf32>)
// CHECK-NEXT:    %[[O64B:.*]] = arith.constant 64 : index
// CHECK-NEXT:    %[[D:.*]] = memref.view %[[WS]][%[[O64B]]][] : memref<128xi8> to memref<3xf32>
// CHECK-NEXT:    memref.subview %[[C]]
// CHECK-NOT:     memref.alloc

func.func @view_keeps_alive(%state: memref<32xf32>, %x: memref<4xf32>, %o1: memref<2xf32>, %o2: memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  linalg.copy ins(%x : memref<4xf32>) outs(%a : memref<4xf32>)
  %sa = memref.subview %a[1] [2] [1] : memref<4xf32> to memref<2xf32, strided<[1], offset: 1>>
  %b = memref.alloc() : memref<4xf32>
  linalg.copy ins(%x : memref<4xf32>) outs(%b : memref<4xf32>)
  linalg.copy ins(%sa : memref<2xf32, strided<[1], offset: 1>>) outs(%o1 : memref<2xf32>)
  linalg.copy ins(%b : memref<4xf32>) outs(%o2 : memref<4xf32>)
  return
}
// a's last direct use comes before b is allocated, but a subview of it is
// read later: a stays live and b gets its own bytes.
// CHECK-LABEL: func.func @view_keeps_alive(
// CHECK-SAME:      %{{[^:]*}}: memref<32xf32>, %[[WS:[^:]*]]: memref<128xi8>
// CHECK-SAME:      attributes {kiln.workspace_size = 128 : i64}
// CHECK:         %[[O0:.*]] = arith.constant 0 : index
// CHECK-NEXT:    memref.view %[[WS]][%[[O0]]][] : memref<128xi8> to memref<4xf32>
// CHECK:         %[[O64:.*]] = arith.constant 64 : index
// CHECK-NEXT:    memref.view %[[WS]][%[[O64]]][] : memref<128xi8> to memref<4xf32>

func.func @loop(%state: memref<32xf32>, %x: memref<4xf32>, %out: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %a = memref.alloc() : memref<4xf32>
  %b = memref.alloc() : memref<4xf32>
  linalg.copy ins(%x : memref<4xf32>) outs(%a : memref<4xf32>)
  scf.for %i = %c0 to %c4 step %c1 {
    %v = memref.load %a[%i] : memref<4xf32>
    memref.store %v, %b[%i] : memref<4xf32>
  }
  %c = memref.alloc() : memref<4xf32>
  linalg.copy ins(%b : memref<4xf32>) outs(%c : memref<4xf32>)
  linalg.copy ins(%c : memref<4xf32>) outs(%out : memref<4xf32>)
  return
}
// A use inside a loop counts at the loop: a is live through the scf.for and
// dead after it, so c reuses a's bytes, not b's.
// CHECK-LABEL: func.func @loop(
// CHECK-SAME:      %{{[^:]*}}: memref<32xf32>, %[[WS:[^:]*]]: memref<128xi8>
// CHECK:         %[[C4:.*]] = arith.constant 4 : index
// CHECK-NEXT:    %[[OA:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[A:.*]] = memref.view %[[WS]][%[[OA]]][] : memref<128xi8> to memref<4xf32>
// CHECK-NEXT:    %[[OB:.*]] = arith.constant 64 : index
// CHECK-NEXT:    %[[B:.*]] = memref.view %[[WS]][%[[OB]]][] : memref<128xi8> to memref<4xf32>
// CHECK:         scf.for
// CHECK-NEXT:      memref.load %[[A]]
// CHECK-NEXT:      memref.store %{{.*}}, %[[B]]
// CHECK:         %[[OC:.*]] = arith.constant 0 : index
// CHECK-NEXT:    memref.view %[[WS]][%[[OC]]][] : memref<128xi8> to memref<4xf32>

func.func @sizes(%state: memref<32xf32>, %o: memref<i8>) {
  %a = memref.alloc() : memref<3xi8>
  %b = memref.alloc() : memref<5xf64>
  %c = memref.alloc() : memref<f32>
  "test.use"(%a, %b, %c) : (memref<3xi8>, memref<5xf64>, memref<f32>) -> ()
  return
}
// Sizes in bytes from the element type, largest placed first, each at a
// 64-byte boundary: 40 bytes at 0, 4 at 64, 3 at 128; 131 rounded up to 192.
// CHECK-LABEL: func.func @sizes(
// CHECK-SAME:      %{{[^:]*}}: memref<32xf32>, %[[WS:[^:]*]]: memref<192xi8>, %{{[^:]*}}: memref<i8>) attributes {kiln.workspace_size = 192 : i64}
// CHECK:         %[[O128:.*]] = arith.constant 128 : index
// CHECK-NEXT:    memref.view %[[WS]][%[[O128]]][] : memref<192xi8> to memref<3xi8>
// CHECK-NEXT:    %[[O0:.*]] = arith.constant 0 : index
// CHECK-NEXT:    memref.view %[[WS]][%[[O0]]][] : memref<192xi8> to memref<5xf64>
// CHECK-NEXT:    %[[O64:.*]] = arith.constant 64 : index
// CHECK-NEXT:    memref.view %[[WS]][%[[O64]]][] : memref<192xi8> to memref<f32>

func.func @dealloc(%state: memref<32xf32>, %out: memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  linalg.copy ins(%a : memref<4xf32>) outs(%out : memref<4xf32>)
  memref.dealloc %a : memref<4xf32>
  return
}
// Deallocations go with the allocations.
// CHECK-LABEL: func.func @dealloc(
// CHECK-NOT:     memref.dealloc
// CHECK:         return

func.func @none(%state: memref<32xf32>, %out: memref<4xf32>) {
  return
}
// No temporaries: still a workspace argument (of the minimum 64 bytes), so
// that every function has the same ABI.
// CHECK-LABEL: func.func @none(
// CHECK-SAME:      %{{[^:]*}}: memref<32xf32>, %{{[^:]*}}: memref<64xi8>, %{{[^:]*}}: memref<4xf32>) attributes {kiln.workspace_size = 64 : i64}

func.func private @external(%state: memref<32xf32>)
// Declarations are left alone.
// CHECK-LABEL: func.func private @external(memref<32xf32>)
