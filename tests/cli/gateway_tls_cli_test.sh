#!/usr/bin/env bash
# HTTPS as a user sets it up: a certificate made with the openssl command at test time,
# `serve --tls-cert --tls-key` as an HTTPS upstream, `gateway` reaching it over https://
# with SSL_CERT_FILE (OpenSSL's convention for an extra trust anchor) and serving HTTPS
# itself; non-stream and stream; 64 streams in flight add no gateway thread (TLS runs on
# the event loops); without the CA the request is a 502 whose access line names the failed
# certificate check; bad --tls-* flags exit 2. Loopback only. Ends with "N passed, N failed".
set -u
BIN="$1"
TMP="$(mktemp -d)"
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
export XDG_CACHE_HOME="$TMP/cache" XDG_CONFIG_HOME="$TMP/config" XDG_DATA_HOME="$TMP/data" HOME="$TMP"
unset OPENAI_API_KEY SSL_CERT_FILE SSL_CERT_DIR OTEL_EXPORTER_OTLP_ENDPOINT PLOKE_SIM_CONFIG
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"

LAST_PID=""
start() {  # out_file command args... -> URL (from "listening on"), LAST_PID
  local out="$1"; shift
  rm -f "$out"  # a stale "listening on" line must not be read
  "$BIN" "$@" >"$out" 2>"$out.err" &
  LAST_PID=$!
  PIDS="$PIDS $LAST_PID"
  for _ in $(seq 1 200); do grep -q '^listening on ' "$out" 2>/dev/null && break; sleep 0.05; done
  URL=$(sed -n 's/^listening on //p' "$out")
}
CHAT='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello there"}]}'
STREAM='{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hello there"}]}'

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>"$TMP/openssl.err"
check "openssl makes the test certificate" 0 $?

# --- an HTTPS upstream ---------------------------------------------------------------------
start "$TMP/serve.out" serve --port 0 --ttft-ms 1500 --tps 50 --tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem"
UP="$URL"
check "serve --tls-cert listens on https" 0 0 '^listening on https://127\.0\.0\.1:' "$TMP/serve.out"
code=$(curl -s -o "$TMP/direct" -w '%{http_code}' --cacert "$TMP/cert.pem" -H 'content-type: application/json' -d "$CHAT" "$UP/v1/chat/completions")
check "serve answers over TLS" 0 0 '"object":"chat.completion"' "$TMP/direct"

# --- the gateway over it, serving HTTPS too ------------------------------------------------
SSL_CERT_FILE="$TMP/cert.pem" start "$TMP/gw.out" gateway --port 0 --threads 2 --provider "openai,$UP/v1,gpt-4o-mini" \
  --tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem" --log-level info
GW="$URL"; GW_PID="$LAST_PID"
check "gateway --tls-cert listens on https" 0 0 '^listening on https://' "$TMP/gw.out"
code=$(curl -s -o "$TMP/nonstream" -w '%{http_code}' --cacert "$TMP/cert.pem" -H 'content-type: application/json' -d "$CHAT" "$GW/v1/chat/completions")
check "https upstream, non-stream: 200 ($code)" 0 0 '"object":"chat.completion"' "$TMP/nonstream"
curl -s -N --cacert "$TMP/cert.pem" -H 'content-type: application/json' -d "$STREAM" "$GW/v1/chat/completions" >"$TMP/stream"
check "https upstream, stream: chunks and [DONE]" 0 0 'data: \[DONE\]' "$TMP/stream"
ok_if "the stream has several chunks" '[[ $(grep -c "chat.completion.chunk" "$TMP/stream") -ge 3 ]]'

T0=$(ls "/proc/$GW_PID/task" | wc -l)
CURLS=""
for i in $(seq 1 64); do
  curl -s -N --cacert "$TMP/cert.pem" -H 'content-type: application/json' -d "$STREAM" "$GW/v1/chat/completions" >"$TMP/par_$i" &
  CURLS="$CURLS $!"
done
active=0
for _ in $(seq 1 200); do
  active=$(curl -s --cacert "$TMP/cert.pem" "$GW/metrics" | sed -n 's/^ploke_gateway_active //p')
  [[ "${active:-0}" -ge 64 ]] && break
  sleep 0.02
done
T1=$(ls "/proc/$GW_PID/task" | wc -l)
ok_if "64 streams in flight ($active active)" '[[ "${active:-0}" -ge 64 ]]'
ok_if "no thread per request: $T0 threads before, $T1 with 64 in flight" '[[ $T1 -eq $T0 ]]'
wait $CURLS
done_streams=$(grep -l "data: \[DONE\]" "$TMP"/par_* | wc -l)
ok_if "all 64 streams completed ($done_streams)" '[[ $done_streams -eq 64 ]]'
kill "$GW_PID"; wait "$GW_PID" 2>/dev/null

# --- the same upstream without its CA: a classified, explained failure ----------------------
start "$TMP/gw2.out" gateway --port 0 --provider "openai,$UP/v1,gpt-4o-mini"
code=$(curl -s -o "$TMP/untrusted" -w '%{http_code}' -H 'content-type: application/json' -d "$CHAT" "$URL/v1/chat/completions")
check "an unverifiable upstream is a 502 ($code)" 0 0 'server_error' "$TMP/untrusted"
ok_if "status 502" '[[ $code == 502 ]]'
kill "$LAST_PID"; wait "$LAST_PID" 2>/dev/null
check "the access line names the failed check" 0 0 'error=connection_reset error_detail=.*failed verification' "$TMP/gw2.out.err"

# --- bad flags ---------------------------------------------------------------------------------
"$BIN" serve --port 0 --tls-cert "$TMP/cert.pem" >"$TMP/b1" 2>&1
check "--tls-cert without --tls-key: exit 2" 2 $? 'go together' "$TMP/b1"
"$BIN" gateway --sim --port 0 --tls-cert "$TMP/nope.pem" --tls-key "$TMP/key.pem" >"$TMP/b2" 2>&1
check "a missing certificate file: exit 2" 2 $? 'nope.pem: cannot open' "$TMP/b2"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=other" \
  -keyout "$TMP/other.key" -out "$TMP/other.pem" 2>/dev/null
"$BIN" serve --port 0 --tls-cert "$TMP/other.pem" --tls-key "$TMP/key.pem" >"$TMP/b3" 2>&1
check "a key that is not the certificate's: exit 2" 2 $? 'mismatch' "$TMP/b3"
finish
