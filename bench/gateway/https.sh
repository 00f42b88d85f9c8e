#!/usr/bin/env bash
# HTTPS upstreams (issue 18 targets: c64 throughput ≥ 0.8× the plain-HTTP figure in the same
# run; c1 added p50 ≤ 0.15 ms): the gateway in front of the same simulator over http:// and
# over https://, in the same run, interleaved.
#
#   bench/gateway/https.sh [BUILD_DIR]
#
#   SIM / SIMT = `ploke-sim serve --fast` plain / with --tls-cert (a P-256 certificate made
#                by the openssl command at start; limits raised)
#   direct     = wrk → SIM;  directtls = wrk → SIMT (wrk speaks TLS itself)
#   gateway    = wrk → `ploke-sim gateway --provider openai,SIM/v1,gpt-4o` → SIM
#   gwtls      = wrk → the same gateway config with SIMT's https:// URL (SSL_CERT_FILE = the
#                certificate) → SIMT; wrk → gateway stays plain HTTP
# Each: wrk -t1 -c1 (p50) and -t2 -c64 (throughput), ROUNDS interleaved rounds, best kept;
# CPU µs/request of the gateway. Added p50 = gateway p50 − the direct p50 over the same
# scheme. Env: PLOKE_BENCH_DURATION (s, 8), PLOKE_BENCH_ROUNDS (3), PLOKE_BENCH_WARMUP (s, 2).
# Results: bench/results/https-<UTC>.json and a table on stdout. Everything binds
# 127.0.0.1; every process is stopped on exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH=$(cd "$HERE/.." && pwd)
REPO=$(cd "$BENCH/.." && pwd)
# shellcheck source=bench/lib/common.sh
source "$BENCH/lib/common.sh"
# shellcheck source=bench/lib/wrk_runs.sh
source "$BENCH/lib/wrk_runs.sh"
bench_init

bench_gateway_init https "${1:-}" openssl
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null ||
  bench_die "openssl could not make the certificate"

LIMITS=(--limit-requests 1000000000 --limit-tokens 1000000000000)
bench_start SIM serve --host 127.0.0.1 --port 0 --seed 7 --fast "${LIMITS[@]}"
bench_start SIMT serve --host 127.0.0.1 --port 0 --seed 7 --fast "${LIMITS[@]}" --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
bench_start GW gateway --host 127.0.0.1 --port 0 --provider "openai,$SIM_URL/v1,gpt-4o"
export SSL_CERT_FILE=$T/cert.pem
bench_start GWT gateway --host 127.0.0.1 --port 0 --provider "openai,$SIMT_URL/v1,gpt-4o"
unset SSL_CERT_FILE
code=$(curl -sS -o "$T/sample.json" -w '%{http_code}' -H 'content-type: application/json' --data-binary @"$T/body.json" "$GWT_URL/v1/chat/completions")
[[ $code == 200 ]] || { cat "$T/sample.json" "$T/GWT.log" >&2; bench_die "gateway over https answered $code"; }
bench_log "upstreams $SIM_URL $SIMT_URL; gateways $GW_URL (pid $GW_PID) $GWT_URL (pid $GWT_PID)"

for u in "$SIM_URL" "$SIMT_URL" "$GW_URL" "$GWT_URL"; do bench_warm "$u/v1/chat/completions"; done
for ((r = 1; r <= ROUNDS; r++)); do
  bench_run "direct-c1#$r" "$SIM_URL/v1/chat/completions" 1 1 "$SIM_PID"
  bench_run "directtls-c1#$r" "$SIMT_URL/v1/chat/completions" 1 1 "$SIMT_PID"
  bench_run "gateway-c1#$r" "$GW_URL/v1/chat/completions" 1 1 "$GW_PID"
  bench_run "gwtls-c1#$r" "$GWT_URL/v1/chat/completions" 1 1 "$GWT_PID"
  bench_run "gateway-c64#$r" "$GW_URL/v1/chat/completions" 64 2 "$GW_PID"
  bench_run "gwtls-c64#$r" "$GWT_URL/v1/chat/completions" 64 2 "$GWT_PID"
done
bench_best "$RESULTS" '{
  "https_throughput_ratio_c64": round(best["gwtls-c64"]["req_per_s"] / best["gateway-c64"]["req_per_s"], 3),
  "https_added_p50_ms_c1": round(best["gwtls-c1"]["p50_ms"] - best["directtls-c1"]["p50_ms"], 4),
  "http_added_p50_ms_c1": round(best["gateway-c1"]["p50_ms"] - best["direct-c1"]["p50_ms"], 4),
  "gateway_cpu_us_per_req_c64": best["gateway-c64"].get("server_cpu_us_per_req"),
  "gwtls_cpu_us_per_req_c64": best["gwtls-c64"].get("server_cpu_us_per_req"),
  "targets": {"https_throughput_ratio_c64 >=": 0.8, "https_added_p50_ms_c1 <=": 0.15}}' "${ROWS[@]}"
bench_log "results: $RESULTS"
