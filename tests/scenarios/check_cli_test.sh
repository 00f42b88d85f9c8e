#!/usr/bin/env bash
# `ploke-sim check`: a user's command run against the simulator under a check file's
# faults, its client judged. Two deliberately wrong clients fail exactly the check they
# break; usage and input errors exit 2; --json / --junit; the time limit; secrets.
set -u
BIN="$1"
HERE="$(cd "$(dirname "$0")" && pwd)"
DATA="$HERE/data/checks"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
# shellcheck source=tests/cli/lib.sh
source "$HERE/../cli/lib.sh"
run() { "$BIN" check "$@" >"$TMP/out.txt" 2>"$TMP/err.txt"; }

# Usage and input errors: exit 2, named.
run; check "no command: exit 2" 2 $? "a command to run is required" "$TMP/err.txt"
run -s "$TMP/missing.json" -- true; check "missing check file: exit 2" 2 $? "missing.json.*cannot be read" "$TMP/err.txt"
printf '{"client": {"expect": ["waits_for_retry_after", "nope"]}, "faults": [{"kind": "http_error", "status": 99}]}' >"$TMP/bad.json"
run -s "$TMP/bad.json" -- true
check "bad check file: exit 2 naming every field" 2 $? "client.expect\[1\].check: unknown check 'nope'" "$TMP/err.txt"
check "  and the fault's field" 0 0 "faults\[0\].status" "$TMP/err.txt"
printf '{"client": ' >"$TMP/trunc.json"
run -s "$TMP/trunc.json" -- true; check "truncated JSON: exit 2 with the byte" 2 $? "trunc.json.*byte" "$TMP/err.txt"
run --sdk-profile nope -- true; check "unknown profile: exit 2" 2 $? "unknown profile 'nope'" "$TMP/err.txt"
run -- "$TMP/no-such-program"; check "a command that cannot start: exit 2" 2 $? "cannot run .*no-such-program" "$TMP/err.txt"
run --timeout-ms soon -- true; check "bad --timeout-ms: exit 2" 2 $? "--timeout-ms" "$TMP/err.txt"
run --list-profiles; check "--list-profiles" 0 $? "openai-node" "$TMP/out.txt"
ok_if "  lists the four profiles" '[[ $(grep -cE "^(openai-node|openai-python|anthropic-node|vercel-ai)$" "$TMP/out.txt") -eq 4 ]]'

# The impatient client (ignores Retry-After) fails waits_for_retry_after and nothing else.
run -s "$DATA/retry_after.json" --junit "$TMP/impatient.xml" -- "$DATA/impatient_client.sh"
check "impatient client: exit 1" 1 $? "FAIL waits_for_retry_after" "$TMP/out.txt"
check "  says what it did" 0 0 "got 429 asking to wait 1.00 s; the retry came after [0-9]+ ms" "$TMP/out.txt"
check "  fails exactly one check" 0 0 "^FAIL: [0-9]+ passed, 1 failed" "$TMP/out.txt"
check "  the base URL was exported" 0 0 "OPENAI_BASE_URL=http://127.0.0.1:[0-9]+/v1" "$TMP/err.txt"
ok_if "  JUnit: one failure, a testcase per check" \
  'python3 - "$TMP/impatient.xml" <<PY
import sys, xml.etree.ElementTree as ET
s = ET.parse(sys.argv[1]).getroot().find("testsuite")
cases = s.findall("testcase")
failed = [c.get("name") for c in cases if c.find("failure") is not None]
assert len(cases) == 8 and failed == ["waits_for_retry_after"], (len(cases), failed)
PY'

ok_if "  JUnit validates against the CI schemas" 'validate_junit "$TMP/impatient.xml"'

# The restarting client (resends a stream that broke after text was shown) fails
# no_retry_after_partial_stream and nothing else.
run -s "$DATA/stream_cut.json" --json -- python3 "$DATA/restarting_stream_client.py"
rc=$?
check "restarting client: exit 1" 1 $rc
ok_if "  --json: only no_retry_after_partial_stream failed, with its evidence" \
  'python3 - "$TMP/out.txt" <<PY
import json, sys
d = json.load(open(sys.argv[1]))
failed = [c["check"] for c in d["checks"] if c["judged"] and not c["passed"]]
assert failed == ["no_retry_after_partial_stream"], failed
ev = [c for c in d["checks"] if c["check"] == "no_retry_after_partial_stream"][0]["evidence"][0]
assert "the user sees the answer start twice" in ev, ev
assert d["faults"][0]["fired"] == 1 and d["passed"] is False
PY'
check "  the command's stdout went to stderr with --json" 0 0 "call 0 attempt 0: broken" "$TMP/err.txt"

# Replaying a cassette instead of synthetic answers: the recorded request id comes back, and a
# 429 fault (retry-after 1 s) answered first is waited out by a polite client.
SRC="$(cd "$HERE/../.." && pwd)"
cat >"$TMP/polite.sh" <<'SH'
#!/usr/bin/env bash
body='{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello."}], "max_tokens": 16}'
for attempt in 1 2 3; do
  code=$(curl -s -o out.json -D head.txt -w '%{http_code}' -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $OPENAI_API_KEY" -d "$body" "$OPENAI_BASE_URL/chat/completions")
  [[ $code == 429 ]] || break
  sleep "$(tr -d '\r' <head.txt | awk -F': ' 'tolower($1)=="retry-after"{print $2}')"
done
grep -o 'req_6b76c5b9216f44d0b3248b0634436b00' head.txt
SH
chmod +x "$TMP/polite.sh"
(cd "$TMP" && "$BIN" check -s "$DATA/retry_after.json" --cassette "$SRC/cassettes/openai/non-stream.json" -- ./polite.sh \
  >"$TMP/replay.txt" 2>&1)
check "--cassette: replayed answers, faults on top, the client judged" 0 $? "^req_6b76c5b9216f44d0b3248b0634436b00" "$TMP/replay.txt"
check "  waits_for_retry_after judged on the replay" 0 0 "pass waits_for_retry_after" "$TMP/replay.txt"

# The command's stdin is /dev/null (never the caller's input, never a stopped read).
echo "typed input" | "$BIN" check -s "$DATA/retry_after.json" -- bash -c 'read -r x; echo "got:[$x]"' >"$TMP/in.txt" 2>&1
check "the command reads EOF from stdin" 1 $? "^got:\[\]$" "$TMP/in.txt"

# The time limit stops the command (and its children) and fails exits_zero.
run -s "$DATA/retry_after.json" --timeout-ms 1000 -- bash -c 'sleep 60 & wait'
check "a command past --timeout-ms is stopped: exit 1" 1 $? "stopped after 1.00 s" "$TMP/out.txt"
run -s "$DATA/retry_after.json" -- false
check "a failing command fails exits_zero" 1 $? "exited with status 1" "$TMP/out.txt"

# Secrets: the caller's key (--keep-keys) sent in the URL is reported, never printed.
KEY="sk-proj-FAKEcheck0123456789abcdefghijklmnop"
OPENAI_API_KEY="$KEY" "$BIN" check -s "$DATA/retry_after.json" --keep-keys --junit "$TMP/leak.xml" -- \
  bash -c 'curl -s -o /dev/null "$OPENAI_BASE_URL/chat/completions?key=$OPENAI_API_KEY" -H "Authorization: Bearer $OPENAI_API_KEY" -d "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"$OPENAI_API_KEY\"}]}"' \
  >"$TMP/leak.txt" 2>"$TMP/leak.err"
check "a key in the URL fails no_secrets_in_url_or_body" 1 $? "carried its API key in the url" "$TMP/leak.txt"
absent "  the key is printed nowhere" "$KEY" "$TMP/leak.txt" "$TMP/leak.err" "$TMP/leak.xml"
# Without --keep-keys the command gets placeholders, not the caller's key.
OPENAI_API_KEY="$KEY" "$BIN" check -s "$DATA/retry_after.json" -- bash -c 'echo "key=$OPENAI_API_KEY"' >"$TMP/ph.txt" 2>&1
check "placeholder keys by default" 1 $? "key=sk-ploke-check-FAKE" "$TMP/ph.txt"
check "  and a command that sent nothing fails, saying why" 0 0 "FAIL reaches_the_simulator +the command sent no request" "$TMP/ph.txt"
finish
