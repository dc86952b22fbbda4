#!/usr/bin/env bash
# Runs kiln's benchmarks beside their baselines on this machine, one thread
# each: the dense layer against OpenBLAS's sgemm, and training steps against
# PyTorch. Installs the baselines (libopenblas-dev, python3-torch) itself;
# the build never needs them. Usage: bench/run.sh [dense|train]...
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
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores;" \
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

for what in "${@:-dense train}"; do
  for w in $what; do "run_$w"; done
done
