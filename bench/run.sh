#!/usr/bin/env bash
# Runs kiln's benchmarks beside their baselines on this machine, one thread
# each: the dense layer against OpenBLAS's sgemm, and training steps against
# PyTorch, and each fusion pass on and off. Installs the baselines
# (libopenblas-dev, python3-torch) through scripts/setup.sh;
# the build never needs them. Usage: bench/run.sh [dense|train|fusion]...
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh libopenblas-dev python3-torch >/dev/null

out=build/bench
mkdir -p "$out"
kiln=build/bin/kiln
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc --all) cores;" \
     "vector ISA: $(grep -o -w 'avx512f\|avx2' /proc/cpuinfo | sort -u | xargs)"

run_dense() {
  $kiln build --emit=lib bench/dense/dense.kiln -o "$out/dense"
  cc -O2 -march=native -o "$out/bench_dense" bench/dense/bench_dense.c -I"$out/dense" \
    "$out/dense/dense.o" "$out/dense/libkiln_rt.a" -lopenblas -lm -lpthread -l:libomp.so.5
  "$out/bench_dense"
}

run_train() {
  for model in mlp_small mlp_large; do
    $kiln build --emit=lib "bench/train/$model.kiln" -o "$out/$model"
    cc -O2 -o "$out/bench_$model" bench/train/bench_train.c -DMODEL="${model}_model" \
      -I"$out/$model" "$out/$model/$model.o" "$out/$model/libkiln_rt.a" -lm -lpthread -l:libomp.so.5
    "$out/bench_$model" 2000
    /usr/bin/python3 bench/train/torch_train.py "$model" --threads 1 --steps 2000
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
        -I"$dir" "$dir/$model.o" "$dir/libkiln_rt.a" -lm -lpthread -l:libomp.so.5
      cc -O2 -o "$dir/predict" bench/fusion/bench_predict.c -DMODEL="${model}_model" \
        -I"$dir" "$dir/$model.o" "$dir/libkiln_rt.a" -lm -lpthread -l:libomp.so.5
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

for what in "${@:-dense train fusion}"; do
  for w in $what; do "run_$w"; done
done
