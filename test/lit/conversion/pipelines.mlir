// RUN: kiln-opt %s -kiln-lower-to-linalg | FileCheck %s --check-prefix=LINALG
// RUN: kiln-opt %s -kiln-lower-to-linalg -kiln-bufferize | FileCheck %s --check-prefix=BUF
// RUN: kiln-opt %s -kiln-lower-to-linalg -kiln-bufferize -kiln-lower-to-llvm | FileCheck %s --check-prefix=LLVM

// The three lowering pipelines end to end on a small predict function.

module attributes {nn.model = #nn.model<"tiny", batch_size = 8, input_dim = 4, optimizer = <adam>, schedule = <constant>>} {
  nn.state @w : tensor<3x4xf32> {role = #nn.role<param>, init = #nn.init<xavier_uniform>, fan_in = 4 : i64, fan_out = 3 : i64}
  nn.state @b : tensor<3xf32> {role = #nn.role<param>, init = #nn.init<zeros>}
  func.func @predict(%x: tensor<8x4xf32>) -> tensor<8x3xf32> {
    %w = nn.load @w : tensor<3x4xf32>
    %b = nn.load @b : tensor<3xf32>
    %h = nn.dense %x, %w, %b : (tensor<8x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<8x3xf32>
    %r = nn.tanh %h : tensor<8x3xf32>
    %s = nn.softmax %r : tensor<8x3xf32>
    return %s : tensor<8x3xf32>
  }
}

// kiln-lower-to-linalg: the state layout, then linalg on tensors,
// canonicalized and CSE'd; only nn.state and nn.load of the dialect remain.
// LINALG:       module attributes {kiln.state_size = 32 : i64, nn.model = #nn.model<"tiny", batch_size = 8, input_dim = 4
// LINALG:         nn.state @w {{.*}}offset = 0
// LINALG:         nn.state @b {{.*}}offset = 16
// LINALG-LABEL:   func.func @predict(%{{.*}}: tensor<8x4xf32>) -> tensor<8x3xf32>
// LINALG:           nn.load @w
// LINALG:           nn.load @b
// LINALG:           linalg.transpose
// LINALG:           linalg.matmul
// LINALG:           math.tanh
// LINALG:           math.exp
// LINALG-NOT:       nn.dense
// LINALG-NOT:       nn.tanh
// LINALG-NOT:       nn.softmax
// LINALG:           return

// kiln-bufferize: the C ABI (state, workspace, input, out-parameter), the
// vectorized matmul kernel (3 columns: dot products along K, its 4 floats
// read into 16 lanes under a mask), temporaries in the
// workspace, no tensors and no allocation left.
// BUF-LABEL:   func.func @tiny_predict(
// BUF-SAME:        %{{[^:]*}}: memref<32xf32>, %[[WS:[^:]*]]: memref<{{[0-9]+}}xi8>, %{{[^:]*}}: memref<8x4xf32>, %[[OUT:[^:]*]]: memref<8x3xf32>)
// BUF-SAME:        attributes {kiln.workspace_size = {{[0-9]+}} : i64}
// BUF-NOT:       tensor<
// BUF-NOT:       memref.alloc
// BUF:           memref.reinterpret_cast
// BUF:           memref.view %[[WS]]
// BUF:           vector.maskedload {{.*}} : memref<8x4xf32>, vector<16xi1>, vector<16xf32>
// BUF:           vector.fma {{.*}} : vector<16xf32>
// BUF-NOT:       tensor<
// BUF-NOT:       memref.alloc
// BUF:           %[[OUT]]
// BUF:           return

// kiln-lower-to-llvm: only the LLVM dialect, with the buffers as bare
// pointers; no nn.state, no model attributes, polynomial math (no libm
// calls), and the kernel's FMAs as llvm.intr.fma.
// LLVM:       module {
// LLVM-NOT:     nn.state
// LLVM:         llvm.func @tiny_predict(%{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr) {
// LLVM-NOT:     {{^ *(%[^ ]+ = )?"?(func|memref|arith|math|scf|cf|vector|linalg|affine|tensor|bufferization|index|nn)\.}}
// LLVM:         llvm.intr.fma
// LLVM-NOT:     {{^ *(%[^ ]+ = )?"?(func|memref|arith|math|scf|cf|vector|linalg|affine|tensor|bufferization|index|nn)\.}}
// LLVM-NOT:     llvm.call
// LLVM:         llvm.return
// LLVM-NOT:     {{^ *(%[^ ]+ = )?"?(func|memref|arith|math|scf|cf|vector|linalg|affine|tensor|bufferization|index|nn)\.}}
