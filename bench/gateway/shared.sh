#!/usr/bin/env bash
# Shared-state bench: what sharing limits through Redis costs a gateway instance, against
# the same gateway without Redis, in the same run.
#
#   bench/gateway/shared.sh [BUILD_DIR]     (a Release build: cmake -DCMAKE_BUILD_TYPE=Release)
#
#   upstream = `ploke-sim serve --fast` (the simulator, no simulated latency; it advertises
#              10^9 requests/min, which every gateway learns: from the second request on,
#              each attempt is admitted by the Redis script)
#   redis    = redis-server on a Unix socket in a temp dir (no persistence)
#   single   = wrk → `ploke-sim gateway --provider openai,UPSTREAM/v1,gpt-4o`
#   shared   = the same with --redis unix:SOCKET (one instance)
#   shared3  = three such instances on the same Redis, loaded at the same time (wrk per
#              instance, c64 each split as -c22): throughput per instance
# c1: wrk -t1 -c1, latency p50 → the p50 Redis adds; c64: wrk -t2 -c64, req/s → ratio to
# single. ROUNDS interleaved rounds, best round kept.
#
# Env: PLOKE_BENCH_DURATION (s, 8), PLOKE_BENCH_ROUNDS (3), PLOKE_BENCH_WARMUP (s, 2).
# Results: bench/results/shared-<UTC>.json and a table on stdout. Everything binds
# 127.0.0.1 or a Unix socket; every process is stopped on exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH=$(cd "$HERE/.." && pwd)
REPO=$(cd "$BENCH/.." && pwd)
# shellcheck source=bench/lib/common.sh
source "$BENCH/lib/common.sh"
# shellcheck source=bench/lib/wrk_runs.sh
source "$BENCH/lib/wrk_runs.sh"
bench_init

bench_gateway_init shared "${1:-}"
bench_redis_start "$T"

bench_spawn "$T/sim.log" "$BIN" serve --host 127.0.0.1 --port 0 --seed 7 --fast --limit-requests 1000000000 --limit-tokens 1000000000000
SIM=$(bench_wait_line "$T/sim.log" '^listening on (http://127\.0\.0\.1:[0-9]+)$' 15) || { cat "$T/sim.log" >&2; bench_die "simulator did not start"; }

# start NAME [gateway flags...] -> URL in $URL, pid in $PID
start() {
  local name=$1
  shift
  bench_spawn "$T/$name.log" "$BIN" gateway --host 127.0.0.1 --port 0 --provider "openai,$SIM/v1,gpt-4o" "$@"
  PID=$BENCH_LAST_PID
  URL=$(bench_wait_line "$T/$name.log" '^listening on (http://127\.0\.0\.1:[0-9]+)$' 15) || { cat "$T/$name.log" >&2; bench_die "$name did not start"; }
  local code
  code=$(curl -sS -o /dev/null -w '%{http_code}' -H 'content-type: application/json' --data-binary @"$T/body.json" "$URL/v1/chat/completions")
  [[ $code == 200 ]] || { cat "$T/$name.log" >&2; bench_die "$name answered $code"; }
  bench_log "$name: $URL"
}
start single; SINGLE=$URL; SINGLE_PID=$PID
start shared --redis "unix:$T/redis.sock" --instance-id bench-0; SHARED=$URL; SHARED_PID=$PID
start shared_b --redis "unix:$T/redis.sock" --instance-id bench-1; SHARED_B=$URL
start shared_c --redis "unix:$T/redis.sock" --instance-id bench-2; SHARED_C=$URL

# run NAME URL CONNS THREADS PID: bench_run, its wrk output kept too
run() {
  bench_run "$@"
  cat "$T/$1.txt" >>"$BENCH/results/shared-$STAMP.wrk.txt"
}
# Three instances at once: one wrk each (c22 ≈ 64 / 3), their req/s averaged per instance.
run3() {
  local name=$1 i=0 u pids=()
  for u in "$SHARED" "$SHARED_B" "$SHARED_C"; do
    wrk -t1 -c22 -d"${DUR}s" --latency -s "$BENCH/lib/post.lua" "$u/v1/chat/completions" >"$T/$name-$i.txt" 2>&1 &
    pids+=($!)
    i=$((i + 1))
  done
  for p in "${pids[@]}"; do wait "$p" || bench_die "wrk failed for $name"; done
  for i in 0 1 2; do
    python3 "$BENCH/lib/loadreport.py" parse "$name-$i" "$T/$name-$i.txt" 0 0 >"$T/$name-$i.json"
    ROWS+=("$T/$name-$i.json")
  done
}
for u in "$SINGLE" "$SHARED" "$SHARED_B" "$SHARED_C"; do bench_warm "$u/v1/chat/completions"; done
for ((r = 1; r <= ROUNDS; r++)); do
  run "single-c1#$r" "$SINGLE/v1/chat/completions" 1 1 "$SINGLE_PID"
  run "shared-c1#$r" "$SHARED/v1/chat/completions" 1 1 "$SHARED_PID"
  run "single-c64#$r" "$SINGLE/v1/chat/completions" 64 2 "$SINGLE_PID"
  run "shared-c64#$r" "$SHARED/v1/chat/completions" 64 2 "$SHARED_PID"
  run3 "shared3-c22#$r"
done
fallbacks=$(curl -sS "$SHARED/metrics" | grep '^ploke_shared_fallback_total' | awk '{s += $2} END {print s + 0}')

python3 - "$RESULTS" "$fallbacks" "${ROWS[@]}" <<'PY'
import json, sys, re
out, fallbacks, rows = sys.argv[1], int(sys.argv[2]), [json.load(open(p)) for p in sys.argv[3:]]
best, per_round = {}, {}
for r in rows:
    base = r["name"].split("#")[0]
    if base.startswith("shared3"):  # sum the three instances of a round
        rnd = r["name"].split("#")[1].split("-")[0]
        per_round.setdefault(rnd, []).append(r["req_per_s"])
        continue
    key = (lambda x: -x["p50_ms"]) if base.endswith("c1") else (lambda x: x["req_per_s"])
    if base not in best or key(r) > key(best[base]):
        best[base] = r
three = max((sum(v) / len(v) for v in per_round.values() if len(v) == 3), default=0)
s = {
    "added_p50_ms_c1": round(best["shared-c1"]["p50_ms"] - best["single-c1"]["p50_ms"], 4),
    "shared_over_single_c64": round(best["shared-c64"]["req_per_s"] / best["single-c64"]["req_per_s"], 3),
    "three_instances_per_instance_req_per_s": round(three),
    "three_instances_per_instance_over_single_c64": round(three / best["single-c64"]["req_per_s"], 3),
    "fallback_decisions": fallbacks,
    "targets": {"added_p50_ms_c1 <=": 0.05, "shared_over_single_c64 >=": 0.8},
}
json.dump({"rows": rows, "best": best, "summary": s}, open(out, "w"), indent=2)
print(f"{'run':<12} {'req/s':>9} {'p50':>9} {'p99':>9}")
for n in sorted(best):
    r = best[n]
    print(f"{n:<12} {r['req_per_s']:>9.0f} {r['p50_ms']*1000:>7.0f}us {r['p99_ms']*1000:>7.0f}us")
print(json.dumps(s, indent=2))
PY
cp "$RESULTS" "$BENCH/results/shared-latest.json"
bench_log "results: $RESULTS"
