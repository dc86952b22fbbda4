#!/usr/bin/env bash
# The main job: build kiln, compile the digits example into an executable,
# train it on examples/data and print its test accuracy.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
mkdir -p out
./build/bin/kiln build examples/digits.kiln -o out/digits
./out/digits train --save out/digits.safetensors
