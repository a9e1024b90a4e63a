#!/usr/bin/env bash
# The main job on a fresh Debian machine: install dependencies, build upres, fetch the default
# models when the script for them is present, and upscale the bundled sample image.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target upres upres_cli

method=bicubic
if [[ -x scripts/fetch-models.sh ]]; then
  if bash scripts/fetch-models.sh build/models; then method=esrgan; fi
fi
export UPRES_MODEL_PATH=${UPRES_MODEL_PATH:-$PWD/build/models}
mkdir -p out
build/bin/upres upscale assets/sample.png -o out/sample-x4.png --scale 4 --method "$method"
echo "setup: wrote out/sample-x4.png (method $method) with build/bin/upres"
