// RUN: kiln-opt %s -split-input-file -kiln-parallelize-loops=min-work=1000 | FileCheck %s

// Each outermost loop nest either splits over the threads (its outermost
// loop becomes an scf.parallel) or becomes serial; nothing nested inside a
// nest ever splits.

// A loop the kernel generator marked, with 64 x 32 vector operations of
// work: split.
// CHECK-LABEL: func.func @marked_large
// CHECK:         scf.parallel (%[[I:.*]]) = (%c0) to (%c64) step (%c1) {
// CHECK:           scf.for
// CHECK:             vector.transfer_read {{.*}}[%[[I]],
// CHECK-NOT:     kiln.parallel
func.func @marked_large(%a: memref<64x512xf32>, %b: memref<64x512xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %c512 = arith.constant 512 : index
  %pad = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c64 step %c1 {
    scf.for %j = %c0 to %c512 step %c16 {
      %v = vector.transfer_read %a[%i, %j], %pad {in_bounds = [true]} : memref<64x512xf32>, vector<16xf32>
      %w = arith.addf %v, %v : vector<16xf32>
      vector.transfer_write %w, %b[%i, %j] {in_bounds = [true]} : vector<16xf32>, memref<64x512xf32>
    } {kiln.parallel}
  } {kiln.parallel}
  return
}

// -----

// The same loop with too little work (4 rows): serial, unmarked.
// CHECK-LABEL: func.func @marked_small
// CHECK-NOT:     scf.parallel
// CHECK:         scf.for
// CHECK-NOT:     kiln.parallel
// CHECK:         return
func.func @marked_small(%a: memref<4x512xf32>, %b: memref<4x512xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %c512 = arith.constant 512 : index
  %pad = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c4 step %c1 {
    scf.for %j = %c0 to %c512 step %c16 {
      %v = vector.transfer_read %a[%i, %j], %pad {in_bounds = [true]} : memref<4x512xf32>, vector<16xf32>
      vector.transfer_write %v, %b[%i, %j] {in_bounds = [true]} : vector<16xf32>, memref<4x512xf32>
    }
  } {kiln.parallel}
  return
}

// -----

// Taking registers out of a wider vector and putting them back (the matmul
// kernels' per-register split) moves nothing: a nest whose other work is
// small stays serial however many such slices it has.
// CHECK-LABEL: func.func @register_halves
// CHECK-NOT:     scf.parallel
// CHECK:         return
func.func @register_halves(%a: memref<8x512xf32>, %b: memref<8x512xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c128 = arith.constant 128 : index
  %c512 = arith.constant 512 : index
  %pad = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c8 step %c1 {
    scf.for %j = %c0 to %c512 step %c128 {
      %v = vector.transfer_read %a[%i, %j], %pad {in_bounds = [true]} : memref<8x512xf32>, vector<128xf32>
      %lo = vector.extract_strided_slice %v {offsets = [0], sizes = [64], strides = [1]} : vector<128xf32> to vector<64xf32>
      %hi = vector.extract_strided_slice %v {offsets = [64], sizes = [64], strides = [1]} : vector<128xf32> to vector<64xf32>
      %w0 = vector.insert_strided_slice %hi, %v {offsets = [0], strides = [1]} : vector<64xf32> into vector<128xf32>
      %w1 = vector.insert_strided_slice %lo, %w0 {offsets = [64], strides = [1]} : vector<64xf32> into vector<128xf32>
      %x0 = vector.extract_strided_slice %w1 {offsets = [0], sizes = [64], strides = [1]} : vector<128xf32> to vector<64xf32>
      %x1 = vector.extract_strided_slice %w1 {offsets = [64], sizes = [64], strides = [1]} : vector<128xf32> to vector<64xf32>
      %y0 = vector.insert_strided_slice %x1, %w1 {offsets = [0], strides = [1]} : vector<64xf32> into vector<128xf32>
      %y1 = vector.insert_strided_slice %x0, %y0 {offsets = [64], strides = [1]} : vector<64xf32> into vector<128xf32>
      vector.transfer_write %y1, %b[%i, %j] {in_bounds = [true]} : vector<128xf32>, memref<8x512xf32>
    }
  } {kiln.parallel}
  return
}

// -----

// An unmarked outermost loop (a reduction over its iterations) stays
// serial however large, and a marked loop inside it does not split either:
// a fork per outer iteration.
// CHECK-LABEL: func.func @unmarked_outer
// CHECK-NOT:     scf.parallel
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK-NOT:     kiln.parallel
// CHECK:         return
func.func @unmarked_outer(%a: memref<64x512xf32>, %acc: memref<512xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %c512 = arith.constant 512 : index
  %pad = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c64 step %c1 {
    scf.for %j = %c0 to %c512 step %c16 {
      %v = vector.transfer_read %a[%i, %j], %pad {in_bounds = [true]} : memref<64x512xf32>, vector<16xf32>
      %s = vector.transfer_read %acc[%j], %pad {in_bounds = [true]} : memref<512xf32>, vector<16xf32>
      %t = arith.addf %s, %v : vector<16xf32>
      vector.transfer_write %t, %acc[%j] {in_bounds = [true]} : vector<16xf32>, memref<512xf32>
    } {kiln.parallel}
  }
  return
}

// -----

// A marked loop that carries a value from one iteration to the next is
// not independent after all: serial.
// CHECK-LABEL: func.func @carried
// CHECK-NOT:     scf.parallel
// CHECK:         scf.for {{.*}} iter_args
func.func @carried(%a: memref<4096xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4096 = arith.constant 4096 : index
  %zero = arith.constant 0.0 : f32
  %r = scf.for %i = %c0 to %c4096 step %c1 iter_args(%s = %zero) -> f32 {
    %v = memref.load %a[%i] : memref<4096xf32>
    %t = arith.addf %s, %v : f32
    scf.yield %t : f32
  } {kiln.parallel}
  return %r : f32
}

// -----

// linalg's own parallel loops: the outermost one, large, stays parallel
// (both its dimensions, collapsed later by the OpenMP lowering); one
// nested in it and a small one elsewhere become serial loops.
// CHECK-LABEL: func.func @scf_parallel
// CHECK:         scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%c64, %c64)
// CHECK-NOT:       scf.parallel
// CHECK:           scf.for
// CHECK:         scf.for
// CHECK-NOT:     scf.parallel
// CHECK:         return
func.func @scf_parallel(%a: memref<64x64x8xf32>, %b: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c64, %c64) step (%c1, %c1) {
    scf.parallel (%k) = (%c0) to (%c8) step (%c1) {
      %v = memref.load %a[%i, %j, %k] : memref<64x64x8xf32>
      %w = arith.mulf %v, %v : f32
      memref.store %w, %a[%i, %j, %k] : memref<64x64x8xf32>
      scf.reduce
    }
    scf.reduce
  }
  scf.parallel (%k) = (%c0) to (%c8) step (%c1) {
    %v = memref.load %b[%k] : memref<8xf32>
    memref.store %v, %b[%k] : memref<8xf32>
    scf.reduce
  }
  return
}

// -----

// One iteration is nothing to split.
// CHECK-LABEL: func.func @single_trip
// CHECK-NOT:     scf.parallel
func.func @single_trip(%a: memref<1x65536xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %cn = arith.constant 65536 : index
  %pad = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c1 step %c1 {
    scf.for %j = %c0 to %cn step %c16 {
      %v = vector.transfer_read %a[%i, %j], %pad {in_bounds = [true]} : memref<1x65536xf32>, vector<16xf32>
      vector.transfer_write %v, %a[%i, %j] {in_bounds = [true]} : vector<16xf32>, memref<1x65536xf32>
    }
  } {kiln.parallel}
  return
}
