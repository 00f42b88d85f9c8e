#!/usr/bin/env bash
# `ploke-sim contract` as a user runs it: exit 0 when every case passes, 1 when one fails
# (the table names the row and the unmet expectation), 2 for bad input (unknown adapter,
# missing or malformed suite naming the file and field path, a suite for another adapter).
# `ploke-sim adapters` lists every built-in adapter. Ends with "N passed, N failed".
set -u
BIN="$1"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"

"$BIN" adapters >"$TMP/out" 2>&1; check "adapters exit 0" 0 $? "^openai +built in$" "$TMP/out"
for a in anthropic custom openai openai-responses openrouter; do
  grep -qE "^$a +built in$" "$TMP/out" && { echo "ok   adapters lists $a"; pass=$((pass+1)); } || { echo "FAIL adapters lacks $a"; fail=$((fail+1)); }
done

"$BIN" contract --help >"$TMP/out" 2>&1; check "contract --help" 0 $? "--adapter" "$TMP/out"
"$BIN" contract --adapter openai >"$TMP/out" 2>&1; check "openai suite passes" 0 $? "^[0-9]+ passed, 0 failed" "$TMP/out"
grep -qE "^rate_limited_429_retry_after_ms +sim +non-stream +PASS" "$TMP/out" && { echo "ok   table row"; pass=$((pass+1)); } || { echo "FAIL table row"; fail=$((fail+1)); }
"$BIN" contract --adapter anthropic --json >"$TMP/out" 2>&1; check "anthropic --json" 0 $? '"failed": 0' "$TMP/out"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["adapter"]=="anthropic" and d["passed"]==len(d["cases"])>0' "$TMP/out" \
  && { echo "ok   json parses"; pass=$((pass+1)); } || { echo "FAIL json parses"; fail=$((fail+1)); }
"$BIN" contract --adapter openai --case rate_limited >"$TMP/out" 2>&1; check "--case filter" 0 $? "rate_limited_429_stream" "$TMP/out"
if grep -q "^non_stream_text" "$TMP/out"; then echo "FAIL --case ran other cases"; fail=$((fail+1)); else echo "ok   --case runs only matching"; pass=$((pass+1)); fi

# A suite with a wrong expectation: exit 1, the failing row and the reason are printed.
cat >"$TMP/wrong.json" <<'JSON'
{"format": "ploke-contract-suite", "version": 1, "adapter": "openai",
 "endpoint": {"base_url": "http://sim.invalid/v1", "api_key": "sk-FAKE-cli-test-0123456789"},
 "defaults": {"request": {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}},
 "cases": [
  {"name": "fine", "expect": {"status": "ok", "finish_reason": "stop"}},
  {"name": "wrong_code", "sim": {"faults": {"faults": [{"kind": "http_error", "status": 500}]}},
   "expect": {"status": "overloaded"}}]}
JSON
"$BIN" contract --adapter openai --suite "$TMP/wrong.json" >"$TMP/out" 2>&1; check "failing case exits 1" 1 $? "^wrong_code .*FAIL" "$TMP/out"
"$BIN" contract --adapter openai --suite "$TMP/wrong.json" --junit "$TMP/c.xml" >/dev/null 2>&1; check "--junit: still exit 1" 1 $?
python3 - "$TMP/c.xml" <<'PY' && { echo "ok   --junit: a testcase per case, the wrong one with <failure>"; pass=$((pass+1)); } || { echo "FAIL --junit"; sed 's/^/    /' "$TMP/c.xml" | head; fail=$((fail+1)); }
import sys, xml.etree.ElementTree as E
root = E.parse(sys.argv[1]).getroot()
suite = root.find("testsuite")
cases = suite.findall("testcase")
failed = [c for c in cases if c.find("failure") is not None]
assert root.tag == "testsuites" and suite.get("name") == "contract openai", root.attrib
assert suite.get("id") == "0" and suite.get("package") == "ploke-sim.contract" and suite.get("hostname"), suite.attrib
assert int(suite.get("tests")) == len(cases) >= 1 and int(suite.get("failures")) == len(failed) == 1
assert failed[0].get("name").startswith("wrong_code"), failed[0].attrib
PY
junit_valid "--junit (a failing suite) validates against the JUnit schemas" "$TMP/c.xml"
"$BIN" contract --adapter openai --junit "$TMP/ok.xml" >/dev/null 2>&1; check "--junit on a passing suite: exit 0" 0 $?
junit_valid "--junit (a passing suite) validates against the JUnit schemas" "$TMP/ok.xml"
grep -q "status: expected overloaded, got server_error" "$TMP/out" && grep -q "^1 passed, 1 failed" "$TMP/out" \
  && { echo "ok   failure reason shown"; pass=$((pass+1)); } || { echo "FAIL failure reason"; sed 's/^/    /' "$TMP/out"; fail=$((fail+1)); }

# Bad input: exit 2.
"$BIN" contract --adapter nope >"$TMP/out" 2>&1; check "unknown adapter" 2 $? "unknown adapter 'nope'" "$TMP/out"
"$BIN" contract >"$TMP/out" 2>&1; check "missing --adapter" 2 $? "adapter" "$TMP/out"
"$BIN" contract --adapter openai --suite "$TMP/missing.json" >"$TMP/out" 2>&1; check "missing suite file" 2 $? "missing.json" "$TMP/out"
echo '{"format": "ploke-contract-suite", "adapter": "openai", "endpoint": {"base_url": "http://x/v1"}, "cases": [{"name": "a", "request": {"model": "m", "messages": []}, "expect": {"status": "rate_limit"}}]}' >"$TMP/bad.json"
"$BIN" contract --adapter openai --suite "$TMP/bad.json" >"$TMP/out" 2>&1; check "malformed suite names field path" 2 $? "cases\[0\]\.expect\.status: unknown status code 'rate_limit'" "$TMP/out"
grep -q "cases\[0\].expect.status" "$TMP/out" && grep -q "bad.json" "$TMP/out" && { echo "ok   message names file and path"; pass=$((pass+1)); } || { echo "FAIL message"; fail=$((fail+1)); }
echo '{"cases": [' >"$TMP/trunc.json"
"$BIN" contract --adapter openai --suite "$TMP/trunc.json" >"$TMP/out" 2>&1; check "invalid JSON names byte offset" 2 $? "invalid JSON at byte" "$TMP/out"
"$BIN" contract --adapter anthropic --suite "$TMP/wrong.json" >"$TMP/out" 2>&1; check "suite for another adapter" 2 $? "suite is for 'openai'" "$TMP/out"
"$BIN" contract --adapter openai --case no-such-case >"$TMP/out" 2>&1; check "--case matching nothing" 2 $? "no-such-case" "$TMP/out"
PLOKE_CONTRACTS_DIR="$TMP" "$BIN" contract --adapter custom >"$TMP/out" 2>&1; check "no suite in PLOKE_CONTRACTS_DIR" 2 $? "no suite for adapter 'custom'" "$TMP/out"

finish
