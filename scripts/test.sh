#!/usr/bin/env bash
# Builds kiln and runs the whole test suite (lit, GoogleTest, end to end).
set -euo pipefail
cd "$(dirname "$0")/.."
# numpy: the runtime tests cross-check .npy and safetensors files with it.
./scripts/setup.sh python3-numpy
ctest --test-dir build --output-on-failure -j2
