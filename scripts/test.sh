#!/usr/bin/env bash
# Install + build + run the whole test suite (README command 2; .ci/run calls this).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${BUILD_DIR:-build}"
JOBS="${JOBS:-$(nproc)}"
start=$(date +%s)
scripts/install-deps.sh
scripts/check-layering.sh
# Ninja and ccache when present (install-deps installs both). CCACHE_BASEDIR makes paths
# relative, so a clone in another folder reuses what an earlier build compiled.
GEN=()
if command -v ninja >/dev/null &&
   { [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]] || grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$BUILD_DIR/CMakeCache.txt"; }; then
  GEN=(-G Ninja)  # (a tree configured by another generator keeps it)
fi
LAUNCHER=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
  LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$BUILD_DIR" "${GEN[@]}" "${LAUNCHER[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPLOKE_BUILD_TESTS=ON -DPLOKE_BUILD_BENCH=ON
cmake --build "$BUILD_DIR" -j "$JOBS"
cd "$BUILD_DIR"
ctest --output-on-failure -j "$JOBS" --timeout 300
echo "test.sh: done in $(( $(date +%s) - start ))s"
