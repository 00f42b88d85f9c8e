#!/usr/bin/env bash
# `ploke-sim cassette vcr-import|vcr-export|wiremock-import|wiremock-export` and per-test
# cassettes (`serve --cassette-dir`) as a user runs them: the fixtures in tests/codec/data are
# written in vcrpy's, Ruby VCR's and WireMock's documented formats; imports are redacted (the
# planted FAKE keys never reach a cassette) and lint clean; exports re-import to the same
# interactions (`cassette diff` exit 0), vcrpy YAML loads with PyYAML (vcrpy's parser) when
# it is installed; malformed input exits 2 naming the file and the line or field, writing
# nothing (an existing output stays untouched). Per-test replay: the x-ploke-cassette header
# and the /cassettes/NAME/ prefix select DIR/NAME.json; a missing or invalid name is a 400
# cassette_not_found naming it; `record --cassette-dir DIR --name NAME` records DIR/NAME.json in
# mode once (then replays it without the upstream), mode none refuses a missing one; `record
# --cassette-dir DIR` alone records / replays the cassette each request names (header or prefix).
# Ends with "N passed, N failed".
set -u
BIN="$1"
DATA="$(cd "$(dirname "$0")/../codec/data" && pwd)"
TMP="$(mktemp -d)"
SERVER_PID=""
cleanup() { [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"

# ---- VCR ----
"$BIN" cassette vcr-import "$DATA/vcrpy_openai.yaml" "$TMP/vcrpy.json" >"$TMP/out" 2>&1
check "vcr-import reads a vcrpy cassette" 0 $? "3 interactions" "$TMP/out"
absent "vcr-import redacts the planted key" "sk-FAKE-vcrpy-0123456789abcdefghij" "$TMP/vcrpy.json"
"$BIN" cassette lint "$TMP/vcrpy.json" >"$TMP/out" 2>&1
check "the imported vcrpy cassette lints clean" 0 $? "ok" "$TMP/out"
"$BIN" cassette vcr-import "$DATA/ruby_vcr_anthropic.yml" "$TMP/ruby.json" >"$TMP/out" 2>&1
check "vcr-import reads a Ruby VCR cassette" 0 $? "2 interactions" "$TMP/out"
absent "Ruby VCR import redacts the planted x-api-key" "sk-ant-FAKE-ruby-0123456789abcdefghij" "$TMP/ruby.json"
check "a Ruby VCR stream becomes chunks" 0 0 '"streamed": true' "$TMP/ruby.json"

"$BIN" cassette vcr-export "$TMP/vcrpy.json" "$TMP/export.yaml" >"$TMP/out" 2>&1
check "vcr-export writes vcrpy YAML" 0 $? "3 interactions" "$TMP/out"
check "the export has vcrpy's layout" 0 0 "^version: 1" "$TMP/export.yaml"
"$BIN" cassette vcr-import "$TMP/export.yaml" "$TMP/vcrpy2.json" >"$TMP/out" 2>&1
check "the export re-imports" 0 $? "3 interactions" "$TMP/out"
"$BIN" cassette diff --no-metadata "$TMP/vcrpy.json" "$TMP/vcrpy2.json" >"$TMP/out" 2>&1
check "vcrpy import -> export -> import keeps the interactions" 0 $? "no differences" "$TMP/out"
if python3 -c 'import yaml' 2>/dev/null; then
  python3 - "$TMP/export.yaml" >"$TMP/out" 2>&1 <<'EOF'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
assert doc["version"] == 1
i = doc["interactions"]
assert [x["request"]["method"] for x in i] == ["POST", "POST", "GET"], i
assert i[1]["response"]["body"]["string"].endswith("data: [DONE]\n\n"), i[1]
assert i[1]["request"]["uri"] == "https://api.openai.com/v1/chat/completions?api-version=2024-10-21"
assert i[2]["response"]["status"] == {"code": 429, "message": "Too Many Requests"}
assert i[2]["response"]["body"]["string"] == b"\x00\x01\x02\xff"
print("pyyaml ok")
EOF
  check "PyYAML (vcrpy's parser) reads the export" 0 $? "pyyaml ok" "$TMP/out"
else
  echo "skip PyYAML check (python3 yaml not installed)"
fi

# ---- WireMock ----
"$BIN" cassette wiremock-import "$DATA/wiremock_stubs.json" "$TMP/wm.json" >"$TMP/out" 2>&1
check "wiremock-import reads a mappings file" 0 $? "3 interactions" "$TMP/out"
absent "wiremock-import redacts the planted key" "sk-FAKE-wiremock-0123456789abcdef" "$TMP/wm.json"
"$BIN" cassette wiremock-import "$DATA/wiremock" "$TMP/wmdir.json" >"$TMP/out" 2>&1
check "wiremock-import reads a directory holding mappings/" 0 $? "2 interactions" "$TMP/out"
"$BIN" cassette wiremock-export "$TMP/wm.json" "$TMP/mappings" >"$TMP/out" 2>&1
check "wiremock-export writes one file per mapping" 0 $? "3 mapping files" "$TMP/out"
ok_if "the mapping files are named by index, method and path" "[[ -f '$TMP/mappings/0001-post-v1-chat-completions.json' ]]"
"$BIN" cassette wiremock-import "$TMP/mappings" "$TMP/wm2.json" >/dev/null 2>&1
"$BIN" cassette diff --no-metadata "$TMP/wm.json" "$TMP/wm2.json" >"$TMP/out" 2>&1
# A credential placeholder is never exported as a header matcher (it cannot match live traffic).
check "WireMock import -> export (dir) -> import differs only by the credential placeholder" 1 $? \
  "request header removed authorization" "$TMP/out"
ok_if "... and by nothing else" "[[ \$(grep -cE '^ +(request|response)' '$TMP/out') == 1 ]]"
"$BIN" cassette wiremock-export "$TMP/wmdir.json" "$TMP/mappings2" >/dev/null 2>&1
"$BIN" cassette wiremock-import "$TMP/mappings2" "$TMP/wmdir2.json" >/dev/null 2>&1
"$BIN" cassette diff --no-metadata "$TMP/wmdir.json" "$TMP/wmdir2.json" >"$TMP/out" 2>&1
check "WireMock import -> export -> import keeps the interactions" 0 $? "no differences" "$TMP/out"
"$BIN" cassette wiremock-export "$TMP/wm.json" "$TMP/stubs.json" >"$TMP/out" 2>&1
check "wiremock-export OUT.json writes one mappings file" 0 $? "3 mappings" "$TMP/out"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["mappings"])==3' "$TMP/stubs.json"
check "the mappings file is JSON with 3 mappings" 0 $?

# ---- bad input: exit 2, the file and the line or field, nothing written ----
printf 'interactions:\n- request: {method: GET\n' >"$TMP/bad.yaml"
"$BIN" cassette vcr-import "$TMP/bad.yaml" "$TMP/never.json" >"$TMP/out" 2>&1
check "malformed YAML exits 2 naming the file and line" 2 $? "bad.yaml: YAML error: line [0-9]+" "$TMP/out"
ok_if "nothing is written for malformed YAML" "[[ ! -e '$TMP/never.json' ]]"
printf 'interactions:\n- request:\n    method: GET\n  response:\n    status: {code: 200}\n' >"$TMP/nouri.yaml"
echo keep >"$TMP/kept.json"
"$BIN" cassette vcr-import "$TMP/nouri.yaml" "$TMP/kept.json" >"$TMP/out" 2>&1
check "a missing uri exits 2 naming the field" 2 $? "interactions\[0\]\.request\.uri: missing required field" "$TMP/out"
ok_if "an existing output stays untouched" "[[ \$(cat '$TMP/kept.json') == keep ]]"
printf '{\n  "request": {\n    "method": ,\n' >"$TMP/bad.json"
"$BIN" cassette wiremock-import "$TMP/bad.json" "$TMP/never.json" >"$TMP/out" 2>&1
check "malformed WireMock JSON exits 2 naming the line" 2 $? "bad.json: JSON syntax error at line 3" "$TMP/out"
printf '{"request":{"method":"GET","urlPattern":"/v1/.*"},"response":{"status":200}}' >"$TMP/pattern.json"
"$BIN" cassette wiremock-import "$TMP/pattern.json" "$TMP/never.json" >"$TMP/out" 2>&1
check "a regex URL exits 2 naming the field" 2 $? "request\.urlPattern: pattern URLs do not import" "$TMP/out"
ok_if "nothing is written for bad mappings" "[[ ! -e '$TMP/never.json' ]]"
"$BIN" cassette vcr-export "$TMP/bad.json" "$TMP/never.yaml" >"$TMP/out" 2>&1
check "vcr-export of a malformed cassette exits 2" 2 $? "bad.json" "$TMP/out"
"$BIN" cassette wiremock-export "$TMP/missing.json" "$TMP/never" >"$TMP/out" 2>&1
check "wiremock-export of a missing cassette exits 2" 2 $? "missing.json" "$TMP/out"
ok_if "nothing is written by failed exports" "[[ ! -e '$TMP/never.yaml' && ! -e '$TMP/never' ]]"
"$BIN" cassette vcr-import "$TMP/none.yaml" "$TMP/never.json" >"$TMP/out" 2>&1
check "a missing input exits 2" 2 $? "none.yaml" "$TMP/out"

# ---- per-test cassettes: serve --cassette-dir ----
mkdir -p "$TMP/tests/suite"
cp "$TMP/wmdir.json" "$TMP/tests/suite/hello.json"   # 01-chat: "hello" -> chatcmpl-dir
sed 's/chatcmpl-dir/chatcmpl-other/' "$TMP/wmdir.json" >"$TMP/tests/other.json"
"$BIN" serve --port 0 --cassette-dir "$TMP/tests" --cassette "$TMP/wm.json" >"$TMP/out" 2>&1
check "--cassette and --cassette-dir exclude each other" 2 $? "exclude each other" "$TMP/out"
"$BIN" serve --port 0 --cassette-dir "$TMP/tests" --timing none >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVER_PID=$!
for _ in $(seq 1 200); do grep -q '^listening on ' "$TMP/serve.out" 2>/dev/null && break; sleep 0.05; done
URL=$(sed -n 's/^listening on //p' "$TMP/serve.out")
ok_if "serve --cassette-dir prints its URL" "[[ -n '$URL' ]]"
BODY='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]}'
post() { curl -s -o "$TMP/resp" -w '%{http_code}' -H 'content-type: application/json' "$@" -d "$BODY"; }
code=$(post -H 'x-ploke-cassette: suite/hello' "$URL/v1/chat/completions")
check "x-ploke-cassette selects DIR/NAME.json (subfolder)" 0 "$([[ $code == 200 ]]; echo $?)" "chatcmpl-dir" "$TMP/resp"
code=$(post -H 'x-ploke-cassette: other' "$URL/v1/chat/completions")
check "another name replays its own cassette" 0 "$([[ $code == 200 ]]; echo $?)" "chatcmpl-other" "$TMP/resp"
code=$(post "$URL/cassettes/suite/hello/v1/chat/completions")
check "the /cassettes/NAME/ prefix selects the cassette" 0 "$([[ $code == 200 ]]; echo $?)" "chatcmpl-dir" "$TMP/resp"
code=$(post -H 'x-ploke-cassette: suite/missing' "$URL/v1/chat/completions")
check "a missing cassette is a 400 naming it" 0 "$([[ $code == 400 ]]; echo $?)" 'cassette_not_found.*|no cassette \\"suite/missing\\"' "$TMP/resp"
ok_if "the error names the missing cassette" "grep -q 'suite/missing' '$TMP/resp'"
code=$(post "$URL/v1/chat/completions")
check "a request naming no cassette is a 400" 0 "$([[ $code == 400 ]]; echo $?)" "x-ploke-cassette" "$TMP/resp"
code=$(post -H 'x-ploke-cassette: ../etc/passwd' "$URL/v1/chat/completions")
check "a name with .. is refused" 0 "$([[ $code == 400 ]]; echo $?)" "invalid cassette name" "$TMP/resp"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID"; SERVER_PID=""

# ---- per-test cassettes: record --cassette-dir DIR --name NAME --mode once|none ----
wait_url() { for _ in $(seq 1 200); do grep -q '^listening on ' "$1" 2>/dev/null && break; sleep 0.05; done
  sed -n 's/^listening on //p' "$1"; }
"$BIN" serve --port 0 --seed 3 --fast >"$TMP/sim.out" 2>/dev/null &
SIM_PID=$!
SIM=$(wait_url "$TMP/sim.out")
REC="$TMP/rec"
"$BIN" record --upstream "$SIM" --cassette-dir "$REC" --name suite/t1 --mode once --port 0 --quiet \
  >"$TMP/rec.out" 2>"$TMP/rec.err" &
SERVER_PID=$!
RURL=$(wait_url "$TMP/rec.out")
code=$(post -H "authorization: Bearer sk-FAKE-pertest-0123456789abcdef" "$RURL/v1/chat/completions")
check "mode once records a missing cassette through the upstream" 0 "$([[ $code == 200 ]]; echo $?)" "choices" "$TMP/resp"
cp "$TMP/resp" "$TMP/recorded"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID"; check "record exits 0 after SIGTERM" 0 $?; SERVER_PID=""
# One recorder for the whole suite: each request names its cassette.
DIRREC="$TMP/dirrec"
"$BIN" record --upstream "$SIM" --cassette-dir "$DIRREC" --mode once --port 0 --quiet \
  >"$TMP/rec.out" 2>"$TMP/rec.err" &
SERVER_PID=$!
RURL=$(wait_url "$TMP/rec.out")
code=$(post -H 'x-ploke-cassette: unit/a' "$RURL/v1/chat/completions")
check "record --cassette-dir: the header names the cassette to record" 0 "$([[ $code == 200 ]]; echo $?)" "choices" "$TMP/resp"
cp "$TMP/resp" "$TMP/recorded-a"
code=$(post "$RURL/cassettes/b/v1/chat/completions")
check "record --cassette-dir: the URL prefix names it too" 0 "$([[ $code == 200 ]]; echo $?)" "choices" "$TMP/resp"
code=$(post "$RURL/v1/chat/completions")
check "record --cassette-dir: a request naming no cassette is a 400" 0 "$([[ $code == 400 ]]; echo $?)" \
  "cassette_not_found" "$TMP/resp"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID"; check "record --cassette-dir exits 0 after SIGTERM" 0 $?; SERVER_PID=""
kill -TERM "$SIM_PID"; wait "$SIM_PID"
ok_if "one cassette per name: DIR/unit/a.json and DIR/b.json" "[[ -f '$DIRREC/unit/a.json' && -f '$DIRREC/b.json' ]]"
check "the prefix was not forwarded (recorded path)" 0 0 '"path": "/v1/chat/completions"' "$DIRREC/b.json"
"$BIN" record --cassette-dir "$DIRREC" --mode none --port 0 --quiet >"$TMP/rec.out" 2>"$TMP/rec.err" &
SERVER_PID=$!
RURL=$(wait_url "$TMP/rec.out")
post -H 'x-ploke-cassette: unit/a' "$RURL/v1/chat/completions" >/dev/null
ok_if "mode none replays each named cassette (no upstream)" "cmp -s '$TMP/resp' '$TMP/recorded-a'"
code=$(post -H 'x-ploke-cassette: unit/missing' "$RURL/v1/chat/completions")
check "mode none: a missing cassette is a 400 naming it" 0 "$([[ $code == 400 ]]; echo $?)" \
  'no cassette \\"unit/missing\\"' "$TMP/resp"
ok_if "mode none creates no file" "[[ ! -e '$DIRREC/unit/missing.json' ]]"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID"; SERVER_PID=""
ok_if "the cassette is DIR/NAME.json" "[[ -f '$REC/suite/t1.json' ]]"
check "the recorded cassette is named after the test" 0 0 '"name": "suite/t1"' "$REC/suite/t1.json"
absent "the per-test cassette holds no key" "sk-FAKE-pertest-0123456789abcdef" "$REC/suite/t1.json"
# The upstream is gone: mode once replays the existing cassette without it.
"$BIN" record --upstream "$SIM" --cassette-dir "$REC" --name suite/t1 --mode once --port 0 --quiet \
  >"$TMP/rec.out" 2>"$TMP/rec.err" &
SERVER_PID=$!
RURL=$(wait_url "$TMP/rec.out")
post "$RURL/v1/chat/completions" >/dev/null
ok_if "mode once replays an existing cassette (same body, no upstream)" "cmp -s '$TMP/resp' '$TMP/recorded'"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID"; SERVER_PID=""
"$BIN" record --cassette-dir "$REC" --name suite/missing --mode none --port 0 >"$TMP/out" 2>&1
check "mode none with a missing cassette exits 2 naming it" 2 $? "suite/missing.json" "$TMP/out"
"$BIN" record --cassette-dir "$REC" --name ../escape --mode none --port 0 >"$TMP/out" 2>&1
check "an invalid name exits 2" 2 $? "invalid cassette name" "$TMP/out"
"$BIN" record --cassette "$TMP/x.json" --cassette-dir "$REC" --name a --port 0 >"$TMP/out" 2>&1
check "--cassette excludes --cassette-dir" 2 $? "exclude each other" "$TMP/out"
# The folder replays per test through serve too.
"$BIN" serve --port 0 --cassette-dir "$REC" --timing none >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVER_PID=$!
URL=$(wait_url "$TMP/serve.out")
post -H 'x-ploke-cassette: suite/t1' "$URL/v1/chat/completions" >/dev/null
ok_if "serve --cassette-dir replays the recorded per-test cassette" "cmp -s '$TMP/resp' '$TMP/recorded'"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID"; SERVER_PID=""

finish
