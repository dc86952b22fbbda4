// RUN: kiln-opt %s -kiln-convert-nn-to-linalg | FileCheck %s
// Regression test (fixed in 52c2ff3): nn.softmax and nn.softmax_grad used
// to lower only on rank 2, while the dialect and the language ("softmax:
// same shape, over the last axis") accept any rank and the frontend lets a
// rank-1 param through (`p -> softmax`), so a valid spec failed with "failed
// to legalize operation 'nn.softmax'". A rank-1 softmax is a softmax over
// its only axis.

func.func @softmax1(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.softmax %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}
// CHECK-LABEL: func.func @softmax1(
// CHECK-NOT:     nn.softmax
// CHECK:         iterator_types = ["reduction"]
// CHECK:         math.exp
// CHECK:         arith.divf
// CHECK:         return

func.func @softmax1_grad(%y: tensor<4xf32>, %dy: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.softmax_grad %y, %dy : tensor<4xf32>
  return %0 : tensor<4xf32>
}
// CHECK-LABEL: func.func @softmax1_grad(
// CHECK-NOT:     nn.softmax_grad
// CHECK:         iterator_types = ["reduction"]
// CHECK:         arith.subf
// CHECK:         return
