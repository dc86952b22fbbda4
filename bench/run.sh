#!/usr/bin/env bash
# Runs kiln's benchmarks beside their baselines on this machine, one thread
# each: the dense layer against OpenBLAS's sgemm, and training steps against
# PyTorch, and each fusion pass on and off. Installs the baselines (libopenblas-dev, python3-torch) itself;
# the build never needs them. Usage: bench/run.sh [dense|train|fusion]...
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh >/dev/null

need=()
for p in libopenblas-dev python3-torch; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${need[@]}" >/dev/null
fi

out=build/bench
mkdir -p "$out"
kiln=build/bin/kiln
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc --all) cores;" \
     "vector ISA: $(grep -o -w 'avx512f\|avx2' /proc/cpuinfo | sort -u | xargs)"

run_dense() {
  $kiln build --emit=lib bench/dense/dense.kiln -o "$out/dense"
  cc -O2 -march=native -o "$out/bench_dense" bench/dense/bench_dense.c -I"$out/dense" \
    "$out/dense/dense.o" "$out/dense/libkiln_rt.a" -lopenblas -lm -lpthread
  "$out/bench_dense"
}

run_train() {
  for model in mlp_small mlp_large; do
    $kiln build --emit=lib "bench/train/$model.kiln" -o "$out/$model"
    cc -O2 -o "$out/bench_$model" bench/train/bench_train.c -DMODEL="${model}_model" \
      -I"$out/$model" "$out/$model/$model.o" "$out/$model/libkiln_rt.a" -lm -lpthread
    "$out/bench_$model" 2000
    /usr/bin/python3 bench/train/torch_train.py "$model" --threads 1 --steps 2000
  done
}

# Each fusion switched off on its own, and all of them, against all on:
# training step time, prediction latency, and kernel memory traffic.
run_fusion() {
  configs=("all on:" "no activation fusion:--no-fuse-activation"
           "no norm fusion:--no-fuse-norm" "no optimizer fusion:--no-fuse-optimizer"
           "no folding:--no-fold"
           "all off:--no-fuse-activation --no-fuse-norm --no-fuse-optimizer --no-fold")
  for model in mlp_small mlp_large mlp_bn; do
    echo "== $model"
    declare -A step pred traffic_step traffic_pred
    for i in "${!configs[@]}"; do
      flags=${configs[$i]#*:}
      dir="$out/fusion/$model/$i"
      rm -rf "$dir"
      # shellcheck disable=SC2086
      $kiln build --emit=lib $flags "bench/train/$model.kiln" -o "$dir" >/dev/null
      cc -O2 -o "$dir/train" bench/train/bench_train.c -DMODEL="${model}_model" \
        -I"$dir" "$dir/$model.o" "$dir/libkiln_rt.a" -lm -lpthread
      cc -O2 -o "$dir/predict" bench/fusion/bench_predict.c -DMODEL="${model}_model" \
        -I"$dir" "$dir/$model.o" "$dir/libkiln_rt.a" -lm -lpthread
      # shellcheck disable=SC2086
      $kiln emit --stage=linalg $flags "bench/train/$model.kiln" > "$dir/linalg.mlir"
      traffic_step[$i]=$(/usr/bin/python3 bench/fusion/traffic.py train_step < "$dir/linalg.mlir")
      traffic_pred[$i]=$(/usr/bin/python3 bench/fusion/traffic.py predict < "$dir/linalg.mlir")
      step[$i]=inf; pred[$i]=inf
    done
    # Interleaved passes, the best of each: a load that comes and goes
    # then hits every configuration alike.
    for pass in 1 2 3; do
      for i in "${!configs[@]}"; do
        dir="$out/fusion/$model/$i"
        s=$("$dir/train" 300 | sed -E 's/.*\(([0-9.]+) us\/step.*/\1/')
        p=$("$dir/predict" 1000 | sed -E 's/.*: ([0-9.]+) us.*/\1/')
        step[$i]=$(awk -v a="${step[$i]}" -v b="$s" 'BEGIN { print (a == "inf" || b < a) ? b : a }')
        pred[$i]=$(awk -v a="${pred[$i]}" -v b="$p" 'BEGIN { print (a == "inf" || b < a) ? b : a }')
      done
    done
    printf "%-22s %10s %8s %12s %8s %13s %15s\n" config "us/step" "ratio" "predict us" "ratio" \
      "step MB r+w" "predict MB r+w"
    for i in "${!configs[@]}"; do
      mb() { echo "$1" | awk '{printf "%.2f", ($1 + $2) / 1e6}'; }
      printf "%-22s %10s %8s %12s %8s %13s %15s\n" "${configs[$i]%%:*}" "${step[$i]}" \
        "$(awk -v a="${step[$i]}" -v b="${step[0]}" 'BEGIN { printf "%.2f", a / b }')" \
        "${pred[$i]}" "$(awk -v a="${pred[$i]}" -v b="${pred[0]}" 'BEGIN { printf "%.2f", a / b }')" \
        "$(mb "${traffic_step[$i]}")" "$(mb "${traffic_pred[$i]}")"
    done
    unset step pred traffic_step traffic_pred
  done
}

for what in "${@:-dense train fusion}"; do
  for w in $what; do "run_$w"; done
done
