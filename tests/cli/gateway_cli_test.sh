#!/usr/bin/env bash
# `ploke-sim gateway --config … --ledger …` as a user runs it: the config's [routing]
# configures the gateway's façade (policy, lanes; an explicit --max-in-flight wins), every
# attempt reaches the cost ledger through the façade's usage hook (priced from the catalog;
# an embeddings attempt at its embedding model's input price)
# and the rows still pending are written on SIGTERM, and a "stop" budget refuses requests in
# the protocol's shape (OpenAI 429 insufficient_quota, Anthropic 402). Simulated upstreams
# (--sim), loopback only, temp XDG home. Last, OpenTelemetry: a gateway exporting to a `serve`
# sink (the env default, the final flush at SIGTERM, a planted key absent); --redis (a bad URL,
# a redis-server on a Unix socket: /metrics shows the shared store). Ends with
# "N passed, N failed".
set -u
BIN="$1"
TMP="$(mktemp -d)"
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
export XDG_CACHE_HOME="$TMP/cache" XDG_CONFIG_HOME="$TMP/config" XDG_DATA_HOME="$TMP/data" HOME="$TMP"
unset OPENROUTER_API_KEY OPENAI_API_KEY ANTHROPIC_API_KEY PLOKE_SIM_CONFIG PLOKE_SIM_PROFILE PLOKE_SIM_LEDGER OTEL_EXPORTER_OTLP_ENDPOINT
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
GW_PID=""
start_gateway() {  # out_file args...
  local out="$1"; shift
  rm -f "$out"  # a stale "listening on" line must not be read
  "$BIN" gateway --sim --sim-fast --port 0 "$@" >"$out" 2>"$out.err" &
  GW_PID=$!
  PIDS="$PIDS $GW_PID"
  for _ in $(seq 1 200); do grep -q '^listening on ' "$out" 2>/dev/null && break; sleep 0.05; done
  URL=$(sed -n 's/^listening on //p' "$out")
}
post() {  # path body -> writes $TMP/body, $TMP/head; prints the status code
  curl -s -D "$TMP/head" -o "$TMP/body" -w '%{http_code}' -H 'content-type: application/json' -d "$2" "$URL$1"
}
CHAT='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello there"}]}'
MSG='{"model":"gpt-4o-mini","max_tokens":16,"messages":[{"role":"user","content":"hello there"}]}'

# --- [routing] and the ledger ----------------------------------------------------------------
cat >"$TMP/cfg.toml" <<TOML
ledger = "$TMP/l.db"
[routing]
policy = "cost"
[routing.lanes]
max_in_flight = 7
TOML
start_gateway "$TMP/gw.out" --config "$TMP/cfg.toml"
[[ -n "$URL" ]]; check "gateway --config starts" 0 $?
curl -s "$URL/__admin/health" >"$TMP/out"; check "[routing] policy applied" 0 $? '"policy":"cost"' "$TMP/out"
curl -s "$URL/__admin/queue" >"$TMP/out"; check "[routing.lanes] max_in_flight applied" 0 $? '"max_in_flight":7[,}]' "$TMP/out"
[[ $(post /v1/chat/completions "$CHAT") == 200 ]]; check "OpenAI request through the gateway" 0 $? '"object":"chat.completion"' "$TMP/body"
[[ $(post /v1/messages "$MSG") == 200 ]]; check "Anthropic request through the gateway" 0 $? '"type":"message"' "$TMP/body"
[[ $(post /v1/embeddings '{"model":"text-embedding-3-small","input":["hello there","general kenobi"]}') == 200 ]]
check "embeddings request through the gateway" 0 $? '"object":"list"' "$TMP/body"
cp "$TMP/body" "$TMP/embed.json"
kill -TERM "$GW_PID"; wait "$GW_PID"; check "SIGTERM: graceful exit" 0 $?
"$BIN" usage --ledger "$TMP/l.db" --by session --json >"$TMP/out" 2>&1
python3 - "$TMP/out" <<'PY'
import json, sys
rows = {r["key"]: r for r in json.load(open(sys.argv[1]))["rows"]}
r = rows["gateway"]
assert r["requests"] == 3 and r["attempts"] == 3 and r["failed"] == 0, r
assert r["cost_usd"] > 0 and r["unpriced"] == 0, r  # priced from the catalog (openai/gpt-4o-mini, text-embedding-3-small)
PY
check "the ledger holds the three requests' attempts, priced, written at shutdown" 0 $?
"$BIN" usage --ledger "$TMP/l.db" --by model --json >"$TMP/out" 2>&1
python3 - "$TMP/out" "$TMP/embed.json" <<'PY'
import json, sys
rows = [r for r in json.load(open(sys.argv[1]))["rows"] if r["key"].endswith("text-embedding-3-small")]
tokens = json.load(open(sys.argv[2]))["usage"]["prompt_tokens"]
assert len(rows) == 1 and rows[0]["attempts"] == 1 and rows[0]["prompt_tokens"] == tokens, (rows, tokens)
assert abs(rows[0]["cost_usd"] - tokens * 0.02 / 1e6) < 1e-12, (rows, tokens)  # $0.02 per 1M input tokens
PY
check "the embeddings attempt is priced at text-embedding-3-small's input price" 0 $?

start_gateway "$TMP/gw2.out" --config "$TMP/cfg.toml" --max-in-flight 9 --policy latency
curl -s "$URL/__admin/queue" >"$TMP/out"; check "--max-in-flight beats [routing]" 0 $? '"max_in_flight":9[,}]' "$TMP/out"
curl -s "$URL/__admin/health" >"$TMP/out"; check "--policy beats [routing]" 0 $? '"policy":"latency"' "$TMP/out"
kill -TERM "$GW_PID"; wait "$GW_PID"

# --- a stop budget ---------------------------------------------------------------------------
cat >"$TMP/budget.toml" <<TOML
ledger = "$TMP/b.db"
[[budgets]]
scope = "global"
period = "day"
limit_usd = 0.0000001
action = "stop"
TOML
start_gateway "$TMP/gw3.out" --config "$TMP/budget.toml"
code=$(post /v1/chat/completions "$CHAT")
[[ $code == 429 ]]; check "stop budget: OpenAI 429" 0 $? '"code":"insufficient_quota"' "$TMP/body"
grep -qi '^x-should-retry: false' "$TMP/head"; check "stop budget: the SDK is told not to retry" 0 $?
code=$(post /v1/messages "$MSG")
[[ $code == 402 ]]; check "stop budget: Anthropic 402" 0 $? '"type":"billing_error"' "$TMP/body"
kill -TERM "$GW_PID"; wait "$GW_PID"
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute("select count(*) from attempts").fetchone()[0]); print(c.execute("select count(*) from requests where outcome=\"insufficient_credits\"").fetchone()[0])' "$TMP/b.db" >"$TMP/out"
[[ "$(tr '\n' ' ' <"$TMP/out")" == "0 2 " ]]; check "nothing was sent; both refusals recorded as requests" 0 $? "" "$TMP/out"

# --- OpenTelemetry: --otlp-endpoint (or $OTEL_EXPORTER_OTLP_ENDPOINT) → a `serve` sink -------
"$BIN" serve --host 127.0.0.1 --port 0 >"$TMP/sink.out" 2>"$TMP/sink.err" &
SINK_PID=$!
PIDS="$PIDS $SINK_PID"
for _ in $(seq 1 200); do grep -q '^listening on ' "$TMP/sink.out" 2>/dev/null && break; sleep 0.05; done
SINK=$(sed -n 's/^listening on //p' "$TMP/sink.out")
OTEL_EXPORTER_OTLP_ENDPOINT="$SINK" start_gateway "$TMP/gw4.out"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' -H 'content-type: application/json' \
  -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' \
  -H 'authorization: Bearer sk-FAKE-planted-cli-otlp-77aa' -d "$CHAT" "$URL/v1/chat/completions")
[[ $code == 200 ]]; check "a request through a gateway exporting to \$OTEL_EXPORTER_OTLP_ENDPOINT" 0 $?
kill -TERM "$GW_PID"; wait "$GW_PID"; check "SIGTERM: graceful exit with the exporter on" 0 $?
curl -s "$SINK/__admin/otlp" >"$TMP/otlp.json"
python3 - "$TMP/otlp.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
root = [s for s in d["spans"] if s["kind"] == 2]
assert len(root) == 1 and root[0]["traceId"] == "4bf92f3577b34da6a3ce929d0e0e4736", d
assert root[0]["parentSpanId"] == "00f067aa0ba902b7", root
kids = [s for s in d["spans"] if s["parentSpanId"] == root[0]["spanId"]]
assert len(kids) >= 1 and all(s["kind"] == 3 for s in kids), d
assert "gen_ai.client.operation.duration" in d["metrics"], d["metrics"].keys()
PY
check "the final flush at shutdown reached the sink: request span in the client's trace, attempt spans under it" 0 $?
! grep -q 'sk-FAKE-planted-cli-otlp' "$TMP/otlp.json"; check "the planted key is not in the export" 0 $?
"$BIN" gateway --sim --port 0 --otlp-endpoint ftp://x >"$TMP/out" 2>&1
check "--otlp-endpoint: a non-http URL is a usage error" 2 $? 'expected http://host:port' "$TMP/out"
timeout 10 "$BIN" gateway --sim --port 0 --otlp-endpoint "$SINK" --otlp-sample-ratio 1.5 >"$TMP/out" 2>&1
check "--otlp-sample-ratio: outside 0-1 is a usage error" 2 $? 'otlp-sample-ratio' "$TMP/out"
OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=half timeout 10 "$BIN" gateway --sim --port 0 --otlp-endpoint "$SINK" >"$TMP/out" 2>&1
check "OTEL_TRACES_SAMPLER_ARG: not a ratio is a usage error" 2 $? 'OTEL_TRACES_SAMPLER_ARG: expected a ratio' "$TMP/out"
OTEL_TRACES_SAMPLER=jaeger_remote timeout 10 "$BIN" gateway --sim --port 0 --otlp-endpoint "$SINK" >"$TMP/out" 2>&1
check "OTEL_TRACES_SAMPLER: an unsupported sampler is a usage error" 2 $? 'OTEL_TRACES_SAMPLER: expected' "$TMP/out"

# --- shared state: --redis (a redis-server on a Unix socket in the temp dir) -------------------
"$BIN" gateway --sim --port 0 --redis 'http://:FAKE-redis-cli-pw-4242@h:1' >"$TMP/out" 2>&1
check "--redis: a URL that is not redis:// or unix: is a usage error" 2 $? 'expected redis://host:port' "$TMP/out"
! grep -q 'FAKE-redis-cli-pw-4242' "$TMP/out"; check "--redis: the password is not printed" 0 $?
if command -v redis-server >/dev/null; then
  redis-server --port 0 --unixsocket "$TMP/redis.sock" --save "" --appendonly no --dir "$TMP" >"$TMP/redis.log" 2>&1 &
  REDIS_PID=$!
  PIDS="$PIDS $REDIS_PID"
  for _ in $(seq 1 200); do [[ -S "$TMP/redis.sock" ]] && break; sleep 0.05; done
  start_gateway "$TMP/gw5.out" --redis "unix:$TMP/redis.sock" --instance-id cli-a
  grep -q 'shared state on unix:.* as instance cli-a' "$TMP/gw5.out.err"; check "--redis: the gateway says where it shares state" 0 $?
  for _ in $(seq 1 200); do curl -s "$URL/metrics" | grep -q '^ploke_shared_store_up 1' && break; sleep 0.05; done
  code=$(post /v1/chat/completions "$CHAT"); [[ $code == 200 ]]; check "--redis: a request through the shared gateway" 0 $?
  curl -s "$URL/metrics" >"$TMP/metrics"
  check "--redis: /metrics has the shared store's counters" 0 0 '^ploke_shared_fallback_total\{kind="rate_limit_local"\} 0' "$TMP/metrics"
  check "--redis: the store is up" 0 0 '^ploke_shared_store_up 1' "$TMP/metrics"
  kill -TERM "$GW_PID"; wait "$GW_PID"; check "--redis: SIGTERM: graceful exit" 0 $?
  kill -TERM "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null
fi

finish
