#!/usr/bin/env bash
# Runs the runtime's unit tests under AddressSanitizer and
# UndefinedBehaviorSanitizer, then fuzzes its readers of untrusted files -
# CSV, .npy, safetensors - with libFuzzer and the same sanitizers: configures
# build-fuzz/ with -DKILN_FUZZ=ON, builds the targets of test/fuzz/ and runs
# each for SECONDS (default 30), starting from the seeds in
# test/fuzz/corpus/. Exits non-zero on the first finding (crash, leak,
# sanitizer report, timeout); the input that caused it is kept in
# build-fuzz/artifacts/<reader>/ and can be replayed with
# build-fuzz/bin/kiln_fuzz_<reader> <file>. Inputs found along the way go to
# build-fuzz/corpus/<reader>/, never into the tree.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
case "$seconds" in
  ''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac

# libFuzzer and the sanitizer runtimes of clang-19.
if ! dpkg-query -W -f='${Status}' libclang-rt-19-dev 2>/dev/null | grep -q "ok installed"; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends libclang-rt-19-dev
fi

if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang-19 CXX=clang++-19 cmake -G Ninja -S . -B build-fuzz \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLLVM_USE_LINKER=lld -DKILN_FUZZ=ON
fi
cmake --build build-fuzz -j2 --target kiln_fuzzers runtime_tests_sanitized

# The runtime's unit tests under the same sanitizers first.
echo "== the runtime's unit tests with AddressSanitizer and UBSan"
build-fuzz/bin/runtime_tests_sanitized --gtest_brief=1

status=0
for reader in csv npy safetensors metrics; do
  corpus=build-fuzz/corpus/$reader artifacts=build-fuzz/artifacts/$reader
  mkdir -p "$corpus" "$artifacts"
  echo "== fuzzing the $reader reader for ${seconds}s"
  # The first corpus directory receives new inputs; the seeds are only read.
  if ! build-fuzz/bin/kiln_fuzz_$reader "$corpus" "test/fuzz/corpus/$reader" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$artifacts/" -print_final_stats=1; then
    echo "fuzz.sh: the $reader reader failed; the input is in $artifacts/" >&2
    status=1
  fi
done
exit $status
