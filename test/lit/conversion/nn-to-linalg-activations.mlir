// RUN: kiln-opt %s -kiln-convert-nn-to-linalg | FileCheck %s

// The scalar bodies of the activations and of nn.activation_grad for each
// #nn.act kind (ScalarMath.cpp, shared with the fused dense epilogue), and
// softmax with its gradient.

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>

func.func @sigmoid(%a: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.sigmoid %a : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// sigmoid: 1 / (1 + e^-x).
// CHECK-LABEL: func.func @sigmoid(
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-NEXT:    ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[N:.*]] = arith.negf %[[X]]
// CHECK-NEXT:      %[[E:.*]] = math.exp %[[N]]
// CHECK-NEXT:      %[[D:.*]] = arith.addf %{{.*}}, %[[E]]
// CHECK-NEXT:      %[[S:.*]] = arith.divf %{{.*}}, %[[D]]
// CHECK-NEXT:      linalg.yield %[[S]]

func.func @tanh(%a: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.tanh %a : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// CHECK-LABEL: func.func @tanh(
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[T:.*]] = math.tanh %[[X]] : f32
// CHECK-NEXT:      linalg.yield %[[T]]

func.func @relu(%a: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.relu %a : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// relu: max(x, 0).
// CHECK-LABEL: func.func @relu(
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[R:.*]] = arith.maximumf %[[X]], %[[Z]] : f32
// CHECK-NEXT:      linalg.yield %[[R]]

func.func @leaky_relu(%a: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.leaky_relu %a {alpha = 0.25 : f64} : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// leaky_relu: x >= 0 ? x : alpha x.
// CHECK-LABEL: func.func @leaky_relu(
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[C:.*]] = arith.cmpf oge, %[[X]], %[[Z]] : f32
// CHECK-NEXT:      %[[A:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-NEXT:      %[[AX:.*]] = arith.mulf %[[A]], %[[X]] : f32
// CHECK-NEXT:      %[[R:.*]] = arith.select %[[C]], %[[X]], %[[AX]] : f32
// CHECK-NEXT:      linalg.yield %[[R]]

func.func @elu(%a: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.elu %a {alpha = 0.5 : f64} : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// elu: x > 0 ? x : alpha (e^x - 1).
// CHECK-LABEL: func.func @elu(
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[C:.*]] = arith.cmpf ogt, %[[X]], %[[Z]] : f32
// CHECK-NEXT:      %[[A:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT:      %[[E:.*]] = math.exp %[[X]] : f32
// CHECK-NEXT:      %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[EM1:.*]] = arith.subf %[[E]], %[[ONE]] : f32
// CHECK-NEXT:      %[[NEG:.*]] = arith.mulf %[[A]], %[[EM1]] : f32
// CHECK-NEXT:      %[[R:.*]] = arith.select %[[C]], %[[X]], %[[NEG]] : f32
// CHECK-NEXT:      linalg.yield %[[R]]

func.func @gelu(%a: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.gelu %a : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// gelu: x/2 (1 + erf(x / sqrt(2))).
// CHECK-LABEL: func.func @gelu(
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[R2:.*]] = arith.constant 0.707106769 : f32
// CHECK-NEXT:      %[[XS:.*]] = arith.mulf %[[X]], %[[R2]]
// CHECK-NEXT:      %[[ERF:.*]] = math.erf %[[XS]]
// CHECK-NEXT:      %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT:      %[[HX:.*]] = arith.mulf %[[HALF]], %[[X]]
// CHECK-NEXT:      %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[P:.*]] = arith.addf %[[ONE]], %[[ERF]]
// CHECK-NEXT:      %[[R:.*]] = arith.mulf %[[HX]], %[[P]]
// CHECK-NEXT:      linalg.yield %[[R]]

func.func @gelu_approx(%a: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.gelu %a {approximate = true} : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// gelu {approximate}: x sigmoid(1.702 x).
// CHECK-LABEL: func.func @gelu_approx(
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[K:.*]] = arith.constant 1.702000e+00 : f32
// CHECK-NEXT:      %[[KX:.*]] = arith.mulf %[[K]], %[[X]]
// CHECK:           %[[N:.*]] = arith.negf %[[KX]]
// CHECK-NEXT:      %[[E:.*]] = math.exp %[[N]]
// CHECK-NEXT:      %[[D:.*]] = arith.addf %{{.*}}, %[[E]]
// CHECK-NEXT:      %[[S:.*]] = arith.divf %{{.*}}, %[[D]]
// CHECK-NEXT:      %[[R:.*]] = arith.mulf %[[X]], %[[S]]
// CHECK-NEXT:      linalg.yield %[[R]]

func.func @softplus(%a: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.softplus %a {beta = 2.0 : f64} : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// softplus: (max(bx, 0) + log1p(e^-|bx|)) / b, which cannot overflow.
// CHECK-LABEL: func.func @softplus(
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[B:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-NEXT:      %[[BX:.*]] = arith.mulf %[[B]], %[[X]]
// CHECK-NEXT:      %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[M:.*]] = arith.maximumf %[[BX]], %[[Z]]
// CHECK-NEXT:      %[[A:.*]] = math.absf %[[BX]]
// CHECK-NEXT:      %[[N:.*]] = arith.negf %[[A]]
// CHECK-NEXT:      %[[E:.*]] = math.exp %[[N]]
// CHECK-NEXT:      %[[L:.*]] = math.log1p %[[E]]
// CHECK-NEXT:      %[[S:.*]] = arith.addf %[[M]], %[[L]]
// CHECK-NEXT:      %[[B2:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-NEXT:      %[[R:.*]] = arith.divf %[[S]], %[[B2]]
// CHECK-NEXT:      linalg.yield %[[R]]

func.func @swish(%a: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.swish %a {beta = 1.5 : f64} : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// swish: x sigmoid(beta x).
// CHECK-LABEL: func.func @swish(
// CHECK:         ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[K:.*]] = arith.constant 1.500000e+00 : f32
// CHECK-NEXT:      %[[KX:.*]] = arith.mulf %[[K]], %[[X]]
// CHECK:           %[[N:.*]] = arith.negf %[[KX]]
// CHECK:           %[[S:.*]] = arith.divf
// CHECK-NEXT:      %[[R:.*]] = arith.mulf %[[X]], %[[S]]
// CHECK-NEXT:      linalg.yield %[[R]]

func.func @sigmoid_grad(%x: tensor<4x3xf32>, %dy: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.activation_grad %x, %dy {activation = #nn.act<sigmoid>} : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// Gradients: dy act'(x), x the first input, dy the second.
// sigmoid' = s (1 - s).
// CHECK-LABEL: func.func @sigmoid_grad(
// CHECK-SAME:      %[[XA:[^:]*]]: tensor<4x3xf32>, %[[DYA:[^:]*]]: tensor<4x3xf32>)
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[XA]], %[[DYA]] :
// CHECK-NEXT:    ^bb0(%[[X:.*]]: f32, %[[DY:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[N:.*]] = arith.negf %[[X]]
// CHECK:           %[[S:.*]] = arith.divf
// CHECK-NEXT:      %[[OMS:.*]] = arith.subf %{{.*}}, %[[S]]
// CHECK-NEXT:      %[[D:.*]] = arith.mulf %[[S]], %[[OMS]]
// CHECK-NEXT:      %[[R:.*]] = arith.mulf %[[DY]], %[[D]]
// CHECK-NEXT:      linalg.yield %[[R]]

func.func @tanh_grad(%x: tensor<4x3xf32>, %dy: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.activation_grad %x, %dy {activation = #nn.act<tanh>} : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// tanh' = 1 - tanh^2.
// CHECK-LABEL: func.func @tanh_grad(
// CHECK:         ^bb0(%[[X:.*]]: f32, %[[DY:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[T:.*]] = math.tanh %[[X]]
// CHECK-NEXT:      %[[T2:.*]] = arith.mulf %[[T]], %[[T]]
// CHECK-NEXT:      %[[D:.*]] = arith.subf %[[ONE]], %[[T2]]
// CHECK-NEXT:      %[[R:.*]] = arith.mulf %[[DY]], %[[D]]
// CHECK-NEXT:      linalg.yield %[[R]]

func.func @relu_grad(%x: tensor<4x3xf32>, %dy: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.activation_grad %x, %dy {activation = #nn.act<relu>} : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// relu' = x > 0 ? 1 : 0 (0 at 0, as PyTorch).
// CHECK-LABEL: func.func @relu_grad(
// CHECK:         ^bb0(%[[X:.*]]: f32, %[[DY:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[C:.*]] = arith.cmpf ogt, %[[X]], %[[Z]] : f32
// CHECK-NEXT:      %[[D:.*]] = arith.select %[[C]], %[[ONE]], %[[Z]] : f32
// CHECK-NEXT:      %[[R:.*]] = arith.mulf %[[DY]], %[[D]]
// CHECK-NEXT:      linalg.yield %[[R]]

func.func @leaky_relu_grad(%x: tensor<4x3xf32>, %dy: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.activation_grad %x, %dy {activation = #nn.act<leaky_relu, 2.500000e-01>} : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// leaky_relu' = x > 0 ? 1 : alpha (alpha at 0, as PyTorch).
// CHECK-LABEL: func.func @leaky_relu_grad(
// CHECK:         ^bb0(%[[X:.*]]: f32, %[[DY:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[C:.*]] = arith.cmpf ogt, %[[X]], %[[Z]] : f32
// CHECK-NEXT:      %[[A:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-NEXT:      %[[D:.*]] = arith.select %[[C]], %[[ONE]], %[[A]] : f32
// CHECK-NEXT:      %[[R:.*]] = arith.mulf %[[DY]], %[[D]]
// CHECK-NEXT:      linalg.yield %[[R]]

func.func @elu_grad(%x: tensor<4x3xf32>, %dy: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.activation_grad %x, %dy {activation = #nn.act<elu, 5.000000e-01>} : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// elu' = x > 0 ? 1 : alpha e^x (alpha at 0, as PyTorch).
// CHECK-LABEL: func.func @elu_grad(
// CHECK:         ^bb0(%[[X:.*]]: f32, %[[DY:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[C:.*]] = arith.cmpf ogt, %[[X]], %[[Z]] : f32
// CHECK-NEXT:      %[[A:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT:      %[[E:.*]] = math.exp %[[X]] : f32
// CHECK-NEXT:      %[[AE:.*]] = arith.mulf %[[A]], %[[E]] : f32
// CHECK-NEXT:      %[[D:.*]] = arith.select %[[C]], %[[ONE]], %[[AE]] : f32
// CHECK-NEXT:      %[[R:.*]] = arith.mulf %[[DY]], %[[D]]
// CHECK-NEXT:      linalg.yield %[[R]]

func.func @elu_grad_from_output(%y: tensor<4x3xf32>, %dy: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.activation_grad %y, %dy {activation = #nn.act<elu, 5.000000e-01>, from_output = true} : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// From the output: y > 0 ? 1 : y + alpha.
// CHECK-LABEL: func.func @elu_grad_from_output(
// CHECK:         ^bb0(%[[Y:.*]]: f32, %[[DY:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[C:.*]] = arith.cmpf ogt, %[[Y]], %[[Z]] : f32
// CHECK-NEXT:      %[[A:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT:      %[[YA:.*]] = arith.addf %[[Y]], %[[A]] : f32
// CHECK-NEXT:      %[[D:.*]] = arith.select %[[C]], %[[ONE]], %[[YA]] : f32
// CHECK-NEXT:      %[[R:.*]] = arith.mulf %[[DY]], %[[D]]
// CHECK-NEXT:      linalg.yield %[[R]]

func.func @gelu_grad(%x: tensor<4x3xf32>, %dy: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.activation_grad %x, %dy {activation = #nn.act<gelu>} : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// gelu' = Phi(x) + x phi(x), phi(x) = e^(-x^2/2) / sqrt(2 pi).
// CHECK-LABEL: func.func @gelu_grad(
// CHECK:         ^bb0(%[[X:.*]]: f32, %[[DY:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK:           %[[ERF:.*]] = math.erf
// CHECK-NEXT:      %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT:      %[[P:.*]] = arith.addf %[[ONE]], %[[ERF]]
// CHECK-NEXT:      %[[CDF:.*]] = arith.mulf %[[HALF]], %[[P]]
// CHECK-NEXT:      %[[K:.*]] = arith.constant 0.398942292 : f32
// CHECK-NEXT:      %[[MH:.*]] = arith.constant -5.000000e-01 : f32
// CHECK-NEXT:      %[[X2:.*]] = arith.mulf %[[X]], %[[X]]
// CHECK-NEXT:      %[[T:.*]] = arith.mulf %[[MH]], %[[X2]]
// CHECK-NEXT:      %[[E:.*]] = math.exp %[[T]]
// CHECK-NEXT:      %[[PDF:.*]] = arith.mulf %[[K]], %[[E]]
// CHECK-NEXT:      %[[XP:.*]] = arith.mulf %[[X]], %[[PDF]]
// CHECK-NEXT:      %[[D:.*]] = arith.addf %[[CDF]], %[[XP]]
// CHECK-NEXT:      %[[R:.*]] = arith.mulf %[[DY]], %[[D]]
// CHECK-NEXT:      linalg.yield %[[R]]

func.func @gelu_sigmoid_grad(%x: tensor<4x3xf32>, %dy: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.activation_grad %x, %dy {activation = #nn.act<gelu_sigmoid>} : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// (x sigmoid(kx))' = s + kx s (1 - s), s = sigmoid(kx); k = 1.702.
// CHECK-LABEL: func.func @gelu_sigmoid_grad(
// CHECK:         ^bb0(%[[X:.*]]: f32, %[[DY:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[K:.*]] = arith.constant 1.702000e+00 : f32
// CHECK-NEXT:      %[[KX:.*]] = arith.mulf %[[K]], %[[X]]
// CHECK:           %[[S:.*]] = arith.divf
// CHECK-NEXT:      %[[OMS:.*]] = arith.subf %[[ONE]], %[[S]]
// CHECK-NEXT:      %[[SS:.*]] = arith.mulf %[[S]], %[[OMS]]
// CHECK-NEXT:      %[[T:.*]] = arith.mulf %[[KX]], %[[SS]]
// CHECK-NEXT:      %[[D:.*]] = arith.addf %[[S]], %[[T]]
// CHECK-NEXT:      %[[R:.*]] = arith.mulf %[[DY]], %[[D]]
// CHECK-NEXT:      linalg.yield %[[R]]

func.func @softplus_grad(%x: tensor<4x3xf32>, %dy: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.activation_grad %x, %dy {activation = #nn.act<softplus, 2.000000e+00>} : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// softplus' = sigmoid(beta x).
// CHECK-LABEL: func.func @softplus_grad(
// CHECK:         ^bb0(%[[X:.*]]: f32, %[[DY:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[B:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-NEXT:      %[[BX:.*]] = arith.mulf %[[B]], %[[X]]
// CHECK:           %[[N:.*]] = arith.negf %[[BX]]
// CHECK:           %[[S:.*]] = arith.divf
// CHECK-NEXT:      %[[R:.*]] = arith.mulf %[[DY]], %[[S]]
// CHECK-NEXT:      linalg.yield %[[R]]

func.func @swish_grad(%x: tensor<4x3xf32>, %dy: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.activation_grad %x, %dy {activation = #nn.act<swish, 1.500000e+00>} : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// swish: the same with k = beta.
// CHECK-LABEL: func.func @swish_grad(
// CHECK:         ^bb0(%[[X:.*]]: f32, %[[DY:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[K:.*]] = arith.constant 1.500000e+00 : f32
// CHECK-NEXT:      %[[KX:.*]] = arith.mulf %[[K]], %[[X]]
// CHECK:           %[[S:.*]] = arith.divf
// CHECK-NEXT:      %[[OMS:.*]] = arith.subf %[[ONE]], %[[S]]
// CHECK-NEXT:      %[[SS:.*]] = arith.mulf %[[S]], %[[OMS]]
// CHECK-NEXT:      %[[T:.*]] = arith.mulf %[[KX]], %[[SS]]
// CHECK-NEXT:      %[[D:.*]] = arith.addf %[[S]], %[[T]]
// CHECK-NEXT:      %[[R:.*]] = arith.mulf %[[DY]], %[[D]]
// CHECK-NEXT:      linalg.yield %[[R]]

func.func @softmax(%a: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.softmax %a : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// softmax over the last axis, stable: row max m, s = sum e^(x - m), then
// e^(x - m) / s. The row statistics are [B] and read through (d0).
// CHECK-LABEL: func.func @softmax(
// CHECK-SAME:      %[[XA:[^:]*]]: tensor<4x3xf32>)
// CHECK:         %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[MI:.*]] = linalg.fill ins(%[[NINF]] : f32) outs(%{{.*}} : tensor<4xf32>)
// CHECK:         %[[MAX:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[XA]] : tensor<4x3xf32>) outs(%[[MI]] : tensor<4xf32>)
// CHECK:           arith.maximumf
// CHECK:         %[[SI:.*]] = linalg.fill
// CHECK:         %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[XA]], %[[MAX]] : tensor<4x3xf32>, tensor<4xf32>) outs(%[[SI]] : tensor<4xf32>)
// CHECK-NEXT:    ^bb0(%[[X:.*]]: f32, %[[M:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:      %[[D:.*]] = arith.subf %[[X]], %[[M]]
// CHECK-NEXT:      %[[E:.*]] = math.exp %[[D]]
// CHECK-NEXT:      %[[S:.*]] = arith.addf %[[ACC]], %[[E]]
// CHECK-NEXT:      linalg.yield %[[S]]
// CHECK:         %[[Y:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[XA]], %[[MAX]], %[[SUM]] :
// CHECK-NEXT:    ^bb0(%[[X:.*]]: f32, %[[M:.*]]: f32, %[[S:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[D:.*]] = arith.subf %[[X]], %[[M]]
// CHECK-NEXT:      %[[E:.*]] = math.exp %[[D]]
// CHECK-NEXT:      %[[P:.*]] = arith.divf %[[E]], %[[S]]
// CHECK-NEXT:      linalg.yield %[[P]]
// CHECK:         return %[[Y]]

func.func @softmax_grad(%y: tensor<4x3xf32>, %dy: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.softmax_grad %y, %dy : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// softmax_grad: y (dy - sum(dy y)) per row.
// CHECK-LABEL: func.func @softmax_grad(
// CHECK-SAME:      %[[YA:[^:]*]]: tensor<4x3xf32>, %[[DYA:[^:]*]]: tensor<4x3xf32>)
// CHECK:         %[[DOT:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[YA]], %[[DYA]] :
// CHECK-NEXT:    ^bb0(%[[Y:.*]]: f32, %[[DY:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:      %[[P:.*]] = arith.mulf %[[Y]], %[[DY]]
// CHECK-NEXT:      %[[S:.*]] = arith.addf %[[ACC]], %[[P]]
// CHECK-NEXT:      linalg.yield %[[S]]
// CHECK:         %[[R:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[YA]], %[[DYA]], %[[DOT]] :
// CHECK-NEXT:    ^bb0(%[[Y:.*]]: f32, %[[DY:.*]]: f32, %[[D:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[T:.*]] = arith.subf %[[DY]], %[[D]]
// CHECK-NEXT:      %[[G:.*]] = arith.mulf %[[Y]], %[[T]]
// CHECK-NEXT:      linalg.yield %[[G]]
// CHECK:         return %[[R]]

