// RUN: kiln-opt %s -pass-pipeline='builtin.module(func.func(kiln-approximate-math))' | FileCheck %s

// exp, log, log1p, tanh and erf (scalar or vector) become polynomials of
// arith and math.fma, which LLVM vectorizes, instead of libm calls, which it
// cannot. sqrt and rsqrt have instructions and stay.

func.func @f(%x: f32, %v: vector<8xf32>) -> (f32, f32, f32, f32, f32, vector<8xf32>, f32, f32) {
  %0 = math.exp %x : f32
  %1 = math.log %x : f32
  %2 = math.log1p %x : f32
  %3 = math.tanh %x : f32
  %4 = math.erf %x : f32
  %5 = math.exp %v : vector<8xf32>
  %6 = math.sqrt %x : f32
  %7 = math.rsqrt %x : f32
  return %0, %1, %2, %3, %4, %5, %6, %7 : f32, f32, f32, f32, f32, vector<8xf32>, f32, f32
}
// CHECK-LABEL: func.func @f(
// CHECK-NOT:     math.exp
// CHECK-NOT:     math.log
// CHECK-NOT:     math.tanh
// CHECK-NOT:     math.erf
// CHECK:         math.fma {{.*}} : f32
// CHECK:         math.fma {{.*}} : vector<8xf32>
// CHECK-NOT:     math.exp
// CHECK:         math.sqrt %{{.*}} : f32
// CHECK-NEXT:    math.rsqrt %{{.*}} : f32
// CHECK-NOT:     math.exp
// CHECK-NOT:     math.log
// CHECK-NOT:     math.tanh
// CHECK-NOT:     math.erf
// CHECK:         return

func.func @untouched(%x: f32) -> f32 {
  %0 = arith.mulf %x, %x : f32
  return %0 : f32
}
// Code without transcendental functions is left as it is.
// CHECK-LABEL: func.func @untouched(
// CHECK-NEXT:    arith.mulf
// CHECK-NEXT:    return
