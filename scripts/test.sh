#!/usr/bin/env bash
# Install + build + run the whole test suite (README command 2; .ci/run calls this).
#
# Stages, in order (PLOKE_CI_STAGES, comma separated; default and all: normal,deb,asan,tsan,fuzz):
#   normal  RelWithDebInfo build (gcc) + every ctest test
#   deb     the Debian packages of the normal tree: cpack, dpkg -i, run, dpkg --purge, nothing
#           left (scripts/deb-test.sh; installs into this machine's /usr while it runs)
#   asan    clang ASan+UBSan build (-O0 -g1, -Werror=thread-safety) + every ctest test; the
#           same tree builds the libFuzzer harnesses (PLOKE_FUZZ: coverage instrumentation too)
#   tsan    clang ThreadSanitizer build (-O0 -g1) + the net, gateway, recorder, resilience and redis tests
#           and the real-time scenario tests
#   fuzz    each libFuzzer harness for a short time-box (bench/fuzz/run.sh --ci, in the
#           asan tree; PLOKE_FUZZ_SECONDS per harness, default 10)
# Example: PLOKE_CI_STAGES=normal scripts/test.sh
# Every tree is a unity build (CMAKE_UNITY_BUILD; PLOKE_UNITY=OFF turns it off): sources of
# one target compile in batches, which parses the shared headers once per batch. Sanitizer
# trees compile at -O0: instrumented code at -O1 costs twice the compile time.
# Each stage prints its build's and its whole wall and CPU seconds. ccache is used when
# present; CCACHE_BASEDIR is the repo root, so a clone in another folder reuses what an
# earlier build compiled.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
BUILD_DIR="${BUILD_DIR:-build}"
JOBS="${JOBS:-$(nproc)}"
STAGES="${PLOKE_CI_STAGES:-normal,deb,asan,tsan,fuzz}"
start=$(date +%s)

LAUNCHER=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR="$ROOT" CCACHE_NOHASHDIR=1
  LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
# Ninja for a new tree; a tree configured by another generator keeps it.
generator() {
  if command -v ninja >/dev/null &&
     { [[ ! -f "$1/CMakeCache.txt" ]] || grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$1/CMakeCache.txt"; }; then
    echo "-GNinja"
  fi
}
has_stage() { [[ ",$STAGES," == *",$1,"* ]]; }
# CPU_NOW: CPU seconds (user + system) used so far by the processes this script waited
# for (bash's `times`, run in this shell: a subshell would count only its own children).
CPU_TMP=$(mktemp)
trap 'rm -f "$CPU_TMP"' EXIT
cpu_now() {
  times > "$CPU_TMP"
  CPU_NOW=$(tail -1 "$CPU_TMP" | awk '{ s = 0; for (i = 1; i <= 2; i++) { split($i, p, "m");
    s += p[1] * 60 + p[2] } printf "%d", s }')
}
stage_done() {
  cpu_now
  echo "test.sh: stage $1 done in $(( $(date +%s) - $2 ))s wall, $(( CPU_NOW - $3 ))s CPU"
}
# Marks the end of a stage's build: its wall and CPU seconds since the stage began.
built() { stage_done "$1 build" "$2" "$3"; }
CLANG=(-DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14)
UNITY=(-DCMAKE_UNITY_BUILD="${PLOKE_UNITY:-ON}")
SAN=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O0 -g1" "${UNITY[@]}"
     -DPLOKE_BUILD_BENCH=OFF -DPLOKE_BUILD_TESTS=ON -DPLOKE_ALLOCATOR=system)

configure_normal() {
  cmake -S . -B "$BUILD_DIR" $(generator "$BUILD_DIR") "${LAUNCHER[@]}" "${UNITY[@]}" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPLOKE_BUILD_TESTS=ON -DPLOKE_BUILD_BENCH=ON
}

stage_normal() {
  local t c; t=$(date +%s); cpu_now; c=$CPU_NOW
  configure_normal
  cmake --build "$BUILD_DIR" -j "$JOBS"
  built normal "$t" "$c"
  (cd "$BUILD_DIR" && ctest --output-on-failure -j "$JOBS" --timeout 300)
  stage_done normal "$t" "$c"
}

# The packages of the normal tree (configured here when the normal stage did not run).
stage_deb() {
  local t c; t=$(date +%s); cpu_now; c=$CPU_NOW
  [[ -f "$BUILD_DIR/CPackConfig.cmake" ]] || configure_normal
  scripts/deb-test.sh "$BUILD_DIR"
  stage_done deb "$t" "$c"
}

stage_asan() {
  local t c d="$BUILD_DIR-asan"; t=$(date +%s); cpu_now; c=$CPU_NOW
  cmake -S . -B "$d" $(generator "$d") "${LAUNCHER[@]}" "${CLANG[@]}" "${SAN[@]}" -DPLOKE_SANITIZE=ON -DPLOKE_FUZZ=ON
  cmake --build "$d" -j "$JOBS"
  built asan "$t" "$c"
  (cd "$d" && ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1 \
     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     ctest --output-on-failure -j "$JOBS" --timeout 600)
  stage_done asan "$t" "$c"
}

# TSan builds and runs the suites whose code shares state across threads (their folder
# labels; the target ploke_tsan_tests in tests/CMakeLists.txt lists the same folders) and the
# real-time scenario tests (by name).
TSAN_LABELS='^(net|gateway|recorder|resilience|redis)$'
TSAN_NAMES='^(RealTime\.|scenario_real_time_cli_test$)'
stage_tsan() {
  local t c d="$BUILD_DIR-tsan"; t=$(date +%s); cpu_now; c=$CPU_NOW
  cmake -S . -B "$d" $(generator "$d") "${LAUNCHER[@]}" "${CLANG[@]}" "${SAN[@]}" -DPLOKE_TSAN=ON
  cmake --build "$d" -j "$JOBS" --target ploke_tsan_tests
  built tsan "$t" "$c"
  (cd "$d" && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
     ctest --output-on-failure -j "$JOBS" --timeout 600 -L "$TSAN_LABELS" &&
   TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
     ctest --output-on-failure -j "$JOBS" --timeout 600 -R "$TSAN_NAMES")
  stage_done tsan "$t" "$c"
}

stage_fuzz() {
  local t c; t=$(date +%s); cpu_now; c=$CPU_NOW
  FUZZ_BUILD_DIR="$BUILD_DIR-asan" bench/fuzz/run.sh --ci "${PLOKE_FUZZ_SECONDS:-10}"
  stage_done fuzz "$t" "$c"
}

scripts/install-deps.sh
scripts/check-layering.sh
for s in normal deb asan tsan fuzz; do
  if has_stage "$s"; then "stage_$s"; fi
done
echo "test.sh: done in $(( $(date +%s) - start ))s"
