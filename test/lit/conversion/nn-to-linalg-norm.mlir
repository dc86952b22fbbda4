// RUN: kiln-opt %s -kiln-convert-nn-to-linalg | FileCheck %s

// Batch and layer norm and their gradients: one description with the axis
// of the statistics as its parameter (NNToLinalgNorm.cpp).

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>

func.func @bn_train(%x: tensor<4x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %rm: tensor<3xf32>, %rv: tensor<3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %n:3 = nn.batch_norm %x, %g, %b, %rm, %rv {eps = 1.0e-3 : f64, momentum = 0.1 : f64, training = true}
      : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %n#0, %n#1, %n#2 : tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>
}
// Training batch norm: per-feature statistics over the rows (reduction
// over d0, results read through (d1)), the biased variance in a second pass,
// rsqrt(var + eps), then gamma (x - mean) invstd + beta; the new running
// statistics are (1 - m) running + m batch, the variance unbiased
// (m B / (B - 1) = 0.1 * 4/3).
// CHECK-LABEL: func.func @bn_train(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<4x3xf32>, %[[G:[^:]*]]: tensor<3xf32>, %[[B:[^:]*]]: tensor<3xf32>, %[[RM:[^:]*]]: tensor<3xf32>, %[[RV:[^:]*]]: tensor<3xf32>)
// CHECK:         %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[COL]]], iterator_types = ["reduction", "parallel"]} ins(%[[X]] : tensor<4x3xf32>) outs(%{{.*}} : tensor<3xf32>)
// CHECK:           arith.addf
// CHECK:         %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<3xf32>)
// CHECK:           arith.constant 2.500000e-01 : f32
// CHECK:         %[[SQ:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[COL]], #[[COL]]], iterator_types = ["reduction", "parallel"]} ins(%[[X]], %[[MEAN]] :
// CHECK-NEXT:    ^bb0(%[[XV:.*]]: f32, %[[MV:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:      %[[D:.*]] = arith.subf %[[XV]], %[[MV]]
// CHECK-NEXT:      %[[D2:.*]] = arith.mulf %[[D]], %[[D]]
// CHECK-NEXT:      arith.addf %[[ACC]], %[[D2]]
// CHECK:         %[[VAR:.*]] = linalg.generic {{.*}} ins(%[[SQ]] : tensor<3xf32>)
// CHECK:           arith.constant 2.500000e-01 : f32
// CHECK:         %[[ISTD:.*]] = linalg.generic {{.*}} ins(%[[VAR]] : tensor<3xf32>)
// CHECK-NEXT:    ^bb0(%[[V:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[EPS:.*]] = arith.constant 1.000000e-03 : f32
// CHECK-NEXT:      %[[VE:.*]] = arith.addf %[[V]], %[[EPS]]
// CHECK-NEXT:      math.rsqrt %[[VE]]
// CHECK:         %[[Y:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[COL]], #[[COL]], #[[COL]], #[[COL]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[MEAN]], %[[ISTD]], %[[G]], %[[B]] :
// CHECK-NEXT:    ^bb0(%[[XV:.*]]: f32, %[[MV:.*]]: f32, %[[SV:.*]]: f32, %[[GV:.*]]: f32, %[[BV:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[C:.*]] = arith.subf %[[XV]], %[[MV]]
// CHECK-NEXT:      %[[XH:.*]] = arith.mulf %[[C]], %[[SV]]
// CHECK-NEXT:      %[[GX:.*]] = arith.mulf %[[GV]], %[[XH]]
// CHECK-NEXT:      %[[YV:.*]] = arith.addf %[[GX]], %[[BV]]
// CHECK-NEXT:      linalg.yield %[[YV]]
// CHECK:         %[[NRM:.*]] = linalg.generic {{.*}} ins(%[[RM]], %[[MEAN]] :
// CHECK-NEXT:    ^bb0(%[[R:.*]]: f32, %[[M:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[K1:.*]] = arith.constant 0.899999976 : f32
// CHECK-NEXT:      %[[A:.*]] = arith.mulf %[[K1]], %[[R]]
// CHECK-NEXT:      %[[K2:.*]] = arith.constant 1.000000e-01 : f32
// CHECK-NEXT:      %[[BB:.*]] = arith.mulf %[[K2]], %[[M]]
// CHECK-NEXT:      arith.addf %[[A]], %[[BB]]
// CHECK:         %[[NRV:.*]] = linalg.generic {{.*}} ins(%[[RV]], %[[VAR]] :
// CHECK-NEXT:    ^bb0(%[[R:.*]]: f32, %[[V:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[K1:.*]] = arith.constant 0.899999976 : f32
// CHECK-NEXT:      %[[A:.*]] = arith.mulf %[[K1]], %[[R]]
// CHECK-NEXT:      %[[K2:.*]] = arith.constant 0.13333334 : f32
// CHECK-NEXT:      %[[BB:.*]] = arith.mulf %[[K2]], %[[V]]
// CHECK-NEXT:      arith.addf %[[A]], %[[BB]]
// CHECK:         return %[[Y]], %[[NRM]], %[[NRV]]

func.func @bn_eval(%x: tensor<4x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %rm: tensor<3xf32>, %rv: tensor<3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %n:3 = nn.batch_norm %x, %g, %b, %rm, %rv {eps = 1.0e-3 : f64, momentum = 0.1 : f64, training = false}
      : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %n#0, %n#1, %n#2 : tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>
}
// Inference batch norm: the running statistics normalize, no reduction, and
// they are returned as they came.
// CHECK-LABEL: func.func @bn_eval(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<4x3xf32>, %[[G:[^:]*]]: tensor<3xf32>, %[[B:[^:]*]]: tensor<3xf32>, %[[RM:[^:]*]]: tensor<3xf32>, %[[RV:[^:]*]]: tensor<3xf32>)
// CHECK-NOT:     "reduction"
// CHECK:         %[[ISTD:.*]] = linalg.generic {{.*}} ins(%[[RV]] : tensor<3xf32>)
// CHECK:           math.rsqrt
// CHECK:         %[[Y:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[COL]], #[[COL]], #[[COL]], #[[COL]], #[[ID]]], {{.*}} ins(%[[X]], %[[RM]], %[[ISTD]], %[[G]], %[[B]] :
// CHECK-NOT:     "reduction"
// CHECK:         return %[[Y]], %[[RM]], %[[RV]]

func.func @ln(%x: tensor<4x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<4x3xf32> {
  %n = nn.layer_norm %x, %g, %b {eps = 1.0e-5 : f64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  return %n : tensor<4x3xf32>
}
// Layer norm: per-row statistics (reduction over d1, read through (d0)),
// gamma and beta still per feature.
// CHECK-LABEL: func.func @ln(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<4x3xf32>, %[[G:[^:]*]]: tensor<3xf32>, %[[B:[^:]*]]: tensor<3xf32>)
// CHECK:         %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<4x3xf32>) outs(%{{.*}} : tensor<4xf32>)
// CHECK:         %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<4xf32>)
// CHECK:           arith.constant 0.333333343 : f32
// CHECK:         %[[SQ:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[X]], %[[MEAN]] :
// CHECK:         %[[VAR:.*]] = linalg.generic {{.*}} ins(%[[SQ]] : tensor<4xf32>)
// CHECK:         %[[ISTD:.*]] = linalg.generic {{.*}} ins(%[[VAR]] : tensor<4xf32>)
// CHECK:           arith.constant 9.99999974E-6 : f32
// CHECK:           math.rsqrt
// CHECK:         %[[Y:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]], #[[COL]], #[[COL]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[MEAN]], %[[ISTD]], %[[G]], %[[B]] :
// CHECK:         return %[[Y]]

func.func @bn_grad(%x: tensor<4x3xf32>, %g: tensor<3xf32>, %dy: tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %dx, %dg, %db = nn.batch_norm_grad %x, %g, %dy {eps = 1.0e-3 : f64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %dx, %dg, %db : tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>
}
// batch_norm_grad recomputes the batch statistics (over the rows, n = B = 4).
// CHECK-LABEL: func.func @bn_grad(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<4x3xf32>, %[[G:[^:]*]]: tensor<3xf32>, %[[DY:[^:]*]]: tensor<4x3xf32>)
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<4x3xf32>) outs(%{{.*}} : tensor<3xf32>)
// CHECK:         %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<3xf32>)
// CHECK:           arith.constant 2.500000e-01 : f32
// CHECK:         %[[SQ:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[MEAN]] :
// CHECK:         %[[VAR:.*]] = linalg.generic {{.*}} ins(%[[SQ]] :
// CHECK:         %[[ISTD:.*]] = linalg.generic {{.*}} ins(%[[VAR]] :
// CHECK:           arith.constant 1.000000e-03 : f32
// CHECK:           math.rsqrt
//                dgamma = sum_rows dy xhat, dbeta = sum_rows dy, per feature.
// CHECK:         %[[PG:.*]]:2 = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[COL]], #[[COL]], #[[COL]], #[[COL]]], iterator_types = ["reduction", "parallel"]} ins(%[[X]], %[[DY]], %[[MEAN]], %[[ISTD]] :
// CHECK-NEXT:    ^bb0(%[[XV:.*]]: f32, %[[DV:.*]]: f32, %[[MV:.*]]: f32, %[[SV:.*]]: f32, %[[AG:.*]]: f32, %[[AB:.*]]: f32):
// CHECK-NEXT:      %[[C:.*]] = arith.subf %[[XV]], %[[MV]]
// CHECK-NEXT:      %[[XH:.*]] = arith.mulf %[[C]], %[[SV]]
// CHECK-NEXT:      %[[T:.*]] = arith.mulf %[[DV]], %[[XH]]
// CHECK-NEXT:      %[[NG:.*]] = arith.addf %[[AG]], %[[T]]
// CHECK-NEXT:      %[[NB:.*]] = arith.addf %[[AB]], %[[DV]]
// CHECK-NEXT:      linalg.yield %[[NG]], %[[NB]]
//                Along the normalized axis: sum g and sum g xhat, g = dy gamma.
// CHECK:         %[[S:.*]]:2 = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[COL]], #[[COL]], #[[COL]], #[[COL]], #[[COL]]], iterator_types = ["reduction", "parallel"]} ins(%[[X]], %[[DY]], %[[MEAN]], %[[ISTD]], %[[G]] :
// CHECK-NEXT:    ^bb0(%[[XV:.*]]: f32, %[[DV:.*]]: f32, %[[MV:.*]]: f32, %[[SV:.*]]: f32, %[[GV:.*]]: f32, %[[A1:.*]]: f32, %[[A2:.*]]: f32):
// CHECK-NEXT:      %[[C:.*]] = arith.subf %[[XV]], %[[MV]]
// CHECK-NEXT:      %[[XH:.*]] = arith.mulf %[[C]], %[[SV]]
// CHECK-NEXT:      %[[GG:.*]] = arith.mulf %[[DV]], %[[GV]]
// CHECK-NEXT:      %[[N1:.*]] = arith.addf %[[A1]], %[[GG]]
// CHECK-NEXT:      %[[GX:.*]] = arith.mulf %[[GG]], %[[XH]]
// CHECK-NEXT:      %[[N2:.*]] = arith.addf %[[A2]], %[[GX]]
// CHECK-NEXT:      linalg.yield %[[N1]], %[[N2]]
//                dx = invstd / n (n g - sum g - xhat sum g xhat).
// CHECK:         %[[DX:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[COL]], #[[COL]], #[[COL]], #[[COL]], #[[COL]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[DY]], %[[MEAN]], %[[ISTD]], %[[G]], %[[S]]#0, %[[S]]#1 :
// CHECK-NEXT:    ^bb0(%[[XV:.*]]: f32, %[[DV:.*]]: f32, %[[MV:.*]]: f32, %[[SV:.*]]: f32, %[[GV:.*]]: f32, %[[SG:.*]]: f32, %[[SGX:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[C:.*]] = arith.subf %[[XV]], %[[MV]]
// CHECK-NEXT:      %[[XH:.*]] = arith.mulf %[[C]], %[[SV]]
// CHECK-NEXT:      %[[GG:.*]] = arith.mulf %[[DV]], %[[GV]]
// CHECK-NEXT:      %[[N:.*]] = arith.constant 4.000000e+00 : f32
// CHECK-NEXT:      %[[NG:.*]] = arith.mulf %[[N]], %[[GG]]
// CHECK-NEXT:      %[[T1:.*]] = arith.subf %[[NG]], %[[SG]]
// CHECK-NEXT:      %[[T2:.*]] = arith.mulf %[[XH]], %[[SGX]]
// CHECK-NEXT:      %[[T:.*]] = arith.subf %[[T1]], %[[T2]]
// CHECK-NEXT:      %[[K:.*]] = arith.divf %[[SV]], %[[N]]
// CHECK-NEXT:      %[[R:.*]] = arith.mulf %[[K]], %[[T]]
// CHECK-NEXT:      linalg.yield %[[R]]
// CHECK:         return %[[DX]], %[[PG]]#0, %[[PG]]#1

func.func @ln_grad(%x: tensor<4x3xf32>, %g: tensor<3xf32>, %dy: tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %dx, %dg, %db = nn.layer_norm_grad %x, %g, %dy {eps = 1.0e-5 : f64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %dx, %dg, %db : tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>
}
// layer_norm_grad: the same with per-row statistics (n = F = 3); dgamma and
// dbeta are still summed over the rows.
// CHECK-LABEL: func.func @ln_grad(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<4x3xf32>, %[[G:[^:]*]]: tensor<3xf32>, %[[DY:[^:]*]]: tensor<4x3xf32>)
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<4x3xf32>) outs(%{{.*}} : tensor<4xf32>)
// CHECK:         %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<4xf32>)
// CHECK:           arith.constant 0.333333343 : f32
// CHECK:         %[[SQ:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[MEAN]] :
// CHECK:         %[[VAR:.*]] = linalg.generic {{.*}} ins(%[[SQ]] :
// CHECK:         %[[ISTD:.*]] = linalg.generic {{.*}} ins(%[[VAR]] :
// CHECK:           arith.constant 9.99999974E-6 : f32
// CHECK:           math.rsqrt
//                dgamma = sum_rows dy xhat, dbeta = sum_rows dy, per feature.
// CHECK:         %[[PG:.*]]:2 = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ROW]], #[[ROW]], #[[COL]], #[[COL]]], iterator_types = ["reduction", "parallel"]} ins(%[[X]], %[[DY]], %[[MEAN]], %[[ISTD]] :
// CHECK-NEXT:    ^bb0(%[[XV:.*]]: f32, %[[DV:.*]]: f32, %[[MV:.*]]: f32, %[[SV:.*]]: f32, %[[AG:.*]]: f32, %[[AB:.*]]: f32):
// CHECK-NEXT:      %[[C:.*]] = arith.subf %[[XV]], %[[MV]]
// CHECK-NEXT:      %[[XH:.*]] = arith.mulf %[[C]], %[[SV]]
// CHECK-NEXT:      %[[T:.*]] = arith.mulf %[[DV]], %[[XH]]
// CHECK-NEXT:      %[[NG:.*]] = arith.addf %[[AG]], %[[T]]
// CHECK-NEXT:      %[[NB:.*]] = arith.addf %[[AB]], %[[DV]]
// CHECK-NEXT:      linalg.yield %[[NG]], %[[NB]]
//                Along the normalized axis: sum g and sum g xhat, g = dy gamma.
// CHECK:         %[[S:.*]]:2 = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ROW]], #[[ROW]], #[[COL]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[X]], %[[DY]], %[[MEAN]], %[[ISTD]], %[[G]] :
// CHECK-NEXT:    ^bb0(%[[XV:.*]]: f32, %[[DV:.*]]: f32, %[[MV:.*]]: f32, %[[SV:.*]]: f32, %[[GV:.*]]: f32, %[[A1:.*]]: f32, %[[A2:.*]]: f32):
// CHECK-NEXT:      %[[C:.*]] = arith.subf %[[XV]], %[[MV]]
// CHECK-NEXT:      %[[XH:.*]] = arith.mulf %[[C]], %[[SV]]
// CHECK-NEXT:      %[[GG:.*]] = arith.mulf %[[DV]], %[[GV]]
// CHECK-NEXT:      %[[N1:.*]] = arith.addf %[[A1]], %[[GG]]
// CHECK-NEXT:      %[[GX:.*]] = arith.mulf %[[GG]], %[[XH]]
// CHECK-NEXT:      %[[N2:.*]] = arith.addf %[[A2]], %[[GX]]
// CHECK-NEXT:      linalg.yield %[[N1]], %[[N2]]
//                dx = invstd / n (n g - sum g - xhat sum g xhat).
// CHECK:         %[[DX:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ROW]], #[[ROW]], #[[COL]], #[[ROW]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[DY]], %[[MEAN]], %[[ISTD]], %[[G]], %[[S]]#0, %[[S]]#1 :
// CHECK-NEXT:    ^bb0(%[[XV:.*]]: f32, %[[DV:.*]]: f32, %[[MV:.*]]: f32, %[[SV:.*]]: f32, %[[GV:.*]]: f32, %[[SG:.*]]: f32, %[[SGX:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[C:.*]] = arith.subf %[[XV]], %[[MV]]
// CHECK-NEXT:      %[[XH:.*]] = arith.mulf %[[C]], %[[SV]]
// CHECK-NEXT:      %[[GG:.*]] = arith.mulf %[[DV]], %[[GV]]
// CHECK-NEXT:      %[[N:.*]] = arith.constant 3.000000e+00 : f32
// CHECK-NEXT:      %[[NG:.*]] = arith.mulf %[[N]], %[[GG]]
// CHECK-NEXT:      %[[T1:.*]] = arith.subf %[[NG]], %[[SG]]
// CHECK-NEXT:      %[[T2:.*]] = arith.mulf %[[XH]], %[[SGX]]
// CHECK-NEXT:      %[[T:.*]] = arith.subf %[[T1]], %[[T2]]
// CHECK-NEXT:      %[[K:.*]] = arith.divf %[[SV]], %[[N]]
// CHECK-NEXT:      %[[R:.*]] = arith.mulf %[[K]], %[[T]]
// CHECK-NEXT:      linalg.yield %[[R]]
// CHECK:         return %[[DX]], %[[PG]]#0, %[[PG]]#1

