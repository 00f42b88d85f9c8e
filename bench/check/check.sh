#!/usr/bin/env bash
# `ploke-sim check` overhead (issue targets: a check run of a 100-request client finishes
# within the client's own run time + 1 s; the checks add <= 1 ms per request).
#
#   bench/check/check.sh [BUILD_DIR]
#
# A: the official openai SDK app (tests/sdk/check/app.mjs, 100 sequential calls) against
#    `ploke-sim serve` (its own run time) vs the whole `ploke-sim check -- node app.mjs`
#    (simulator start, the run, judging, report); best of PLOKE_BENCH_ROUNDS (default 3).
# B: wrk -t1 -c1 (one request at a time) against `serve` vs under `check`, same pacing:
#    the difference of p50 latency is what the check path adds per request.
# Results: bench/results/check-<stamp>.json.
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO=$(cd "$BENCH/.." && pwd)
# shellcheck source=bench/lib/common.sh
source "$BENCH/lib/common.sh"
bench_init
BIN=$(bench_find_binary "$REPO" "${1:-}")
ROUNDS=${PLOKE_BENCH_ROUNDS:-3}
DUR=${PLOKE_BENCH_DURATION:-10}
for t in wrk node python3; do command -v "$t" >/dev/null || bench_die "$t not found (scripts/install-deps.sh --bench)"; done
[[ -d $REPO/tests/sdk/node_modules/openai ]] || (cd "$REPO/tests/sdk" && npm ci --no-audit --no-fund --loglevel=error >&2)
BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ploke-check-bench.XXXXXX")
T=$BENCH_TMP
mkdir -p "$BENCH/results"
RESULTS=$BENCH/results/check-$(date -u +%Y%m%dT%H%M%SZ).json
APP=(node "$REPO/tests/sdk/check/app.mjs")
SPEC=$BENCH/check/no-faults.json
now() { python3 -c 'import time; print(time.monotonic())'; }
elapsed() { python3 -c "print(round($2 - $1, 3))"; }

bench_spawn "$T/serve.log" "$BIN" serve --host 127.0.0.1 --port 0 --seed 7 --ttft-ms 2 --tps 5000
SERVE_PID=$BENCH_LAST_PID
URL=$(bench_wait_line "$T/serve.log" '^listening on (http://[0-9.:]+)$' 15) || bench_die "serve did not start"
bench_chat_body "$T/body.json"

best_client=999 best_check=999
for ((r = 1; r <= ROUNDS; r++)); do
  t0=$(now); OPENAI_BASE_URL=$URL/v1 OPENAI_API_KEY=sk-bench CALLS=100 "${APP[@]}" >/dev/null; t1=$(now)
  c=$(elapsed "$t0" "$t1")
  t0=$(now); CALLS=100 "$BIN" check -s "$SPEC" -- "${APP[@]}" >"$T/check.txt" 2>&1 || { cat "$T/check.txt" >&2; bench_die "check failed"; }
  t1=$(now)
  k=$(elapsed "$t0" "$t1")
  bench_log "round $r: client alone ${c}s, under check ${k}s"
  best_client=$(python3 -c "print(min($best_client, $c))"); best_check=$(python3 -c "print(min($best_check, $k))")
done

latency_p50_ms() {  # wrk --latency output -> p50 in ms
  python3 - "$1" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
m = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)", t, re.M)
v, u = float(m.group(1)), m.group(2)
print(v / 1000 if u == "us" else v * 1000 if u == "s" else v)
PY
}
WRK=(wrk -t1 -c1 -d"${DUR}s" --latency -s "$BENCH/lib/post.lua")
"${WRK[@]}" "$URL/v1/chat/completions" >"$T/serve.wrk" 2>&1
"$BIN" check -s "$SPEC" --json -- bash -c "${WRK[*]} \"\$OPENAI_BASE_URL/chat/completions\"" >"$T/check.json" 2>"$T/check.wrk" || true
p_serve=$(latency_p50_ms "$T/serve.wrk"); p_check=$(latency_p50_ms "$T/check.wrk")
bench_stop "$SERVE_PID" || true
python3 - "$RESULTS" "$best_client" "$best_check" "$p_serve" "$p_check" <<'PY'
import json, sys
out, client, check, p_serve, p_check = sys.argv[1], *map(float, sys.argv[2:])
r = {"client_alone_s": client, "under_check_s": check, "check_adds_s": round(check - client, 3),
     "target_adds_s": 1.0, "wrk_c1_p50_serve_ms": p_serve, "wrk_c1_p50_check_ms": p_check,
     "check_adds_per_request_ms": round(p_check - p_serve, 3), "target_per_request_ms": 1.0}
json.dump(r, open(out, "w"), indent=2)
print(json.dumps(r, indent=2))
PY
