#!/usr/bin/env bash
# `ploke-sim cassette …` as a user runs it: lint exit codes (0 clean, 1 findings,
# 2 malformed with the file and the field path), planted keys found and never echoed, diff
# (0 same, 1 different, 2 malformed), HAR export/import round trip, atomic outputs (no
# partial file on error, an existing output untouched). When `serve` has the replay flags
# wired (--cassette), also: a malformed cassette exits 2, a hit replays the recorded body,
# a miss is a 400 cassette_no_match naming the nearest interaction, and --strict exits 1
# with the report at shutdown. Planted keys contain FAKE (the repo's secret scanner skips
# them). Ends with "N passed, N failed".
set -u
BIN="$1"
TMP="$(mktemp -d)"
SERVER_PID=""
cleanup() { [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"

KEY='sk-proj-FAKE0123456789abcdefghij'

# cassette NAME CONTENT [AUTH] [STATUS_JSON]: a one-interaction cassette on stdout.
cassette() {
  local name="$1" content="$2" auth="${3:-[REDACTED:authorization]}" status="${4:-200}"
  cat <<EOF
{
  "format": "ploke-cassette",
  "version": 1,
  "name": "$name",
  "provider": "openai",
  "protocol": "openai-chat",
  "upstream": "https://api.openai.com",
  "synthetic": true,
  "interactions": [
    {
      "id": "0001",
      "request": {
        "method": "POST",
        "path": "/v1/chat/completions",
        "headers": {"content-type": "application/json", "authorization": "$auth"},
        "body_encoding": "json",
        "body": {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
      },
      "response": {
        "status": $status,
        "headers": {"content-type": "application/json", "x-request-id": "req_1"},
        "first_byte_ms": 10,
        "elapsed_ms": 12,
        "body_encoding": "json",
        "body": {"id": "chatcmpl-1", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": "$content"}, "finish_reason": "stop"}]}
      }
    }
  ]
}
EOF
}

cassette good "Hello from the cassette" >"$TMP/good.json"
cassette other "Hello from another take" >"$TMP/other.json"

# ---- lint ----
"$BIN" cassette lint "$TMP/good.json" >"$TMP/out" 2>&1; check "lint clean cassette" 0 $? "good.json: ok" "$TMP/out"
cassette leak "the key is $KEY" >"$TMP/leak-body.json"
"$BIN" cassette lint "$TMP/leak-body.json" >"$TMP/out" 2>&1
check "lint finds a key in a response body" 1 $? 'interactions\[0\]\.response\.body' "$TMP/out"
ok_if "lint never prints the key" "! grep -q FAKE0123 '$TMP/out'"
cassette leak2 "fine" "Bearer $KEY" >"$TMP/leak-header.json"
"$BIN" cassette lint "$TMP/leak-header.json" >"$TMP/out" 2>&1
check "lint finds a key in the authorization header" 1 $? 'interactions\[0\]\.request\.headers\.authorization' "$TMP/out"
ok_if "lint never prints the header key" "! grep -q FAKE0123 '$TMP/out'"
"$BIN" cassette lint --redact-pattern 'cassette' "$TMP/good.json" >"$TMP/out" 2>&1
check "lint extra pattern" 1 $? "error" "$TMP/out"
"$BIN" cassette lint --pattern 'cassette' "$TMP/good.json" >"$TMP/out" 2>"$TMP/err"
check "the deprecated --pattern still works" 1 $? "error" "$TMP/out"
grep -qx "ploke-sim: warning: --pattern is deprecated, use --redact-pattern" "$TMP/err"; check "and warns on stderr" 0 $?

head -c 300 "$TMP/good.json" >"$TMP/truncated.json"
"$BIN" cassette lint "$TMP/truncated.json" >"$TMP/out" 2>&1
check "lint truncated JSON exits 2 naming the file and position" 2 $? "truncated.json.*line [0-9]+" "$TMP/out"
cassette wrongtype "x" "[REDACTED:authorization]" '"200"' >"$TMP/wrongtype.json"
"$BIN" cassette lint "$TMP/wrongtype.json" >"$TMP/out" 2>&1
check "lint wrong type exits 2 with the field path" 2 $? 'wrongtype.json.*interactions\[0\]\.response\.status' "$TMP/out"
sed 's/"version": 1/"version": 99/' "$TMP/good.json" >"$TMP/version.json"
"$BIN" cassette lint "$TMP/version.json" >"$TMP/out" 2>&1
check "lint unknown version exits 2" 2 $? "version.json.*version" "$TMP/out"
sed '/"method": "POST",/d' "$TMP/good.json" >"$TMP/nomethod.json"
"$BIN" cassette lint "$TMP/nomethod.json" >"$TMP/out" 2>&1
check "lint missing field exits 2 with the field path" 2 $? 'interactions\[0\]\.request\.method' "$TMP/out"
"$BIN" cassette lint "$TMP/missing.json" >"$TMP/out" 2>&1
check "lint missing file exits 2" 2 $? "missing.json" "$TMP/out"
"$BIN" cassette >"$TMP/out" 2>&1; check "cassette without a subcommand is a usage error" 2 $?

# ---- diff ----
"$BIN" cassette diff "$TMP/good.json" "$TMP/good.json" >"$TMP/out" 2>&1; check "diff same" 0 $? "no differences" "$TMP/out"
"$BIN" cassette diff "$TMP/good.json" "$TMP/other.json" >"$TMP/out" 2>&1
check "diff different bodies" 1 $? "content" "$TMP/out"
"$BIN" cassette diff --no-metadata "$TMP/good.json" "$TMP/other.json" >"$TMP/out" 2>&1
check "diff --no-metadata still sees the body" 1 $? "Hello from the cassette" "$TMP/out"
"$BIN" cassette diff "$TMP/good.json" "$TMP/wrongtype.json" >"$TMP/out" 2>&1
check "diff malformed input exits 2" 2 $? 'wrongtype.json.*response\.status' "$TMP/out"
# --json: one shape each, the same exit codes, planted keys never echoed.
"$BIN" cassette diff --json "$TMP/good.json" "$TMP/other.json" >"$TMP/out" 2>&1; check "diff --json: exit 1" 1 $?
ok_if "  diff --json: same false, the body change listed" 'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d[\"same\"] is False and any(\"content\" in c for c in d[\"interactions\"][0][\"changes\"])" "$TMP/out"'
"$BIN" cassette diff --json "$TMP/good.json" "$TMP/good.json" >"$TMP/out" 2>&1; check "diff --json same: exit 0" 0 $? '"same": true' "$TMP/out"
"$BIN" cassette diff --json "$TMP/leak-header.json" "$TMP/good.json" >"$TMP/out" 2>&1; check "diff --json of a leaky cassette: exit 1" 1 $?
absent "  diff --json never prints the planted key" "$KEY" "$TMP/out"
"$BIN" cassette lint --json "$TMP/leak-header.json" >"$TMP/out" 2>&1; check "lint --json, a planted key: exit 1" 1 $? '"severity": "error"' "$TMP/out"
absent "  lint --json never prints the planted key" "$KEY" "$TMP/out"
"$BIN" cassette lint --json "$TMP/wrongtype.json" >"$TMP/out" 2>&1; check "lint --json malformed: exit 2" 2 $? '"parsed": false' "$TMP/out"
python3 -m json.tool "$TMP/out" >/dev/null; check "  still one JSON document" 0 $?

# ---- HAR ----
"$BIN" cassette har-export "$TMP/good.json" "$TMP/good.har" >"$TMP/out" 2>&1; check "har-export" 0 $? "1 entries" "$TMP/out"
ok_if "har-export writes HAR 1.2" "grep -q '\"1.2\"' '$TMP/good.har'"
"$BIN" cassette har-import "$TMP/good.har" "$TMP/back.json" >"$TMP/out" 2>&1; check "har-import" 0 $? "1 interactions" "$TMP/out"
"$BIN" cassette diff "$TMP/good.json" "$TMP/back.json" >"$TMP/out" 2>&1; check "HAR round trip is lossless" 0 $? "no differences" "$TMP/out"
"$BIN" cassette lint "$TMP/back.json" >"$TMP/out" 2>&1; check "imported cassette lints clean" 0 $?

"$BIN" cassette har-export "$TMP/truncated.json" "$TMP/bad.har" >"$TMP/out" 2>&1
check "har-export of a malformed cassette exits 2" 2 $? "truncated.json" "$TMP/out"
ok_if "har-export wrote nothing on error" "[[ ! -e '$TMP/bad.har' ]]"
echo '{"log": {"version": "1.2", "entries": [{"request": 5}]}}' >"$TMP/bad.har"
echo 'previous content' >"$TMP/keep.json"
"$BIN" cassette har-import "$TMP/bad.har" "$TMP/keep.json" >"$TMP/out" 2>&1
check "har-import of a malformed HAR exits 2 with the field path" 2 $? 'bad.har.*entries\[0\]' "$TMP/out"
ok_if "har-import left the existing output untouched" "[[ \"\$(cat '$TMP/keep.json')\" == 'previous content' ]]"
"$BIN" cassette har-import "$TMP/good.har" "$TMP/no/such/dir/out.json" >"$TMP/out" 2>&1
check "har-import to an unwritable path exits 1" 1 $? "out.json" "$TMP/out"
ok_if "no temp files left behind" "[[ -z \"\$(ls -A '$TMP' | grep -E '\\.tmp|~' || true)\" ]]"

# ---- serve --cassette (only when wired) ----
if "$BIN" serve --help 2>&1 | grep -q -- '--cassette'; then
  "$BIN" serve --port 0 --cassette "$TMP/wrongtype.json" >"$TMP/out" 2>&1
  check "serve malformed cassette exits 2 with the field path" 2 $? 'wrongtype.json.*response\.status' "$TMP/out"
  "$BIN" serve --port 0 --cassette "$TMP/good.json" --timing fast >"$TMP/out" 2>&1
  check "serve bad --timing exits 2" 2 $? "timing" "$TMP/out"
  "$BIN" serve --port 0 --strict >"$TMP/out" 2>&1
  check "serve --strict without --cassette is a usage error" 2 $? "cassette" "$TMP/out"

  "$BIN" serve --port 0 --cassette "$TMP/good.json" --strict --timing none >"$TMP/serve.out" 2>"$TMP/serve.err" &
  SERVER_PID=$!
  for _ in $(seq 1 200); do grep -q '^listening on ' "$TMP/serve.out" 2>/dev/null && break; sleep 0.05; done
  URL=$(sed -n 's/^listening on //p' "$TMP/serve.out")
  ok_if "serve --cassette prints its URL" "[[ -n '$URL' ]]"
  code=$(curl -s -o "$TMP/hit" -w '%{http_code}' -H 'content-type: application/json' -H "authorization: Bearer $KEY" \
    -d '{"messages":[{"content":"hi","role":"user"}],"model":"gpt-4o","user":"volatile"}' "$URL/v1/chat/completions")
  check "serve replays the recorded body" 0 "$([[ $code == 200 ]]; echo $?)" "Hello from the cassette" "$TMP/hit"
  code=$(curl -s -o "$TMP/miss" -w '%{http_code}' -H 'content-type: application/json' \
    -d '{"messages":[{"content":"hey","role":"user"}],"model":"gpt-4o"}' "$URL/v1/chat/completions")
  check "serve answers a miss with 400 cassette_no_match" 0 "$([[ $code == 400 ]]; echo $?)" "cassette_no_match" "$TMP/miss"
  code=$(curl -s -o "$TMP/admin" -w '%{http_code}' "$URL/__admin/cassette/misses")
  check "admin API lists the miss" 0 "$([[ $code == 200 ]]; echo $?)" "good" "$TMP/admin"
  check "the miss names the nearest interaction and the difference" 0 0 'nearest: good#0.*changed messages\[0\]\.content' "$TMP/miss"
  kill -TERM "$SERVER_PID"; wait "$SERVER_PID"; code=$?; SERVER_PID=""
  check "serve --strict exits 1 at shutdown after a miss" 1 "$code" "unmatched: no recorded interaction" "$TMP/serve.err"

  rm -f "$TMP/serve.out"  # (else the loop below may read the previous server's line before the shell truncates it)
  "$BIN" serve --port 0 --cassette "$TMP/good.json" --strict >"$TMP/serve.out" 2>"$TMP/serve.err" &
  SERVER_PID=$!
  for _ in $(seq 1 200); do grep -q '^listening on ' "$TMP/serve.out" 2>/dev/null && break; sleep 0.05; done
  kill -TERM "$SERVER_PID"; wait "$SERVER_PID"; code=$?; SERVER_PID=""
  check "serve --strict exits 1 when an interaction was never used" 1 "$code" "unused: good#0" "$TMP/serve.err"
else
  echo "skip serve --cassette tests (flags not wired into serve)"
fi

finish
