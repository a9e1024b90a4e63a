#!/usr/bin/env bash
# The CUDA check, run on the device machine from the repository root after scripts/device/prepare.sh
# here:  run(command="bash scripts/device/cuda-check.sh", carry=[".device"], timeout_s=540)
# It builds upres against the machine's PyTorch 2.x libtorch (CUDA), runs the tests that exercise
# the model runtime (test_nn holds the CUDA cases, which skip on machines without a device), times
# Real-ESRGAN-sized work on the GPU, and measures SRCNN training speed on CUDA. Logs go to $OUT.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp/upres-device}
mkdir -p "$out"
exec > >(tee "$out/cuda-check.log") 2>&1
step() { echo "== $(date +%T) $*"; }
py=$(command -v python3)
prefix=$PWD/.device/prefix
shared=$PWD/../shared
[[ -d $shared/data ]] || shared=$PWD/.device/shared
[[ -d $prefix/include/stb ]] || { echo "no .device/prefix: run scripts/device/prepare.sh here and carry .device"; exit 2; }
step "machine"; nproc; nvidia-smi -L || true
"$py" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.is_available())'
torch_prefix=$("$py" -c 'import torch; print(torch.utils.cmake_prefix_path)')

step "configure"
cmake -S . -B build-cuda -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$torch_prefix;$prefix" \
  -DSTB_INCLUDE_DIR="$prefix/include/stb" -Ddoctest_DIR="$prefix/lib/cmake/doctest" \
  -DEigen3_DIR="$prefix/share/eigen3/cmake" -DUPRES_PYTHON="$py" -DUPRES_SHARED_DIR="$shared" \
  -DUPRES_BUILD_BINDINGS=OFF -DUPRES_BUILD_BENCHMARKS=OFF >"$out/configure.log" 2>&1 ||
  { tail -40 "$out/configure.log"; exit 1; }
step "build"
cmake --build build-cuda -j"$(nproc)" --target upres_cli upres-train test_nn test_capi_c99 >"$out/build.log" 2>&1 ||
  { grep -m20 -E "error|Error" "$out/build.log"; tail -20 "$out/build.log"; exit 1; }
build-cuda/bin/upres --version

step "tests"
(cd build-cuda && ctest -R "^(test_nn|capi_c99)$" --output-on-failure) | tail -40
build-cuda/bin/test_nn -tc="*CUDA*" -s 2>&1 | grep -E "MESSAGE|dB|SKIP|test cases|assertions" | head -20

step "SRCNN training on CUDA, 2 minutes per batch size"
if [[ -d $shared/data/T91 ]]; then
  for batch in 16 128; do
    build-cuda/bin/upres-train --data "$shared/data/T91" --out "$out/srcnn-x2-b$batch.safetensors" --scale 2 \
      --lr 1e-3 --last-lr-scale 0.1 --loss-border 8 --batch "$batch" --steps 10000000 --epoch-steps 2000 \
      --val "$shared/data/Set5/x2" --device cuda --max-minutes 2 2>&1 | tr '\r' '\n' | grep -E "^step|SRCNN" | tail -3
  done
else
  echo "no T91 in $shared: training skipped"
fi
step "done"
