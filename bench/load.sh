#!/usr/bin/env bash
# Load bench: `ploke-sim serve` vs nginx vs WireMock answering the same ~1 KB
# non-stream chat completion, with wrk -t2 -c64 -d10s (keep-alive) --latency.
#
#   bench/load.sh [BUILD_DIR]          BUILD_DIR defaults to the first of build/, build-*/
#
# Env knobs: PLOKE_BENCH_DURATION (s, default 10), PLOKE_BENCH_ROUNDS (interleaved
# sim/nginx rounds, default 3; best round reported), PLOKE_BENCH_WARMUP (s, sim/nginx,
# default 3), PLOKE_BENCH_WM_WARMUP (s, WireMock, default 30), PLOKE_BENCH_N (choices per
# completion, default 3 -> ~1 KB body), PLOKE_BENCH_SKIP_WIREMOCK=1,
# PLOKE_SIM_SERVE_ARGS (default "--fast").
# Results: bench/results/load-<UTC stamp>.json (+ load-latest.json) and a table on stdout.
# Everything binds 127.0.0.1; every process started here is stopped on exit (trap).
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH/.." && pwd)
# shellcheck source=bench/lib/common.sh
source "$BENCH/lib/common.sh"
bench_init

BIN=$(bench_find_binary "$REPO" "${1:-}")
DUR=${PLOKE_BENCH_DURATION:-10}
WARM=${PLOKE_BENCH_WARMUP:-3}
WM_WARM=${PLOKE_BENCH_WM_WARMUP:-30}
NCHOICES=${PLOKE_BENCH_N:-3}
ROUNDS=${PLOKE_BENCH_ROUNDS:-3}
CLK_TCK=$(getconf CLK_TCK)
WM_VERSION=3.13.2
WRK=(wrk -t2 -c64 --latency -s "$BENCH/lib/post.lua")
for t in wrk nginx java python3 curl; do command -v "$t" >/dev/null || bench_die "$t not found (scripts/install-deps.sh --bench)"; done

BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ploke-load.XXXXXX")
chmod 755 "$BENCH_TMP"  # nginx workers (user nobody when run as root) read html/ from here
T=$BENCH_TMP
mkdir -p "$BENCH/results"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=$BENCH/results/load-$STAMP.json
ROWS=()

# run_wrk NAME URL SECONDS [measure|warmup] [SERVER_PID]  (WRK_METHOD / WRK_BODY_FILE from
# the env). With SERVER_PID, the server's CPU time during the run is recorded too.
run_wrk() {
  local name=$1 url=$2 secs=$3 mode=${4:-measure} spid=${5:-}
  if [[ $mode == warmup ]]; then
    bench_log "$name: warm-up ${secs}s"
    "${WRK[@]}" -d"${secs}s" "$url" >"$T/$name.warmup.txt" 2>&1 || bench_die "wrk warm-up failed for $name"
    return
  fi
  local load1
  load1=$(cut -d' ' -f1 /proc/loadavg)
  bench_log "$name: measuring ${secs}s (loadavg $load1): ${WRK[*]} -d${secs}s $url"
  { echo "=== $name ($WRK_METHOD, loadavg before: $load1)"; } >>"$BENCH/results/load-$STAMP.wrk.txt"
  local c0=0 c1=0
  [[ -n $spid ]] && c0=$(bench_cpu_ticks "$spid")
  "${WRK[@]}" -d"${secs}s" "$url" >"$T/$name.wrk.txt" 2>&1 || { cat "$T/$name.wrk.txt" >&2; bench_die "wrk failed for $name"; }
  [[ -n $spid ]] && c1=$(bench_cpu_ticks "$spid")
  cat "$T/$name.wrk.txt" >>"$BENCH/results/load-$STAMP.wrk.txt"
  local cpu_s=""
  [[ -n $spid ]] && cpu_s=$(python3 -c "print(($c1 - $c0) / $CLK_TCK)")
  python3 "$BENCH/lib/loadreport.py" parse "$name" "$T/$name.wrk.txt" "$load1" ${cpu_s:+"$cpu_s"} >"$T/$name.json"
  ROWS+=("$T/$name.json")
}

# head_bytes URL METHOD -> bytes of the response head (status line + headers)
head_bytes() {
  if [[ $2 == POST ]]; then
    curl -sS -o /dev/null -D - -H 'content-type: application/json' --data-binary @"$T/body.json" "$1" | wc -c
  else
    curl -sS -o /dev/null -D - "$1" | wc -c
  fi
}

# ---------------------------------------------------------------- simulator
SIM_ARGS_STR=${PLOKE_SIM_SERVE_ARGS:-}
if [[ -z $SIM_ARGS_STR ]]; then
  if timeout 5 "$BIN" serve --help 2>&1 | grep -q -- '--fast'; then SIM_ARGS_STR="--fast"; else SIM_ARGS_STR="--ttft-ms 0 --tps 1000000000"; fi
fi
read -r -a SIM_ARGS <<<"$SIM_ARGS_STR"
bench_spawn "$T/sim.log" "$BIN" serve --host 127.0.0.1 --port 0 --seed 7 "${SIM_ARGS[@]}"
SIM_PID=$BENCH_LAST_PID
SIM_URL=$(bench_wait_line "$T/sim.log" '^listening on (http://127\.0\.0\.1:[0-9]+)$' 15) || { cat "$T/sim.log" >&2; bench_die "simulator did not start"; }
bench_log "simulator: $BIN serve ${SIM_ARGS[*]} -> $SIM_URL"
CHAT=/v1/chat/completions

# The request: deterministic size. The synthetic answer length is uniform in
# [min,max] tokens capped by max_tokens; max_tokens 8 (= the default minimum) fixes the
# token count, and n choices scale the body to ~1 KB.
python3 - "$NCHOICES" >"$T/body.json" <<'PY'
import json, sys
print(json.dumps({"model": "gpt-4o", "messages": [{"role": "system", "content": "You are terse."},
      {"role": "user", "content": "Give me a short status update."}], "max_tokens": 8, "n": int(sys.argv[1])},
      separators=(",", ":")), end="")
PY
python3 - "$NCHOICES" >"$T/body_stream.json" <<'PY'
import json, sys
print(json.dumps({"model": "gpt-4o", "messages": [{"role": "system", "content": "You are terse."},
      {"role": "user", "content": "Give me a short status update."}], "max_tokens": 8, "n": int(sys.argv[1]),
      "stream": True, "stream_options": {"include_usage": True}}, separators=(",", ":")), end="")
PY
SIZES=()
for i in 1 2 3 4 5; do
  code=$(curl -sS -o "$T/sample$i.json" -w '%{http_code}' -H 'content-type: application/json' \
    --data-binary @"$T/body.json" "$SIM_URL$CHAT")
  [[ $code == 200 ]] || { cat "$T/sample$i.json" >&2; bench_die "simulator answered $code to the bench request"; }
  SIZES+=("$(wc -c <"$T/sample$i.json")")
done
BODY_BYTES=${SIZES[0]}
bench_log "simulator body sizes over 5 requests: ${SIZES[*]} bytes"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["object"]=="chat.completion", d' "$T/sample1.json" \
  || bench_die "sample is not a chat.completion"
((BODY_BYTES >= 700 && BODY_BYTES <= 1400)) || bench_log "WARNING: body is $BODY_BYTES bytes, not ~1 KB (tune PLOKE_BENCH_N)"
SIM_HEAD=$(head_bytes "$SIM_URL$CHAT" POST)
# The exact head the simulator sends, reused (minus hop-by-hop headers) by nginx/WireMock
# so every server puts about the same bytes on the wire.
curl -sS -o /dev/null -D "$T/sim_headers.txt" -H 'content-type: application/json' --data-binary @"$T/body.json" "$SIM_URL$CHAT"

export WRK_METHOD=POST WRK_BODY_FILE=$T/body.json

# ---------------------------------------------------------------- nginx
# Same POST request as the simulator gets. nginx's static module refuses POST (405), so
# `error_page 405 =200 $uri` re-serves the file as 200 (an internal redirect: a little
# extra work for nginx, but identical request and response bytes on the wire).
# Tuned the usual way for a bench: access_log off, sendfile, open_file_cache,
# worker_processes auto (= cores), keepalive_requests high.
mkdir -p "$T/nginx/conf" "$T/nginx/html/v1/chat" "$T/nginx/tmp" "$T/nginx/logs"
cp "$T/sample1.json" "$T/nginx/html/v1/chat/completions"
chmod -R a+rX "$T/nginx/html"
NGINX_PORT=$(bench_free_port)
ADD_HEADERS=$(python3 - "$T/sim_headers.txt" <<'PY'
import sys
skip = {"content-type", "content-length", "connection", "keep-alive", "date", "server", "transfer-encoding"}
for line in open(sys.argv[1], encoding="latin-1").read().splitlines()[1:]:
    if ":" not in line: continue
    k, v = line.split(":", 1)
    if k.strip().lower() in skip: continue
    print(f'      add_header {k.strip()} "{v.strip()}";')
PY
)
bench_nginx_start "$T/nginx" "$NGINX_PORT" "  sendfile on;
  etag off;
  tcp_nopush on;
  open_file_cache max=64 inactive=60s;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $T/nginx/html;
    server_tokens off;
    location = /v1/chat/completions {
      default_type application/json;
      error_page 405 =200 \$uri;
$ADD_HEADERS
    }
  }"
NGINX_PID=$BENCH_LAST_PID
NGINX_URL=http://127.0.0.1:$NGINX_PORT
bench_wait_http "$NGINX_URL$CHAT" 10 || { cat "$T/nginx/nginx.log" "$T/nginx/logs/error.log" >&2; bench_die "nginx did not start"; }
NGINX_BODY=$(curl -sS -H 'content-type: application/json' --data-binary @"$T/body.json" "$NGINX_URL$CHAT" | wc -c)
NGINX_CODE=$(curl -sS -o /dev/null -w '%{http_code}' -H 'content-type: application/json' --data-binary @"$T/body.json" "$NGINX_URL$CHAT")
[[ $NGINX_CODE == 200 && $NGINX_BODY == "$BODY_BYTES" ]] || bench_die "nginx answered $NGINX_CODE with $NGINX_BODY bytes (want 200, $BODY_BYTES)"
NGINX_HEAD=$(head_bytes "$NGINX_URL$CHAT" POST)
bench_log "nginx: $NGINX_URL (worker_processes auto)"

# ---------------------------------------------------------------- sim vs nginx, interleaved
# Both servers are up (the idle one costs nothing); each round measures the simulator
# then nginx back to back so both see about the same background load. The summary row
# of each is its best round (highest req/s); every round is kept in the JSON.
run_wrk simulator-warmup "$SIM_URL$CHAT" "$WARM" warmup
run_wrk nginx-warmup "$NGINX_URL$CHAT" "$WARM" warmup
for ((r = 1; r <= ROUNDS; r++)); do
  run_wrk "simulator#$r" "$SIM_URL$CHAT" "$DUR" measure "$SIM_PID"
  run_wrk "nginx#$r" "$NGINX_URL$CHAT" "$DUR" measure "$NGINX_PID"
done
# Reference only: nginx answering GET (no request body to read/discard, no 405 redirect).
WRK_METHOD=GET run_wrk nginx-get "$NGINX_URL$CHAT" "$DUR" measure "$NGINX_PID"
bench_stop "$NGINX_PID" || true
# Streamed completion (same request with stream:true + include_usage), simulator only.
SIM_STREAM_BYTES=$(curl -sS -H 'content-type: application/json' --data-binary @"$T/body_stream.json" "$SIM_URL$CHAT" | wc -c)
WRK_BODY_FILE=$T/body_stream.json run_wrk simulator-stream "$SIM_URL$CHAT" "$(( DUR < 5 ? DUR : 5 ))" measure "$SIM_PID"
SIM_RC=0
bench_stop "$SIM_PID" || SIM_RC=$?
bench_log "simulator stopped (exit $SIM_RC)"

# ---------------------------------------------------------------- WireMock
WM_HEAD=0 WM_BODY=0 WM_JAR=
if [[ ${PLOKE_BENCH_SKIP_WIREMOCK:-0} != 1 ]]; then
  WM_JAR=$("$BENCH/lib/wiremock_jar.sh" "$WM_VERSION")
  mkdir -p "$T/wm/mappings" "$T/wm/__files"
  cp "$T/sample1.json" "$T/wm/__files/completion.json"
  python3 - "$T/sim_headers.txt" >"$T/wm/mappings/chat.json" <<'PY'
import json, sys
skip = {"content-length", "connection", "keep-alive", "date", "server", "transfer-encoding"}
headers = {}
for line in open(sys.argv[1], encoding="latin-1").read().splitlines()[1:]:
    if ":" not in line: continue
    k, v = line.split(":", 1)
    if k.strip().lower() not in skip: headers[k.strip()] = v.strip()
print(json.dumps({"request": {"method": "POST", "url": "/v1/chat/completions"},
                  "response": {"status": 200, "headers": headers, "bodyFileName": "completion.json"}}))
PY
  WM_PORT=$(bench_free_port)
  bench_spawn "$T/wiremock.log" env -C "$T/wm" java -jar "$WM_JAR" --bind-address 127.0.0.1 --port "$WM_PORT" \
    --root-dir "$T/wm" --no-request-journal --disable-banner
  WM_PID=$BENCH_LAST_PID
  WM_URL=http://127.0.0.1:$WM_PORT
  bench_wait_http "$WM_URL/__admin/health" 60 || { cat "$T/wiremock.log" >&2; bench_die "WireMock did not start"; }
  WM_BODY=$(curl -sS -H 'content-type: application/json' --data-binary @"$T/body.json" "$WM_URL$CHAT" | wc -c)
  [[ $WM_BODY == "$BODY_BYTES" ]] || bench_die "WireMock answered $WM_BODY bytes (want $BODY_BYTES)"
  WM_HEAD=$(head_bytes "$WM_URL$CHAT" POST)
  bench_log "WireMock $WM_VERSION: $WM_URL"
  run_wrk wiremock-warmup "$WM_URL$CHAT" "$WM_WARM" warmup
  run_wrk wiremock "$WM_URL$CHAT" "$DUR" measure "$WM_PID"
  bench_stop "$WM_PID" || true
fi

# ---------------------------------------------------------------- report
python3 - "$T/meta.json" <<PY
import json, os, subprocess, sys
def sh(*a):
    try: return subprocess.run(a, capture_output=True, text=True, cwd="$REPO").stdout.strip()
    except Exception: return ""
json.dump({
  "bench": "load", "utc": "$STAMP",
  "git": sh("git", "rev-parse", "--short", "HEAD") + ("-dirty" if sh("git", "status", "--porcelain") else ""),
  "binary": "$BIN", "sim_args": "serve --host 127.0.0.1 --port 0 --seed 7 ${SIM_ARGS[*]}",
  "sim_exit_on_sigterm": $SIM_RC,
  "nproc": os.cpu_count(), "loadavg_at_end": open("/proc/loadavg").read().split()[:3],
  "wrk": "wrk -t2 -c64 -d${DUR}s --latency (keep-alive), POST, body $(wc -c <"$T/body.json") bytes",
  "request_body": json.load(open("$T/body.json")),
  "response_bytes": {"simulator": {"head": $SIM_HEAD, "body": $BODY_BYTES, "body_samples": [$(IFS=,; echo "${SIZES[*]}")]},
                     "nginx": {"head": $NGINX_HEAD, "body": $NGINX_BODY},
                     "wiremock": {"head": $WM_HEAD, "body": $WM_BODY},
                     "simulator_stream_body": $SIM_STREAM_BYTES},
  "nginx": "$(nginx -v 2>&1 | sed 's/.*: //')", "wiremock": "$WM_VERSION" if "$WM_JAR" else None,
  "java": "$(java -version 2>&1 | head -1 | tr -d '"')",
  "warmup_s": {"simulator": $WARM, "nginx": $WARM, "wiremock": $WM_WARM}, "rounds": $ROUNDS,
}, open(sys.argv[1], "w"))
PY
echo
echo "Load bench ($STAMP): wrk -t2 -c64 -d${DUR}s, $ROUNDS interleaved sim/nginx rounds (best shown), body $BODY_BYTES bytes (+ head: sim $SIM_HEAD, nginx $NGINX_HEAD, wiremock $WM_HEAD)"
python3 "$BENCH/lib/loadreport.py" report "$RESULTS" "$T/meta.json" "${ROWS[@]}"
cp "$RESULTS" "$BENCH/results/load-latest.json"
[[ $SIM_RC -eq 0 ]] || { echo "simulator exited $SIM_RC on SIGTERM (expected 0)" >&2; exit 1; }
