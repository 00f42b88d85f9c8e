#!/usr/bin/env bash
# Soak: the gateway (two in-process simulators, every fault kind of bench/soak/faults.json at
# a low seeded rate) under a steady mixed load (OpenAI and Anthropic protocols, streamed and
# not) for a long time. Samples the gateway's RSS, open fds and threads, and checks that:
#   - flat: the second half of the run peaks no higher than the first half (RSS: + 10 % +
#     16 MiB; open fds: + 4, as pooled upstream connections come and go; threads: + 2), so
#     growth after the pools and caches have warmed up fails the soak;
#   - every request ended in a known class (no "unclassified" outcome);
#   - the gateway is still alive at the end (GET /v1/models answers).
#
#   bench/soak.sh [BUILD_DIR]
# Env: PLOKE_SOAK_MINUTES (default 30), PLOKE_SOAK_RATE (requests/s, default 40),
#      PLOKE_SOAK_CONCURRENCY (client threads, default 16), PLOKE_SOAK_SAMPLE_S (default 10).
# Results: bench/results/soak-<UTC stamp>.json (samples, outcome classes, verdict); exit 1
# when a check fails. Loopback only; every process started is stopped on exit.
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH/.." && pwd)
# shellcheck source=bench/lib/common.sh
source "$BENCH/lib/common.sh"
bench_init
BIN=$(bench_find_binary "$REPO" "${1:-}")
MINUTES=${PLOKE_SOAK_MINUTES:-30}
RATE=${PLOKE_SOAK_RATE:-40}
CONC=${PLOKE_SOAK_CONCURRENCY:-16}
SAMPLE=${PLOKE_SOAK_SAMPLE_S:-10}
SECONDS_TOTAL=$(python3 -c "print(int(float('$MINUTES') * 60))")
BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ploke-soak.XXXXXX")
mkdir -p "$BENCH/results"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$BENCH/results/soak-$STAMP.json

bench_spawn "$BENCH_TMP/gw.log" "$BIN" gateway --port 0 --sim --sim-faults "$BENCH/soak/faults.json" \
  --sim-ttft-ms 20 --sim-tps 400 --timeout-ms 5000
GW=$BENCH_LAST_PID
URL=$(bench_wait_line "$BENCH_TMP/gw.log" '^listening on (.*)$' 10) ||
  { cat "$BENCH_TMP/gw.log" >&2; bench_die "gateway did not start"; }
bench_log "gateway $URL (pid $GW); ${MINUTES} min at ${RATE} req/s, ${CONC} clients"

sample() {  # -> "elapsed_s rss_kib fds threads"
  local rss threads fds
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$GW/status")
  threads=$(awk '/^Threads:/ {print $2}' "/proc/$GW/status")
  fds=$(find "/proc/$GW/fd" -mindepth 1 -maxdepth 1 | wc -l)
  echo "$(( $(date +%s) - T0 )) $rss $fds $threads"
}
T0=$(date +%s)
python3 "$BENCH/soak/load.py" "$URL" "$SECONDS_TOTAL" "$RATE" "$CONC" "$BENCH_TMP/classes.json" &
LOAD=$!
BENCH_PIDS+=("$LOAD")
: >"$BENCH_TMP/samples"
while kill -0 "$LOAD" 2>/dev/null; do
  kill -0 "$GW" 2>/dev/null || bench_die "the gateway died during the soak (log: $BENCH_TMP/gw.log)"
  sample >>"$BENCH_TMP/samples"
  sleep "$SAMPLE"
done
wait "$LOAD" || bench_die "the load generator failed"
sleep 1  # let the last connections close
sample >>"$BENCH_TMP/samples"
ALIVE=0
curl -sf -o /dev/null --max-time 5 "$URL/v1/models" && ALIVE=1

python3 - "$BENCH_TMP/samples" "$BENCH_TMP/classes.json" "$OUT" "$ALIVE" "$MINUTES" "$RATE" "$CONC" <<'PY'
import json, os, sys
samples_path, classes_path, out, alive, minutes, rate, conc = sys.argv[1:]
rows = [list(map(int, l.split())) for l in open(samples_path) if l.strip()]
classes = json.load(open(classes_path))
half = max(1, len(rows) // 2)
first, second = rows[:half], rows[half:] or rows[-1:]
peak = lambda rs, i: max(r[i] for r in rs)
warm, last = rows[0], rows[-1]
checks = {
    "rss_flat": peak(second, 1) <= peak(first, 1) * 1.10 + 16 * 1024,
    "fds_flat": peak(second, 2) <= peak(first, 2) + 4,
    "threads_flat": peak(second, 3) <= peak(first, 3) + 2,
    "every_request_classified": classes.get("unclassified", 0) == 0,
    "alive_at_end": alive == "1",
}
result = {"minutes": float(minutes), "rate_per_s": float(rate), "clients": int(conc),
          "requests": sum(classes.values()), "classes": classes,
          "start": {"t_s": warm[0], "rss_kib": warm[1], "fds": warm[2], "threads": warm[3]},
          "first_half_peak": {"rss_kib": peak(first, 1), "fds": peak(first, 2), "threads": peak(first, 3)},
          "second_half_peak": {"rss_kib": peak(second, 1), "fds": peak(second, 2), "threads": peak(second, 3)},
          "end": {"t_s": last[0], "rss_kib": last[1], "fds": last[2], "threads": last[3]},
          "checks": checks, "passed": all(checks.values()),
          "samples": [{"t_s": r[0], "rss_kib": r[1], "fds": r[2], "threads": r[3]} for r in rows]}
with open(out + ".tmp", "w") as f:
    json.dump(result, f, indent=1)
os.replace(out + ".tmp", out)
print(json.dumps({k: v for k, v in result.items() if k != "samples"}, indent=1))
sys.exit(0 if result["passed"] else 1)
PY
