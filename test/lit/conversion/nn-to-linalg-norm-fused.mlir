// RUN: kiln-opt %s -kiln-convert-nn-to-linalg | FileCheck %s

// Batch and layer norm marked `fused` by nn-fuse-norm, and their gradients,
// lowered to linalg. The statistics take ONE pass over x: the sums of
// d = x - K and of d^2, K the first element along the normalized axis (so
// that the difference does not cancel when |mean| >> std); then per
// statistic mean = K + S1/n, var = max(S2/n - (S1/n)^2, 0) (biased),
// 1/sqrt(var + eps). The normalization (and the fused activation) is a
// second pass. The gradients recompute xhat (and z = gamma xhat + beta,
// through the activation) in each pass instead of reading them.

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW0:.*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[V:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[ROW0V:.*]] = affine_map<(d0) -> (0, d0)>
// CHECK-DAG: #[[COL0:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[COL0V:.*]] = affine_map<(d0) -> (d0, 0)>

// Training batch norm with relu, momentum 0.2, eps 1e-3, 4 rows.
func.func @bn_train(%x: tensor<4x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %rm: tensor<3xf32>, %rv: tensor<3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %y, %m, %v = nn.batch_norm %x, %g, %b, %rm, %rv {activation = #nn.act<relu>, eps = 1.0e-3 : f64, momentum = 0.2 : f64, training = true, fused} : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %y, %m, %v : tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>
}
// CHECK-LABEL: func.func @bn_train(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<4x3xf32>, %[[G:[^:]*]]: tensor<3xf32>, %[[B:[^:]*]]: tensor<3xf32>, %[[RM:[^:]*]]: tensor<3xf32>, %[[RV:[^:]*]]: tensor<3xf32>)
//                The one pass over x: x and K = x[0, j], per feature j.
// CHECK:         %[[SUMS:.*]]:2 = linalg.generic {indexing_maps = [#[[ID]], #[[ROW0]], #[[COL]], #[[COL]]], iterator_types = ["reduction", "parallel"]} ins(%[[X]], %[[X]] : tensor<4x3xf32>, tensor<4x3xf32>)
// CHECK-NEXT:    ^bb0(%[[XI:[^:]*]]: f32, %[[K:[^:]*]]: f32, %[[S1:[^:]*]]: f32, %[[S2:[^:]*]]: f32):
// CHECK-NEXT:      %[[D:.*]] = arith.subf %[[XI]], %[[K]] : f32
// CHECK-NEXT:      %[[N1:.*]] = arith.addf %[[S1]], %[[D]] : f32
// CHECK-NEXT:      %[[DD:.*]] = arith.mulf %[[D]], %[[D]] : f32
// CHECK-NEXT:      %[[N2:.*]] = arith.addf %[[S2]], %[[DD]] : f32
// CHECK-NEXT:      linalg.yield %[[N1]], %[[N2]] : f32, f32
//                The statistics, per feature: no other pass over x.
// CHECK-NOT:     linalg.generic
// CHECK:         %[[ST:.*]]:3 = linalg.generic {indexing_maps = [#[[V]], #[[V]], #[[ROW0V]], #[[V]], #[[V]], #[[V]]], iterator_types = ["parallel"]} ins(%[[SUMS]]#0, %[[SUMS]]#1, %[[X]] : tensor<3xf32>, tensor<3xf32>, tensor<4x3xf32>)
// CHECK-NEXT:    ^bb0(%[[A1:[^:]*]]: f32, %[[A2:[^:]*]]: f32, %[[K:[^:]*]]: f32,
// CHECK-NEXT:      %[[INV:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-NEXT:      %[[M1:.*]] = arith.mulf %[[A1]], %[[INV]] : f32
// CHECK-NEXT:      %[[INV2:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-NEXT:      %[[M2:.*]] = arith.mulf %[[A2]], %[[INV2]] : f32
// CHECK-NEXT:      %[[MM:.*]] = arith.mulf %[[M1]], %[[M1]] : f32
// CHECK-NEXT:      %[[VR:.*]] = arith.subf %[[M2]], %[[MM]] : f32
// CHECK-NEXT:      %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[VAR:.*]] = arith.maximumf %[[VR]], %[[Z]] : f32
// CHECK-NEXT:      %[[EPS:.*]] = arith.constant 1.000000e-03 : f32
// CHECK-NEXT:      %[[VE:.*]] = arith.addf %[[VAR]], %[[EPS]] : f32
// CHECK-NEXT:      %[[IS:.*]] = math.rsqrt %[[VE]] : f32
// CHECK-NEXT:      %[[MEAN:.*]] = arith.addf %[[K]], %[[M1]] : f32
// CHECK-NEXT:      linalg.yield %[[MEAN]], %[[VAR]], %[[IS]] : f32, f32, f32
//                The second pass: normalize, scale, shift and relu.
// CHECK:         %[[Y:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[COL]], #[[COL]], #[[COL]], #[[COL]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[ST]]#0, %[[ST]]#2, %[[G]], %[[B]] :
// CHECK-NEXT:    ^bb0(%[[XI:[^:]*]]: f32, %[[MU:[^:]*]]: f32, %[[IS:[^:]*]]: f32, %[[GI:[^:]*]]: f32, %[[BI:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT:      %[[XC:.*]] = arith.subf %[[XI]], %[[MU]] : f32
// CHECK-NEXT:      %[[XH:.*]] = arith.mulf %[[XC]], %[[IS]] : f32
// CHECK-NEXT:      %[[GX:.*]] = arith.mulf %[[GI]], %[[XH]] : f32
// CHECK-NEXT:      %[[ZV:.*]] = arith.addf %[[GX]], %[[BI]] : f32
// CHECK-NEXT:      %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[R:.*]] = arith.maximumf %[[ZV]], %[[ZERO]] : f32
// CHECK-NEXT:      linalg.yield %[[R]] : f32
//                Running statistics: 0.8 running + 0.2 mean, and
//                0.8 running + 0.2 * 4/3 var (unbiased).
// CHECK:         %[[NM:.*]] = linalg.generic {{.*}} ins(%[[RM]], %[[ST]]#0 : tensor<3xf32>, tensor<3xf32>)
// CHECK:           arith.constant 8.000000e-01 : f32
// CHECK:           arith.constant 2.000000e-01 : f32
// CHECK:         %[[NV:.*]] = linalg.generic {{.*}} ins(%[[RV]], %[[ST]]#1 : tensor<3xf32>, tensor<3xf32>)
// CHECK:           arith.constant 8.000000e-01 : f32
// CHECK:           arith.constant 0.266666681 : f32
// CHECK:         return %[[Y]], %[[NM]], %[[NV]]

// Training batch norm without `fused`: the unfused lowering reads x three
// times (a pass for the mean, one for the variance, one to normalize); the
// fused one above, twice.
func.func @bn_train_unfused(%x: tensor<4x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %rm: tensor<3xf32>, %rv: tensor<3xf32>) -> tensor<4x3xf32> {
  %y, %m, %v = nn.batch_norm %x, %g, %b, %rm, %rv {eps = 1.0e-3 : f64, momentum = 0.2 : f64, training = true} : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %y : tensor<4x3xf32>
}
// CHECK-LABEL: func.func @bn_train_unfused(
// CHECK:         linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]} ins(%{{[^ ]*}} : tensor<4x3xf32>)
// CHECK:         linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]} ins(%{{[^,]*}}, %{{[^ ]*}} : tensor<4x3xf32>, tensor<3xf32>)
// CHECK:         linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]}
// CHECK:         return

// Layer norm with sigmoid: the same two passes along the rows: K = x[i, 0],
// one statistic per row, n = 3 features, eps 1e-4.
func.func @ln(%x: tensor<4x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<4x3xf32> {
  %y = nn.layer_norm %x, %g, %b {activation = #nn.act<sigmoid>, eps = 1.0e-4 : f64, fused} : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}
// CHECK-LABEL: func.func @ln(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<4x3xf32>, %[[G:[^:]*]]: tensor<3xf32>, %[[B:[^:]*]]: tensor<3xf32>)
// CHECK:         %[[SUMS:.*]]:2 = linalg.generic {indexing_maps = [#[[ID]], #[[COL0]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[X]], %[[X]] : tensor<4x3xf32>, tensor<4x3xf32>) outs(%{{[^,]*}}, %{{[^ ]*}} : tensor<4xf32>, tensor<4xf32>)
// CHECK:           arith.subf
// CHECK-NEXT:      arith.addf
// CHECK-NEXT:      arith.mulf
// CHECK-NEXT:      arith.addf
// CHECK-NOT:     linalg.generic
// CHECK:         %[[ST:.*]]:3 = linalg.generic {indexing_maps = [#[[V]], #[[V]], #[[COL0V]], #[[V]], #[[V]], #[[V]]], iterator_types = ["parallel"]} ins(%[[SUMS]]#0, %[[SUMS]]#1, %[[X]] : tensor<4xf32>, tensor<4xf32>, tensor<4x3xf32>)
// CHECK:           arith.constant 0.333333343 : f32
// CHECK:           arith.constant 9.99999974E-5 : f32
// CHECK:         %[[Y:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]], #[[COL]], #[[COL]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[ST]]#0, %[[ST]]#2, %[[G]], %[[B]] :
// CHECK:           %[[ZV:.*]] = arith.addf
// CHECK:           %[[N:.*]] = arith.negf %[[ZV]] : f32
// CHECK-NEXT:      %[[E:.*]] = math.exp %[[N]] : f32
// CHECK-NEXT:      %[[D:.*]] = arith.addf %{{.*}}, %[[E]] : f32
// CHECK-NEXT:      %[[S:.*]] = arith.divf %{{.*}}, %[[D]] : f32
// CHECK-NEXT:      linalg.yield %[[S]] : f32
// CHECK-NEXT:    } -> tensor<4x3xf32>
// CHECK-NEXT:    return %[[Y]]

// Inference-mode batch norm with an activation: no statistics pass, the
// running statistics normalize, the activation in the same pass.
func.func @bn_eval(%x: tensor<4x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %rm: tensor<3xf32>, %rv: tensor<3xf32>) -> tensor<4x3xf32> {
  %y, %m, %v = nn.batch_norm %x, %g, %b, %rm, %rv {activation = #nn.act<tanh>, eps = 1.0e-5 : f64, momentum = 0.1 : f64, training = false, fused} : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %y : tensor<4x3xf32>
}
// CHECK-LABEL: func.func @bn_eval(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<4x3xf32>, %[[G:[^:]*]]: tensor<3xf32>, %[[B:[^:]*]]: tensor<3xf32>, %[[RM:[^:]*]]: tensor<3xf32>, %[[RV:[^:]*]]: tensor<3xf32>)
// CHECK-NOT:     reduction
// CHECK:         %[[IS:.*]] = linalg.generic {{.*}} ins(%[[RV]] : tensor<3xf32>)
// CHECK:           math.rsqrt
// CHECK:         %[[Y:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[RM]], %[[IS]], %[[G]], %[[B]] :
// CHECK:           %[[ZV:.*]] = arith.addf
// CHECK-NEXT:      %[[T:.*]] = math.tanh %[[ZV]] : f32
// CHECK-NEXT:      linalg.yield %[[T]] : f32
// CHECK:         return %[[Y]]

// The fused gradient of batch norm + tanh (4 rows, eps 1e-3): the one
// statistics pass; per feature dgamma = sum dz xhat and dbeta = sum dz with
// dz = dy tanh'(z), z = gamma xhat + beta recomputed; sum g = gamma dbeta and
// sum g xhat = gamma dgamma (no pass over x for them); then
// dx = invStd / n (n g - sum g - xhat sum g xhat), g = dz gamma.
func.func @bn_grad_act(%x: tensor<4x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %dy: tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %dx, %dg, %db = nn.batch_norm_grad %x, %g, %dy beta(%b) {activation = #nn.act<tanh>, eps = 1.0e-3 : f64, fused} : (tensor<4x3xf32>, tensor<3xf32>, tensor<4x3xf32>, tensor<3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %dx, %dg, %db : tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>
}
// CHECK-LABEL: func.func @bn_grad_act(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<4x3xf32>, %[[G:[^:]*]]: tensor<3xf32>, %[[B:[^:]*]]: tensor<3xf32>, %[[DY:[^:]*]]: tensor<4x3xf32>)
// CHECK:         %[[SUMS:.*]]:2 = linalg.generic {indexing_maps = [#[[ID]], #[[ROW0]], #[[COL]], #[[COL]]], iterator_types = ["reduction", "parallel"]} ins(%[[X]], %[[X]] :
// CHECK:         %[[ST:.*]]:3 = linalg.generic {{.*}} ins(%[[SUMS]]#0, %[[SUMS]]#1, %[[X]] :
// CHECK:           arith.constant 1.000000e-03 : f32
// CHECK:         %[[PG:.*]]:2 = linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]} ins(%[[X]], %[[DY]], %[[ST]]#0, %[[ST]]#2, %[[G]], %[[B]] :
// CHECK-NEXT:    ^bb0(%[[XI:[^:]*]]: f32, %[[DYI:[^:]*]]: f32, %[[MU:[^:]*]]: f32, %[[IS:[^:]*]]: f32, %[[GI:[^:]*]]: f32, %[[BI:[^:]*]]: f32, %[[DG:[^:]*]]: f32, %[[DB:[^:]*]]: f32):
// CHECK-NEXT:      %[[XC:.*]] = arith.subf %[[XI]], %[[MU]] : f32
// CHECK-NEXT:      %[[XH:.*]] = arith.mulf %[[XC]], %[[IS]] : f32
// CHECK-NEXT:      %[[GX:.*]] = arith.mulf %[[GI]], %[[XH]] : f32
// CHECK-NEXT:      %[[ZV:.*]] = arith.addf %[[GX]], %[[BI]] : f32
// CHECK:           %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[T:.*]] = math.tanh %[[ZV]] : f32
// CHECK-NEXT:      %[[T2:.*]] = arith.mulf %[[T]], %[[T]] : f32
// CHECK-NEXT:      %[[DT:.*]] = arith.subf %[[ONE]], %[[T2]] : f32
// CHECK-NEXT:      %[[DZ:.*]] = arith.mulf %[[DYI]], %[[DT]] : f32
// CHECK-NEXT:      %[[DZX:.*]] = arith.mulf %[[DZ]], %[[XH]] : f32
// CHECK-NEXT:      %[[NDG:.*]] = arith.addf %[[DG]], %[[DZX]] : f32
// CHECK-NEXT:      %[[NDB:.*]] = arith.addf %[[DB]], %[[DZ]] : f32
// CHECK-NEXT:      linalg.yield %[[NDG]], %[[NDB]] : f32, f32
// CHECK-NOT:     reduction
// CHECK:         %[[SG:.*]]:2 = linalg.generic {{.*}}iterator_types = ["parallel"]} ins(%[[PG]]#0, %[[PG]]#1, %[[G]] :
// CHECK-NEXT:    ^bb0(%[[DGI:[^:]*]]: f32, %[[DBI:[^:]*]]: f32, %[[GI:[^:]*]]: f32,
// CHECK-NEXT:      %[[SUMG:.*]] = arith.mulf %[[GI]], %[[DBI]] : f32
// CHECK-NEXT:      %[[SUMGX:.*]] = arith.mulf %[[GI]], %[[DGI]] : f32
// CHECK-NEXT:      linalg.yield %[[SUMG]], %[[SUMGX]] : f32, f32
// CHECK-NOT:     reduction
// CHECK:         %[[DX:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[DY]], %[[ST]]#0, %[[ST]]#2, %[[G]], %[[B]], %[[SG]]#0, %[[SG]]#1 :
// CHECK-NEXT:    ^bb0(%[[XI:[^:]*]]: f32, %[[DYI:[^:]*]]: f32, %[[MU:[^:]*]]: f32, %[[IS:[^:]*]]: f32, %[[GI:[^:]*]]: f32, %[[BI:[^:]*]]: f32, %[[S1:[^:]*]]: f32, %[[S2:[^:]*]]: f32,
// CHECK-NEXT:      %[[XC:.*]] = arith.subf %[[XI]], %[[MU]] : f32
// CHECK-NEXT:      %[[XH:.*]] = arith.mulf %[[XC]], %[[IS]] : f32
// CHECK:           math.tanh
// CHECK:           %[[DZ:.*]] = arith.mulf %[[DYI]], %{{.*}} : f32
// CHECK-NEXT:      %[[GG:.*]] = arith.mulf %[[DZ]], %[[GI]] : f32
// CHECK-NEXT:      %[[N:.*]] = arith.constant 4.000000e+00 : f32
// CHECK-NEXT:      %[[NG:.*]] = arith.mulf %[[N]], %[[GG]] : f32
// CHECK-NEXT:      %[[T1:.*]] = arith.subf %[[NG]], %[[S1]] : f32
// CHECK-NEXT:      %[[XS:.*]] = arith.mulf %[[XH]], %[[S2]] : f32
// CHECK-NEXT:      %[[T2:.*]] = arith.subf %[[T1]], %[[XS]] : f32
// CHECK-NEXT:      %[[K:.*]] = arith.divf %[[IS]], %[[N]] : f32
// CHECK-NEXT:      %[[R:.*]] = arith.mulf %[[K]], %[[T2]] : f32
// CHECK-NEXT:      linalg.yield %[[R]] : f32
// CHECK:         return %[[DX]], %[[PG]]#0, %[[PG]]#1

// The fused gradient of layer norm (no activation): its sums along the
// feature axis need a pass of their own (per row), before dx.
func.func @ln_grad(%x: tensor<4x3xf32>, %g: tensor<3xf32>, %dy: tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %dx, %dg, %db = nn.layer_norm_grad %x, %g, %dy {eps = 1.0e-5 : f64, fused} : (tensor<4x3xf32>, tensor<3xf32>, tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %dx, %dg, %db : tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>
}
// CHECK-LABEL: func.func @ln_grad(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<4x3xf32>, %[[G:[^:]*]]: tensor<3xf32>, %[[DY:[^:]*]]: tensor<4x3xf32>)
// CHECK:         %[[SUMS:.*]]:2 = linalg.generic {indexing_maps = [#[[ID]], #[[COL0]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[X]], %[[X]] :
// CHECK:         %[[ST:.*]]:3 = linalg.generic {{.*}} ins(%[[SUMS]]#0, %[[SUMS]]#1, %[[X]] :
//                dgamma, dbeta per feature: dz = dy (no activation).
// CHECK:         %[[PG:.*]]:2 = linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]} ins(%[[X]], %[[DY]], %[[ST]]#0, %[[ST]]#2, %[[G]], %[[G]] :
// CHECK-NEXT:    ^bb0(%[[XI:[^:]*]]: f32, %[[DYI:[^:]*]]: f32, %[[MU:[^:]*]]: f32, %[[IS:[^:]*]]: f32, %{{[^:]*}}: f32, %{{[^:]*}}: f32, %[[DG:[^:]*]]: f32, %[[DB:[^:]*]]: f32):
// CHECK-NEXT:      %[[XC:.*]] = arith.subf %[[XI]], %[[MU]] : f32
// CHECK-NEXT:      %[[XH:.*]] = arith.mulf %[[XC]], %[[IS]] : f32
// CHECK-NEXT:      %[[DZX:.*]] = arith.mulf %[[DYI]], %[[XH]] : f32
// CHECK-NEXT:      %[[NDG:.*]] = arith.addf %[[DG]], %[[DZX]] : f32
// CHECK-NEXT:      %[[NDB:.*]] = arith.addf %[[DB]], %[[DYI]] : f32
// CHECK-NEXT:      linalg.yield %[[NDG]], %[[NDB]] : f32, f32
//                sum g and sum g xhat per row.
// CHECK:         %[[SG:.*]]:2 = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[X]], %[[DY]], %[[ST]]#0, %[[ST]]#2, %[[G]], %[[G]] : {{.*}} outs(%{{[^,]*}}, %{{[^ ]*}} : tensor<4xf32>, tensor<4xf32>)
// CHECK:         %[[DX:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[DY]], %[[ST]]#0, %[[ST]]#2, %[[G]], %[[G]], %[[SG]]#0, %[[SG]]#1 :
// CHECK:           arith.constant 3.000000e+00 : f32
// CHECK:         return %[[DX]], %[[PG]]#0, %[[PG]]#1

// A gradient with an activation but without `fused` (nn-fuse-norm always
// sets both, but the op allows it) takes the same fused kernel: only it
// can apply the activation.
func.func @ln_grad_act_unfused(%x: tensor<4x3xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %dy: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %dx, %dg, %db = nn.layer_norm_grad %x, %g, %dy beta(%b) {activation = #nn.act<relu>, eps = 1.0e-5 : f64} : (tensor<4x3xf32>, tensor<3xf32>, tensor<4x3xf32>, tensor<3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %dx : tensor<4x3xf32>
}
// CHECK-LABEL: func.func @ln_grad_act_unfused(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<4x3xf32>,
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[COL0]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[X]], %[[X]] :
// CHECK:           arith.cmpf ogt
