#!/usr/bin/env bash
# Run here, before a device check: copies what the build and tests need and the device machine lacks
# into .device (git-ignored, never committed), so that the `run` tool can carry it:
#   .device/prefix   stb, Eigen and doctest headers with their CMake package files
#   .device/shared   T91, Set5 and the model fixtures test_nn reads (the device has no ../shared)
#   .device/x4plus-f16.safetensors  Real-ESRGAN x4plus (models/, fetched separately) with its
#                    weights stored as f16, for the timings: half the bytes, so that it fits the
#                    64 MiB the device tool carries (upres and PyTorch both run these same weights)
# then: run(command="bash scripts/device/cuda-check.sh", carry=[".device"]).
set -euo pipefail
cd "$(dirname "$0")/../.."
prefix=.device/prefix
rm -rf "$prefix" .device/shared
mkdir -p "$prefix/include" "$prefix/lib/cmake" "$prefix/share/eigen3"
# Only what the build includes (the carried tree is limited to 64 MiB): three stb headers, Eigen
# without its unsupported modules.
mkdir -p "$prefix/include/stb" "$prefix/include/eigen3"
cp /usr/include/stb/stb_image.h /usr/include/stb/stb_image_write.h /usr/include/stb/stb_truetype.h "$prefix/include/stb/"
cp -r /usr/include/eigen3/Eigen /usr/include/eigen3/signature_of_eigen3_matrix_library "$prefix/include/eigen3/"
cp -r /usr/include/doctest "$prefix/include/"
cp -r /usr/share/eigen3/cmake "$prefix/share/eigen3/"
cp -r /usr/lib/cmake/doctest "$prefix/lib/cmake/"
# Debian's doctest package names its prefix as /usr; make it relative to the file instead.
sed -i 's|^set(_IMPORT_PREFIX "/usr")|get_filename_component(_IMPORT_PREFIX "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)|' \
  "$prefix/lib/cmake/doctest/doctestTargets.cmake"
grep -q CMAKE_CURRENT_LIST_DIR "$prefix/lib/cmake/doctest/doctestTargets.cmake"
mkdir -p .device/shared/data
cp -r ../shared/data/T91 ../shared/data/Set5 .device/shared/data/
mkdir -p .device/shared/models
cp ../shared/models/srcnn-x4-955-official.safetensors ../shared/models/srcnn-x3-955-legacy-format.pth \
  ../shared/models/compact-x2-aniscale.pth ../shared/models/compact-x4-animevideov3-unverified.pth .device/shared/models/
cp ../shared/README.md .device/shared/
if [[ -f models/realesrgan-x4plus.safetensors ]]; then
  /usr/bin/python3 - models/realesrgan-x4plus.safetensors .device/x4plus-f16.safetensors <<'PY'
import json, struct, sys
import numpy as np
blob = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", blob[:8])[0]
header = json.loads(blob[8:8 + n])
meta = header.pop("__metadata__", {})
out, data, offset = {"__metadata__": meta} if meta else {}, [], 0
for name, t in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
    assert t["dtype"] in ("F32", "F16"), name
    a, b = t["data_offsets"]
    half = blob[8 + n + a:8 + n + b]
    if t["dtype"] == "F32":
        half = np.frombuffer(half, dtype="<f4").astype("<f2").tobytes()
    out[name] = {"dtype": "F16", "shape": t["shape"], "data_offsets": [offset, offset + len(half)]}
    data.append(half)
    offset += len(half)
text = json.dumps(out).encode()
text += b" " * (-len(text) % 8)
with open(sys.argv[2], "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + b"".join(data))
PY
else
  echo "models/realesrgan-x4plus.safetensors not here: the device check will skip the x4plus timings"
fi
du -sh .device
# The tree travels too: tracked and untracked-but-not-ignored files.
echo "tree: $(git ls-files -co --exclude-standard -z | du -cb --files0-from=- | tail -1 | cut -f1) bytes"
echo "carried: $(du -sb .device | cut -f1) bytes (with the tree, at most 67108864)"
