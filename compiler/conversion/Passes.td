//===- Passes.td - kiln's lowering passes -------------------*- tablegen -*-===//

#ifndef KILN_CONVERSION_PASSES
#define KILN_CONVERSION_PASSES

include "mlir/Pass/PassBase.td"

def AssignStateLayout : Pass<"kiln-assign-state-layout", "::mlir::ModuleOp"> {
  let summary = "Places every nn.state in the state buffer";
  let description = [{
    Gives each `nn.state` its `offset` (in floats) in the one state buffer,
    aligned to 64 bytes so that vector loads of a tensor's start are
    aligned, and records the total as the module attribute
    `kiln.state_size`.
  }];
}

def ConvertNNToLinalg : Pass<"kiln-convert-nn-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lowers nn ops to linalg, tensor, arith and math on tensors";
  let description = [{
    Every nn op but nn.load and nn.store becomes linalg ops on tensors:
    named matmuls for dense and matmul, linalg.generic for elementwise ops,
    reductions, normalizations and losses.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::bufferization::BufferizationDialect"
  ];
}

def BufferABI : Pass<"kiln-buffer-abi", "::mlir::ModuleOp"> {
  let summary = "Gives the compiled functions their C ABI over buffers";
  let description = [{
    Rewrites each function to take the state buffer first, then its inputs
    as memrefs, and to write its results into out-parameter memrefs. Loads
    and stores of state become views of the state buffer. Functions are
    renamed `<model>_<function>`. Afterwards only function-internal tensors
    remain for bufferization.
  }];
  let dependentDialects = [
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

def PlanMemory : Pass<"kiln-plan-memory", "::mlir::ModuleOp"> {
  let summary = "Places every temporary buffer in one workspace";
  let description = [{
    Replaces each static `memref.alloc` of a function by a view into a
    workspace buffer, a new second argument, at an offset computed at
    compile time: buffers whose live ranges do not overlap share memory.
    Records the workspace size as `kiln.workspace_size` on the function.
    After this pass the functions allocate nothing.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def ForwardCopies : Pass<"kiln-forward-copies", "::mlir::func::FuncOp"> {
  let summary = "Writes elementwise results straight into the buffer they are copied to";
  let description = [{
    For `memref.copy %tmp, %dst` with `%tmp` used nowhere after it: when
    nothing touches `%dst` from the first use of `%tmp` to the copy, every
    op uses `%dst` instead. Else, when the last op writing `%tmp` is an
    elementwise linalg.generic that does not read it, and nothing between
    them touches `%dst`, the generic writes `%dst`; it may read `%dst` only
    element by element where it writes it (an in-place update of a state
    slot). Either way the copy goes.
  }];
}

def VectorizeMatmul : Pass<"kiln-vectorize-matmul", "::mlir::func::FuncOp"> {
  let summary = "Tiles and vectorizes matmuls into a register-blocked kernel";
  let description = [{
    Tiles each linalg matmul on buffers tile-m x tile-n x 1 (the driver
    picks the tile that fills the target's vector registers), peels the
    dimensions that do not divide, and vectorizes the tiles into
    outer-product FMAs whose accumulator stays in registers across the
    reduction loop.
  }];
  let options = [
    Option<"tileM", "tile-m", "int64_t", "8", "rows of the register tile">,
    Option<"tileN", "tile-n", "int64_t", "32", "columns of the register tile">,
    Option<"lanes", "lanes", "int64_t", "16",
           "floats per vector register: the width the kernels' vector ops "
           "are split to">
  ];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect", "::mlir::affine::AffineDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

def VectorizeElementwise : Pass<"kiln-vectorize-elementwise", "::mlir::func::FuncOp"> {
  let summary = "Vectorizes elementwise and reduction kernels along their last dimension";
  let description = [{
    Tiles each linalg.generic and linalg.fill on buffers by 1 x ... x lanes,
    peels the last dimension where it does not divide, and vectorizes the
    tiles. LLVM's loop vectorizer would have to prove that the kernel's
    many buffers do not overlap and gives up; here the question never
    arises.
  }];
  let options = [
    Option<"lanes", "lanes", "int64_t", "8", "floats per vector">
  ];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect", "::mlir::affine::AffineDialect"
  ];
}

def StripModelMetadata : Pass<"kiln-strip-model-metadata", "::mlir::ModuleOp"> {
  let summary = "Removes the nn state declarations and model attributes";
  let description = [{
    Once the functions work on buffers, the `nn.state` declarations and the
    `nn.model` configuration have been read into the model descriptor and
    must not reach the LLVM translation.
  }];
}

def ApproximateMath : Pass<"kiln-approximate-math", "::mlir::func::FuncOp"> {
  let summary = "Replaces transcendental math ops by vectorizable polynomials";
  let description = [{
    exp, log, log1p, tanh, erf and friends become arith polynomials, which
    LLVM vectorizes, instead of calls into libm, which it cannot.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::vector::VectorDialect"];
}

def ParallelizeLoops : Pass<"kiln-parallelize-loops", "::mlir::func::FuncOp"> {
  let summary = "Splits the large outermost loop nests over the OpenMP threads";
  let description = [{
    Each outermost loop nest becomes an scf.parallel over its outermost
    loop when that loop's iterations are independent (an scf.parallel, or
    an scf.for marked `kiln.parallel` by a kernel generator) and the nest's
    serial work is at least `min-work` vector operations; every other loop
    becomes, or stays, a serial scf.for. convert-scf-to-openmp then turns
    the scf.parallel loops into OpenMP work-sharing loops.
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t", "16384",
           "serial work, in vector operations, below which a nest stays serial">
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

def OutlineKernels : Pass<"kiln-outline-kernels", "::mlir::ModuleOp"> {
  let summary = "Cuts large functions into calls of bounded pieces";
  let description = [{
    A function whose body holds more than `max-ops` operations is cut into
    consecutive pieces of about that many top-level ops, each moved into a
    private, never-inlined function `<name>_part<i>` that takes the values
    it reads (constants are cloned) and returns those read after it. Keeps
    the size of LLVM's basic blocks, whose schedulers are quadratic in it,
    independent of the model's depth.
  }];
  let options = [
    Option<"maxOps", "max-ops", "int64_t", "1024",
           "operations in a function (and in each piece) before it is cut">
  ];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

#endif // KILN_CONVERSION_PASSES
