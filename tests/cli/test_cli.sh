#!/usr/bin/env bash
# The `upres` program on good and bad inputs: exit codes (0 ok, 1 failed job, 2 usage), one clear
# stderr line naming the file, and no output or partial file left behind by a failure.
#   usage: test_cli.sh PATH/TO/upres SOURCE_DIR
set -u
upres=$1
src=$2
python=${UPRES_PYTHON:-/usr/bin/python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

# expect CODE DESCRIPTION -- command...   (captures stderr into $work/err)
expect() {
  local code=$1 what=$2
  shift 3
  "$@" >"$work/out" 2>"$work/err"
  local rc=$?
  if [[ $rc == "$code" ]]; then ok; else bad "$what: exit $rc, expected $code; stderr: $(cat "$work/err")"; fi
}
one_line_naming() {  # one_line_naming DESCRIPTION TEXT
  local lines
  lines=$(wc -l <"$work/err")
  if [[ $lines == 1 ]]; then ok; else bad "$1: stderr has $lines lines: $(cat "$work/err")"; fi
  if grep -q -- "$2" "$work/err"; then ok; else bad "$1: stderr does not name '$2': $(cat "$work/err")"; fi
  if grep -q '^upres: ' "$work/err"; then ok; else bad "$1: stderr does not start with 'upres: '"; fi
}
nothing_left() {  # nothing_left DESCRIPTION DIR
  if [[ -z $(ls -A "$2") ]]; then ok; else bad "$1: left files behind: $(ls -A "$2")"; fi
}

sample=$src/assets/sample.png
mkdir -p "$work/good" "$work/bad" "$work/out1"

# --- good inputs -------------------------------------------------------------------------------
expect 0 "version" -- "$upres" --version
expect 0 "help" -- "$upres" --help
expect 0 "methods" -- "$upres" methods
grep -q '^bicubic' "$work/out" && ok || bad "methods does not list bicubic"
grep -q 'detected from their weights: rrdbnet (RRDBNet' "$work/out" && ok || bad "methods does not list the architecture families"
expect 0 "x2 bicubic" -- "$upres" upscale "$sample" -o "$work/good/s2.png" --scale 2 --method bicubic
expect 0 "info on the result" -- "$upres" info "$work/good/s2.png"
grep -q '400x400' "$work/out" && ok || bad "x2 of 200x200 is not 400x400: $(cat "$work/out")"
expect 0 "exact size" -- "$upres" upscale "$sample" -o "$work/good/wh.png" --width 333 --height 123
"$upres" info "$work/good/wh.png" | grep -q '333x123' && ok || bad "--width/--height not honoured"
expect 0 "width only keeps aspect" -- "$upres" upscale "$sample" -o "$work/good/w.png" --width 300
"$upres" info "$work/good/w.png" | grep -q '300x300' && ok || bad "--width alone did not keep the aspect ratio"
for ext in png jpg bmp tga hdr; do
  expect 0 "write .$ext" -- "$upres" upscale "$sample" -o "$work/good/s.$ext" --scale 1.5
  "$upres" info "$work/good/s.$ext" | grep -q '300x300' && ok || bad ".$ext output unreadable or wrong size"
done
# .pth checkpoints from ../shared (skipped where it is absent): both torch.save formats.
models=${UPRES_SHARED_DIR:-$src/../shared}/models
if [[ -f $models/compact-x2-aniscale.pth && -f $models/srcnn-x3-955-legacy-format.pth ]]; then
  "$upres" info "$models/compact-x2-aniscale.pth" | grep -q 'pth-zip, SRVGGNetCompact x2' && ok || bad "info on a zip .pth"
  "$upres" info "$models/srcnn-x3-955-legacy-format.pth" | grep -q 'pth-legacy, SRCNN' && ok || bad "info on a legacy .pth"
else
  echo "SKIP: ../shared/models absent; .pth info checks skipped"
fi
cp "$sample" "$work/good/a.png"
cp "$sample" "$work/good/b.png"
expect 0 "several inputs to a folder" -- "$upres" upscale "$work/good/a.png" "$work/good/b.png" -o "$work/multi"
[[ -f $work/multi/a.png && -f $work/multi/b.png ]] && ok || bad "several inputs: outputs missing"
mkdir -p "$work/folder"
cp "$sample" "$work/folder/x.png"
cp "$sample" "$work/folder/y.png"
expect 0 "folder input" -- "$upres" upscale "$work/folder" -o "$work/folder_out/" --method nearest --scale 3
[[ -f $work/folder_out/x.png && -f $work/folder_out/y.png ]] && ok || bad "folder input: outputs missing"
expect 0 "--set option" -- "$upres" upscale "$sample" -o "$work/good/set.png" --method bicubic --set threads=1
# eval keeps methods apart that share a label (a method listed twice, two models named alike).
mkdir -p "$work/evalset/hr"
cp "$sample" "$work/evalset/hr/s.png"
expect 0 "eval, a method listed twice" -- "$upres" eval "$work/evalset" --scale 2 --methods bicubic,lanczos3,bicubic --csv "$work/eval.csv"
first=$(grep '^mean,bicubic,' "$work/eval.csv" | cut -d, -f4)
second=$(grep '^mean,bicubic #2,' "$work/eval.csv" | cut -d, -f4)
[[ -n $first && $first == "$second" ]] && ok || bad "eval: the twice-listed method's means differ or are missing: $(cat "$work/eval.csv")"

# --- usage errors (exit 2) -----------------------------------------------------------------------
expect 2 "no command" -- "$upres"
expect 2 "unknown command" -- "$upres" frobnicate
one_line_naming "unknown command" "frobnicate"
expect 2 "no input" -- "$upres" upscale -o "$work/out1/x.png"
expect 2 "no output" -- "$upres" upscale "$sample"
expect 2 "bad scale" -- "$upres" upscale "$sample" -o "$work/out1/x.png" --scale -2
one_line_naming "bad scale" "scale"
expect 2 "scale and width" -- "$upres" upscale "$sample" -o "$work/out1/x.png" --scale 2 --width 10
expect 2 "unknown option" -- "$upres" upscale "$sample" -o "$work/out1/x.png" --frobnicate
expect 2 "unknown method" -- "$upres" upscale "$sample" -o "$work/out1/x.png" --method no-such-method
one_line_naming "unknown method" "no-such-method"
expect 2 "bad --set" -- "$upres" upscale "$sample" -o "$work/out1/x.png" --set threads=lots
expect 2 "unknown --set name" -- "$upres" upscale "$sample" -o "$work/out1/x.png" --set nope=1
nothing_left "usage errors" "$work/out1"

# --- failed jobs (exit 1) on bad files -----------------------------------------------------------
head -c 300 "$sample" >"$work/bad/truncated.png"
printf 'this is a text file, not an image\n' >"$work/bad/text.png"
: >"$work/bad/empty.png"
# A valid PNG signature and IHDR chunk declaring 100000 x 100000 pixels (CRC computed here).
"$python" - "$work/bad/huge.png" "$work/bad/zero.png" <<'PY'
import struct, sys, zlib
def png(w, h):
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    raw = zlib.compress(b"\0" * 16)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png(100000, 100000))
open(sys.argv[2], "wb").write(png(0, 0))
PY
for f in truncated text empty huge zero; do
  expect 1 "$f.png" -- "$upres" upscale "$work/bad/$f.png" -o "$work/out1/$f-out.png"
  one_line_naming "$f.png" "$f.png"
done
grep -qi 'limit' <("$upres" upscale "$work/bad/huge.png" -o "$work/out1/h.png" 2>&1) && ok || bad "huge.png: error does not mention the limit"
expect 1 "missing file" -- "$upres" upscale "$work/bad/missing.png" -o "$work/out1/m.png"
one_line_naming "missing file" "missing.png"
expect 1 "info on a bad file" -- "$upres" info "$work/bad/text.png"
one_line_naming "info on a bad file" "text.png"
chmod 555 "$work/out1"
if [[ $(id -u) != 0 ]]; then
  expect 1 "unwritable output folder" -- "$upres" upscale "$sample" -o "$work/out1/x.png"
fi
chmod 755 "$work/out1"
expect 1 "output into a path under a file" -- "$upres" upscale "$sample" -o "$sample/x.png"
nothing_left "failed jobs" "$work/out1"
# A batch with one bad file still converts the good one, and reports failure.
expect 1 "mixed batch" -- "$upres" upscale "$sample" "$work/bad/text.png" -o "$work/mixed"
[[ -f $work/mixed/sample.png && ! -e $work/mixed/text.png ]] && ok || bad "mixed batch: wrong outputs $(ls "$work/mixed")"
[[ -z $(find "$work" -name '*.tmp-upres-*') ]] && ok || bad "temporary files left behind"

# --- convert: ncnn .param/.bin -> .safetensors -----------------------------------------------------
shared=${UPRES_SHARED_DIR:-$src/../shared}
ncnn=$shared/models/realesr-animevideov3-x4
mkdir -p "$work/conv" "$work/convbad"
expect 2 "convert without arguments" -- "$upres" convert
expect 2 "convert to a non-.safetensors name" -- "$upres" convert "$work/whatever.param" "$work/conv/x.bin"
one_line_naming "convert to a non-.safetensors name" "x.bin"
if [[ -f $ncnn.param && -f $ncnn.bin ]]; then
  expect 0 "convert ncnn" -- "$upres" convert "$ncnn.param" "$work/conv/compact.safetensors"
  grep -q 'SRVGGNetCompact x4, 16 convs' "$work/out" && ok || bad "convert: unexpected description: $(cat "$work/out")"
  [[ $(wc -l <"$work/out") == 1 ]] && ok || bad "convert: description is not one line"
  expect 0 "info on the converted model" -- "$upres" info "$work/conv/compact.safetensors"
  grep -q 'safetensors, SRVGGNetCompact x4' "$work/out" && ok || bad "info on converted: $(cat "$work/out")"
  # Broken copies: a truncated .bin, a .bin with bytes left over, a .param naming an unknown layer.
  cp "$ncnn.param" "$work/convbad/trunc.param"
  head -c 100000 "$ncnn.bin" >"$work/convbad/trunc.bin"
  cp "$ncnn.param" "$work/convbad/long.param"
  { cat "$ncnn.bin"; printf 'xxxx'; } >"$work/convbad/long.bin"
  sed 's/^PReLU \( *\)PRelu_5 /Softmax\1PRelu_5 /' "$ncnn.param" >"$work/convbad/unknown.param"
  cp "$ncnn.bin" "$work/convbad/unknown.bin"
  cp "$ncnn.param" "$work/convbad/nobin.param"
  for f in trunc long unknown nobin; do
    expect 1 "convert $f.param" -- "$upres" convert "$work/convbad/$f.param" "$work/out1/$f.safetensors"
    one_line_naming "convert $f.param" "$f"
  done
  grep -q "PRelu_5" <("$upres" convert "$work/convbad/unknown.param" "$work/out1/u.safetensors" 2>&1) && ok ||
    bad "unknown layer: the error does not name it"
  nothing_left "failed conversions" "$work/out1"
else
  echo "SKIP: $ncnn.param/.bin absent; ncnn conversion checks skipped"
fi
# Named models: listed with or without their weights, never a crash.
expect 0 "methods lists the models" -- "$upres" methods
for m in esrgan esrgan-fast srcnn; do
  grep -q "^$m " "$work/out" && ok || bad "methods does not list $m: $(cat "$work/out")"
done

echo "cli: $passed passed, $failed failed"
((failed == 0))
