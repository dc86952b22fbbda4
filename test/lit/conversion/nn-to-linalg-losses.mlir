// RUN: kiln-opt %s -kiln-convert-nn-to-linalg | FileCheck %s

// Each loss gives one loss per sample ([B]): its per-element term reduced
// along the row (summed for bce, averaged over the K outputs for the
// regression losses); each *_grad op is the term's derivative scaled by the
// gradient of the sample's loss (read per row) and the same 1/K.

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>

func.func @ce(%z: tensor<4x3xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.cross_entropy %z, %y {label_smoothing = 0.3 : f64} : (tensor<4x3xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
// cross_entropy = logsumexp(z) - sum_j y'_j z_j per row, with
// y' = (1 - a) onehot + a / N: 0.8 at the label, 0.1 elsewhere for a = 0.3,
// N = 3. The label (a class index as f32) is compared to the column index.
// CHECK-LABEL: func.func @ce(
// CHECK-SAME:      %[[Z:[^:]*]]: tensor<4x3xf32>, %[[Y:[^:]*]]: tensor<4xf32>)
// CHECK:         %[[MAX:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[Z]] :
// CHECK:           arith.maximumf
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[Z]], %[[MAX]] :
// CHECK:           math.exp
// CHECK:         %[[DOT:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[Z]], %[[Y]] : tensor<4x3xf32>, tensor<4xf32>)
// CHECK-NEXT:    ^bb0(%[[ZV:.*]]: f32, %[[LV:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:      %[[J:.*]] = linalg.index 1 : index
// CHECK-NEXT:      %[[J32:.*]] = arith.index_cast %[[J]] : index to i32
// CHECK-NEXT:      %[[JF:.*]] = arith.sitofp %[[J32]] : i32 to f32
// CHECK-NEXT:      %[[IS:.*]] = arith.cmpf oeq, %[[JF]], %[[LV]] : f32
// CHECK-NEXT:      %[[ON:.*]] = arith.constant 8.000000e-01 : f32
// CHECK-NEXT:      %[[OFF:.*]] = arith.constant 1.000000e-01 : f32
// CHECK-NEXT:      %[[WT:.*]] = arith.select %[[IS]], %[[ON]], %[[OFF]] : f32
// CHECK-NEXT:      %[[T:.*]] = arith.mulf %[[WT]], %[[ZV]]
// CHECK-NEXT:      arith.addf %[[ACC]], %[[T]]
// CHECK:         %[[L:.*]] = linalg.generic {{.*}} ins(%[[MAX]], %[[SUM]], %[[DOT]] : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK-NEXT:    ^bb0(%[[M:.*]]: f32, %[[S:.*]]: f32, %[[D:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[LS:.*]] = math.log %[[S]]
// CHECK-NEXT:      %[[LSE:.*]] = arith.addf %[[M]], %[[LS]]
// CHECK-NEXT:      %[[R:.*]] = arith.subf %[[LSE]], %[[D]]
// CHECK-NEXT:      linalg.yield %[[R]]
// CHECK:         return %[[L]] : tensor<4xf32>

func.func @ce_grad(%z: tensor<4x3xf32>, %y: tensor<4xf32>, %dl: tensor<4xf32>) -> tensor<4x3xf32> {
  %0 = nn.cross_entropy_grad %z, %y, %dl {label_smoothing = 0.3 : f64} : (tensor<4x3xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// cross_entropy_grad = dl (softmax(z) - y').
// CHECK-LABEL: func.func @ce_grad(
// CHECK-SAME:      %[[Z:[^:]*]]: tensor<4x3xf32>, %[[Y:[^:]*]]: tensor<4xf32>, %[[DL:[^:]*]]: tensor<4xf32>)
// CHECK:         %[[MAX:.*]] = linalg.generic
// CHECK:         %[[SUM:.*]] = linalg.generic
// CHECK:         %[[G:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]], #[[ROW]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[Z]], %[[Y]], %[[DL]], %[[MAX]], %[[SUM]] :
// CHECK-NEXT:    ^bb0(%[[ZV:.*]]: f32, %[[LV:.*]]: f32, %[[DV:.*]]: f32, %[[M:.*]]: f32, %[[S:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[D:.*]] = arith.subf %[[ZV]], %[[M]]
// CHECK-NEXT:      %[[E:.*]] = math.exp %[[D]]
// CHECK-NEXT:      %[[P:.*]] = arith.divf %[[E]], %[[S]]
// CHECK:           %[[IS:.*]] = arith.cmpf oeq, %{{.*}}, %[[LV]]
// CHECK-NEXT:      %[[ON:.*]] = arith.constant 8.000000e-01 : f32
// CHECK-NEXT:      %[[OFF:.*]] = arith.constant 1.000000e-01 : f32
// CHECK-NEXT:      %[[YV:.*]] = arith.select %[[IS]], %[[ON]], %[[OFF]]
// CHECK-NEXT:      %[[PY:.*]] = arith.subf %[[P]], %[[YV]]
// CHECK-NEXT:      %[[R:.*]] = arith.mulf %[[DV]], %[[PY]]
// CHECK-NEXT:      linalg.yield %[[R]]
// CHECK:         return %[[G]]

func.func @bce(%p: tensor<4x3xf32>, %t: tensor<4x3xf32>) -> tensor<4xf32> {
  %0 = nn.bce %p, %t : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
// bce on probabilities, summed over the labels (scale 1):
// -(t max(log p, -100) + (1 - t) max(log(1 - p), -100)).
// CHECK-LABEL: func.func @bce(
// CHECK-SAME:      %[[P:[^:]*]]: tensor<4x3xf32>, %[[T:[^:]*]]: tensor<4x3xf32>)
// CHECK:         %[[L:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[P]], %[[T]] : tensor<4x3xf32>, tensor<4x3xf32>) outs(%{{.*}} : tensor<4xf32>)
// CHECK-NEXT:    ^bb0(%[[PV:.*]]: f32, %[[TV:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:      %[[SCALE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[LP:.*]] = math.log %[[PV]]
// CHECK-NEXT:      %[[C100:.*]] = arith.constant -1.000000e+02 : f32
// CHECK-NEXT:      %[[LPC:.*]] = arith.maximumf %[[LP]], %[[C100]]
// CHECK-NEXT:      %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[Q:.*]] = arith.subf %[[ONE]], %[[PV]]
// CHECK-NEXT:      %[[LQ:.*]] = math.log %[[Q]]
// CHECK-NEXT:      %[[C100B:.*]] = arith.constant -1.000000e+02 : f32
// CHECK-NEXT:      %[[LQC:.*]] = arith.maximumf %[[LQ]], %[[C100B]]
// CHECK-NEXT:      %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[A:.*]] = arith.mulf %[[TV]], %[[LPC]]
// CHECK-NEXT:      %[[ONE2:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[OMT:.*]] = arith.subf %[[ONE2]], %[[TV]]
// CHECK-NEXT:      %[[B:.*]] = arith.mulf %[[OMT]], %[[LQC]]
// CHECK-NEXT:      %[[AB:.*]] = arith.addf %[[A]], %[[B]]
// CHECK-NEXT:      %[[NEG:.*]] = arith.subf %[[Z]], %[[AB]]
// CHECK-NEXT:      %[[W:.*]] = arith.mulf %[[SCALE]], %[[NEG]]
// CHECK-NEXT:      arith.addf %[[ACC]], %[[W]]
// CHECK:         return %[[L]] : tensor<4xf32>

func.func @bce_grad(%p: tensor<4x3xf32>, %t: tensor<4x3xf32>, %dl: tensor<4xf32>) -> tensor<4x3xf32> {
  %0 = nn.bce_grad %p, %t, %dl : (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// bce_grad: dl (p - t) / max(p (1 - p), 1e-12), as BCELoss's backward.
// CHECK-LABEL: func.func @bce_grad(
// CHECK-SAME:      %[[P:[^:]*]]: tensor<4x3xf32>, %[[T:[^:]*]]: tensor<4x3xf32>, %[[DL:[^:]*]]: tensor<4xf32>)
// CHECK:         %[[G:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[P]], %[[T]], %[[DL]] :
// CHECK-NEXT:    ^bb0(%[[PV:.*]]: f32, %[[TV:.*]]: f32, %[[DV:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[Q:.*]] = arith.subf %[[ONE]], %[[PV]]
// CHECK-NEXT:      %[[PQ:.*]] = arith.mulf %[[PV]], %[[Q]]
// CHECK-NEXT:      %[[EPS:.*]] = arith.constant 9.99999996E-13 : f32
// CHECK-NEXT:      %[[DEN:.*]] = arith.maximumf %[[PQ]], %[[EPS]]
// CHECK-NEXT:      %[[NUM:.*]] = arith.subf %[[PV]], %[[TV]]
// CHECK-NEXT:      %[[D:.*]] = arith.divf %[[NUM]], %[[DEN]]
// CHECK-NEXT:      %[[S:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[DS:.*]] = arith.mulf %[[DV]], %[[S]]
// CHECK-NEXT:      %[[R:.*]] = arith.mulf %[[DS]], %[[D]]
// CHECK-NEXT:      linalg.yield %[[R]]

func.func @bce_logits(%p: tensor<4x3xf32>, %t: tensor<4x3xf32>) -> tensor<4xf32> {
  %0 = nn.bce %p, %t {from_logits = true} : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
// bce from logits, the stable form max(z, 0) - z t + log1p(e^-|z|).
// CHECK-LABEL: func.func @bce_logits(
// CHECK-SAME:      %[[P:[^:]*]]: tensor<4x3xf32>, %[[T:[^:]*]]: tensor<4x3xf32>)
// CHECK:         %[[L:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[P]], %[[T]] : tensor<4x3xf32>, tensor<4x3xf32>) outs(%{{.*}} : tensor<4xf32>)
// CHECK-NEXT:    ^bb0(%[[PV:.*]]: f32, %[[TV:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK:           %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[A:.*]] = math.absf %[[PV]]
// CHECK-NEXT:      %[[NA:.*]] = arith.subf %[[Z]], %[[A]]
// CHECK-NEXT:      %[[E:.*]] = math.exp %[[NA]]
// CHECK-NEXT:      %[[SP:.*]] = math.log1p %[[E]]
// CHECK-NEXT:      %[[Z2:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[M:.*]] = arith.maximumf %[[PV]], %[[Z2]]
// CHECK-NEXT:      %[[ZT:.*]] = arith.mulf %[[PV]], %[[TV]]
// CHECK-NEXT:      %[[D:.*]] = arith.subf %[[M]], %[[ZT]]
// CHECK-NEXT:      %[[V:.*]] = arith.addf %[[D]], %[[SP]]
// CHECK-NEXT:      %[[W:.*]] = arith.mulf %{{.*}}, %[[V]]
// CHECK-NEXT:      arith.addf %[[ACC]], %[[W]]

func.func @bce_logits_grad(%p: tensor<4x3xf32>, %t: tensor<4x3xf32>, %dl: tensor<4xf32>) -> tensor<4x3xf32> {
  %0 = nn.bce_grad %p, %t, %dl {from_logits = true} : (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// ... whose gradient is dl (sigmoid(z) - t).
// CHECK-LABEL: func.func @bce_logits_grad(
// CHECK-SAME:      %[[P:[^:]*]]: tensor<4x3xf32>, %[[T:[^:]*]]: tensor<4x3xf32>, %[[DL:[^:]*]]: tensor<4xf32>)
// CHECK:         %[[G:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[P]], %[[T]], %[[DL]] :
// CHECK-NEXT:    ^bb0(%[[PV:.*]]: f32, %[[TV:.*]]: f32, %[[DV:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[N:.*]] = arith.negf %[[PV]]
// CHECK-NEXT:      %[[E:.*]] = math.exp %[[N]]
// CHECK-NEXT:      %[[D1:.*]] = arith.addf %{{.*}}, %[[E]]
// CHECK-NEXT:      %[[S:.*]] = arith.divf %{{.*}}, %[[D1]]
// CHECK-NEXT:      %[[D:.*]] = arith.subf %[[S]], %[[TV]]
// CHECK-NEXT:      %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[DS:.*]] = arith.mulf %[[DV]], %[[ONE]]
// CHECK-NEXT:      %[[R:.*]] = arith.mulf %[[DS]], %[[D]]
// CHECK-NEXT:      linalg.yield %[[R]]

func.func @mse(%p: tensor<4x3xf32>, %t: tensor<4x3xf32>) -> tensor<4xf32> {
  %0 = nn.mse %p, %t : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
// mse: (p - t)^2 averaged over the K = 3 outputs of a sample.
// CHECK-LABEL: func.func @mse(
// CHECK-SAME:      %[[P:[^:]*]]: tensor<4x3xf32>, %[[T:[^:]*]]: tensor<4x3xf32>)
// CHECK:         %[[L:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[P]], %[[T]] : tensor<4x3xf32>, tensor<4x3xf32>) outs(%{{.*}} : tensor<4xf32>)
// CHECK-NEXT:    ^bb0(%[[PV:.*]]: f32, %[[TV:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:      %[[K:.*]] = arith.constant 0.333333343 : f32
// CHECK-NEXT:      %[[D:.*]] = arith.subf %[[PV]], %[[TV]]
// CHECK-NEXT:      %[[D2:.*]] = arith.mulf %[[D]], %[[D]]
// CHECK-NEXT:      %[[W:.*]] = arith.mulf %[[K]], %[[D2]]
// CHECK-NEXT:      %[[R:.*]] = arith.addf %[[ACC]], %[[W]]
// CHECK-NEXT:      linalg.yield %[[R]]

func.func @mse_grad(%p: tensor<4x3xf32>, %t: tensor<4x3xf32>, %dl: tensor<4xf32>) -> tensor<4x3xf32> {
  %0 = nn.mse_grad %p, %t, %dl : (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// mse_grad: dl / K * 2 (p - t).
// CHECK-LABEL: func.func @mse_grad(
// CHECK-SAME:      %[[P:[^:]*]]: tensor<4x3xf32>, %[[T:[^:]*]]: tensor<4x3xf32>, %[[DL:[^:]*]]: tensor<4xf32>)
// CHECK:         %[[G:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[P]], %[[T]], %[[DL]] :
// CHECK-NEXT:    ^bb0(%[[PV:.*]]: f32, %[[TV:.*]]: f32, %[[DV:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[TWO:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-NEXT:      %[[D:.*]] = arith.subf %[[PV]], %[[TV]]
// CHECK-NEXT:      %[[D2:.*]] = arith.mulf %[[TWO]], %[[D]]
// CHECK-NEXT:      %[[K:.*]] = arith.constant 0.333333343 : f32
// CHECK-NEXT:      %[[DK:.*]] = arith.mulf %[[DV]], %[[K]]
// CHECK-NEXT:      %[[R:.*]] = arith.mulf %[[DK]], %[[D2]]
// CHECK-NEXT:      linalg.yield %[[R]]

func.func @mae(%p: tensor<4x3xf32>, %t: tensor<4x3xf32>) -> tensor<4xf32> {
  %0 = nn.mae %p, %t : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
// mae: |p - t| averaged over the outputs.
// CHECK-LABEL: func.func @mae(
// CHECK-SAME:      %[[P:[^:]*]]: tensor<4x3xf32>, %[[T:[^:]*]]: tensor<4x3xf32>)
// CHECK:         %[[L:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[P]], %[[T]] : tensor<4x3xf32>, tensor<4x3xf32>) outs(%{{.*}} : tensor<4xf32>)
// CHECK-NEXT:    ^bb0(%[[PV:.*]]: f32, %[[TV:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:      %[[K:.*]] = arith.constant 0.333333343 : f32
// CHECK-NEXT:      %[[D:.*]] = arith.subf %[[PV]], %[[TV]]
// CHECK-NEXT:      %[[A:.*]] = math.absf %[[D]]
// CHECK-NEXT:      %[[W:.*]] = arith.mulf %[[K]], %[[A]]
// CHECK-NEXT:      arith.addf %[[ACC]], %[[W]]

func.func @mae_grad(%p: tensor<4x3xf32>, %t: tensor<4x3xf32>, %dl: tensor<4xf32>) -> tensor<4x3xf32> {
  %0 = nn.mae_grad %p, %t, %dl : (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// mae_grad: dl / K * sign(p - t), sign 0 at 0.
// CHECK-LABEL: func.func @mae_grad(
// CHECK-SAME:      %[[P:[^:]*]]: tensor<4x3xf32>, %[[T:[^:]*]]: tensor<4x3xf32>, %[[DL:[^:]*]]: tensor<4xf32>)
// CHECK:         %[[G:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[P]], %[[T]], %[[DL]] :
// CHECK-NEXT:    ^bb0(%[[PV:.*]]: f32, %[[TV:.*]]: f32, %[[DV:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[D:.*]] = arith.subf %[[PV]], %[[TV]]
// CHECK-NEXT:      %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[Z:.*]] = arith.cmpf oeq, %[[D]], %[[ZERO]] : f32
// CHECK-NEXT:      %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[CS:.*]] = math.copysign %[[ONE]], %[[D]]
// CHECK-NEXT:      %[[SG:.*]] = arith.select %[[Z]], %[[ZERO]], %[[CS]]
// CHECK-NEXT:      %[[K:.*]] = arith.constant 0.333333343 : f32
// CHECK-NEXT:      %[[DK:.*]] = arith.mulf %[[DV]], %[[K]]
// CHECK-NEXT:      %[[R:.*]] = arith.mulf %[[DK]], %[[SG]]
// CHECK-NEXT:      linalg.yield %[[R]]

func.func @huber(%p: tensor<4x3xf32>, %t: tensor<4x3xf32>) -> tensor<4xf32> {
  %0 = nn.huber %p, %t {delta = 2.0 : f64} : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
// huber, a = p - t: 0.5 a^2 if |a| <= delta, else delta (|a| - delta / 2);
// averaged over the outputs.
// CHECK-LABEL: func.func @huber(
// CHECK-SAME:      %[[P:[^:]*]]: tensor<4x3xf32>, %[[T:[^:]*]]: tensor<4x3xf32>)
// CHECK:         %[[L:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[P]], %[[T]] : tensor<4x3xf32>, tensor<4x3xf32>) outs(%{{.*}} : tensor<4xf32>)
// CHECK-NEXT:    ^bb0(%[[PV:.*]]: f32, %[[TV:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:      %[[K:.*]] = arith.constant 0.333333343 : f32
// CHECK-NEXT:      %[[A:.*]] = arith.subf %[[PV]], %[[TV]]
// CHECK-NEXT:      %[[ABS:.*]] = math.absf %[[A]]
// CHECK-NEXT:      %[[DELTA:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-NEXT:      %[[IN:.*]] = arith.cmpf ole, %[[ABS]], %[[DELTA]] : f32
// CHECK-NEXT:      %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT:      %[[A2:.*]] = arith.mulf %[[A]], %[[A]]
// CHECK-NEXT:      %[[Q:.*]] = arith.mulf %[[HALF]], %[[A2]]
// CHECK-NEXT:      %[[DELTA2:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-NEXT:      %[[HD:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[AM:.*]] = arith.subf %[[ABS]], %[[HD]]
// CHECK-NEXT:      %[[LIN:.*]] = arith.mulf %[[DELTA2]], %[[AM]]
// CHECK-NEXT:      %[[V:.*]] = arith.select %[[IN]], %[[Q]], %[[LIN]]
// CHECK-NEXT:      %[[W:.*]] = arith.mulf %[[K]], %[[V]]
// CHECK-NEXT:      arith.addf %[[ACC]], %[[W]]

func.func @huber_grad(%p: tensor<4x3xf32>, %t: tensor<4x3xf32>, %dl: tensor<4xf32>) -> tensor<4x3xf32> {
  %0 = nn.huber_grad %p, %t, %dl {delta = 2.0 : f64} : (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// huber_grad: dl / K * (|a| <= delta ? a : delta sign(a)).
// CHECK-LABEL: func.func @huber_grad(
// CHECK-SAME:      %[[P:[^:]*]]: tensor<4x3xf32>, %[[T:[^:]*]]: tensor<4x3xf32>, %[[DL:[^:]*]]: tensor<4xf32>)
// CHECK:         %[[G:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[P]], %[[T]], %[[DL]] :
// CHECK-NEXT:    ^bb0(%[[PV:.*]]: f32, %[[TV:.*]]: f32, %[[DV:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[A:.*]] = arith.subf %[[PV]], %[[TV]]
// CHECK-NEXT:      %[[ABS:.*]] = math.absf %[[A]]
// CHECK-NEXT:      %[[DELTA:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-NEXT:      %[[IN:.*]] = arith.cmpf ole, %[[ABS]], %[[DELTA]] : f32
// CHECK-NEXT:      %[[DELTA2:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-NEXT:      arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      arith.cmpf oeq, %[[A]]
// CHECK-NEXT:      arith.constant 1.000000e+00
// CHECK-NEXT:      math.copysign
// CHECK-NEXT:      %[[SG:.*]] = arith.select
// CHECK-NEXT:      %[[LIN:.*]] = arith.mulf %[[DELTA2]], %[[SG]]
// CHECK-NEXT:      %[[V:.*]] = arith.select %[[IN]], %[[A]], %[[LIN]]
// CHECK-NEXT:      %[[K:.*]] = arith.constant 0.333333343 : f32
// CHECK-NEXT:      %[[DK:.*]] = arith.mulf %[[DV]], %[[K]]
// CHECK-NEXT:      %[[R:.*]] = arith.mulf %[[DK]], %[[V]]
// CHECK-NEXT:      linalg.yield %[[R]]

