#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz and runs each for SECONDS (default 30)
# from a seed corpus made by Python/PyTorch; fails on any crash, leak or sanitizer report.
#   usage: tests/fuzz/run_fuzzers.sh [SECONDS]
# Crash inputs land in build-fuzz/fuzz-artifacts/<target>/; reproduce with
#   build-fuzz/bin/<target> build-fuzz/fuzz-artifacts/<target>/crash-...
set -euo pipefail
seconds=${1:-30}
cd "$(dirname "$0")/../.."
build=build-fuzz
jobs=$(nproc)

cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DUPRES_BUILD_FUZZERS=ON -DUPRES_WITH_TORCH=OFF -DUPRES_BUILD_TESTS=OFF -DUPRES_BUILD_CLI=OFF \
  -DUPRES_SANITIZE=OFF >/dev/null
targets=()
for src in tests/fuzz/fuzz_*.cpp; do targets+=("$(basename "$src" .cpp)"); done
cmake --build "$build" -j"$jobs" --target "${targets[@]}"

seeds=$build/fuzz-seeds
rm -rf "$seeds"
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  /usr/bin/python3 tests/fuzz/make_seeds.py "$seeds"
else
  echo "run_fuzzers: /usr/bin/python3 has no torch; fuzzing from empty corpora"
fi

failed=0
for t in "${targets[@]}"; do
  corpus=$build/fuzz-corpus/$t artifacts=$build/fuzz-artifacts/$t
  mkdir -p "$corpus" "$artifacts" "$seeds/$t"
  echo "== $t: ${seconds}s"
  if ! "$build/bin/$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
      -artifact_prefix="$artifacts/" "$corpus" "$seeds/$t" >"$build/$t.log" 2>&1; then
    echo "FAIL: $t found a problem; see $build/$t.log and $artifacts/"
    tail -n 40 "$build/$t.log"
    failed=1
  else
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$build/$t.log" | tr '\n' ' '
    echo
  fi
done
exit $failed
