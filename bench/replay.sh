#!/usr/bin/env bash
# Replay bench: `ploke-sim serve --cassette` vs talkback replaying the same
# recorded ~1 KB non-stream chat completion, wrk -t2 -c64 (keep-alive), interleaved rounds.
#
#   bench/replay.sh [BUILD_DIR]
#
# Both tools record the same exchange from the simulator first (ploke-sim record, talkback
# in record mode), then replay it with the upstream stopped. Env knobs:
# PLOKE_BENCH_DURATION (s, default 10), PLOKE_BENCH_ROUNDS (default 3, best reported),
# PLOKE_BENCH_WARMUP (s, default 3). talkback@4.2.0 is installed from npm into
# bench/.cache/talkback on first use. Results: bench/results/replay-<stamp>.json.
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH/.." && pwd)
# shellcheck source=bench/lib/common.sh
source "$BENCH/lib/common.sh"
bench_init

BIN=$(bench_find_binary "$REPO" "${1:-}")
DUR=${PLOKE_BENCH_DURATION:-10}
WARM=${PLOKE_BENCH_WARMUP:-3}
ROUNDS=${PLOKE_BENCH_ROUNDS:-3}
CLK_TCK=$(getconf CLK_TCK)
TB_VERSION=4.2.0
TB_DIR=$BENCH/.cache/talkback
WRK=(wrk -t2 -c64 --latency -s "$BENCH/lib/post.lua")
for t in wrk node npm python3 curl; do command -v "$t" >/dev/null || bench_die "$t not found (scripts/install-deps.sh --bench)"; done
if [[ ! -f $TB_DIR/node_modules/talkback/package.json ]] ||
   ! grep -q "\"version\": \"$TB_VERSION\"" "$TB_DIR/node_modules/talkback/package.json"; then
  mkdir -p "$TB_DIR"
  bench_log "installing talkback@$TB_VERSION into $TB_DIR (npm)"
  npm install --prefix "$TB_DIR" --no-audit --no-fund --no-save --loglevel=error "talkback@$TB_VERSION" >&2
fi

BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ploke-replay.XXXXXX")
T=$BENCH_TMP
mkdir -p "$BENCH/results"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=$BENCH/results/replay-$STAMP.json
ROWS=()
CHAT=/v1/chat/completions

run_wrk() {  # NAME URL SECONDS measure|warmup [SERVER_PID]
  local name=$1 url=$2 secs=$3 mode=$4 spid=${5:-}
  if [[ $mode == warmup ]]; then
    bench_log "$name: warm-up ${secs}s"
    "${WRK[@]}" -d"${secs}s" "$url" >"$T/$name.warmup.txt" 2>&1 || bench_die "wrk warm-up failed for $name"
    return
  fi
  local load1 c0=0 c1=0 cpu_s=""
  load1=$(cut -d' ' -f1 /proc/loadavg)
  bench_log "$name: measuring ${secs}s (loadavg $load1)"
  [[ -n $spid ]] && c0=$(bench_cpu_ticks "$spid")
  "${WRK[@]}" -d"${secs}s" "$url" >"$T/$name.wrk.txt" 2>&1 || { cat "$T/$name.wrk.txt" >&2; bench_die "wrk failed for $name"; }
  [[ -n $spid ]] && c1=$(bench_cpu_ticks "$spid") && cpu_s=$(python3 -c "print(($c1 - $c0) / $CLK_TCK)")
  python3 "$BENCH/lib/loadreport.py" parse "$name" "$T/$name.wrk.txt" "$load1" ${cpu_s:+"$cpu_s"} >"$T/$name.json"
  ROWS+=("$T/$name.json")
}

# ---------------------------------------------------------------- record from the simulator
python3 - >"$T/body.json" <<'PY'
import json
print(json.dumps({"model": "gpt-4o", "messages": [{"role": "system", "content": "You are terse."},
      {"role": "user", "content": "Give me a short status update."}], "max_tokens": 8, "n": 3},
      separators=(",", ":")), end="")
PY
bench_spawn "$T/upstream.log" "$BIN" serve --host 127.0.0.1 --port 0 --seed 7 --fast
UP_PID=$BENCH_LAST_PID
UP_URL=$(bench_wait_line "$T/upstream.log" '^listening on (http://127\.0\.0\.1:[0-9]+)$' 15) || bench_die "upstream simulator did not start"

bench_spawn "$T/record.log" "$BIN" record --upstream "$UP_URL" --cassette "$T/cassette.json" --mode all \
  --port 0 --flush-ms 0 --synthetic --quiet
REC_PID=$BENCH_LAST_PID
REC_URL=$(bench_wait_line "$T/record.log" '(http://127\.0\.0\.1:[0-9]+)' 15) || { cat "$T/record.log" >&2; bench_die "recorder did not start"; }
curl -sS -o "$T/recorded.json" -H 'content-type: application/json' -H 'authorization: Bearer sk-FAKE-bench' \
  --data-binary @"$T/body.json" "$REC_URL$CHAT"
bench_stop "$REC_PID" || bench_die "recorder exited non-zero"
[[ -s $T/cassette.json ]] || bench_die "no cassette written"

TB_PORT=$(bench_free_port)
mkdir -p "$T/tapes"
bench_spawn "$T/tb-record.log" node "$BENCH/lib/talkback_server.cjs" "$TB_DIR" record "$UP_URL" "$T/tapes/" "$TB_PORT"
TB_PID=$BENCH_LAST_PID
bench_wait_line "$T/tb-record.log" '(listening on)' 30 >/dev/null || { cat "$T/tb-record.log" >&2; bench_die "talkback did not start"; }
curl -sS -o "$T/tb-recorded.json" -H 'content-type: application/json' -H 'authorization: Bearer sk-FAKE-bench' \
  --data-binary @"$T/body.json" "http://127.0.0.1:$TB_PORT$CHAT"
bench_stop "$TB_PID" || true
ls "$T/tapes"/* >/dev/null 2>&1 || bench_die "talkback wrote no tape"
bench_stop "$UP_PID" || true  # replay from here on: no upstream

# ---------------------------------------------------------------- replay servers
bench_spawn "$T/serve.log" "$BIN" serve --host 127.0.0.1 --port 0 --cassette "$T/cassette.json" --timing none
SIM_PID=$BENCH_LAST_PID
SIM_URL=$(bench_wait_line "$T/serve.log" '^listening on (http://127\.0\.0\.1:[0-9]+)$' 15) || { cat "$T/serve.log" >&2; bench_die "serve --cassette did not start"; }
bench_spawn "$T/tb.log" node "$BENCH/lib/talkback_server.cjs" "$TB_DIR" replay "$UP_URL" "$T/tapes/" "$TB_PORT"
TB_PID=$BENCH_LAST_PID
bench_wait_line "$T/tb.log" '(listening on)' 30 >/dev/null || { cat "$T/tb.log" >&2; bench_die "talkback did not start"; }
TB_URL=http://127.0.0.1:$TB_PORT

# Both must answer the bench request with the recorded body.
for name in SIM TB; do
  url_var=${name}_URL
  code=$(curl -sS -o "$T/check-$name.json" -w '%{http_code}' -H 'content-type: application/json' \
    -H 'authorization: Bearer sk-bench' --data-binary @"$T/body.json" "${!url_var}$CHAT")
  [[ $code == 200 ]] || { cat "$T/check-$name.json" >&2; bench_die "$name replay answered $code"; }
done
cmp -s "$T/check-SIM.json" "$T/recorded.json" || bench_die "ploke-sim replay body differs from the recorded one"
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); assert a["object"]=="chat.completion"' "$T/check-TB.json" \
  || bench_die "talkback replay is not a chat.completion"
BODY_BYTES=$(wc -c <"$T/check-SIM.json")
TB_BYTES=$(wc -c <"$T/check-TB.json")
bench_log "replayed body: ploke-sim $BODY_BYTES bytes, talkback $TB_BYTES bytes"

export WRK_METHOD=POST WRK_BODY_FILE=$T/body.json
run_wrk ploke-replay-warmup "$SIM_URL$CHAT" "$WARM" warmup
run_wrk talkback-warmup "$TB_URL$CHAT" "$WARM" warmup
for ((r = 1; r <= ROUNDS; r++)); do
  run_wrk "ploke-replay#$r" "$SIM_URL$CHAT" "$DUR" measure "$SIM_PID"
  run_wrk "talkback#$r" "$TB_URL$CHAT" "$DUR" measure "$TB_PID"
done
bench_stop "$TB_PID" || true
bench_stop "$SIM_PID" || bench_die "serve --cassette exited non-zero on SIGTERM"

python3 - "$RESULTS" "$BODY_BYTES" "$TB_BYTES" "$STAMP" "${ROWS[@]}" <<'PY'
import json, sys, re
out, body, tb_body, stamp, rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5:]
runs = [json.load(open(r)) for r in rows]
def best(prefix):
    rs = [r for r in runs if r["name"].startswith(prefix + "#")]
    return max(rs, key=lambda r: r["req_per_s"]) if rs else None
sim, tb = best("ploke-replay"), best("talkback")
ratio = sim["req_per_s"] / tb["req_per_s"]
res = {"bench": "replay", "utc": stamp, "body_bytes": {"ploke": body, "talkback": tb_body},
       "runs": runs, "best": {"ploke-replay": sim, "talkback": tb}, "ratio": ratio,
       "target": "ploke replay >= 1.5x talkback", "met": ratio >= 1.5}
json.dump(res, open(out, "w"), indent=1)
print(f"\nReplay bench ({stamp}): wrk -t2 -c64, best of interleaved rounds, body {body} bytes")
print(f"{'server':<16}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'cpu us/req':>12}{'loadavg':>9}")
for r in runs:
    cpu = "%.1f" % r["server_cpu_us_per_req"] if r.get("server_cpu_us_per_req") else "-"
    load = r.get("loadavg1_before", "-")
    print(f"{r['name']:<16}{r['req_per_s']:>10.0f}{r['p50_ms']:>9.3f}{r['p99_ms']:>9.3f}{cpu:>12}{load:>9}")
print(f"\nploke-sim replay / talkback: {ratio:.2f}x (target >= 1.5): {'MET' if ratio >= 1.5 else 'MISSED'}")
print(f"results: {out}")
PY
