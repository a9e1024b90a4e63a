#!/usr/bin/env bash
# Run here, before a device check: copies what the build and tests need and the device machine lacks
# into .device (git-ignored, never committed), so that the `run` tool can carry it:
#   .device/prefix   stb, Eigen and doctest headers with their CMake package files
#   .device/shared   T91, Set5 and the model fixtures of ../shared (the device has no ../shared)
# then: run(command="bash scripts/device/cuda-check.sh", carry=[".device"]).
set -euo pipefail
cd "$(dirname "$0")/../.."
prefix=.device/prefix
rm -rf "$prefix" .device/shared
mkdir -p "$prefix/include" "$prefix/lib/cmake" "$prefix/share/eigen3"
cp -r /usr/include/stb /usr/include/eigen3 /usr/include/doctest "$prefix/include/"
cp -r /usr/share/eigen3/cmake "$prefix/share/eigen3/"
cp -r /usr/lib/cmake/doctest "$prefix/lib/cmake/"
# Debian's doctest package names its prefix as /usr; make it relative to the file instead.
sed -i 's|^set(_IMPORT_PREFIX "/usr")|get_filename_component(_IMPORT_PREFIX "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)|' \
  "$prefix/lib/cmake/doctest/doctestTargets.cmake"
grep -q CMAKE_CURRENT_LIST_DIR "$prefix/lib/cmake/doctest/doctestTargets.cmake"
mkdir -p .device/shared/data
cp -r ../shared/data/T91 ../shared/data/Set5 .device/shared/data/
cp -r ../shared/models ../shared/README.md .device/shared/
du -sh .device
