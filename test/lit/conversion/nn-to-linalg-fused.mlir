// RUN: kiln-opt %s -kiln-convert-nn-to-linalg | FileCheck %s

// The fused ops of the activation fusion pass, and nn.reshape (which
// inference folding uses), lowered to linalg on tensors. A fused dense
// layer and a matmul with an epilogue are each a matmul followed by ONE
// elementwise linalg.generic that reads the product (the pattern that
// kiln-vectorize-matmul then moves into the register tile).

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>

// dense {gelu}: bias and the exact gelu 0.5 v (1 + erf(v / sqrt 2)) in the
// epilogue, v = the product + the bias.
func.func @dense_gelu(%x: tensor<8x4xf32>, %w: tensor<3x4xf32>, %b: tensor<3xf32>) -> tensor<8x3xf32> {
  %0 = nn.dense %x, %w, %b {activation = #nn.act<gelu>} : (tensor<8x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}
// CHECK-LABEL: func.func @dense_gelu(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<8x4xf32>, %[[W:[^:]*]]: tensor<3x4xf32>, %[[B:[^:]*]]: tensor<3xf32>)
// CHECK:         %[[WT:.*]] = linalg.transpose ins(%[[W]] : tensor<3x4xf32>)
// CHECK:         %[[MM:.*]] = linalg.matmul ins(%[[X]], %[[WT]] : tensor<8x4xf32>, tensor<4x3xf32>)
// CHECK:         %[[R:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[COL]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[MM]], %[[B]] : tensor<8x3xf32>, tensor<3xf32>)
// CHECK-NEXT:    ^bb0(%[[P:[^:]*]]: f32, %[[BI:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT:      %[[V:.*]] = arith.addf %[[P]], %[[BI]] : f32
// CHECK-NEXT:      %[[R2:.*]] = arith.constant 0.707106769 : f32
// CHECK-NEXT:      %[[VS:.*]] = arith.mulf %[[V]], %[[R2]] : f32
// CHECK-NEXT:      %[[E:.*]] = math.erf %[[VS]] : f32
// CHECK-NEXT:      %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT:      %[[HV:.*]] = arith.mulf %[[HALF]], %[[V]] : f32
// CHECK-NEXT:      %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[OE:.*]] = arith.addf %[[ONE]], %[[E]] : f32
// CHECK-NEXT:      %[[G:.*]] = arith.mulf %[[HV]], %[[OE]] : f32
// CHECK-NEXT:      linalg.yield %[[G]] : f32
// CHECK:         return %[[R]]

// dense {swish, beta}: v sigmoid(beta v), beta from the attribute.
func.func @dense_swish(%x: tensor<8x4xf32>, %w: tensor<3x4xf32>, %b: tensor<3xf32>) -> tensor<8x3xf32> {
  %0 = nn.dense %x, %w, %b {activation = #nn.act<swish, 1.5>} : (tensor<8x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}
// CHECK-LABEL: func.func @dense_swish(
// CHECK:         %[[MM:.*]] = linalg.matmul
// CHECK:         linalg.generic {{.*}} ins(%[[MM]], %{{.*}} : tensor<8x3xf32>, tensor<3xf32>)
// CHECK-NEXT:    ^bb0(%[[P:[^:]*]]: f32, %[[BI:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT:      %[[V:.*]] = arith.addf %[[P]], %[[BI]] : f32
// CHECK-NEXT:      %[[BETA:.*]] = arith.constant 1.500000e+00 : f32
// CHECK-NEXT:      %[[BV:.*]] = arith.mulf %[[BETA]], %[[V]] : f32
// CHECK:           %[[N:.*]] = arith.negf %[[BV]] : f32
// CHECK-NEXT:      %[[EX:.*]] = math.exp %[[N]] : f32
// CHECK-NEXT:      %[[D:.*]] = arith.addf %{{.*}}, %[[EX]] : f32
// CHECK-NEXT:      %[[S:.*]] = arith.divf %{{.*}}, %[[D]] : f32
// CHECK-NEXT:      %[[Y:.*]] = arith.mulf %[[V]], %[[S]] : f32
// CHECK-NEXT:      linalg.yield %[[Y]] : f32
// CHECK-NOT:     linalg.generic
// CHECK:         return

// matmul epilogue(z) {tanh}: the product times tanh'(z) = 1 - tanh(z)^2,
// z read per element.
func.func @mm_tanh(%a: tensor<8x2xf32>, %b: tensor<2x3xf32>, %z: tensor<8x3xf32>) -> tensor<8x3xf32> {
  %0 = nn.matmul %a, %b epilogue(%z) {epilogue = #nn.act<tanh>} : (tensor<8x2xf32>, tensor<2x3xf32>, tensor<8x3xf32>) -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}
// CHECK-LABEL: func.func @mm_tanh(
// CHECK-SAME:      %[[A:[^:]*]]: tensor<8x2xf32>, %[[B:[^:]*]]: tensor<2x3xf32>, %[[Z:[^:]*]]: tensor<8x3xf32>)
// CHECK:         %[[MM:.*]] = linalg.matmul ins(%[[A]], %[[B]] : tensor<8x2xf32>, tensor<2x3xf32>)
// CHECK:         %[[R:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[MM]], %[[Z]] : tensor<8x3xf32>, tensor<8x3xf32>)
// CHECK-NEXT:    ^bb0(%[[P:[^:]*]]: f32, %[[ZI:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK:           %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[T:.*]] = math.tanh %[[ZI]] : f32
// CHECK-NEXT:      %[[T2:.*]] = arith.mulf %[[T]], %[[T]] : f32
// CHECK-NEXT:      %[[D:.*]] = arith.subf %[[ONE]], %[[T2]] : f32
// CHECK-NEXT:      %[[G:.*]] = arith.mulf %[[P]], %[[D]] : f32
// CHECK-NEXT:      linalg.yield %[[G]] : f32
// CHECK:         return %[[R]]

// epilogue_from_output: tanh' from the output y is 1 - y^2 (no tanh); the
// transposed right-hand side is copied first as for any matmul.
func.func @mm_tanh_out(%a: tensor<8x2xf32>, %b: tensor<3x2xf32>, %y: tensor<8x3xf32>) -> tensor<8x3xf32> {
  %0 = nn.matmul %a, %b epilogue(%y) {epilogue = #nn.act<tanh>, epilogue_from_output = true, transpose_rhs = true} : (tensor<8x2xf32>, tensor<3x2xf32>, tensor<8x3xf32>) -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}
// CHECK-LABEL: func.func @mm_tanh_out(
// CHECK-SAME:      %[[A:[^:]*]]: tensor<8x2xf32>, %[[B:[^:]*]]: tensor<3x2xf32>, %[[Y:[^:]*]]: tensor<8x3xf32>)
// CHECK:         %[[BT:.*]] = linalg.transpose ins(%[[B]] : tensor<3x2xf32>)
// CHECK:         %[[MM:.*]] = linalg.matmul ins(%[[A]], %[[BT]] : tensor<8x2xf32>, tensor<2x3xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[MM]], %[[Y]] : tensor<8x3xf32>, tensor<8x3xf32>)
// CHECK-NEXT:    ^bb0(%[[P:[^:]*]]: f32, %[[YI:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NOT:       math.tanh
// CHECK:           %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[Y2:.*]] = arith.mulf %[[YI]], %[[YI]] : f32
// CHECK-NEXT:      %[[D:.*]] = arith.subf %[[ONE]], %[[Y2]] : f32
// CHECK-NEXT:      %[[G:.*]] = arith.mulf %[[P]], %[[D]] : f32
// CHECK-NEXT:      linalg.yield %[[G]] : f32

// relu from its output: 1 where y > 0, else 0; leaky_relu: 1 or alpha.
func.func @mm_relu_out(%a: tensor<8x2xf32>, %b: tensor<2x3xf32>, %y: tensor<8x3xf32>) -> tensor<8x3xf32> {
  %0 = nn.matmul %a, %b epilogue(%y) {epilogue = #nn.act<relu>, epilogue_from_output = true} : (tensor<8x2xf32>, tensor<2x3xf32>, tensor<8x3xf32>) -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}
// CHECK-LABEL: func.func @mm_relu_out(
// CHECK:         %[[MM:.*]] = linalg.matmul
// CHECK:         linalg.generic {{.*}} ins(%[[MM]], %{{.*}} : tensor<8x3xf32>, tensor<8x3xf32>)
// CHECK-NEXT:    ^bb0(%[[P:[^:]*]]: f32, %[[YI:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT:      %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[POS:.*]] = arith.cmpf ogt, %[[YI]], %[[ZERO]] : f32
// CHECK-NEXT:      %[[D:.*]] = arith.select %[[POS]], %[[ONE]], %[[ZERO]] : f32
// CHECK-NEXT:      %[[G:.*]] = arith.mulf %[[P]], %[[D]] : f32
// CHECK-NEXT:      linalg.yield %[[G]] : f32

func.func @mm_leaky_out(%a: tensor<2x8xf32>, %b: tensor<2x3xf32>, %y: tensor<8x3xf32>) -> tensor<8x3xf32> {
  %0 = nn.matmul %a, %b epilogue(%y) {epilogue = #nn.act<leaky_relu, 0.2>, epilogue_from_output = true, transpose_lhs = true} : (tensor<2x8xf32>, tensor<2x3xf32>, tensor<8x3xf32>) -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}
// CHECK-LABEL: func.func @mm_leaky_out(
// CHECK:         %[[MM:.*]] = linalg.matmul_transpose_a
// CHECK:         linalg.generic {{.*}} ins(%[[MM]], %{{.*}} : tensor<8x3xf32>, tensor<8x3xf32>)
// CHECK-NEXT:    ^bb0(%[[P:[^:]*]]: f32, %[[YI:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK:           %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[POS:.*]] = arith.cmpf ogt, %[[YI]], %{{.*}} : f32
// CHECK-NEXT:      %[[ALPHA:.*]] = arith.constant 2.000000e-01 : f32
// CHECK-NEXT:      %[[D:.*]] = arith.select %[[POS]], %[[ONE]], %[[ALPHA]] : f32
// CHECK-NEXT:      %[[G:.*]] = arith.mulf %[[P]], %[[D]] : f32
// CHECK-NEXT:      linalg.yield %[[G]] : f32

// gelu's derivative at z: Phi(z) + z phi(z), phi(z) = exp(-z^2 / 2) / sqrt(2 pi).
func.func @mm_gelu(%a: tensor<8x2xf32>, %b: tensor<2x3xf32>, %z: tensor<8x3xf32>) -> tensor<8x3xf32> {
  %0 = nn.matmul %a, %b epilogue(%z) {epilogue = #nn.act<gelu>} : (tensor<8x2xf32>, tensor<2x3xf32>, tensor<8x3xf32>) -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}
// CHECK-LABEL: func.func @mm_gelu(
// CHECK:         %[[MM:.*]] = linalg.matmul
// CHECK:         linalg.generic {{.*}} ins(%[[MM]], %{{.*}} : tensor<8x3xf32>, tensor<8x3xf32>)
// CHECK-NEXT:    ^bb0(%[[P:[^:]*]]: f32, %[[ZI:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK:           %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[R2:.*]] = arith.constant 0.707106769 : f32
// CHECK-NEXT:      %[[ZS:.*]] = arith.mulf %[[ZI]], %[[R2]] : f32
// CHECK-NEXT:      %[[E:.*]] = math.erf %[[ZS]] : f32
// CHECK-NEXT:      %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT:      %[[OE:.*]] = arith.addf %[[ONE]], %[[E]] : f32
// CHECK-NEXT:      %[[CDF:.*]] = arith.mulf %[[HALF]], %[[OE]] : f32
// CHECK-NEXT:      %[[K:.*]] = arith.constant 0.398942292 : f32
// CHECK-NEXT:      %[[MH:.*]] = arith.constant -5.000000e-01 : f32
// CHECK-NEXT:      %[[Z2:.*]] = arith.mulf %[[ZI]], %[[ZI]] : f32
// CHECK-NEXT:      %[[EA:.*]] = arith.mulf %[[MH]], %[[Z2]] : f32
// CHECK-NEXT:      %[[EX:.*]] = math.exp %[[EA]] : f32
// CHECK-NEXT:      %[[PDF:.*]] = arith.mulf %[[K]], %[[EX]] : f32
// CHECK-NEXT:      %[[ZP:.*]] = arith.mulf %[[ZI]], %[[PDF]] : f32
// CHECK-NEXT:      %[[D:.*]] = arith.addf %[[CDF]], %[[ZP]] : f32
// CHECK-NEXT:      %[[G:.*]] = arith.mulf %[[P]], %[[D]] : f32
// CHECK-NEXT:      linalg.yield %[[G]] : f32

// nn.reshape: through a rank-1 view (collapse all dims, expand to the
// result); a rank-1 input is expanded directly, a rank-0 one expanded to
// [1] first, and a rank-1 result is the collapsed view itself.
func.func @reshape(%s: tensor<3xf32>, %m: tensor<2x3xf32>, %t: tensor<f32>, %u: tensor<1x1xf32>) -> (tensor<3x1xf32>, tensor<6xf32>, tensor<3x2xf32>, tensor<1x1xf32>, tensor<f32>) {
  %0 = nn.reshape %s : tensor<3xf32> -> tensor<3x1xf32>
  %1 = nn.reshape %m : tensor<2x3xf32> -> tensor<6xf32>
  %2 = nn.reshape %m : tensor<2x3xf32> -> tensor<3x2xf32>
  %3 = nn.reshape %t : tensor<f32> -> tensor<1x1xf32>
  %4 = nn.reshape %u : tensor<1x1xf32> -> tensor<f32>
  return %0, %1, %2, %3, %4 : tensor<3x1xf32>, tensor<6xf32>, tensor<3x2xf32>, tensor<1x1xf32>, tensor<f32>
}
// CHECK-LABEL: func.func @reshape(
// CHECK-SAME:      %[[S:[^:]*]]: tensor<3xf32>, %[[M:[^:]*]]: tensor<2x3xf32>, %[[T:[^:]*]]: tensor<f32>, %[[U:[^:]*]]: tensor<1x1xf32>)
// CHECK-NEXT:    %[[R0:.*]] = tensor.expand_shape %[[S]] {{\[\[}}0, 1]] output_shape [3, 1] : tensor<3xf32> into tensor<3x1xf32>
// CHECK-NEXT:    %[[R1:.*]] = tensor.collapse_shape %[[M]] {{\[\[}}0, 1]] : tensor<2x3xf32> into tensor<6xf32>
// CHECK-NEXT:    %[[F2:.*]] = tensor.collapse_shape %[[M]] {{\[\[}}0, 1]] : tensor<2x3xf32> into tensor<6xf32>
// CHECK-NEXT:    %[[R2:.*]] = tensor.expand_shape %[[F2]] {{\[\[}}0, 1]] output_shape [3, 2] : tensor<6xf32> into tensor<3x2xf32>
// CHECK-NEXT:    %[[F3:.*]] = tensor.expand_shape %[[T]] [] output_shape [1] : tensor<f32> into tensor<1xf32>
// CHECK-NEXT:    %[[R3:.*]] = tensor.expand_shape %[[F3]] {{\[\[}}0, 1]] output_shape [1, 1] : tensor<1xf32> into tensor<1x1xf32>
// CHECK-NEXT:    %[[F4:.*]] = tensor.collapse_shape %[[U]] {{\[\[}}0, 1]] : tensor<1x1xf32> into tensor<1xf32>
// CHECK-NEXT:    %[[R4:.*]] = tensor.collapse_shape %[[F4]] [] : tensor<1xf32> into tensor<f32>
// CHECK-NEXT:    return %[[R0]], %[[R1]], %[[R2]], %[[R3]], %[[R4]] :
