#!/usr/bin/env bash
# Installs what kiln needs on Debian 12 (as root, or with sudo), then
# configures and builds it in build/. Both quick-start commands start here;
# arguments are further Debian packages to install (what only the tests or
# the benchmarks use).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build git
  clang-19 lld-19
  llvm-19-dev llvm-19-tools libmlir-19-dev mlir-19-tools
  libomp-19-dev
  openmpi-bin libopenmpi-dev
  libfmt-dev libgtest-dev googletest
  libonnx-dev libprotobuf-dev
  python3
  "$@"
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi

if [ ! -f build/build.ninja ]; then
  CC=clang-19 CXX=clang++-19 cmake -G Ninja -S . -B build \
    -DCMAKE_BUILD_TYPE=Release -DLLVM_USE_LINKER=lld
fi
cmake --build build -j2

# `kiln` on PATH, as the README uses it: a link to this build (kiln finds
# its runtime library next to the real binary, build/lib).
link=/usr/local/bin/kiln
if [ "$(readlink -f "$link" 2>/dev/null)" != "$PWD/build/bin/kiln" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    ln -sf "$PWD/build/bin/kiln" "$link"
  elif sudo -n true 2>/dev/null; then
    sudo ln -sf "$PWD/build/bin/kiln" "$link"
  else
    echo "note: kiln is build/bin/kiln (no root to link it as $link)"
  fi
fi
