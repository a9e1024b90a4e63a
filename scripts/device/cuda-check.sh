#!/usr/bin/env bash
# The CUDA check, run on the device machine from the repository root after scripts/device/prepare.sh
# here:  run(command="bash scripts/device/cuda-check.sh", carry=[".device"], timeout_s=595), with UPRES_DEVICE_BUDGET_S set to fit
# In one pass, within UPRES_DEVICE_BUDGET_S seconds (default 500):
#  1. builds upres against the machine's PyTorch 2.x libtorch (CUDA);
#  2. times Real-ESRGAN x4plus on the GPU in fp32 / fp16 / bf16 / auto through the public API, each
#     precision's distance from fp32 on Set5, and PyTorch on the same weights and images;
#  3. trains SRCNN x2 / x3 / x4 with upres-train on CUDA in the background (batch 128, 1e-3 then
#     1e-4 then 1e-5), for whatever time the budget leaves;
#  4. meanwhile runs test_nn (its CUDA cases), the C ABI test, and the training tests on CUDA.
# Logs and the trained models land in $OUT (cuda-check.log, configure.log, build.log.gz,
# srcnn-xS-cuda.tar.gz: model, resume file and log of each scale).
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp/upres-device}
mkdir -p "$out"
exec > >(tee "$out/cuda-check.log") 2>&1
budget=${UPRES_DEVICE_BUDGET_S:-500}
step() { echo "== $(date +%T) +${SECONDS}s $*"; }
py=${UPRES_CHECK_PYTHON:-$(command -v python3)}
dev=${UPRES_CHECK_DEVICE:-cuda}  # UPRES_CHECK_DEVICE=cpu tries this script on a machine without a GPU
prefix=$PWD/.device/prefix
shared=$PWD/../shared
[[ -d $shared/data ]] || shared=$PWD/.device/shared
x4plus=$PWD/.device/x4plus.safetensors
[[ -d $prefix/include/stb ]] || { echo "no .device/prefix: run scripts/device/prepare.sh here and carry .device"; exit 2; }

step "machine"
nproc
nvidia-smi -L || true
nvcc --version | tail -2 || true
c++ --version | head -1
cmake --version | head -1
"$py" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.is_available())'
torch_prefix=$("$py" -c 'import torch; print(torch.utils.cmake_prefix_path)')

step "configure"
configure() {
  cmake -S . -B build-cuda -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$torch_prefix;$prefix" \
    -DSTB_INCLUDE_DIR="$prefix/include/stb" -Ddoctest_DIR="$prefix/lib/cmake/doctest" \
    -DEigen3_DIR="$prefix/share/eigen3/cmake" -DUPRES_PYTHON="$py" -DUPRES_SHARED_DIR="$shared" \
    -DUPRES_BUILD_BINDINGS=OFF -DUPRES_BUILD_BENCHMARKS=OFF "$@" >>"$out/configure.log" 2>&1
}
if ! configure; then
  grep -A8 "CMake Error" "$out/configure.log" | head -40
  # Known trouble with the wheels' CMake files: NVTX and cuDNN lookups. Try once more without them.
  step "configure again with USE_SYSTEM_NVTX and without cuDNN lookup"
  rm -rf build-cuda
  configure -DUSE_SYSTEM_NVTX=ON -DCAFFE2_USE_CUDNN=OFF ||
    { grep -A8 "CMake Error" "$out/configure.log" | tail -40; exit 1; }
fi
grep -E "libtorch|C\+\+20|oneDNN|CUDA" "$out/configure.log" | head -8

step "build"
cmake --build build-cuda -j"$(nproc)" --target upres upres_cli upres-train test_nn test_capi_c99 >"$out/build.log" 2>&1
status=$?
grep -E "error:|Error [0-9]" "$out/build.log" | head -30
gzip -kf "$out/build.log" && rm -f "$out/build.log"
[[ $status -eq 0 ]] || { echo "build failed"; exit 1; }
build-cuda/bin/upres --version
c++ -std=c++17 -O2 -Iinclude scripts/device/model_timing.cpp -Lbuild-cuda -lupres -Wl,-rpath,"$PWD/build-cuda" \
  -o build-cuda/model_timing || echo "model_timing did not build"

if [[ -f $x4plus && -x build-cuda/model_timing ]]; then
  step "x4plus on CUDA: upres (best of 3 after a warm-up) then PyTorch, same weights and images"
  lr=$shared/data/Set5/x4/lr
  timeout 90 build-cuda/model_timing "$x4plus" "$dev" fp32,fp16,bf16,auto 3 "$lr/baby.png" "$shared/data/Set5/x4/hr/baby.png"
  timeout 60 build-cuda/model_timing "$x4plus" "$dev" fp32,fp16,bf16 0 "$lr"/{bird,butterfly,head,woman}.png
  echo "-- the 512x512 input as one tile (the default cuts it into four 256-pixel tiles with context)"
  UPRES_TIMING_OPTIONS=tile=4096 timeout 60 build-cuda/model_timing "$x4plus" "$dev" fp32,fp16 3 "$shared/data/Set5/x4/hr/baby.png"
  UPRES_TIMING_DEVICE=$dev timeout 90 "$py" scripts/device/pytorch_cuda_timing.py "$x4plus" 3 "$lr/baby.png" "$shared/data/Set5/x4/hr/baby.png"
fi

step "SRCNN training on CUDA in the background"
left=$((budget - SECONDS - 40))
train_dir=/tmp/srcnn-cuda
rm -rf "$train_dir"
mkdir -p "$train_dir"
trainers=()
if [[ -d $shared/data/T91 && $left -gt 90 ]]; then
  # Three stages per scale; each process needs ~10 s to start and to validate at the end.
  read -r m1 m2 m3 <<<"$(awk -v s="$left" 'BEGIN { t = (s - 36) / 60; printf "%.2f %.2f %.2f", 0.65 * t, 0.2 * t, 0.15 * t }')"
  echo "stages of $m1, $m2 and $m3 minutes"
  for s in 2 3 4; do
    (
      base=(--data "$shared/data/T91" --out "$train_dir/srcnn-x$s.safetensors" --scale "$s" --batch 128
            --loss-border 8 --last-lr-scale 0.1 --steps 100000000 --epoch-steps 5000 --val "$shared/data/Set5/x$s"
            --device "$dev" --threads 1)
      resume=(--resume "$train_dir/srcnn-x$s.resume.safetensors")
      build-cuda/bin/upres-train "${base[@]}" --lr 1e-3 --max-minutes "$m1" &&
        build-cuda/bin/upres-train "${base[@]}" "${resume[@]}" --lr 1e-4 --max-minutes "$m2" &&
        build-cuda/bin/upres-train "${base[@]}" "${resume[@]}" --lr 1e-5 --max-minutes "$m3"
      # Into $OUT as soon as it is done, whatever the tests are still doing.
      tar -C "$train_dir" -czf "$out/srcnn-x$s-cuda.tar.gz" "srcnn-x$s.safetensors" "srcnn-x$s.resume.safetensors" "x$s.log"
    ) >"$train_dir/x$s.log" 2>&1 &
    trainers+=($!)
  done
else
  echo "no T91 in $shared or too little time left ($left s): training skipped"
fi

step "tests (test_nn holds the CUDA cases; the training tests run on CUDA)"
(cd build-cuda && timeout 200 ctest -R "^(test_nn|capi_c99)$" --output-on-failure) | tail -30
timeout 60 build-cuda/bin/test_nn -tc="*CUDA*" -s 2>&1 | grep -E "MESSAGE|dB|SKIP|test cases|assertions|ERROR" | head -20
(cd build-cuda && UPRES_TRAIN_DEVICE=$dev timeout 150 ctest -R "^train_(determinism|resume|learns|interior)$" --output-on-failure) | tail -20

step "waiting for the training"
# The trainers by name: a bare `wait` would also wait for the tee behind this script's output.
[[ ${#trainers[@]} -eq 0 ]] || wait "${trainers[@]}"
for s in 2 3 4; do
  echo "-- x$s"
  tr '\r' '\n' <"$train_dir/x$s.log" | grep -E "^SRCNN|^step .*val|epoch|upres-train" | tail -6
done
ls -la "$out"
step "done"
