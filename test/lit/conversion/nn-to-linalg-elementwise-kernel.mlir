// RUN: kiln-opt %s -kiln-convert-nn-to-linalg | FileCheck %s

// nn.elementwise (a fused kernel) lowers to one multi-result linalg.generic:
// inputs read through the broadcast maps, the body cloned, nn.yield as
// linalg.yield.

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0, d1) -> ()>

func.func @kernel(%w: tensor<3x4xf32>, %g: tensor<3x4xf32>, %b: tensor<4xf32>, %lr: tensor<f32>) -> (tensor<3x4xf32>, tensor<3x4xf32>) {
  %0:2 = nn.elementwise ins(%w, %g, %b, %lr : tensor<3x4xf32>, tensor<3x4xf32>, tensor<4xf32>, tensor<f32>) {
  ^bb0(%a: f32, %c: f32, %d: f32, %e: f32):
    %1 = arith.mulf %e, %c : f32
    %2 = arith.subf %a, %1 : f32
    %3 = arith.addf %2, %d : f32
    nn.yield %2, %3 : f32, f32
  } -> tensor<3x4xf32>, tensor<3x4xf32>
  return %0#0, %0#1 : tensor<3x4xf32>, tensor<3x4xf32>
}
// CHECK-LABEL: func.func @kernel(
// CHECK-SAME:      %[[W:[^:]*]]: tensor<3x4xf32>, %[[G:[^:]*]]: tensor<3x4xf32>, %[[B:[^:]*]]: tensor<4xf32>, %[[LR:[^:]*]]: tensor<f32>)
// CHECK:         %[[R:.*]]:2 = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[COL]], #[[SCALAR]], #[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[W]], %[[G]], %[[B]], %[[LR]] : tensor<3x4xf32>, tensor<3x4xf32>, tensor<4xf32>, tensor<f32>) outs(%{{.*}}, %{{.*}} : tensor<3x4xf32>, tensor<3x4xf32>)
// CHECK-NEXT:    ^bb0(%[[A:.*]]: f32, %[[C:.*]]: f32, %[[D:.*]]: f32, %[[E:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[M:.*]] = arith.mulf %[[E]], %[[C]] : f32
// CHECK-NEXT:      %[[S:.*]] = arith.subf %[[A]], %[[M]] : f32
// CHECK-NEXT:      %[[T:.*]] = arith.addf %[[S]], %[[D]] : f32
// CHECK-NEXT:      linalg.yield %[[S]], %[[T]] : f32, f32
// CHECK:         return %[[R]]#0, %[[R]]#1
// CHECK-NOT:     nn.
