#!/usr/bin/env bash
# Runs kiln's benchmarks beside their baselines on this machine: the dense
# layer against OpenBLAS's sgemm, training steps against PyTorch, each
# fusion pass on and off (one thread each), and every core: training and
# the matmul alone at 1 and 2 threads against PyTorch's and OpenBLAS's best
# thread settings. Installs the baselines (libopenblas-dev, python3-torch)
# through scripts/setup.sh; the build never needs them.
# Prediction latency against PyTorch's inference modes at 1 to 256 rows.
# And compile time against depth, and data-parallel training on 1 and 2
# ranks (Open MPI).
# And loading data (CSV, .npy) against NumPy.
# Usage: bench/run.sh [dense|train|fusion|threads|predict|compile|distributed|data]...
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh libopenblas-dev python3-torch >/dev/null

out=build/bench
mkdir -p "$out"
kiln=build/bin/kiln
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
# What a program links to run kiln's code (CMakeLists.txt: KILN_OPENMP_LINK_FLAG).
link=(-lm -lpthread -l:libomp.so.5)
# The machine's OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE overrides (set where
# older OpenBLAS builds misbehave) slow OpenBLAS: the baselines run without
# them, at their best (bench_dense and bench_matmul check their results).
baseline=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc --all) cores;" \
     "vector ISA: $(grep -o -w 'avx512f\|avx2' /proc/cpuinfo | sort -u | xargs)"

run_dense() {
  $kiln build --emit=lib bench/dense/dense.kiln -o "$out/dense"
  cc -O2 -march=native -o "$out/bench_dense" bench/dense/bench_dense.c -I"$out/dense" \
    "$out/dense/dense.o" "$out/dense/libkiln_rt.a" -lopenblas "${link[@]}"
  "${baseline[@]}" "$out/bench_dense"
}

run_train() {
  for model in mlp_small mlp_large; do
    $kiln build --emit=lib "bench/train/$model.kiln" -o "$out/$model"
    cc -O2 -o "$out/bench_$model" bench/train/bench_train.c -DMODEL="${model}_model" \
      -I"$out/$model" "$out/$model/$model.o" "$out/$model/libkiln_rt.a" "${link[@]}"
    "$out/bench_$model" 2000
    "${baseline[@]}" /usr/bin/python3 bench/train/torch_train.py "$model" --threads 1 --steps 2000
  done
}

# Each fusion switched off on its own, and all of them, against all on:
# training step time, prediction latency, and kernel memory traffic.
# Pinned to one core; the summary takes paired ratios (bench/fusion/summarize.py).
run_fusion() {
  configs=("all on:" "no activation fusion:--no-fuse-activation"
           "no norm fusion:--no-fuse-norm" "no optimizer fusion:--no-fuse-optimizer"
           "no folding:--no-fold"
           "all off:--no-fuse-activation --no-fuse-norm --no-fuse-optimizer --no-fold")
  # model:train steps:predict reps per timed round (about a second each)
  local models=("mlp_small:600:2000" "mlp_large:60:200" "mlp_bn:150:500") raw="$out/fusion/raw.tsv"
  mkdir -p "$out/fusion"; : > "$raw"
  for entry in "${models[@]}"; do
    IFS=: read -r model steps reps <<< "$entry"
    for i in "${!configs[@]}"; do
      flags=${configs[$i]#*:}
      dir="$out/fusion/$model/$i"
      rm -rf "$dir"
      # shellcheck disable=SC2086
      $kiln build --emit=lib $flags "bench/train/$model.kiln" -o "$dir" >/dev/null
      cc -O2 -o "$dir/train" bench/train/bench_train.c -DMODEL="${model}_model" \
        -I"$dir" "$dir/$model.o" "$dir/libkiln_rt.a" "${link[@]}"
      cc -O2 -o "$dir/predict" bench/fusion/bench_predict.c -DMODEL="${model}_model" \
        -I"$dir" "$dir/$model.o" "$dir/libkiln_rt.a" "${link[@]}"
      # shellcheck disable=SC2086
      $kiln emit --stage=linalg $flags "bench/train/$model.kiln" > "$dir/linalg.mlir"
      same=0; cmp -s "$dir/$model.o" "$out/fusion/$model/0/$model.o" && same=1
      printf "config\t%s\t%s\t%s\t%s\t%s\t%s\n" "$model" "$i" "${configs[$i]%%:*}" \
        "$(/usr/bin/python3 bench/fusion/traffic.py train_step < "$dir/linalg.mlir" | tr ' ' '\t')" \
        "$(/usr/bin/python3 bench/fusion/traffic.py predict < "$dir/linalg.mlir" | tr ' ' '\t')" \
        "$same" >> "$raw"
    done
    # Each pass starts one configuration later: no configuration always
    # runs first (or right after a particular other one).
    local n=${#configs[@]}
    for pass in 1 2 3 4 5; do
      for k in "${!configs[@]}"; do
        i=$(( (k + pass) % n ))
        dir="$out/fusion/$model/$i"
        s=$(taskset -c 0 "$dir/train" "$steps" | sed -E 's/.*\(([0-9.]+) us\/step.*/\1/')
        p=$(taskset -c 0 "$dir/predict" "$reps" | sed -E 's/.*: ([0-9.]+) us.*/\1/')
        printf "time\t%s\t%s\t%s\t%s\t%s\n" "$model" "$i" "$pass" "$s" "$p" >> "$raw"
      done
    done
  done
  /usr/bin/python3 bench/fusion/summarize.py < "$raw"
}

# Training samples/s of the threads benchmark's models, kiln at 1 and 2
# threads against PyTorch at each thread setting a user might pick; each
# configuration is its own process (two spinning thread pools in one
# process would steal each other's cores), the configurations interleaved
# over 3 passes, best of each. Then the wide model's matmuls alone.
run_threads() {
  local models=("mlp_tiny:20000" "mlp_small:2000" "mlp_bn_gelu:200" "mlp_wide:8" "mlp_odd:300")
  local raw="$out/threads/raw.tsv" cores
  # nproc answers OMP_NUM_THREADS when it is set, as it is above.
  cores=$(env -u OMP_NUM_THREADS nproc)
  mkdir -p "$out/threads"; : > "$raw"
  clang-19 -O2 -march=native -fopenmp bench/threads/peak.c -o "$out/threads/peak"
  clang-19 -O2 -fopenmp bench/threads/forkjoin.c -o "$out/threads/forkjoin"
  OMP_NUM_THREADS=$cores "$out/threads/peak"
  for policy in ACTIVE PASSIVE; do
    for t in 1 "$cores"; do
      echo "OMP_WAIT_POLICY=$policy: $(OMP_WAIT_POLICY=$policy OMP_NUM_THREADS=$t "$out/threads/forkjoin")"
    done
  done
  for entry in "${models[@]}"; do
    IFS=: read -r model steps <<< "$entry"
    local spec="bench/threads/$model.kiln" dir="$out/threads/$model"
    [ -f "$spec" ] || spec="bench/train/$model.kiln"
    $kiln build --emit=lib "$spec" -o "$dir" >/dev/null
    cc -O2 -o "$dir/train" bench/train/bench_train.c -DMODEL="${model}_model" \
      -I"$dir" "$dir/$model.o" "$dir/libkiln_rt.a" "${link[@]}"
  done
  local torch=("${baseline[@]}" /usr/bin/python3 bench/threads/torch_models.py)
  for pass in 1 2 3; do
    for entry in "${models[@]}"; do
      IFS=: read -r model steps <<< "$entry"
      local dir="$out/threads/$model" r
      for t in 1 "$cores"; do
        r=$("$dir/train" "$steps" "$t" | sed -E 's/.*: ([0-9]+) samples.*/\1/')
        printf "%s\tkiln, %s thread(s)\t%s\n" "$model" "$t" "$r" >> "$raw"
      done
      r=$("${torch[@]}" "$model" --threads 1 | cut -d' ' -f1)
      printf "%s\ttorch, 1 thread\t%s\n" "$model" "$r" >> "$raw"
      r=$(OPENBLAS_NUM_THREADS=$cores OMP_NUM_THREADS=$cores "${torch[@]}" "$model" --threads "$cores" | cut -d' ' -f1)
      printf "%s\ttorch, %s threads\t%s\n" "$model" "$cores" "$r" >> "$raw"
      r=$(OPENBLAS_NUM_THREADS=$cores OMP_NUM_THREADS=$cores OMP_WAIT_POLICY=PASSIVE "${torch[@]}" "$model" --threads "$cores" | cut -d' ' -f1)
      printf "%s\ttorch, %s threads, PASSIVE\t%s\n" "$model" "$cores" "$r" >> "$raw"
      r=$(OPENBLAS_NUM_THREADS=$cores "${torch[@]}" "$model" --threads 1 | cut -d' ' -f1)
      printf "%s\ttorch, 1 thread + %s OpenBLAS threads\t%s\n" "$model" "$cores" "$r" >> "$raw"
    done
  done
  /usr/bin/python3 bench/threads/summarize.py < "$raw"
  run_matmul
}

# The wide model's three matmul shapes (forward x Wᵀ, the input gradient
# dY W, the weight gradient dYᵀ X) as kiln compiles them, through the
# lowering pipelines of kiln-opt, against cblas_sgemm, each library in its
# own process at 1 and 2 threads.
run_matmul() {
  local dir="$out/matmul" opt=build/bin/kiln-opt
  mkdir -p "$dir"
  # Lowered for this machine's vectors, as kiln build lowers for its target.
  local bits=256
  grep -q -w avx512f /proc/cpuinfo && bits=512
  local lower=(-kiln-lower-to-linalg "-kiln-bufferize=vector-bits=$bits"
               "-kiln-lower-to-llvm=vector-bits=$bits")
  for shape in "fwd 256 2048 1024 nt" "dx 256 1024 2048 nn" "dw 2048 1024 256 tn"; do
    read -r name m n k kind <<< "$shape"
    bench/threads/matmul.sh "$name" "$m" "$n" "$k" "$kind" > "$dir/$name.mlir"
    $opt "$dir/$name.mlir" "${lower[@]}" |
      mlir-translate-19 --mlir-to-llvmir -o "$dir/$name.ll"
    clang-19 -O3 -march=native -Wno-override-module -c "$dir/$name.ll" -o "$dir/$name.o"
  done
  cc -O2 -o "$dir/bench_matmul" bench/threads/bench_matmul.c "$dir"/{fwd,dx,dw}.o \
    -lopenblas "${link[@]}"
  # Shapes that are no multiple of any tile against their rounded-up
  # neighbours: kiln's efficiency (GFLOP/s of each shape's own flops).
  echo "| shape (M x N x K) | GFLOP/s | rounded-up shape | GFLOP/s | odd / rounded |"
  echo "|---|---|---|---|---|"
  for pair in "100 1000 300 nt:104 1024 304 nt" "256 7 1024 nt:256 8 1024 nt" \
              "1000 300 100 tn:1024 304 104 tn" "100 300 1000 nn:104 304 1024 nn"; do
    local row="" first=""
    for shape in "${pair%%:*}" "${pair##*:}"; do
      read -r m n k kind <<< "$shape"
      local name="s${m}_${n}_${k}_$kind" a w
      bench/threads/matmul.sh "$name" "$m" "$n" "$k" "$kind" > "$dir/$name.mlir"
      $opt "$dir/$name.mlir" "${lower[@]}" |
        mlir-translate-19 --mlir-to-llvmir -o "$dir/$name.ll"
      clang-19 -O3 -march=native -Wno-override-module -c "$dir/$name.ll" -o "$dir/$name.o"
      a=$((m * k)); w=$((n * k))
      local code
      case $kind in nt) code=f ;; nn) code=x ;; tn) code=w ;; esac
      cc -O2 -o "$dir/$name" bench/threads/bench_shape.c "$dir/$name.o" -DKERNEL="${name}_predict" \
        -DM="$m" -DN="$n" -DK="$k" -DA_SIZE="$a" -DW_SIZE="$w" -DKIND="'$code'" "${link[@]}"
      local g
      g=$("$dir/$name" | sed -E 's/.*: ([0-9.]+) GFLOP.*/\1/')
      row="$row | $m x $n x $k ($kind) | $g"
      if [ -z "$first" ]; then first=$g; else
        row="$row | $(/usr/bin/python3 -c "print(f'{$first / $g:.2f}')")"; fi
    done
    echo "${row# } |"
  done
  for t in 1 2; do
    for lib in kiln openblas; do
      OPENBLAS_NUM_THREADS=$t "${baseline[@]}" "$dir/bench_matmul" "$lib" "$t"
    done
  done
}

# kiln build's time and peak memory for a chain of dense(4) -> tanh layers
# of growing depth (the model a fuzzing campaign found superlinear), and
# for the examples.
# Prediction latency per call (median and p99) at 1, 2, 8, 64 and 256 rows
# of the two models of bench/predict: kiln's kiln_ctx_predict
# (bench_predict.c) against PyTorch eager, trace + freeze and
# optimize_for_inference (torch_predict.py), at 1 and 2 threads, each
# configuration its own process, interleaved over 3 passes (the lowest
# median counts); and the physical bound on one core (bound.c: the weights'
# bytes at the read bandwidth measured at their size; peak.c: the FMA peak).
# PyTorch runs with glibc's malloc thresholds fixed: by default its heap is
# trimmed and regrown between calls, and page faults make about half the
# calls on 256 rows of the BN model 2.8x slower (6.3 ms against 2.25). kiln
# runs as an application would, with the defaults.
run_predict() {
  local dir="$out/predict" raw="$out/predict/raw.tsv" entry model spec prog t
  local models=("predict_mnist:bench/predict/predict_mnist.kiln"
                "mlp_bn_gelu:bench/threads/mlp_bn_gelu.kiln")
  local torch=("${baseline[@]}" MALLOC_MMAP_THRESHOLD_=33554432
               MALLOC_TRIM_THRESHOLD_=268435456 /usr/bin/python3 bench/predict/torch_predict.py)
  mkdir -p "$dir"; : > "$raw"
  clang-19 -O2 -march=native -fopenmp bench/threads/peak.c -o "$dir/peak"
  OMP_NUM_THREADS=2 "$dir/peak" | tee -a "$raw"
  for entry in "${models[@]}"; do
    model=${entry%%:*} spec=${entry#*:}
    $kiln build --emit=lib "$spec" -o "$dir/$model" >/dev/null
    for prog in bench_predict bound; do
      cc -O3 -march=native -o "$dir/$model/$prog" "bench/predict/$prog.c" \
        -DMODEL="${model}_model" -I"$dir/$model" "$dir/$model/$model.o" \
        "$dir/$model/libkiln_rt.a" "${link[@]}"
    done
    "$dir/$model/bound" | tee -a "$raw"
  done
  for _ in 1 2 3; do
    for entry in "${models[@]}"; do
      model=${entry%%:*}
      for t in 1 2; do
        "$dir/$model/bench_predict" --threads "$t" >> "$raw"
        OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t "${torch[@]}" "$model" --threads "$t" >> "$raw"
      done
    done
  done
  /usr/bin/python3 bench/predict/summarize.py < "$raw"
}

run_compile() {
  local dir="$out/compile"
  mkdir -p "$dir"
  echo "| model | layers | kiln build, s | peak RSS, MB |"
  echo "|---|---|---|---|"
  for n in 25 50 100 200 1000; do
    /usr/bin/python3 - "$n" > "$dir/chain$n.kiln" <<'PY'
import sys
n = int(sys.argv[1])
print(f"model chain{n}\ninput x: [4]\ntarget y: real(4)")
print("y_hat = x -> " + " -> ".join(["dense(4) -> tanh"] * n))
print("loss mse(y_hat, y)\ntrain { optimizer = sgd(lr = 0.01); batch_size = 8 }")
PY
    /usr/bin/time -f "%e %M" -o "$dir/time" $kiln build "$dir/chain$n.kiln" -o "$dir/chain$n"
    read -r secs kb < "$dir/time"
    echo "| dense(4) -> tanh chain | $n | $secs | $((kb / 1024)) |"
  done
  for spec in examples/*.kiln; do
    /usr/bin/time -f "%e %M" -o "$dir/time" $kiln build "$spec" -o "$dir/example"
    read -r secs kb < "$dir/time"
    echo "| $(basename "$spec") | | $secs | $((kb / 1024)) |"
  done
}

# Loading 60,000 x 784 rows from CSV and .npy against NumPy (bench/data/).
run_data() {
  bench/data/bench_load.sh $kiln "$out/data"
}

# 1 process on 1 core against 2 ranks on 2 cores (bench/distributed/bench.py).
run_distributed() {
  /usr/bin/python3 bench/distributed/bench.py --kiln $kiln --out "$out/distributed"
}

for what in "${@:-dense train fusion threads predict compile distributed data}"; do
  for w in $what; do "run_$w"; done
done
