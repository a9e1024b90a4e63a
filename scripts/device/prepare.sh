#!/usr/bin/env bash
# Run here, before a device check: copies what the build and tests need and the device machine lacks
# into .device (git-ignored, never committed), so that the `run` tool can carry it:
#   .device/prefix   stb, Eigen and doctest headers with their CMake package files
#   .device/shared   T91, Set5 and the model fixtures test_nn reads (the device has no ../shared)
#   .device/x4plus.safetensors  Real-ESRGAN x4plus as scripts/fetch-models.sh made it (33 MB,
#                    weights in f16), for the timings; upres and PyTorch both run this file
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
  cp models/realesrgan-x4plus.safetensors .device/x4plus.safetensors
else
  echo "models/realesrgan-x4plus.safetensors not here: the device check will skip the x4plus timings"
fi
du -sh .device
# The tree travels too: tracked and untracked-but-not-ignored files.
echo "tree: $(git ls-files -co --exclude-standard -z | du -cb --files0-from=- | tail -1 | cut -f1) bytes"
echo "carried: $(du -sb .device | cut -f1) bytes (with the tree, at most 67108864)"
