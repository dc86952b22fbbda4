// RUN: kiln-opt %s -kiln-convert-nn-to-linalg | FileCheck %s

// Elementwise nn ops become one parallel linalg.generic each. Broadcast
// operands are read through NumPy maps: missing leading dims are dropped and
// a size-1 dim that stretches reads index 0.

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[ROW0:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[COL0:.*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0, d1) -> ()>

func.func @add_bcast(%a: tensor<4x3xf32>, %b: tensor<3xf32>) -> tensor<4x3xf32> {
  %0 = nn.add %a, %b : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// CHECK-LABEL: func.func @add_bcast(
// CHECK-SAME:      %[[A:[^:]*]]: tensor<4x3xf32>, %[[B:[^:]*]]: tensor<3xf32>)
// CHECK:         %[[E:.*]] = tensor.empty() : tensor<4x3xf32>
// CHECK:         %[[R:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[COL]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[A]], %[[B]] : tensor<4x3xf32>, tensor<3xf32>) outs(%[[E]] : tensor<4x3xf32>)
// CHECK-NEXT:    ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[S:.*]] = arith.addf %[[X]], %[[Y]] : f32
// CHECK-NEXT:      linalg.yield %[[S]] : f32
// CHECK:         return %[[R]]

func.func @sub_units(%a: tensor<4x1xf32>, %b: tensor<1x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.sub %a, %b : (tensor<4x1xf32>, tensor<1x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// Both operands stretch, along different dims.
// CHECK-LABEL: func.func @sub_units(
// CHECK:         linalg.generic {indexing_maps = [#[[ROW0]], #[[COL0]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%{{.*}}, %{{.*}} : tensor<4x1xf32>, tensor<1x3xf32>)
// CHECK:           arith.subf
// CHECK-NOT:       arith.subf

func.func @mul_scalar(%a: tensor<4x3xf32>, %b: tensor<f32>) -> tensor<4x3xf32> {
  %0 = nn.mul %a, %b : (tensor<4x3xf32>, tensor<f32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// A rank-0 operand reads through the map with no results.
// CHECK-LABEL: func.func @mul_scalar(
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[SCALAR]], #[[ID]]], {{.*}} ins(%{{.*}}, %{{.*}} : tensor<4x3xf32>, tensor<f32>)
// CHECK:           arith.mulf

func.func @div_same(%a: tensor<4x3xf32>, %b: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.div %a, %b : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// CHECK-LABEL: func.func @div_same(
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ID]]]
// CHECK-NEXT:    ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[Q:.*]] = arith.divf %[[X]], %[[Y]] : f32

func.func @unit_to_unit(%a: tensor<1x3xf32>, %b: tensor<1x1xf32>) -> tensor<1x3xf32> {
  %0 = nn.add %a, %b : (tensor<1x3xf32>, tensor<1x1xf32>) -> tensor<1x3xf32>
  return %0 : tensor<1x3xf32>
}
// A size-1 dim that does not stretch (the result has 1 there too) keeps
// its index; the one that stretches reads 0.
// CHECK-LABEL: func.func @unit_to_unit(
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[ROW0]], #[[ID]]]

func.func @unary(%a: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.neg %a : tensor<4x3xf32>
  %1 = nn.exp %0 : tensor<4x3xf32>
  %2 = nn.log %1 : tensor<4x3xf32>
  %3 = nn.sqrt %2 : tensor<4x3xf32>
  %4 = nn.abs %3 : tensor<4x3xf32>
  %5 = nn.sign %4 : tensor<4x3xf32>
  return %5 : tensor<4x3xf32>
}
// The unary ops, one generic each, in order; sign is copysign(1, x) but 0
// at 0, as torch.sign.
// CHECK-LABEL: func.func @unary(
// CHECK:         %[[NEG:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]]]
// CHECK:           arith.negf
// CHECK:         %[[EXP:.*]] = linalg.generic {{.*}} ins(%[[NEG]]
// CHECK:           math.exp
// CHECK:         %[[LOG:.*]] = linalg.generic {{.*}} ins(%[[EXP]]
// CHECK:           math.log
// CHECK:         %[[SQRT:.*]] = linalg.generic {{.*}} ins(%[[LOG]]
// CHECK:           math.sqrt
// CHECK:         %[[ABS:.*]] = linalg.generic {{.*}} ins(%[[SQRT]]
// CHECK:           math.absf
// CHECK:         %[[SIGN:.*]] = linalg.generic {{.*}} ins(%[[ABS]]
// CHECK-NEXT:    ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG:       %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:       %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG:       %[[ISZ:.*]] = arith.cmpf oeq, %[[X]], %[[ZERO]] : f32
// CHECK-DAG:       %[[CS:.*]] = math.copysign %[[ONE]], %[[X]] : f32
// CHECK:           %[[R:.*]] = arith.select %[[ISZ]], %[[ZERO]], %[[CS]] : f32
// CHECK-NEXT:      linalg.yield %[[R]]
// CHECK:         return %[[SIGN]]
