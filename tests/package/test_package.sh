#!/usr/bin/env bash
# Installs the build into a temporary prefix and builds a consumer against it twice: with CMake's
# find_package(upres) and with pkg-config. Also checks that installed headers expose no libtorch,
# Eigen or stb type.
#   usage: test_package.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" >/dev/null
for f in include/upres/upres.h include/upres/upres.hpp lib/cmake/upres/upresConfig.cmake lib/pkgconfig/upres.pc; do
  [[ -f $prefix/$f ]] || { echo "FAIL: $f not installed"; exit 1; }
done
if grep -nE '#include *[<"](torch|ATen|c10|Eigen|stb)|torch::|at::|c10::|Eigen::|stbi_' "$prefix"/include/upres/*; then
  echo "FAIL: an installed header mentions libtorch, Eigen or stb"
  exit 1
fi

echo "== find_package(upres)"
cmake -S "$src/tests/package/consumer" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake" >/dev/null
LD_LIBRARY_PATH=$prefix/lib "$work/cmake/consumer_c"
LD_LIBRARY_PATH=$prefix/lib "$work/cmake/consumer_cpp"

echo "== pkg-config upres"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
cc -std=c99 -Wall -Werror "$src/tests/package/consumer/consumer.c" -o "$work/pc_c" $(pkg-config --cflags --libs upres)
c++ -std=c++17 -Wall -Werror "$src/tests/package/consumer/consumer.cpp" -o "$work/pc_cpp" $(pkg-config --cflags --libs upres)
LD_LIBRARY_PATH=$prefix/lib "$work/pc_c"
LD_LIBRARY_PATH=$prefix/lib "$work/pc_cpp"
[[ -x $prefix/bin/upres ]] && LD_LIBRARY_PATH=$prefix/lib "$prefix/bin/upres" --version
echo "package: install, find_package and pkg-config consumers all work"
