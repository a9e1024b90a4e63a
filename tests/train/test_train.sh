#!/usr/bin/env bash
# upres-train end to end on a few T91 images. Modes:
#   determinism: two runs with the same seed give byte-identical model and resume files
#   resume:      100 steps + a resumed 100 steps give the same weights as 200 unbroken steps
#   learns:      a short training lowers the loss, and `upres eval` (the library's own path, not
#                the trainer's) measures the model above bicubic on Set5 x2
#   interior:    with the loss on the pixels padding cannot reach (--loss-border 8 at 9-5-5, which
#                the trainer computes with unpadded convolutions), zero and replicate padding train
#                the same weights, and the model still beats bicubic through upres's padded path
#   errors:      bad command lines and unusable data fail with one message and write nothing
#   usage: test_train.sh MODE PATH/TO/upres-train PATH/TO/upres SHARED_DIR PYTHON SOURCE_DIR
set -u
mode=$1 train=$2 upres=$3 shared=$4 python=$5 src=$6
shared=${UPRES_SHARED_DIR:-$shared}  # as the unit tests: the environment overrides the configured folder
t91=$shared/data/T91
if [[ ! -d $t91 || ! -d $shared/data/Set5 ]]; then
  echo "SKIP: $shared/data (T91, Set5) not found; upres-train tests need the shared data"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
compare() { "$python" "$src/tests/train/compare_safetensors.py" "$@"; }
# Mean Set5 x2 Y-PSNR through `upres eval` (the library's path, not the trainer's): sets $bicubic
# and $model, the latter for the model file given.
set5_x2_psnr() {
  "$upres" eval "$shared/data/Set5/x2" --methods "bicubic,$1" --csv "$work/eval.csv" >/dev/null || exit 1
  bicubic=$(grep '^mean,bicubic,' "$work/eval.csv" | cut -d, -f4)
  model=$(grep '^mean,' "$work/eval.csv" | grep -v ',bicubic,' | cut -d, -f4)
}
# Small but real: 4 images, 20x20 patches, batch 16, one thread. UPRES_TRAIN_DEVICE=cuda runs every
# mode on the GPU (scripts/device/cuda-check.sh does).
device=(--device "${UPRES_TRAIN_DEVICE:-cpu}")
common=(--data "$t91" --images 4 --scale 3 --patch 20 --batch 16 --threads 1 --seed 7 --epoch-steps 100 --quiet "${device[@]}")

case $mode in
determinism)
  mkdir "$work/a" "$work/b"
  # Same relative --out, so the recorded recipe is the same too and whole files can be compared.
  (cd "$work/a" && "$train" "${common[@]}" --steps 200 --out m.safetensors) &
  (cd "$work/b" && "$train" "${common[@]}" --steps 200 --out m.safetensors)
  wait $! || { echo "FAIL: first run failed"; exit 1; }
  for f in m.safetensors m.resume.safetensors; do
    [[ -s $work/a/$f ]] || { echo "FAIL: $f not written"; exit 1; }
    cmp "$work/a/$f" "$work/b/$f" || { echo "FAIL: $f differs between two runs with the same seed"; exit 1; }
  done
  # A different seed must give different weights (the comparison above can fail).
  (cd "$work/b" && "$train" "${common[@]}" --seed 8 --steps 200 --out m.safetensors) || exit 1
  if compare "$work/a/m.safetensors" "$work/b/m.safetensors" >/dev/null 2>&1; then
    echo "FAIL: seeds 7 and 8 gave the same weights"; exit 1
  fi
  echo "PASS: identical files for the same seed, different weights for another"
  ;;
resume)
  "$train" "${common[@]}" --steps 200 --out "$work/full.safetensors" || exit 1
  "$train" "${common[@]}" --steps 100 --out "$work/part.safetensors" || exit 1
  "$train" "${common[@]}" --steps 200 --out "$work/part.safetensors" --resume "$work/part.resume.safetensors" || exit 1
  compare "$work/full.safetensors" "$work/part.safetensors" step=200 arch=srcnn scale=3 channels=Y padding=replicate kernels=9-5-5 || exit 1
  compare "$work/full.resume.safetensors" "$work/part.resume.safetensors" || exit 1
  # The recipe says where the first command stopped, so a clock-stopped run can be replayed.
  "$python" - "$work/part.safetensors" <<'PY' || { echo "FAIL: recipe does not record the resumed step"; exit 1; }
import json, struct, sys
f = open(sys.argv[1], "rb")
recipe = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))["__metadata__"]["recipe"]
first, then = recipe.split("; then ")
sys.exit(0 if first.endswith(" [until step 100]") and "--resume" in then and "[until" not in then else 1)
PY
  # A resume file from another configuration is refused with a message naming the file.
  if "$train" "${common[@]}" --steps 300 --scale 2 --out "$work/x.safetensors" --resume "$work/part.resume.safetensors" 2>"$work/err"; then
    echo "FAIL: resumed a x3 run as x2"; exit 1
  fi
  grep -q "part.resume.safetensors" "$work/err" || { echo "FAIL: error does not name the file: $(cat "$work/err")"; exit 1; }
  [[ ! -e $work/x.safetensors ]] || { echo "FAIL: a refused run wrote a model"; exit 1; }
  echo "PASS: resumed training continues identically"
  ;;
learns)
  "$train" --data "$t91" --images 12 --scale 2 --patch 24 --batch 8 --threads 1 --seed 1 --lr 2e-3 "${device[@]}" \
    --last-lr-scale 0.1 --steps 600 --epoch-steps 200 --out "$work/m.safetensors" 2>"$work/log" || { cat "$work/log"; exit 1; }
  cat "$work/log"
  first=$(grep -m1 '^step ' "$work/log" | sed 's/.*loss \([0-9.e+-]*\).*/\1/')
  last=$(grep '^step ' "$work/log" | tail -1 | sed 's/.*loss \([0-9.e+-]*\).*/\1/')
  set5_x2_psnr "$work/m.safetensors"
  echo "loss $first -> $last; Set5 x2 Y-PSNR bicubic $bicubic, trained $model"
  "$python" -c "import sys; f,l,b,m = map(float, sys.argv[1:]); sys.exit(0 if l < 0.5 * f and m > b + 0.3 else 1)" \
    "$first" "$last" "$bicubic" "$model" || { echo "FAIL: training did not learn"; exit 1; }
  echo "PASS"
  ;;
interior)
  # Zero and replicate padding differ only in the pixels left out of the loss: same weights.
  "$train" "${common[@]}" --steps 200 --loss-border 8 --padding zero --out "$work/zero.safetensors" || exit 1
  "$train" "${common[@]}" --steps 200 --loss-border 8 --padding replicate --out "$work/rep.safetensors" || exit 1
  compare "$work/zero.safetensors" "$work/rep.safetensors" step=200 padding=replicate || exit 1
  # One border less and the padding reaches the loss again: the weights must differ.
  "$train" "${common[@]}" --steps 200 --loss-border 7 --padding zero --out "$work/zero7.safetensors" || exit 1
  "$train" "${common[@]}" --steps 200 --loss-border 7 --padding replicate --out "$work/rep7.safetensors" || exit 1
  if compare "$work/zero7.safetensors" "$work/rep7.safetensors" >/dev/null 2>&1; then
    echo "FAIL: with 7 border pixels left out, zero and replicate padding gave the same weights"; exit 1
  fi
  # A crop misaligned with the target would learn a shifted image and fall below bicubic.
  "$train" --data "$t91" --images 12 --scale 2 --patch 40 --batch 8 --threads 1 --seed 1 --lr 2e-3 --loss-border 8 "${device[@]}" \
    --last-lr-scale 0.1 --steps 600 --epoch-steps 200 --quiet --out "$work/m.safetensors" || exit 1
  set5_x2_psnr "$work/m.safetensors"
  echo "Set5 x2 Y-PSNR bicubic $bicubic, trained on the interior loss $model"
  "$python" -c "import sys; b,m = map(float, sys.argv[1:]); sys.exit(0 if m > b + 0.3 else 1)" "$bicubic" "$model" ||
    { echo "FAIL: training on the interior loss did not learn"; exit 1; }
  echo "PASS: the interior loss ignores padding and learns"
  ;;
errors)
  fails() {  # fails CODE TEXT -- args...: exit CODE, stderr names TEXT, no model written
    local code=$1 text=$2
    shift 3
    "$train" "$@" --out "$work/bad.safetensors" 2>"$work/err"
    local rc=$?
    [[ $rc == "$code" ]] || { echo "FAIL: $*: exit $rc, expected $code: $(cat "$work/err")"; exit 1; }
    grep -q -- "$text" "$work/err" || { echo "FAIL: $*: stderr does not name '$text': $(cat "$work/err")"; exit 1; }
    [[ ! -e $work/bad.safetensors ]] || { echo "FAIL: $*: wrote a model"; exit 1; }
  }
  mkdir "$work/empty"
  fails 1 "$work/missing" -- --data "$work/missing"
  fails 1 "$work/empty" -- --data "$work/empty"
  fails 1 "no image of at least" -- --data "$t91" --images 2 --patch 512
  fails 2 "--arch" -- --data "$t91" --arch 9-7-5
  fails 2 "--lr" -- --data "$t91" --lr fast
  fails 2 "--bogus" -- --data "$t91" --bogus
  fails 1 "unknown degradation" -- --data "$t91" --degrade "smudge:3"
  fails 1 "device" -- --data "$t91" --images 1 --device tpu
  echo "PASS: bad input refused"
  ;;
*) echo "unknown mode $mode"; exit 2 ;;
esac
