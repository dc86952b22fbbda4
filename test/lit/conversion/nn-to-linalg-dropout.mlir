// RUN: kiln-opt %s -kiln-convert-nn-to-linalg | FileCheck %s

// Dropout draws one Philox4x32-10 number per element, as the runtime's
// kiln_dropout_keep(seed, stream, step, index, p): counter = (row-major
// linear index, stream, lo(step), hi(step)), key = (lo(seed), hi(seed)); the
// element is kept when the top 24 bits of the first output word, as a float
// in [0, 1), are >= p, and then scaled by 1 / (1 - p).

func.func @dropout(%x: tensor<4x3xf32>, %seed: i64, %step: i64) -> tensor<4x3xf32> {
  %0 = nn.dropout %x, %seed, %step {p = 0.25 : f64, stream = 7 : i32} : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// CHECK-LABEL: func.func @dropout(
// CHECK-SAME:      %[[XA:[^:]*]]: tensor<4x3xf32>, %[[SEED:[^:]*]]: i64, %[[STEP:[^:]*]]: i64)
// CHECK:         %[[R:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%[[XA]] : tensor<4x3xf32>)
// CHECK-NEXT:    ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
//                  Linear index: (0 * 4 + i) * 3 + j.
// CHECK:           %[[I:.*]] = linalg.index 0 : index
// CHECK:           %[[C3:.*]] = arith.constant 3 : index
// CHECK-NEXT:      %[[I3:.*]] = arith.muli %{{.*}}, %[[C3]] : index
// CHECK-NEXT:      %[[J:.*]] = linalg.index 1 : index
// CHECK-NEXT:      %[[LIN:.*]] = arith.addi %[[I3]], %[[J]] : index
// CHECK-NEXT:      %[[IDX:.*]] = arith.index_cast %[[LIN]] : index to i32
// CHECK-NEXT:      %[[STREAM:.*]] = arith.constant 7 : i32
// CHECK-NEXT:      %[[STEPLO:.*]] = arith.trunci %[[STEP]] : i64 to i32
// CHECK-NEXT:      %[[C32:.*]] = arith.constant 32 : i64
// CHECK-NEXT:      %[[STEPSH:.*]] = arith.shrui %[[STEP]], %[[C32]] : i64
// CHECK-NEXT:      %[[STEPHI:.*]] = arith.trunci %[[STEPSH]] : i64 to i32
// CHECK-NEXT:      %[[KEY0:.*]] = arith.trunci %[[SEED]] : i64 to i32
// CHECK-NEXT:      %[[C32B:.*]] = arith.constant 32 : i64
// CHECK-NEXT:      %[[SEEDSH:.*]] = arith.shrui %[[SEED]], %[[C32B]] : i64
// CHECK-NEXT:      %[[KEY1:.*]] = arith.trunci %[[SEEDSH]] : i64 to i32
//                  The Philox multipliers 0xD2511F53 and 0xCD9E8D57 and the
//                  Weyl key increments 0x9E3779B9 and 0xBB67AE85.
// CHECK-NEXT:      %[[M0:.*]] = arith.constant -766435501 : i32
// CHECK-NEXT:      %[[M1:.*]] = arith.constant -845247145 : i32
// CHECK-NEXT:      %[[W0:.*]] = arith.constant -1640531527 : i32
// CHECK-NEXT:      %[[W1:.*]] = arith.constant -1150833019 : i32
//                  Round 1: (hi(M1 c2) ^ c1 ^ k0, lo(M1 c2), hi(M0 c0) ^ c3 ^ k1, lo(M0 c0)).
// CHECK-NEXT:      %[[LO0:.*]], %[[HI0:.*]] = arith.mului_extended %[[M0]], %[[IDX]] : i32
// CHECK-NEXT:      %[[LO1:.*]], %[[HI1:.*]] = arith.mului_extended %[[M1]], %[[STEPLO]] : i32
// CHECK-NEXT:      %[[A:.*]] = arith.xori %[[HI1]], %[[STREAM]] : i32
// CHECK-NEXT:      %[[X0:.*]] = arith.xori %[[A]], %[[KEY0]] : i32
// CHECK-NEXT:      %[[B:.*]] = arith.xori %[[HI0]], %[[STEPHI]] : i32
// CHECK-NEXT:      %[[X2:.*]] = arith.xori %[[B]], %[[KEY1]] : i32
// CHECK-NEXT:      %[[K0:.*]] = arith.addi %[[KEY0]], %[[W0]] : i32
// CHECK-NEXT:      %[[K1:.*]] = arith.addi %[[KEY1]], %[[W1]] : i32
//                  Round 2 reads round 1's words and the bumped key.
// CHECK-NEXT:      %{{.*}}, %{{.*}} = arith.mului_extended %[[M0]], %[[X0]] : i32
// CHECK-NEXT:      %{{.*}}, %{{.*}} = arith.mului_extended %[[M1]], %[[X2]] : i32
// CHECK-NEXT:      %[[C:.*]] = arith.xori %{{.*}}, %[[LO1]] : i32
// CHECK-NEXT:      arith.xori %[[C]], %[[K0]] : i32
// CHECK-NEXT:      %[[D:.*]] = arith.xori %{{.*}}, %[[LO0]] : i32
// CHECK-NEXT:      arith.xori %[[D]], %[[K1]] : i32
//                  Ten rounds in all (two multiplies each), nine key bumps.
// CHECK-COUNT-16:  arith.mului_extended
// CHECK-NOT:       arith.mului_extended
//                  The last round's first word, x0 = hi(M1 c2) ^ c1 ^ k0, is the draw.
// CHECK:           arith.xori
// CHECK-NEXT:      %[[OUT0:.*]] = arith.xori %{{.*}}, %{{.*}} : i32
// CHECK-NEXT:      arith.xori
// CHECK-NEXT:      arith.xori
// CHECK-NEXT:      %[[C8:.*]] = arith.constant 8 : i32
// CHECK-NEXT:      %[[BITS:.*]] = arith.shrui %[[OUT0]], %[[C8]] : i32
// CHECK-NEXT:      %[[U:.*]] = arith.uitofp %[[BITS]] : i32 to f32
// CHECK-NEXT:      %[[INV24:.*]] = arith.constant 5.96046448E-8 : f32
// CHECK-NEXT:      %[[UNI:.*]] = arith.mulf %[[U]], %[[INV24]] : f32
// CHECK-NEXT:      %[[P:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-NEXT:      %[[KEEP:.*]] = arith.cmpf oge, %[[UNI]], %[[P]] : f32
// CHECK-NEXT:      %[[SCALE:.*]] = arith.constant 1.33333337 : f32
// CHECK-NEXT:      %[[SX:.*]] = arith.mulf %[[X]], %[[SCALE]] : f32
// CHECK-NEXT:      %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[Y:.*]] = arith.select %[[KEEP]], %[[SX]], %[[ZERO]] : f32
// CHECK-NEXT:      linalg.yield %[[Y]] : f32
// CHECK:         return %[[R]]

func.func @dropout_p0(%x: tensor<4x3xf32>, %seed: i64, %step: i64) -> tensor<4x3xf32> {
  %0 = nn.dropout %x, %seed, %step {p = 0.0 : f64, stream = 0 : i32} : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// p = 0 keeps everything: the input itself, no generator.
// CHECK-LABEL: func.func @dropout_p0(
// CHECK-SAME:      %[[XA:[^:]*]]: tensor<4x3xf32>
// CHECK-NEXT:    return %[[XA]] : tensor<4x3xf32>

func.func @dropout_shard(%x: tensor<4x3xf32>, %seed: i64, %step: i64, %row: i64) -> tensor<4x3xf32> {
  %0 = nn.dropout %x, %seed, %step rows + %row {p = 0.25 : f64, stream = 7 : i32} : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// A shard starting at row `row` of its batch: the row index counts from
// there, so the element draws the number the whole batch's would.
// CHECK-LABEL: func.func @dropout_shard(
// CHECK-SAME:      %[[ROW:[^:]*]]: i64)
// CHECK:         %[[ROWIDX:.*]] = arith.index_cast %[[ROW]] : i64 to index
// CHECK:         linalg.generic
// CHECK:           %[[I:.*]] = linalg.index 0 : index
// CHECK-NEXT:      %[[IB:.*]] = arith.addi %[[I]], %[[ROWIDX]] : index
// CHECK-NEXT:      %[[LINI:.*]] = arith.addi %{{.*}}, %[[IB]] : index
// CHECK-NEXT:      %[[C3:.*]] = arith.constant 3 : index
// CHECK-NEXT:      arith.muli %[[LINI]], %[[C3]] : index
