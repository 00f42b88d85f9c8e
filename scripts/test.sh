#!/usr/bin/env bash
# Install + build + run the whole test suite (README command 2; .ci/run calls this).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${BUILD_DIR:-build}"
JOBS="${JOBS:-$(nproc)}"
start=$(date +%s)
scripts/install-deps.sh
scripts/check-layering.sh
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPLOKE_BUILD_TESTS=ON -DPLOKE_BUILD_BENCH=ON
cmake --build "$BUILD_DIR" -j "$JOBS"
cd "$BUILD_DIR"
ctest --output-on-failure -j "$JOBS" --timeout 300
echo "test.sh: done in $(( $(date +%s) - start ))s"
