#!/usr/bin/env bash
# Numbers out of range and deep nesting, for every file the CLI reads and for the recorder:
# a clean message naming the file and the byte offset / field path, exit 2, nothing
# written, no crash (one guard: ploke::json::check_json_limits).
# Usage: tests/cli/json_limits_cli_test.sh path/to/ploke-sim
set -u
BIN="$1"
TMP="$(mktemp -d)"
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
unset HTTP_PROXY HTTPS_PROXY http_proxy https_proxy

printf '{"name": "x", "seed": 1e400}\n' >"$TMP/big.json"
python3 -c "print('{\"name\": \"x\", \"deep\": ' + '['*100000 + ']'*100000 + '}')" >"$TMP/deep.json"
printf '{"version": 1, "models": []}\n' >"$TMP/curated.json"

for kind in big deep; do
  F="$TMP/$kind.json"
  if [[ $kind == big ]]; then WANT='byte 22 \(seed\): number out of range: 1e400'; else WANT='byte [0-9]+ \(deep\[0\]\[0\][][0.]*\): nested deeper than 256 levels'; fi
  "$BIN" scenario run "$F" >"$TMP/out" 2>&1; check "scenario run: $kind" 2 $? "$WANT" "$TMP/out"
  "$BIN" serve --port 0 --faults "$F" >"$TMP/out" 2>&1; check "serve --faults: $kind" 2 $? "fault plan .*$WANT" "$TMP/out"
  "$BIN" contract --adapter openai --suite "$F" >"$TMP/out" 2>&1; check "contract --suite: $kind" 2 $? "contract suite .*$WANT" "$TMP/out"
  "$BIN" models list --curated-file "$F" >"$TMP/out" 2>&1; check "models --curated-file: $kind" 2 $? "$WANT" "$TMP/out"
  "$BIN" models list --cache "$F" --curated-file "$TMP/curated.json" >"$TMP/out" 2>&1
  check "models --cache: $kind" 2 $? "cache file .*$WANT" "$TMP/out"
  "$BIN" cassette har-import "$F" "$TMP/imported-$kind.json" >"$TMP/out" 2>&1; check "har-import: $kind" 2 $? "$WANT" "$TMP/out"
  ok_if "har-import wrote nothing: $kind" "[[ ! -e '$TMP/imported-$kind.json' ]]"
  "$BIN" cassette lint "$F" >"$TMP/out" 2>&1; check "cassette lint: $kind" 2 $? "$(basename "$F")" "$TMP/out"
done

# The gateway: a tool schema nested 20,000 levels deep is a 400, not a crash.
python3 -c "
d='{\"type\":\"object\",\"properties\":{\"a\":'*20000 + '{\"type\":\"string\"}' + '}}'*20000
print('{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":' + d + '}}]}')" >"$TMP/deep-tool.json"
"$BIN" gateway --sim --port 0 >"$TMP/gw.out" 2>"$TMP/gw.err" &
GW_PID=$!; PIDS="$PIDS $GW_PID"
for _ in $(seq 1 200); do grep -q '^listening on ' "$TMP/gw.out" 2>/dev/null && break; sleep 0.05; done
GW=$(sed -n 's/^listening on //p' "$TMP/gw.out")
curl -s -o "$TMP/gw-answer" -w '%{http_code}' -H 'content-type: application/json' --data-binary @"$TMP/deep-tool.json" \
  "$GW/v1/chat/completions" >"$TMP/gw-code"
check "gateway: a deeply nested tool schema is a 400 naming the depth" 0 0 'nested deeper than 256 levels' "$TMP/gw-answer"
ok_if "gateway: the status is 400" "[[ \$(cat '$TMP/gw-code') == 400 ]]"
ok_if "gateway still serving after it" "kill -0 $GW_PID"

# The recorder: a deeply nested request, forwarded and recorded, must not crash it; what it
# recorded before is kept.
start() {  # name args...: starts the binary, waits for "listening on URL", sets URL
  local name=$1; shift
  "$BIN" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  LAST=$!; PIDS="$PIDS $LAST"
  for _ in $(seq 1 200); do grep -q '^listening on ' "$TMP/$name.out" 2>/dev/null && break; sleep 0.05; done
  URL=$(sed -n 's/^listening on //p' "$TMP/$name.out")
}
start upstream serve --port 0
UP=$URL
start recorder record --upstream "$UP" --cassette "$TMP/rec.json" --port 0
REC=$URL; REC_PID=$LAST
post() { curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' --data-binary "$1" "$REC/v1/chat/completions"; }
code=$(post '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"first"}]}')
check "recorder forwards a normal request" 0 0; [[ $code == 200 ]] || check "recorder answered 200 (got $code)" 0 1
python3 -c "print('{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"x\":' + '['*100000 + ']'*100000 + '}')" >"$TMP/deep-req.json"
code=$(post @"$TMP/deep-req.json")
ok_if "recorder answers a deeply nested request (got $code)" "[[ '$code' =~ ^[0-9]{3}$ && '$code' != 000 ]]"
kill -TERM "$REC_PID"; wait "$REC_PID"; rc=$?
check "recorder exits 0 after the deep request (no crash)" 0 "$rc"
ok_if "the earlier recording is kept" "grep -q first '$TMP/rec.json'"
finish
