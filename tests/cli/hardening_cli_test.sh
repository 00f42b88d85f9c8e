#!/usr/bin/env bash
# Hardening as a user meets it:
#  - numeric options out of range exit 2 naming the option (seed -1, port 70000, negative
#    counts and durations, 1e30, 2^64);
#  - a SQLite file that is not a ledger is refused (exit 2, named) by usage/chat/gateway
#    and stays byte-identical;
#  - har-import and `cassette redact` redact planted credentials and write what lint
#    accepts; `cassette diff` never prints them;
#  - redaction by value: an opaque upstream key (no provider prefix) echoed by an upstream
#    error never reaches the gateway's client, /__admin/traces, the dashboard JSON, or
#    `chat --trace`; a client key echoed back neither; a key split across SSE reads never
#    reaches `chat --stream` output, nor a gateway stream (split across two deltas).
# Loopback only (tests/cli/echo_upstream.py); every process started is stopped. Ends with
# "N passed, N failed".
set -u
BIN="$1"
HERE="$(cd "$(dirname "$0")" && pwd)"
TMP="$(mktemp -d)"
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"

# --- 6. numeric options ------------------------------------------------------------------------
range() {  # name option-pattern args...
  local name="$1" opt="$2"; shift 2
  timeout 20 "$BIN" "$@" >"$TMP/out" 2>&1; check "$name" 2 $? "$opt" "$TMP/out"  # accepted = a server that runs: 124
}
range "serve --seed -1"                 -- "--seed"   serve --seed -1
range "serve --seed 2^64"               -- "--seed"   serve --seed 18446744073709551616
range "serve --seed 1e30"               -- "--seed"   serve --seed 1e30
range "demo --seed -1"                  -- "--seed"   demo --seed -1
range "scenario run --seed -7"          -- "--seed"   scenario run --seed -7
range "serve --port 70000"              -- "--port"   serve --port 70000
range "record --port -1"                -- "--port"   record --cassette "$TMP/c.json" --port -1
range "serve --tps 1e30"                -- "--tps"    serve --tps 1e30
range "serve --ttft-ms -5"              -- "--ttft-ms" serve --ttft-ms -5
range "serve --limit-requests -1"       -- "--limit-requests" serve --limit-requests -1
range "demo --requests -3"              -- "--requests" demo --requests -3
range "gateway --drain-timeout-ms -1"   -- "--drain-timeout-ms" gateway --sim --drain-timeout-ms -1
range "gateway --max-queue 1e30"        -- "--max-queue" gateway --sim --max-queue 1e30
range "gateway --busy-poll -1"         -- "--busy-poll" gateway --sim --busy-poll -1
range "chat --max-tokens -3"            -- "--max-tokens" chat hi --base-url http://127.0.0.1:9/v1 --max-tokens -3
range "record --flush-ms -1"            -- "--flush-ms" record --cassette "$TMP/c.json" --flush-ms -1
range "serve --timing x1e30"            -- "--timing" serve --port 0 --cassette "$(dirname "$HERE")/../cassettes/openai" --timing x1e30
range "cassette diff --timing-tolerance-ms -1" -- "--timing-tolerance-ms" cassette diff a b --timing-tolerance-ms -1

# --- 4. a SQLite file that is not a ledger -----------------------------------------------------
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("create table notes(id integer primary key, body text)"); c.execute("insert into notes(body) values (\"mine\")"); c.commit()' "$TMP/foreign.db"
cp "$TMP/foreign.db" "$TMP/foreign.orig"
"$BIN" usage --ledger "$TMP/foreign.db" >"$TMP/out" 2>&1
check "usage --ledger FOREIGN: exit 2, names the file" 2 $? "foreign.db.*not a ploke-sim ledger" "$TMP/out"
"$BIN" chat hi --base-url http://127.0.0.1:9/v1 --ledger "$TMP/foreign.db" >"$TMP/out" 2>&1
check "chat --ledger FOREIGN: exit 2, names the file" 2 $? "foreign.db.*not a ploke-sim ledger" "$TMP/out"
"$BIN" gateway --sim --port 0 --ledger "$TMP/foreign.db" >"$TMP/out" 2>&1
check "gateway --ledger FOREIGN: exit 2, names the file" 2 $? "foreign.db.*not a ploke-sim ledger" "$TMP/out"
cmp -s "$TMP/foreign.db" "$TMP/foreign.orig"; check "the foreign database is byte-identical" 0 $?
: >"$TMP/empty.db"
"$BIN" usage --ledger "$TMP/empty.db" >"$TMP/out" 2>&1; check "usage on an empty file still works" 0 $?

# --- 5. HAR import, cassette redact, cassette diff ---------------------------------------------
OPAQUE='zq7OpaqueFAKE9Tok3nNoPrefix'
COOKIE='sessFAKE8c1f0e2d9b7a6c5d'
QKEY='AIzaFAKEQueryKey0123456789'
BKEY='bodyFAKEsecret9988776655'
cat >"$TMP/in.har" <<HAR
{"log":{"version":"1.2","creator":{"name":"browser","version":"1"},"entries":[
 {"startedDateTime":"2026-01-01T00:00:00Z","time":50,
  "request":{"method":"POST","url":"https://api.example.com/v1/chat/completions?key=$QKEY","httpVersion":"HTTP/1.1",
   "headers":[{"name":"Content-Type","value":"application/json"},{"name":"Authorization","value":"Bearer $OPAQUE"},
              {"name":"Cookie","value":"session=$COOKIE"}],
   "queryString":[{"name":"key","value":"$QKEY"}],
   "postData":{"mimeType":"application/json","text":"{\"model\":\"m\",\"api_key\":\"$BKEY\"}"},"headersSize":-1,"bodySize":10},
  "response":{"status":401,"statusText":"Unauthorized","httpVersion":"HTTP/1.1",
   "headers":[{"name":"Content-Type","value":"application/json"}],
   "content":{"size":10,"mimeType":"application/json","text":"{\"error\":{\"message\":\"bad key $OPAQUE\"}}"},
   "redirectURL":"","headersSize":-1,"bodySize":10},
  "cache":{},"timings":{"send":0,"wait":30,"receive":20}}]}}
HAR
"$BIN" cassette har-import "$TMP/in.har" "$TMP/imported.json" >"$TMP/out" 2>&1; check "har-import with planted keys" 0 $?
for k in "$OPAQUE" "$COOKIE" "$QKEY" "$BKEY"; do absent "har-import redacts ${k:0:8}…" "$k" "$TMP/imported.json" "$TMP/out"; done
"$BIN" cassette lint "$TMP/imported.json" >"$TMP/out" 2>&1; check "the imported cassette passes lint" 0 $?
grep -q '"Content-Type"' "$TMP/imported.json"; check "imported header names are lower case" 1 $?

# A cassette from elsewhere with an opaque key in a credential header and its echo.
cassette_with() {  # key -> cassette on stdout
  cat <<JSON
{"format":"ploke-cassette","version":1,"name":"x","provider":"openai","protocol":"openai-chat","upstream":"https://api.openai.com","synthetic":true,
 "interactions":[{"id":"0001",
  "request":{"method":"POST","path":"/v1/chat/completions","headers":{"Content-Type":"application/json","X-Api-Key":"$1"},
             "body_encoding":"json","body":{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}},
  "response":{"status":401,"headers":{"content-type":"application/json"},"first_byte_ms":1,"elapsed_ms":2,
              "body_encoding":"json","body":{"error":{"message":"bad key $1"}}}}]}
JSON
}
cassette_with "$OPAQUE" >"$TMP/foreign.json"; cp "$TMP/foreign.json" "$TMP/foreign.json.orig"
"$BIN" cassette lint "$TMP/foreign.json" >/dev/null 2>&1; check "lint flags the foreign cassette" 1 $?
"$BIN" cassette redact "$TMP/foreign.json" -o "$TMP/redacted.json" >"$TMP/out" 2>&1; check "cassette redact -o" 0 $?
absent "cassette redact removes the key" "$OPAQUE" "$TMP/redacted.json" "$TMP/out"
"$BIN" cassette lint "$TMP/redacted.json" >"$TMP/out" 2>&1; check "the redacted cassette passes lint" 0 $?
cmp -s "$TMP/foreign.json" "$TMP/foreign.json.orig"; check "cassette redact -o leaves IN untouched" 0 $?
cp "$TMP/foreign.json" "$TMP/inplace.json"
"$BIN" cassette redact "$TMP/inplace.json" >/dev/null 2>&1; check "cassette redact in place" 0 $?
absent "in-place redaction removes the key" "$OPAQUE" "$TMP/inplace.json"
echo '{"format":"ploke-cassette"' >"$TMP/broken.json"
"$BIN" cassette redact "$TMP/broken.json" -o "$TMP/never.json" >"$TMP/out" 2>&1; check "cassette redact: malformed input exits 2" 2 $? "broken.json"
[[ ! -e "$TMP/never.json" ]]; check "cassette redact: no output on error" 0 $?
cassette_with "otherFAKEopaque5544332211" >"$TMP/other.json"
"$BIN" cassette diff "$TMP/foreign.json" "$TMP/other.json" >"$TMP/out" 2>&1; check "cassette diff reports the difference" 1 $? "x-api-key" "$TMP/out"
absent "cassette diff hides key A" "$OPAQUE" "$TMP/out"
absent "cassette diff hides key B" "otherFAKEopaque5544332211" "$TMP/out"

# --- 3. redaction by value, end to end ---------------------------------------------------------
python3 "$HERE/echo_upstream.py" >"$TMP/up.out" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 1 200); do grep -q '^port ' "$TMP/up.out" 2>/dev/null && break; sleep 0.05; done
UP_PORT=$(sed -n 's/^port //p' "$TMP/up.out")
[[ -n "$UP_PORT" ]]; check "echo upstream starts" 0 $?
UPKEY='upOpaqueFAKEkey7766554433'
CLIENTKEY='clientOpaqueFAKE1122334455'
export UPKEY
"$BIN" chat "hello" --base-url "http://127.0.0.1:$UP_PORT/v1" --api-key-env UPKEY --trace >"$TMP/chat.out" 2>"$TMP/chat.err"
check "chat against an upstream that echoes the key fails" 1 $? 'Incorrect API key provided: \[REDACTED\]' "$TMP/chat.err"
absent "chat --trace never prints the opaque key" "$UPKEY" "$TMP/chat.out" "$TMP/chat.err"
"$BIN" chat "hello" --base-url "http://127.0.0.1:$UP_PORT/v1" --api-key-env UPKEY --trace --json >"$TMP/chat.out" 2>"$TMP/chat.err"
absent "chat --trace --json never prints the opaque key" "$UPKEY" "$TMP/chat.out" "$TMP/chat.err"
"$BIN" chat "hello" --base-url "http://127.0.0.1:$UP_PORT/v1" --api-key-env UPKEY --stream >"$TMP/chat.out" 2>"$TMP/chat.err"
check "chat --stream: key split across SSE reads" 0 $? "your key is \[REDACTED\] ok" "$TMP/chat.out"
absent "chat --stream never prints the split key" "${UPKEY:0:12}" "$TMP/chat.out" "$TMP/chat.err"

"$BIN" gateway --port 0 --provider "openai,http://127.0.0.1:$UP_PORT/v1,gpt-4o-mini,UPKEY" >"$TMP/gw.out" 2>"$TMP/gw.err" &
GW=$!; PIDS="$PIDS $GW"
for _ in $(seq 1 200); do grep -q '^listening on ' "$TMP/gw.out" 2>/dev/null && break; sleep 0.05; done
URL=$(sed -n 's/^listening on //p' "$TMP/gw.out")
[[ -n "$URL" ]]; check "gateway in front of the echo upstream starts" 0 $?
curl -s -o "$TMP/answer" -H "authorization: Bearer $CLIENTKEY" -H 'content-type: application/json' \
  -d "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"my key is $CLIENTKEY\"}]}" \
  "$URL/v1/chat/completions"
# The gateway words errors as OpenAI does and never quotes upstream text (the echo included).
check "the gateway's error answer is OpenAI-worded, without the upstream's echo" 0 0 '"message":"Incorrect API key provided\."' "$TMP/answer"
# The echo upstream streams the key it receives split across two text deltas: each half
# sits in its own SSE event, so only redaction of the event stream catches it.
curl -sN -o "$TMP/stream" -H "authorization: Bearer $CLIENTKEY" -H 'content-type: application/json' \
  -d '{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}' \
  "$URL/v1/chat/completions"
check "gateway stream: a key split across deltas arrives redacted" 0 0 'your key is .*\[REDACTED\]' \
  <(sed -n 's/.*"content":"\([^"]*\)".*/\1/p' "$TMP/stream" | tr -d '\n')
absent "gateway stream: first half of the split key never sent" "${UPKEY:0:12}" "$TMP/stream"
absent "gateway stream: second half of the split key never sent" "${UPKEY:12}" "$TMP/stream"
curl -s "$URL/__admin/traces" >"$TMP/traces"
curl -s "$URL/__admin/dashboard.json" >"$TMP/dash"
absent "gateway: upstream key never reaches client/traces/dashboard" "$UPKEY" "$TMP/answer" "$TMP/traces" "$TMP/dash"
absent "gateway: client key echoed upstream never comes back" "$CLIENTKEY" "$TMP/answer" "$TMP/traces" "$TMP/dash"
kill -TERM "$GW"; wait "$GW" 2>/dev/null
absent "gateway logs never hold either key" "$UPKEY" "$TMP/gw.out" "$TMP/gw.err"

# record: the client's own opaque key, echoed by the upstream in its error body, never
# reaches the cassette or the recorder's log.
"$BIN" record --port 0 --upstream "http://127.0.0.1:$UP_PORT" --cassette "$TMP/rec.json" --flush-ms 10 \
  --log-level info --log-format json --log-file "$TMP/rec.log" >"$TMP/rec.out" 2>"$TMP/rec.err" &
REC=$!; PIDS="$PIDS $REC"
for _ in $(seq 1 200); do grep -q '^listening on ' "$TMP/rec.out" 2>/dev/null && break; sleep 0.05; done
RURL=$(sed -n 's/^listening on //p' "$TMP/rec.out")
[[ -n "$RURL" ]]; check "record in front of the echo upstream starts" 0 $?
curl -s -o "$TMP/rec.answer" -H "authorization: Bearer $CLIENTKEY" -H 'content-type: application/json' \
  -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' "$RURL/v1/chat/completions"
kill -TERM "$REC"; wait "$REC" 2>/dev/null
check "record wrote the echoed error" 0 0 'Incorrect API key provided' "$TMP/rec.json"
absent "record: the client key echoed upstream never reaches the cassette or log" "$CLIENTKEY" \
  "$TMP/rec.json" "$TMP/rec.out" "$TMP/rec.err" "$TMP/rec.log"
# record's access log: one JSON line per answered request, saying what the proxy did.
python3 - "$TMP/rec.log" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 1, lines
l = lines[0]
assert l["component"] == "record" and l["event"] == "access" and l["protocol"] == "record", l
assert l["method"] == "POST" and l["path"] == "/v1/chat/completions" and l["outcome"] == "recorded", l
assert l["status"] >= 400 and l["latency_ms"] >= 0, l
PY
check "record --log-format json: one access line per request, what the proxy did" 0 $?
timeout 10 "$BIN" record --port 0 --upstream "http://127.0.0.1:$UP_PORT" --cassette "$TMP/rec2.json" --log-level loud \
  >"$TMP/out" 2>&1; check "record --log-level rejects an unknown level" 2 $? "log-level" "$TMP/out"

finish
