#!/usr/bin/env bash
# Runs the ploke-sim binary the way a user does and checks exit codes and output:
# usage errors exit 2 with a message naming the bad argument/file; the demo (main job)
# exits 0 on the built-in plan in both transports; serve prints its URL, answers, and
# stops on SIGTERM; chat works against it and fails cleanly against a dead port; a bad
# fault plan is reported with its field path. Ends with "N passed, N failed".
set -u
BIN="$1"
TMP="$(mktemp -d)"
SERVER_PID=""
cleanup() { for p in $SERVER_PID ${S500_PID:-}; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"

"$BIN" --help >"$TMP/out" 2>&1; check "help" 0 $? "serve" "$TMP/out"
"$BIN" >"$TMP/out" 2>&1; check "no subcommand is a usage error" 2 $? "a command is required" "$TMP/out"
# Bare ploke-sim names every command the parser knows (not a hand-kept list).
for cmd in demo serve chat record cassette adapters contract models config model provider usage llm routing scenario check ploke gateway; do
  ok_if "  bare ploke-sim lists $cmd" "head -1 '$TMP/out' | grep -qE '[(, ]$cmd[,)]'"
done
# serve, gateway and record each have their own default port.
for pair in serve:8080 gateway:4000 record:8081; do
  "$BIN" "${pair%%:*}" --help >"$TMP/help" 2>&1
  check "${pair%%:*} defaults to port ${pair#*:}" 0 $? "--port INT:INT in \[0 - 65535\]=${pair#*:}|--port.*=${pair#*:}" "$TMP/help"
done
"$BIN" frobnicate >"$TMP/out" 2>&1; check "unknown subcommand" 2 $? "frobnicate" "$TMP/out"
"$BIN" serve --port 70000 >"$TMP/out" 2>&1; check "port out of range" 2 $? "port" "$TMP/out"
"$BIN" serve --faults "$TMP/missing.json" >"$TMP/out" 2>&1; check "missing fault plan file" 2 $? "missing.json" "$TMP/out"
echo '{"faults":[{"kind":"http_error","status":"abc","trigger":{"probability":2}}]}' >"$TMP/bad.json"
"$BIN" serve --port 0 --faults "$TMP/bad.json" >"$TMP/out" 2>&1; check "bad fault plan names field paths" 2 $? 'faults\[0\]' "$TMP/out"
"$BIN" chat --base-url ftp://x hi >"$TMP/out" 2>&1; check "chat bad base url" 2 $? "base-url" "$TMP/out"
"$BIN" chat --base-url http://127.0.0.1:9/v1 --adapter nope hi >"$TMP/out" 2>&1; check "chat unknown adapter" 2 $? "nope" "$TMP/out"
"$BIN" adapters >"$TMP/out" 2>&1; check "adapters lists openai" 0 $? "^openai +built in$" "$TMP/out"

"$BIN" demo >"$TMP/out" 2>&1; check "demo over HTTP (main job)" 0 $? "every configured fault fired" "$TMP/out"
"$BIN" demo --in-process --requests 24 >"$TMP/out" 2>&1; check "demo in-process, virtual time" 0 $? "every configured fault fired" "$TMP/out"
"$BIN" demo --in-process --json >"$TMP/out" 2>"$TMP/err"; check "demo --json" 0 $?
python3 - "$TMP/out" <<'PY'; check "demo --json: every request with its fault and code, the summary, the verdict" 0 $?
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] is True and d["in_process"] is True and d["plan"] == "built-in" and d["unfired_faults"] == [], d
rows = d["requests"]
assert [r["n"] for r in rows] == list(range(1, 13)) and not any(r["unexpected"] for r in rows), rows
assert sum(1 for r in rows if r["code"] == "ok") == d["summary"]["ok"] and sum(d["summary"]["by_code"].values()) == 12, d
assert any(r["fault"] for r in rows) and any(r["fault"] is None for r in rows), rows
PY

# serve: URL line, real answers, clean stop.
"$BIN" serve --port 0 --seed 3 >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVER_PID=$!
for _ in $(seq 1 200); do grep -q '^listening on ' "$TMP/serve.out" 2>/dev/null && break; sleep 0.05; done
URL=$(sed -n 's/^listening on //p' "$TMP/serve.out")
if [[ -n "$URL" ]]; then check "serve prints its URL" 0 0; else check "serve prints its URL" 0 1; fi
OPENAI_API_KEY=sk-proj-FAKEPLANTED0123456789abcdefghij "$BIN" chat --base-url "$URL/v1" --model gpt-4o-mini "hello" >"$TMP/out" 2>&1
check "chat against serve" 0 $? "finish=" "$TMP/out"
if grep -q FAKEPLANTED "$TMP/out"; then check "chat never prints the key" 0 1; else check "chat never prints the key" 0 0; fi
OPENAI_API_KEY=sk-proj-FAKEPLANTED0123456789abcdefghij "$BIN" chat --stream --base-url "$URL/v1" "hello" >"$TMP/out" 2>&1
check "chat --stream against serve" 0 $? "finish=" "$TMP/out"
"$BIN" chat --base-url "$URL/v1" --model no-such-model "hello" >"$TMP/out" 2>&1
check "chat unknown model is a classified failure" 1 $? "not_found" "$TMP/out"
"$BIN" chat --adapter anthropic --base-url "$URL" --model claude-sonnet-4-6 "hello" >"$TMP/out" 2>&1
check "chat --adapter anthropic against serve" 0 $? "finish=" "$TMP/out"
"$BIN" chat --adapter openrouter --base-url "$URL/api/v1" --model openai/gpt-4o-mini "hello" >"$TMP/out" 2>&1
check "chat --adapter openrouter against serve" 0 $? "finish=" "$TMP/out"
# chat through the resilience façade: the primary 500s, the fallback answers; the trace
# explains it and the ledger gets every attempt.
echo '{"faults":[{"kind":"http_error","status":500}]}' >"$TMP/p500.json"
"$BIN" serve --port 0 --faults "$TMP/p500.json" >"$TMP/serve500.out" 2>&1 &
S500_PID=$!
for _ in $(seq 1 200); do grep -q '^listening on ' "$TMP/serve500.out" 2>/dev/null && break; sleep 0.05; done
URL500=$(sed -n 's/^listening on //p' "$TMP/serve500.out")
"$BIN" chat --base-url "$URL500/v1" --fallback "openai,$URL/v1" --trace --ledger "$TMP/ledger.db" "hello" >"$TMP/out" 2>&1
check "chat falls over to --fallback and --trace says why" 0 $? "fall over: server_error" "$TMP/out"
grep -q "served by openai/gpt-4o-mini#2" "$TMP/out"; check "trace names the endpoint that served" 0 $?
"$BIN" usage --ledger "$TMP/ledger.db" --by outcome >"$TMP/out" 2>&1
check "usage shows the failed attempts chat recorded" 0 $? "^server_error +1 +3 +3" "$TMP/out"
"$BIN" chat --base-url "$URL500/v1" --fallback "openai,$URL/v1" --trace --json "hello" >"$TMP/out" 2>&1
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["trace"]["attempts"][-1]["outcome"]=="ok", d' "$TMP/out"
check "chat --json --trace carries the trace as JSON" 0 $?
"$BIN" chat --base-url "$URL500/v1" --policy nope hi >"$TMP/out" 2>&1; check "chat unknown --policy" 2 $? "unknown policy" "$TMP/out"
"$BIN" chat --base-url "$URL500/v1" --fallback bad hi >"$TMP/out" 2>&1; check "chat malformed --fallback" 2 $? "ADAPTER,URL" "$TMP/out"
"$BIN" provider health --base-url "$URL500/v1" --fallback "openai,$URL/v1" --rounds 2 >"$TMP/out" 2>&1
check "provider health probes every endpoint and shows error rates" 0 $? "gpt-4o-mini#1 +closed .* 100\.0%" "$TMP/out"
"$BIN" provider health --base-url "$URL500/v1" --rounds 1 >"$TMP/out" 2>&1
check "provider health with no healthy endpoint exits 1" 1 $? "server_error" "$TMP/out"
"$BIN" provider health --base-url "$URL500/v1" --fallback "openai,$URL/v1" --rounds 2 --json >"$TMP/out" 2>/dev/null
check "provider health --json" 0 $?
ok_if "  probes per round and each endpoint's breaker and error rate" 'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d[\"ok\"] and len(d[\"probes\"])==4 and {e[\"breaker\"] for e in d[\"endpoints\"]} <= {\"closed\",\"open\",\"half_open\"} and any(e[\"error_rate\"]==1.0 for e in d[\"endpoints\"])" "$TMP/out"'
"$BIN" provider health --base-url "$URL500/v1" --rounds 1 --json >"$TMP/out" 2>/dev/null
check "provider health --json, nothing healthy: exit 1" 1 $? '"ok": false' "$TMP/out"
kill -TERM "$S500_PID"; wait "$S500_PID"
# serve's access log: by default (warn) only answers that failed or carried a fault, one line each.
grep -Eq 'component=serve event=access trace_id=req_[0-9a-f]+ protocol=openai method=POST path=/v1/chat/completions model=gpt-4o-mini status=500 latency_ms=[0-9.]+ fault=' "$TMP/serve500.out"
check "serve logs a faulted answer at warn" 0 $?
absent "serve at warn logs no successful answer" "status=200" "$TMP/serve.err"
absent "serve's log never carries the key" "FAKEPLANTED" "$TMP/serve.err"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID"; code=$?; SERVER_PID=""
check "serve stops on SIGTERM with exit 0" 0 "$code"

# serve --log-level info --log-format json: one JSON object per answered request.
"$BIN" serve --port 0 --log-level info --log-format json --log-file "$TMP/serve-log.jsonl" >"$TMP/servelog.out" 2>&1 &
LOG_PID=$!
for _ in $(seq 1 200); do grep -q '^listening on ' "$TMP/servelog.out" 2>/dev/null && break; sleep 0.05; done
LOG_URL=$(sed -n 's/^listening on //p' "$TMP/servelog.out")
OPENAI_API_KEY=sk-proj-FAKEPLANTED0123456789abcdefghij "$BIN" chat --base-url "$LOG_URL/v1" "hello" >/dev/null 2>&1
"$BIN" chat --adapter anthropic --base-url "$LOG_URL" --model claude-sonnet-4-6 "hello" >/dev/null 2>&1
kill -TERM "$LOG_PID"; wait "$LOG_PID"
python3 - "$TMP/serve-log.jsonl" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert [l["protocol"] for l in lines] == ["openai", "anthropic"], lines
assert all(l["event"] == "access" and l["status"] == 200 and l["latency_ms"] >= 0 for l in lines), lines
assert lines[1]["model"] == "claude-sonnet-4-6" and lines[0]["trace_id"].startswith("req_"), lines
PY
check "serve --log-format json --log-file: one object per request" 0 $?
absent "serve's log file never carries the key" "FAKEPLANTED" "$TMP/serve-log.jsonl"
timeout 10 "$BIN" serve --port 0 --log-level loud >"$TMP/out" 2>&1; check "serve --log-level rejects an unknown level" 2 $? "log-level" "$TMP/out"
timeout 10 "$BIN" serve --port 0 --log-file "$TMP/serve.out/x.log" >"$TMP/out" 2>&1; check "serve --log-file under a regular file" 2 $? "x.log" "$TMP/out"

# serve --drift / --openrouter-models shape the simulated OpenRouter.
"$BIN" serve --drift bogus >"$TMP/out" 2>&1; check "serve --drift rejects unknown switches" 2 $? "bogus" "$TMP/out"
rm -f "$TMP/serve.out"  # (a stale "listening on" line would be read before the shell truncates it)
"$BIN" serve --port 0 --openrouter-models 350 --drift numeric_prices,unknown_enums >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVER_PID=$!
for _ in $(seq 1 200); do grep -q '^listening on ' "$TMP/serve.out" 2>/dev/null && break; sleep 0.05; done
URL=$(sed -n 's/^listening on //p' "$TMP/serve.out")
curl -sS "$URL/api/v1/models" >"$TMP/models.json" 2>&1
python3 - "$TMP/models.json" >"$TMP/out" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["data"]
prices = [m["pricing"]["prompt"] for m in d]
print(f"models={len(d)} numeric_prices={all(isinstance(p, (int, float)) for p in prices)}")
PY
check "serve --openrouter-models 350 --drift numeric_prices" 0 $? "models=350 numeric_prices=True" "$TMP/out"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID"; SERVER_PID=""
"$BIN" chat --base-url "$URL/v1" --timeout-ms 2000 "hello" >"$TMP/out" 2>&1
check "chat against a stopped server fails cleanly" 1 $? "connection_reset|timeout" "$TMP/out"

finish
