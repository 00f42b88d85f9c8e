#!/usr/bin/env bash
# libFuzzer runs of the harnesses in tests/fuzz (see bench/README.md, "Fuzzing").
#
#   bench/fuzz/run.sh [--runs N] [NAME...]   long runs, one harness after the other:
#                                            N executions each (default 10,000,000)
#   bench/fuzz/run.sh --ci SECONDS [NAME...] CI pass: each harness for SECONDS (time-box)
#   bench/fuzz/run.sh --list                 the harness names
#   bench/fuzz/run.sh --build                only build the harnesses
#
# NAME defaults to every harness (tests/fuzz/fuzz_NAME.cpp). The harnesses are built in
# build-fuzz (FUZZ_BUILD_DIR; clang-14, ASan+UBSan+libFuzzer, ccache when present; JOBS=2).
# Each run starts from a working copy of the seed corpus (build-fuzz/fuzz-corpus/NAME,
# seeded from tests/fuzz/corpus/NAME; the repository's corpus is never modified), with a
# 10 s per-input timeout. A crash, leak, UB report, timeout or out-of-memory stops that
# harness, its input is saved under build-fuzz/fuzz-crashes/NAME/, and the script exits 1
# after the remaining harnesses have run. One summary line per harness:
#   fuzz NAME: ok|FAILED runs=... exec/s=... seconds=...
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=runs; runs=10000000; secs=0
case "${1:-}" in
  --ci) mode=ci; secs="${2:?--ci needs SECONDS}"; shift 2 ;;
  --runs) runs="${2:?--runs needs N}"; shift 2 ;;
  --list) ls tests/fuzz/fuzz_*.cpp | sed 's|.*/fuzz_||; s|\.cpp$||'; exit 0 ;;
  --build) mode=build; shift ;;
  -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
esac
names=("$@")
if [[ ${#names[@]} -eq 0 ]]; then mapfile -t names < <("$0" --list); fi
for n in "${names[@]}"; do
  [[ -f tests/fuzz/fuzz_$n.cpp ]] || { echo "run.sh: no harness '$n' (see --list)" >&2; exit 2; }
done

D="${FUZZ_BUILD_DIR:-build-fuzz}"
if [[ ! -f "$D/CMakeCache.txt" ]]; then
  launch=()
  if command -v ccache >/dev/null; then launch=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$D" -G Ninja "${launch[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1" -DPLOKE_FUZZ=ON -DPLOKE_BUILD_TESTS=OFF \
    -DPLOKE_BUILD_BENCH=OFF -DPLOKE_ALLOCATOR=system >/dev/null
fi
cmake --build "$D" -j "${JOBS:-2}" --target "${names[@]/#/fuzz_}" >/dev/null
[[ $mode == build ]] && exit 0

failed=0
for n in "${names[@]}"; do
  work="$D/fuzz-corpus/$n"; crashes="$D/fuzz-crashes/$n"; log="$D/fuzz-logs/$n.log"
  mkdir -p "$work" "$crashes" "$(dirname "$log")"
  cp -rn "tests/fuzz/corpus/$n/." "$work/"
  args=(-timeout=10 -print_final_stats=1 -artifact_prefix="$crashes/")
  if [[ $mode == ci ]]; then args+=(-max_total_time="$secs"); else args+=(-runs="$runs"); fi
  start=$(date +%s)
  rc=0
  "$D/tests/fuzz/fuzz_$n" "${args[@]}" "$work" >"$log" 2>&1 || rc=$?
  took=$(( $(date +%s) - start ))
  done_runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  if [[ $rc -eq 0 ]]; then
    echo "fuzz $n: ok runs=${done_runs:-?} exec/s=${rate:-?} seconds=$took"
  else
    failed=1
    echo "fuzz $n: FAILED (exit $rc) runs=${done_runs:-?} seconds=$took; log $log, inputs in $crashes/" >&2
    grep -m1 -E 'ERROR: |runtime error|ALARM|out-of-memory' "$log" >&2 || tail -20 "$log" >&2
  fi
done
exit $failed
