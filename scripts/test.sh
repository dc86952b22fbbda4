#!/usr/bin/env bash
# Builds kiln and runs the whole test suite (lit, GoogleTest, end to end).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
ctest --test-dir build --output-on-failure -j2
