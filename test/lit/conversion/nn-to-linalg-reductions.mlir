// RUN: kiln-opt %s -kiln-convert-nn-to-linalg | FileCheck %s

// nn.mean, nn.sum_to (including results with unit dims) and nn.broadcast_to.

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[TO0:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-DAG: #[[S0:.*]] = affine_map<() -> ()>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[S1:.*]] = affine_map<(d0) -> ()>
// CHECK-DAG: #[[ID1:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[ROW0:.*]] = affine_map<(d0, d1) -> (d0, 0)>

func.func @mean(%x: tensor<4x3xf32>) -> tensor<f32> {
  %0 = nn.mean %x : tensor<4x3xf32> -> tensor<f32>
  return %0 : tensor<f32>
}
// mean: a full reduction into a rank-0 tensor, then times 1/n.
// CHECK-LABEL: func.func @mean(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<4x3xf32>) -> tensor<f32>
// CHECK:         %[[INIT:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<f32>)
// CHECK:         %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[TO0]]], iterator_types = ["reduction", "reduction"]} ins(%[[X]] : tensor<4x3xf32>) outs(%[[INIT]] : tensor<f32>)
// CHECK:           arith.addf
// CHECK:         %[[M:.*]] = linalg.generic {indexing_maps = [#[[S0]], #[[S0]]], iterator_types = []} ins(%[[SUM]] : tensor<f32>)
// CHECK-NEXT:    ^bb0(%[[V:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[INV:.*]] = arith.constant 0.0833333358 : f32
// CHECK-NEXT:      %[[R:.*]] = arith.mulf %[[V]], %[[INV]]
// CHECK-NEXT:      linalg.yield %[[R]]
// CHECK:         return %[[M]] : tensor<f32>

func.func @sum_rows(%x: tensor<4x3xf32>) -> tensor<3xf32> {
  %0 = nn.sum_to %x : tensor<4x3xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
// sum_to a missing leading dim: a reduction over it, nothing to reshape.
// CHECK-LABEL: func.func @sum_rows(
// CHECK:         %[[S:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[COL]]], iterator_types = ["reduction", "parallel"]} ins(%{{.*}} : tensor<4x3xf32>) outs(%{{.*}} : tensor<3xf32>)
// CHECK-NEXT:    ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32):
// CHECK-NEXT:      %[[R:.*]] = arith.addf %[[A]], %[[B]]
// CHECK-NEXT:      linalg.yield %[[R]]
// CHECK-NOT:     tensor.expand_shape
// CHECK:         return %[[S]] : tensor<3xf32>

func.func @sum_keep_row(%x: tensor<4x3xf32>) -> tensor<4x1xf32> {
  %0 = nn.sum_to %x : tensor<4x3xf32> -> tensor<4x1xf32>
  return %0 : tensor<4x1xf32>
}
// sum_to [4, 1]: the unit dim of the result is summed away, then put back
// with expand_shape (joining the kept dim before it).
// CHECK-LABEL: func.func @sum_keep_row(
// CHECK:         %[[S:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%{{.*}} : tensor<4x3xf32>) outs(%{{.*}} : tensor<4xf32>)
// CHECK:         %[[E:.*]] = tensor.expand_shape %[[S]] {{\[\[}}0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
// CHECK-NEXT:    return %[[E]]

func.func @sum_keep_col(%x: tensor<4x3xf32>) -> tensor<1x3xf32> {
  %0 = nn.sum_to %x : tensor<4x3xf32> -> tensor<1x3xf32>
  return %0 : tensor<1x3xf32>
}
// sum_to [1, 3]: a leading unit dim joins the kept dim after it.
// CHECK-LABEL: func.func @sum_keep_col(
// CHECK:         %[[S:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[COL]]], iterator_types = ["reduction", "parallel"]} {{.*}} outs(%{{.*}} : tensor<3xf32>)
// CHECK:         %[[E:.*]] = tensor.expand_shape %[[S]] {{\[\[}}0, 1]] output_shape [1, 3] : tensor<3xf32> into tensor<1x3xf32>
// CHECK-NEXT:    return %[[E]]

func.func @sum_all_units(%x: tensor<2x4x3xf32>) -> tensor<1x1xf32> {
  %0 = nn.sum_to %x : tensor<2x4x3xf32> -> tensor<1x1xf32>
  return %0 : tensor<1x1xf32>
}
// sum_to [1, 1] from rank 3: everything is summed, into rank 0, then
// expanded to the unit shape.
// CHECK-LABEL: func.func @sum_all_units(
// CHECK:         %[[S:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "reduction", "reduction"]} ins(%{{.*}} : tensor<2x4x3xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK:         %[[E:.*]] = tensor.expand_shape %[[S]] [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
// CHECK-NEXT:    return %[[E]]

func.func @sum_scalar(%x: tensor<4x3xf32>) -> tensor<f32> {
  %0 = nn.sum_to %x : tensor<4x3xf32> -> tensor<f32>
  return %0 : tensor<f32>
}
// sum_to a scalar.
// CHECK-LABEL: func.func @sum_scalar(
// CHECK:         %[[S:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[TO0]]], iterator_types = ["reduction", "reduction"]}
// CHECK-NOT:     tensor.expand_shape
// CHECK:         return %[[S]] : tensor<f32>

func.func @sum_unit_in(%x: tensor<3x1xf32>) -> tensor<1x1xf32> {
  %0 = nn.sum_to %x : tensor<3x1xf32> -> tensor<1x1xf32>
  return %0 : tensor<1x1xf32>
}
// A unit dim of the input that stays a unit dim is kept, not reduced.
// CHECK-LABEL: func.func @sum_unit_in(
// CHECK:         %[[S:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[COL]]], iterator_types = ["reduction", "parallel"]} ins(%{{.*}} : tensor<3x1xf32>) outs(%{{.*}} : tensor<1xf32>)
// CHECK:         %[[E:.*]] = tensor.expand_shape %[[S]] {{\[\[}}0, 1]] output_shape [1, 1] : tensor<1xf32> into tensor<1x1xf32>

func.func @bcast(%x: tensor<3xf32>) -> tensor<4x3xf32> {
  %0 = nn.broadcast_to %x : tensor<3xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// broadcast_to: a copy through the broadcast map.
// CHECK-LABEL: func.func @bcast(
// CHECK:         linalg.generic {indexing_maps = [#[[COL]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<3xf32>) outs(%{{.*}} : tensor<4x3xf32>)
// CHECK-NEXT:    ^bb0(%[[V:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      linalg.yield %[[V]] : f32

func.func @bcast_scalar(%x: tensor<f32>) -> tensor<4xf32> {
  %0 = nn.broadcast_to %x : tensor<f32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
// CHECK-LABEL: func.func @bcast_scalar(
// CHECK:         linalg.generic {indexing_maps = [#[[S1]], #[[ID1]]], iterator_types = ["parallel"]} ins(%{{.*}} : tensor<f32>) outs(%{{.*}} : tensor<4xf32>)

func.func @bcast_unit(%x: tensor<4x1xf32>) -> tensor<4x3xf32> {
  %0 = nn.broadcast_to %x : tensor<4x1xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// CHECK-LABEL: func.func @bcast_unit(
// CHECK:         linalg.generic {indexing_maps = [#[[ROW0]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<4x1xf32>) outs(%{{.*}} : tensor<4x3xf32>)

