#!/usr/bin/env bash
# Many concurrent SSE streams through the gateway (issue 18 target: 5,000 concurrent streams
# with pacing error p99 ≤ 5 ms and gateway RSS ≤ 300 MB).
#
#   bench/gateway/sse.sh [BUILD_DIR]
#
#   upstream = `ploke-sim serve --ttft-ms 200 --tps TPS` (every stream max_tokens TOKENS:
#              one event per token, 1/TPS apart; limits raised)
#   gateway  = `ploke-sim gateway --provider openai,UPSTREAM/v1,gpt-4o` with admission and
#              per-loop limits above the stream count
#   load     = bench/gateway/sse_streams (BUILD_DIR/bench/gateway/): STREAMS streams started
#              over RAMP ms, on one event loop; pacing error = each event's offset from its
#              stream's first event minus the nearest multiple of 1000/TPS ms (the
#              upstream's grid)
# Also measured: the same load direct to the upstream (its own pacing error, the floor on
# this machine), and the gateway's peak RSS and threads (sampled from /proc every 100 ms).
# Env: PLOKE_SSE_STREAMS (5000), PLOKE_SSE_TPS (5), PLOKE_SSE_TOKENS (30), PLOKE_SSE_RAMP_MS
# (3000). Raises the open-file limit to 65536 (or the hard limit). Results:
# bench/results/sse-<UTC>.json. Everything binds 127.0.0.1; every process is stopped on exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH=$(cd "$HERE/.." && pwd)
REPO=$(cd "$BENCH/.." && pwd)
# shellcheck source=bench/lib/common.sh
source "$BENCH/lib/common.sh"
# shellcheck source=bench/lib/wrk_runs.sh
source "$BENCH/lib/wrk_runs.sh"
bench_init

bench_gateway_init sse "${1:-}"
LOAD=$(dirname "$(dirname "$BIN")")/bench/gateway/sse_streams
[[ -x $LOAD ]] || bench_die "$LOAD not built (cmake -DPLOKE_BUILD_BENCH=ON)"
N=${PLOKE_SSE_STREAMS:-5000}
TPS=${PLOKE_SSE_TPS:-5}
TOKENS=${PLOKE_SSE_TOKENS:-30}
RAMP=${PLOKE_SSE_RAMP_MS:-3000}
ulimit -n "$(( $(ulimit -Hn) < 65536 ? $(ulimit -Hn) : 65536 ))"
printf '{"model":"gpt-4o","stream":true,"max_tokens":%d,"messages":[{"role":"user","content":"Tell me a story."}]}' "$TOKENS" >"$T/body.json"

bench_start SIM serve --host 127.0.0.1 --port 0 --seed 7 --ttft-ms 200 --tps "$TPS" --limit-requests 1000000000 --limit-tokens 1000000000000
bench_start GW gateway --host 127.0.0.1 --port 0 --provider "openai,$SIM_URL/v1,gpt-4o" \
  --max-in-flight $((N * 2)) --max-queue $((N * 2)) --log-level warn
bench_log "upstream $SIM_URL, gateway $GW_URL (pid $GW_PID); $N streams, $TOKENS events at $TPS/s, ramp $RAMP ms"

# peak RSS (kB) and threads of PID while the load runs → $T/NAME.peak
sample() {
  local pid=$1 out=$2 rss=0 thr=0 r t
  while [[ ! -f $T/stop-sampling ]]; do
    r=$(awk '/^VmRSS:/{print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    t=$(awk '/^Threads:/{print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    ((r > rss)) && rss=$r
    ((t > thr)) && thr=$t
    echo "$rss $thr" >"$out"
    sleep 0.1
  done
}
measure() {  # NAME URL PID
  local name=$1 url=$2 pid=$3 rc=0
  rm -f "$T/stop-sampling"
  sample "$pid" "$T/$name.peak" &
  local sp=$!
  "$LOAD" --url "$url" --streams "$N" --body "$T/body.json" --ramp-ms "$RAMP" --gap-ms "$(python3 -c "print(1000 / $TPS)")" >"$T/$name.json" 2>"$T/$name.err" || rc=$?
  touch "$T/stop-sampling"
  wait "$sp" || true
  ((rc == 0)) || bench_log "$name: not every stream completed (exit $rc): $(cat "$T/$name.err")"
  bench_log "$name: $(cat "$T/$name.json") peak rss/threads: $(cat "$T/$name.peak")"
}
measure direct "$SIM_URL" "$SIM_PID"
measure gateway "$GW_URL" "$GW_PID"
python3 - "$RESULTS" "$T" "$N" "$TPS" "$TOKENS" "$RAMP" <<'PY'
import json, sys
out, t, n, tps, tokens, ramp = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
res = {}
for name in ("direct", "gateway"):
    r = json.load(open(f"{t}/{name}.json"))
    rss, thr = map(int, open(f"{t}/{name}.peak").read().split())
    r.update({"peak_rss_mb": round(rss / 1024, 1), "peak_threads": thr})
    res[name] = r
s = {"streams": n, "tps": tps, "tokens": tokens, "ramp_ms": ramp,
     "gateway_pacing_error_p99_ms": res["gateway"]["pacing_error_ms"]["p99"],
     "direct_pacing_error_p99_ms": res["direct"]["pacing_error_ms"]["p99"],
     "gateway_peak_rss_mb": res["gateway"]["peak_rss_mb"],
     "targets": {"gateway_pacing_error_p99_ms <=": 5, "gateway_peak_rss_mb <=": 300}}
json.dump({"runs": res, "summary": s}, open(out, "w"), indent=2)
print(json.dumps({"runs": res, "summary": s}, indent=2))
PY
bench_log "results: $RESULTS"
