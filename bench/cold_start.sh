#!/usr/bin/env bash
# Cold start: time from fork/exec of `ploke-sim serve --host 127.0.0.1 --port 0` to the
# complete answer of its first request (GET /v1/models on a fresh connection), repeated
# (default 20 runs, after one discarded page-cache warm-up run); min/median/p90.
# Target: median <= 20 ms. Also times WireMock's exec -> first answer once, for comparison.
#
#   bench/cold_start.sh [BUILD_DIR]
# Env: PLOKE_BENCH_RUNS (default 20), PLOKE_BENCH_SKIP_WIREMOCK=1, PLOKE_SIM_SERVE_ARGS
# (extra `serve` arguments, e.g. "--threads 8"; default none).
# Results: bench/results/cold_start-<UTC stamp>.json (+ cold_start-latest.json).
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH/.." && pwd)
# shellcheck source=bench/lib/common.sh
source "$BENCH/lib/common.sh"
bench_init

BIN=$(bench_find_binary "$REPO" "${1:-}")
RUNS=${PLOKE_BENCH_RUNS:-20}
WM_VERSION=3.13.2
command -v python3 >/dev/null || bench_die "python3 not found"
BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ploke-cold.XXXXXX")
mkdir -p "$BENCH/results"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$BENCH/results/cold_start-$STAMP.json

bench_log "ploke-sim: $RUNS runs of exec -> GET /v1/models answered ($BIN)"
# shellcheck disable=SC2086
python3 "$BENCH/lib/cold_start.py" sim "$BIN" "$RUNS" "$BENCH_TMP/sim.json" ${PLOKE_SIM_SERVE_ARGS:-}
WM=null
if [[ ${PLOKE_BENCH_SKIP_WIREMOCK:-0} != 1 ]] && command -v java >/dev/null; then
  JAR=$("$BENCH/lib/wiremock_jar.sh" "$WM_VERSION")
  bench_log "WireMock $WM_VERSION: one run of exec -> GET /__admin/health answered"
  python3 "$BENCH/lib/cold_start.py" wiremock "$JAR" "$BENCH_TMP/wm.json"
  WM=$BENCH_TMP/wm.json
fi
python3 - "$BENCH_TMP/sim.json" "$WM" "$OUT" "$STAMP" <<'PY'
import json, sys
sim = json.load(open(sys.argv[1]))
wm = json.load(open(sys.argv[2])) if sys.argv[2] != "null" else None
loadavg = open("/proc/loadavg").read().split()[:3]
res = {"bench": "cold_start", "utc": sys.argv[4], "loadavg_at_end": loadavg, "simulator": sim, "wiremock": wm,
       "target_median_le_20ms": sim["exec_to_first_response_ms"]["median"] <= 20.0}
json.dump(res, open(sys.argv[3], "w"), indent=2)
s, u = sim["exec_to_first_response_ms"], sim["exec_to_url_ms"]
print(f"\nCold start ({sys.argv[4]}, {s['n']} runs, loadavg {' '.join(loadavg)})")
print(f"{'':34}{'min':>9}{'median':>9}{'p90':>9}{'max':>9}")
print(f"{'ploke-sim exec -> URL line (ms)':34}{u['min']:>9.2f}{u['median']:>9.2f}{u['p90']:>9.2f}{u['max']:>9.2f}")
print(f"{'ploke-sim exec -> 1st response (ms)':34}{s['min']:>9.2f}{s['median']:>9.2f}{s['p90']:>9.2f}{s['max']:>9.2f}")
if wm:
    print(f"{'WireMock exec -> 1st response (ms)':34}{wm['exec_to_first_response_ms']:>9.0f}  (1 run)")
print(f"target median <= 20 ms: {'PASS' if res['target_median_le_20ms'] else 'MISS'}")
print(f"server exit codes on SIGTERM: {sim['exit_codes']}")
print(f"results: {sys.argv[3]}")
PY
cp "$OUT" "$BENCH/results/cold_start-latest.json"
