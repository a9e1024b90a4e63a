#!/usr/bin/env bash
# The main job on a fresh Debian machine: install dependencies, build upres, fetch the default
# models when the script for them is present, and upscale the bundled sample image.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target upres upres_cli

method=bicubic
# Into the checkout's models/ folder, which every build of this checkout searches.
if bash scripts/fetch-models.sh; then method=esrgan; fi
mkdir -p out
build/bin/upres upscale assets/sample.png -o out/sample-x4.png --scale 4 --method "$method"
echo "setup: wrote out/sample-x4.png (method $method) with build/bin/upres"
