// RUN: kiln-opt %s -kiln-convert-nn-to-linalg | FileCheck %s

// nn.dense and nn.matmul to linalg on tensors.

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>

func.func @dense(%x: tensor<8x4xf32>, %w: tensor<3x4xf32>, %b: tensor<3xf32>) -> tensor<8x3xf32> {
  %0 = nn.dense %x, %w, %b : (tensor<8x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}

// Dense: the weight [out, in] is transposed to [in, out] once, so that the
// matmul reads its right-hand side by rows; the bias is added in one
// elementwise epilogue that reads it along the columns.
// CHECK-LABEL: func.func @dense(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<8x4xf32>, %[[W:[^:]*]]: tensor<3x4xf32>, %[[B:[^:]*]]: tensor<3xf32>)
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[ACC:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<8x3xf32>)
// CHECK:         %[[WT:.*]] = linalg.transpose ins(%[[W]] : tensor<3x4xf32>) outs(%{{.*}} : tensor<4x3xf32>) permutation = [1, 0]
// CHECK:         %[[MM:.*]] = linalg.matmul ins(%[[X]], %[[WT]] : tensor<8x4xf32>, tensor<4x3xf32>) outs(%[[ACC]] : tensor<8x3xf32>)
// CHECK:         %[[Y:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[COL]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[MM]], %[[B]] : tensor<8x3xf32>, tensor<3xf32>)
// CHECK-NEXT:    ^bb0(%[[A0:.*]]: f32, %[[A1:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[S:.*]] = arith.addf %[[A0]], %[[A1]] : f32
// CHECK-NEXT:      linalg.yield %[[S]] : f32
// CHECK:         return %[[Y]]

func.func @dense_nobias(%x: tensor<8x4xf32>, %w: tensor<3x4xf32>) -> tensor<8x3xf32> {
  %0 = nn.dense %x, %w : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}

// Without bias or activation there is no epilogue.
// CHECK-LABEL: func.func @dense_nobias(
// CHECK:         %[[MM:.*]] = linalg.matmul
// CHECK-NOT:     linalg.generic
// CHECK-NEXT:    return %[[MM]]

func.func @dense_relu(%x: tensor<8x4xf32>, %w: tensor<3x4xf32>, %b: tensor<3xf32>) -> tensor<8x3xf32> {
  %0 = nn.dense %x, %w, %b {activation = #nn.act<relu>} : (tensor<8x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}

// A fused activation joins the bias in the epilogue.
// CHECK-LABEL: func.func @dense_relu(
// CHECK:         %[[MM:.*]] = linalg.matmul
// CHECK:         linalg.generic {{.*}} ins(%[[MM]], %{{.*}} : tensor<8x3xf32>, tensor<3xf32>)
// CHECK:           %[[S:.*]] = arith.addf
// CHECK:           %[[R:.*]] = arith.maximumf %[[S]], %{{.*}} : f32
// CHECK-NEXT:      linalg.yield %[[R]]

func.func @dense_act_nobias(%x: tensor<8x4xf32>, %w: tensor<3x4xf32>) -> tensor<8x3xf32> {
  %0 = nn.dense %x, %w {activation = #nn.act<tanh>} : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}

// An activation without bias: a one-input epilogue.
// CHECK-LABEL: func.func @dense_act_nobias(
// CHECK:         %[[MM:.*]] = linalg.matmul
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[ID]]], {{.*}} ins(%[[MM]] : tensor<8x3xf32>)
// CHECK-NEXT:    ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[T:.*]] = math.tanh %[[IN]] : f32
// CHECK-NEXT:      linalg.yield %[[T]]

func.func @mm(%a: tensor<5x4xf32>, %b: tensor<4x3xf32>) -> tensor<5x3xf32> {
  %0 = nn.matmul %a, %b : (tensor<5x4xf32>, tensor<4x3xf32>) -> tensor<5x3xf32>
  return %0 : tensor<5x3xf32>
}

// matmul: a named linalg.matmul into a zero-filled accumulator.
// CHECK-LABEL: func.func @mm(
// CHECK-SAME:      %[[A:[^:]*]]: tensor<5x4xf32>, %[[B:[^:]*]]: tensor<4x3xf32>)
// CHECK:         %[[ACC:.*]] = linalg.fill
// CHECK-NOT:     linalg.transpose
// CHECK:         %[[C:.*]] = linalg.matmul ins(%[[A]], %[[B]] : tensor<5x4xf32>, tensor<4x3xf32>) outs(%[[ACC]] : tensor<5x3xf32>)
// CHECK-NEXT:    return %[[C]]

func.func @mm_ta(%a: tensor<4x5xf32>, %b: tensor<4x3xf32>) -> tensor<5x3xf32> {
  %0 = nn.matmul %a, %b {transpose_lhs = true} : (tensor<4x5xf32>, tensor<4x3xf32>) -> tensor<5x3xf32>
  return %0 : tensor<5x3xf32>
}

// A^T B: linalg.matmul_transpose_a on A as stored, no copy.
// CHECK-LABEL: func.func @mm_ta(
// CHECK-SAME:      %[[A:[^:]*]]: tensor<4x5xf32>, %[[B:[^:]*]]: tensor<4x3xf32>)
// CHECK-NOT:     linalg.transpose
// CHECK:         %[[C:.*]] = linalg.matmul_transpose_a ins(%[[A]], %[[B]] : tensor<4x5xf32>, tensor<4x3xf32>) outs(%{{.*}} : tensor<5x3xf32>)
// CHECK-NEXT:    return %[[C]]

func.func @mm_tb(%a: tensor<5x4xf32>, %b: tensor<3x4xf32>) -> tensor<5x3xf32> {
  %0 = nn.matmul %a, %b {transpose_rhs = true} : (tensor<5x4xf32>, tensor<3x4xf32>) -> tensor<5x3xf32>
  return %0 : tensor<5x3xf32>
}

// A B^T: B is copied to [K, N] first, then a plain matmul.
// CHECK-LABEL: func.func @mm_tb(
// CHECK-SAME:      %[[A:[^:]*]]: tensor<5x4xf32>, %[[B:[^:]*]]: tensor<3x4xf32>)
// CHECK:         %[[BT:.*]] = linalg.transpose ins(%[[B]] : tensor<3x4xf32>) outs(%{{.*}} : tensor<4x3xf32>) permutation = [1, 0]
// CHECK:         %[[C:.*]] = linalg.matmul ins(%[[A]], %[[BT]] : tensor<5x4xf32>, tensor<4x3xf32>)
// CHECK-NEXT:    return %[[C]]

func.func @mm_tt(%a: tensor<4x5xf32>, %b: tensor<3x4xf32>) -> tensor<5x3xf32> {
  %0 = nn.matmul %a, %b {transpose_lhs = true, transpose_rhs = true} : (tensor<4x5xf32>, tensor<3x4xf32>) -> tensor<5x3xf32>
  return %0 : tensor<5x3xf32>
}

// A^T B^T: both operands are copied transposed, then a plain matmul.
// CHECK-LABEL: func.func @mm_tt(
// CHECK-SAME:      %[[A:[^:]*]]: tensor<4x5xf32>, %[[B:[^:]*]]: tensor<3x4xf32>)
// CHECK:         %[[AT:.*]] = linalg.transpose ins(%[[A]] : tensor<4x5xf32>) outs(%{{.*}} : tensor<5x4xf32>) permutation = [1, 0]
// CHECK:         %[[BT:.*]] = linalg.transpose ins(%[[B]] : tensor<3x4xf32>) outs(%{{.*}} : tensor<4x3xf32>) permutation = [1, 0]
// CHECK:         %[[C:.*]] = linalg.matmul ins(%[[AT]], %[[BT]] : tensor<5x4xf32>, tensor<4x3xf32>)
// CHECK-NEXT:    return %[[C]]

