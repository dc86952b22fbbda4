#!/usr/bin/env bash
# Builds kiln and runs the whole test suite: the fuzzers, then lit,
# GoogleTest and the end-to-end tests (ctest's summary closes the output).
set -euo pipefail
cd "$(dirname "$0")/.."
# numpy: the runtime tests cross-check .npy and safetensors files with it;
# torch: test/pytorch/cross_check.py trains each of its specs with it too;
# onnx: test/onnx writes and checks ONNX graphs with it.
./scripts/setup.sh python3-numpy python3-torch python3-onnx
# The runtime's readers of untrusted files under libFuzzer with ASan and
# UBSan, a fixed time each; any finding fails the run.
./scripts/fuzz.sh "${KILN_FUZZ_SECONDS:-30}"
ctest --test-dir build --output-on-failure -j2
