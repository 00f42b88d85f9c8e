#!/usr/bin/env bash
# OpenTelemetry export cost (issue 18 target: OTLP export on costs ≤ 5 % throughput at c64):
# the same gateway with and without --otlp-endpoint, in the same run, interleaved.
#
#   bench/gateway/otlp.sh [BUILD_DIR]
#
#   upstream = `ploke-sim serve --fast` (no simulated latency, limits raised)
#   sink     = `ploke-sim serve` (its OTLP sink receives the exports; it keeps the last 256
#              payloads)
#   gateway  = wrk → `ploke-sim gateway --provider openai,UPSTREAM/v1,gpt-4o` → upstream
#   gwotlp   = the same with --otlp-endpoint SINK (2 spans + 3 histogram updates per
#              request, batches of 512 spans, metrics every 2 s)
#   gwnull   = the same with --otlp-endpoint NULL: nginx answering every POST 200 `{}`
#              without parsing it (when nginx is installed) — a collector whose work is
#              elsewhere, as in production; the sink's JSON parsing shares these 2 vCPUs
#              with the gateway, wrk and the upstream, so gwotlp measures the gateway plus
#              a co-located collector
#   gwsampled= gwnull with --otlp-sample-ratio PLOKE_OTLP_SAMPLE_RATIO (0.1): spans of one
#              request in ten, metrics of all (a deployment's usual setting at this rate);
#              for information, the target is measured with every span exported
# Each: wrk -t2 -c64 -d DUR (throughput) and -t1 -c1 (p50), ROUNDS interleaved rounds, best
# kept; CPU µs/request of the gateway process. Env: PLOKE_BENCH_DURATION (s, 8),
# PLOKE_BENCH_ROUNDS (3), PLOKE_BENCH_WARMUP (s, 2), PLOKE_OTLP_SAMPLE_RATIO (0.1). Results: bench/results/otlp-<UTC>.json
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

bench_gateway_init otlp "${1:-}"

bench_start SIM serve --host 127.0.0.1 --port 0 --seed 7 --fast --limit-requests 1000000000 --limit-tokens 1000000000000
bench_start SINK serve --host 127.0.0.1 --port 0 --seed 8
bench_start GW gateway --host 127.0.0.1 --port 0 --provider "openai,$SIM_URL/v1,gpt-4o"
bench_start GWO gateway --host 127.0.0.1 --port 0 --provider "openai,$SIM_URL/v1,gpt-4o" --otlp-endpoint "$SINK_URL"
SIM=$SIM_URL SINK=$SINK_URL GW=$GW_URL GWO=$GWO_URL
GWN= GWS=
if command -v nginx >/dev/null; then
  chmod 755 "$T"
  NX_PORT=$(bench_free_port)
  bench_nginx_start "$T/nginx" "$NX_PORT" "  server {
    listen 127.0.0.1:$NX_PORT;
    client_max_body_size 64m;
    client_body_buffer_size 1m;
    location / { default_type application/json; return 200 '{}'; }
  }"
  bench_wait_http "http://127.0.0.1:$NX_PORT/" 10 || { cat "$T/nginx/logs/error.log" >&2; bench_die "nginx did not start"; }
  bench_start GWN gateway --host 127.0.0.1 --port 0 --provider "openai,$SIM_URL/v1,gpt-4o" --otlp-endpoint "http://127.0.0.1:$NX_PORT"
  GWN=$GWN_URL
  bench_start GWS gateway --host 127.0.0.1 --port 0 --provider "openai,$SIM_URL/v1,gpt-4o" --otlp-endpoint "http://127.0.0.1:$NX_PORT" \
    --otlp-sample-ratio "${PLOKE_OTLP_SAMPLE_RATIO:-0.1}"
  GWS=$GWS_URL
fi
bench_log "upstream $SIM, sink $SINK, gateway $GW (pid $GW_PID), gateway+otlp $GWO (pid $GWO_PID)"

for u in "$GW" "$GWO" $GWN $GWS; do bench_warm "$u/v1/chat/completions"; done
SINK_C0=$(bench_cpu_ticks "$SINK_PID")
for ((r = 1; r <= ROUNDS; r++)); do
  bench_run "gateway-c64#$r" "$GW/v1/chat/completions" 64 2 "$GW_PID"
  bench_run "gwotlp-c64#$r" "$GWO/v1/chat/completions" 64 2 "$GWO_PID"
  [[ -n $GWN ]] && bench_run "gwnull-c64#$r" "$GWN/v1/chat/completions" 64 2 "$GWN_PID"
  [[ -n $GWS ]] && bench_run "gwsampled-c64#$r" "$GWS/v1/chat/completions" 64 2 "$GWS_PID"
  bench_run "gateway-c1#$r" "$GW/v1/chat/completions" 1 1 "$GW_PID"
  bench_run "gwotlp-c1#$r" "$GWO/v1/chat/completions" 1 1 "$GWO_PID"
  [[ -n $GWN ]] && bench_run "gwnull-c1#$r" "$GWN/v1/chat/completions" 1 1 "$GWN_PID"
done
SINK_S=$(python3 -c "print(($(bench_cpu_ticks "$SINK_PID") - $SINK_C0) / $CLK_TCK)")
curl -s "$GWO/metrics" | grep '^ploke_otlp_' >"$T/otlp_counters.txt" || true
[[ -n $GWN ]] && { curl -s "$GWN/metrics" | grep '^ploke_otlp_' | sed 's/^/null: /' >>"$T/otlp_counters.txt" || true; }
echo "sink_cpu_s $SINK_S" >>"$T/otlp_counters.txt"
cat "$T/otlp_counters.txt" >&2

bench_best "$RESULTS" '{
  "otlp_throughput_ratio_c64": round(best["gwotlp-c64"]["req_per_s"] / best["gateway-c64"]["req_per_s"], 3),
  "otlp_added_p50_ms_c1": round(best["gwotlp-c1"]["p50_ms"] - best["gateway-c1"]["p50_ms"], 4),
  "gateway_cpu_us_per_req_c64": best["gateway-c64"].get("server_cpu_us_per_req"),
  "gwotlp_cpu_us_per_req_c64": best["gwotlp-c64"].get("server_cpu_us_per_req"),
  "otlp_counters": open("'"$T/otlp_counters.txt"'").read().strip().splitlines(),
  **({"null_throughput_ratio_c64": round(best["gwnull-c64"]["req_per_s"] / best["gateway-c64"]["req_per_s"], 3),
      "null_added_p50_ms_c1": round(best["gwnull-c1"]["p50_ms"] - best["gateway-c1"]["p50_ms"], 4),
      "gwnull_cpu_us_per_req_c64": best["gwnull-c64"].get("server_cpu_us_per_req"),
      "sampled_throughput_ratio_c64": round(best["gwsampled-c64"]["req_per_s"] / best["gateway-c64"]["req_per_s"], 3),
      "gwsampled_cpu_us_per_req_c64": best["gwsampled-c64"].get("server_cpu_us_per_req")} if "gwnull-c64" in best else {}),
  "target": "otlp_throughput_ratio_c64 >= 0.95"}' "${ROWS[@]}"
bench_log "results: $RESULTS"
