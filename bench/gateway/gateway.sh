#!/usr/bin/env bash
# Gateway bench: what `ploke-sim gateway` costs in front of a fast upstream, against the
# same upstream called directly and through Portkey's gateway, in the same run.
#
#   bench/gateway/gateway.sh [BUILD_DIR]     (a Release build: cmake -DCMAKE_BUILD_TYPE=Release)
#
#   upstream  = `ploke-sim serve --fast` (the simulator, no simulated latency)
#   direct    = wrk → upstream
#   gateway   = wrk → `ploke-sim gateway --provider openai,UPSTREAM/v1,gpt-4o` → upstream
#               (each request on a fiber of its event loop, upstream calls on the same loop)
#   nginxproxy= wrk → nginx `proxy_pass` (upstream keepalive, worker_processes auto) →
#               upstream: what a lean C reverse proxy with no work of its own costs on
#               this machine (the ceiling for any gateway here), PLOKE_BENCH_SKIP_NGINX=1
#               to leave it out
#   portkey   = wrk → `node build/start-server.js --headless` (npm @portkey-ai/gateway,
#               @hono/node-server pinned 1.13.5, bound to 127.0.0.1) → upstream, with
#               x-portkey-provider: openai, x-portkey-custom-host: UPSTREAM/v1
# Each: c1 (wrk -t1 -c1: latency p50 → added latency over direct) and c64 (wrk -t2 -c64:
# throughput → % of direct), ROUNDS interleaved rounds, best round kept; CPU µs/request
# of the gateway process (utime+stime over the run / requests), loadavg before each run.
#
# Env: PLOKE_BENCH_DURATION (s, 8), PLOKE_BENCH_ROUNDS (3), PLOKE_BENCH_WARMUP (s, 2),
# PLOKE_GATEWAY_BENCH_ARGS (extra gateway flags, e.g. "--threads 1"),
# PLOKE_BENCH_SKIP_PORTKEY=1. Portkey is installed with npm into bench/gateway/portkey/
# (first run only; needs the npm registry). Results: bench/results/gateway-<UTC>.json
# and a table on stdout. Everything binds 127.0.0.1; every process is stopped on exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH=$(cd "$HERE/.." && pwd)
REPO=$(cd "$BENCH/.." && pwd)
# shellcheck source=bench/lib/common.sh
source "$BENCH/lib/common.sh"
# shellcheck source=bench/lib/wrk_runs.sh
source "$BENCH/lib/wrk_runs.sh"
bench_init

bench_gateway_init gateway "${1:-}"

# --- upstream: the simulator, no simulated latency -------------------------------------
# The simulated provider advertises (and enforces) a rate limit, which the façade honours
# like a real one (10,000 requests/min by default: a c64 run would spend most of its time
# answering 429s from the gateway's own limiter). Raised here: this bench measures what the
# gateway costs, not the provider's budget.
bench_spawn "$T/sim.log" "$BIN" serve --host 127.0.0.1 --port 0 --seed 7 --fast --limit-requests 1000000000 --limit-tokens 1000000000000
SIM_PID=$BENCH_LAST_PID
SIM=$(bench_wait_line "$T/sim.log" '^listening on (http://127\.0\.0\.1:[0-9]+)$' 15) || { cat "$T/sim.log" >&2; bench_die "simulator did not start"; }
bench_log "upstream: $SIM"

# --- ploke gateway ----------------------------------------------------------------------
# shellcheck disable=SC2206
GW_EXTRA=(${PLOKE_GATEWAY_BENCH_ARGS:-})
bench_spawn "$T/gw.log" "$BIN" gateway --host 127.0.0.1 --port 0 --provider "openai,$SIM/v1,gpt-4o" "${GW_EXTRA[@]}"
GW_PID=$BENCH_LAST_PID
GW=$(bench_wait_line "$T/gw.log" '^listening on (http://127\.0\.0\.1:[0-9]+)$' 15) || { cat "$T/gw.log" >&2; bench_die "gateway did not start"; }
bench_log "gateway: $GW (${GW_EXTRA[*]})"
code=$(curl -sS -o "$T/gw_sample.json" -w '%{http_code}' -H 'content-type: application/json' --data-binary @"$T/body.json" "$GW/v1/chat/completions")
[[ $code == 200 ]] || { cat "$T/gw_sample.json" "$T/gw.log" >&2; bench_die "gateway answered $code"; }

# --- nginx as a plain reverse proxy (reference) -----------------------------------------
NX=
if [[ ${PLOKE_BENCH_SKIP_NGINX:-0} != 1 ]] && command -v nginx >/dev/null; then
  chmod 755 "$T"
  NX_PORT=$(bench_free_port)
  bench_nginx_start "$T/nginx" "$NX_PORT" "  upstream sim { server ${SIM#http://}; keepalive 128; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:$NX_PORT;
    server_tokens off;
    location / {
      proxy_pass http://sim;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_buffering off;
    }
  }"
  NX_PID=$BENCH_LAST_PID
  NX=http://127.0.0.1:$NX_PORT
  bench_wait_http "$NX/v1/models" 10 || { cat "$T/nginx/nginx.log" "$T/nginx/logs/error.log" >&2; bench_die "nginx did not start"; }
  bench_log "nginx proxy: $NX"
fi

# --- Portkey ----------------------------------------------------------------------------
PK=
if [[ ${PLOKE_BENCH_SKIP_PORTKEY:-0} != 1 ]]; then
  command -v node >/dev/null || bench_die "node not found (or PLOKE_BENCH_SKIP_PORTKEY=1)"
  PKDIR=$HERE/portkey
  if [[ ! -f $PKDIR/node_modules/@portkey-ai/gateway/build/start-server.js ]]; then
    bench_log "installing @portkey-ai/gateway into $PKDIR (npm)"
    mkdir -p "$PKDIR"
    cat >"$PKDIR/package.json" <<'JSON'
{ "name": "ploke-portkey-bench", "private": true, "version": "0.0.0",
  "dependencies": { "@portkey-ai/gateway": "*", "@hono/node-server": "1.13.5" },
  "overrides": { "@hono/node-server": "1.13.5" } }
JSON
    (cd "$PKDIR" && npm install --no-audit --no-fund --loglevel=error >&2) || bench_die "npm install @portkey-ai/gateway failed"
  fi
  PK_PORT=$(bench_free_port)
  # start-server.js calls serve({fetch, port}) with no hostname (= every interface); a
  # preload patches net.Server#listen so a bare port binds 127.0.0.1.
  PK_MAIN=$PKDIR/node_modules/@portkey-ai/gateway/build/start-server.js
  cat >"$T/bind-loopback.cjs" <<'JS'
const net = require('node:net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1');
  else if (args[0] && typeof args[0] === 'object' && args[0].port !== undefined && !args[0].host) args[0] = { ...args[0], host: '127.0.0.1' };
  return listen.apply(this, args);
};
JS
  bench_spawn "$T/portkey.log" node --require "$T/bind-loopback.cjs" "$PK_MAIN" --port="$PK_PORT" --headless
  PK_PID=$BENCH_LAST_PID
  PK=http://127.0.0.1:$PK_PORT
  bench_wait_http "$PK/v1/models" 30 || { cat "$T/portkey.log" >&2; bench_die "portkey did not start"; }
  if ss -ltn 2>/dev/null | grep -q "0.0.0.0:$PK_PORT\|\*:$PK_PORT\|\[::\]:$PK_PORT"; then
    bench_log "WARNING: portkey listens on all interfaces (port $PK_PORT)"
  fi
  code=$(curl -sS -o "$T/pk_sample.json" -w '%{http_code}' -H 'content-type: application/json' \
    -H 'x-portkey-provider: openai' -H "x-portkey-custom-host: $SIM/v1" -H 'authorization: Bearer sk-bench' \
    --data-binary @"$T/body.json" "$PK/v1/chat/completions")
  [[ $code == 200 ]] || { cat "$T/pk_sample.json" "$T/portkey.log" >&2; bench_die "portkey answered $code"; }
  bench_log "portkey: $PK (pid $PK_PID)"
fi

# run NAME URL CONNS THREADS PID [extra wrk args...]: bench_run, its wrk output kept too
run() {
  bench_run "$@"
  { echo "=== $1 (loadavg before: $(python3 -c "import json;print(json.load(open('$T/$1.json')).get('loadavg1_before'))"))"
    cat "$T/$1.txt"; } >>"$BENCH/results/gateway-$STAMP.wrk.txt"
}
PKH=(-H 'x-portkey-provider: openai' -H "x-portkey-custom-host: $SIM/v1" -H 'authorization: Bearer sk-bench')
warm() { bench_warm "$@"; }
warm "$SIM/v1/chat/completions"
warm "$GW/v1/chat/completions"
[[ -n $NX ]] && warm "$NX/v1/chat/completions"
[[ -n $PK ]] && warm "${PKH[@]}" "$PK/v1/chat/completions"

for ((r = 1; r <= ROUNDS; r++)); do
  run "direct-c1#$r" "$SIM/v1/chat/completions" 1 1 "$SIM_PID"
  run "gateway-c1#$r" "$GW/v1/chat/completions" 1 1 "$GW_PID"
  [[ -n $NX ]] && run "nginxproxy-c1#$r" "$NX/v1/chat/completions" 1 1 "$NX_PID"
  [[ -n $PK ]] && run "portkey-c1#$r" "$PK/v1/chat/completions" 1 1 "$PK_PID" "${PKH[@]}"
  run "direct-c64#$r" "$SIM/v1/chat/completions" 64 2 "$SIM_PID"
  run "gateway-c64#$r" "$GW/v1/chat/completions" 64 2 "$GW_PID"
  [[ -n $NX ]] && run "nginxproxy-c64#$r" "$NX/v1/chat/completions" 64 2 "$NX_PID"
  [[ -n $PK ]] && run "portkey-c64#$r" "$PK/v1/chat/completions" 64 2 "$PK_PID" "${PKH[@]}"
done

# Per proxy (gateway, nginx as a bare reverse proxy, portkey when installed) vs direct.
bench_best "$RESULTS" '{
  **{k: v for who in ("gateway", "nginxproxy", "portkey") if who + "-c1" in best for k, v in {
      who + "_added_p50_ms_c1": round(best[who + "-c1"]["p50_ms"] - best["direct-c1"]["p50_ms"], 4),
      who + "_throughput_pct_of_direct_c64": round(100 * best[who + "-c64"]["req_per_s"] / best["direct-c64"]["req_per_s"], 1),
      who + "_cpu_us_per_req_c64": best[who + "-c64"].get("server_cpu_us_per_req"),
      who + "_cpu_us_per_req_c1": best[who + "-c1"].get("server_cpu_us_per_req")}.items()},
  "targets": {"gateway_added_p50_ms_c1 <=": 0.1, "gateway_throughput_pct_of_direct_c64 >=": 60}}' "${ROWS[@]}"
cp "$RESULTS" "$BENCH/results/gateway-latest.json"
bench_log "results: $RESULTS"
