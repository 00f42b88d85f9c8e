#!/usr/bin/env bash
# `ploke-sim scenario run`: exit 0 when every expectation holds, 1 when one fails (named,
# with by how much), 2 on bad input (every bad field listed); --json; --report; --seed.
set -u
BIN="$1"
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; fi; }
# shellcheck source=tests/cli/junit_schema.sh
source "$SRC/tests/cli/junit_schema.sh"

# 0: a library scenario whose expectations hold; JSON + report + digest stability.
"$BIN" scenario run "$SRC/scenarios/outage-recovery.json" >"$TMP/out.txt" 2>"$TMP/err.txt"; rc=$?
check "library scenario exits 0 (got $rc)" '[[ $rc -eq 0 ]]'
check "table lists PASS lines" 'grep -q "PASS expect\[0\]" "$TMP/out.txt"'
check "table has a digest" 'grep -qE "digest [0-9a-f]{64}" "$TMP/out.txt"'
"$BIN" scenario run "$SRC/scenarios/outage-recovery.json" --json --report "$TMP/r.html" >"$TMP/a.json"; rc=$?
check "--json exits 0" '[[ $rc -eq 0 ]]'
check "--json is JSON with passed:true" 'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d[\"passed\"] is True" "$TMP/a.json"'
check "--report writes HTML" 'grep -q "<!DOCTYPE html>" "$TMP/r.html" && grep -q "</html>" "$TMP/r.html"'
# The report is written atomically (temp file + rename): a rewrite replaces the file rather
# than truncating it in place (new inode), and a path that cannot take it exits 1, naming it.
ino1=$(stat -c %i "$TMP/r.html")
"$BIN" scenario run "$SRC/scenarios/outage-recovery.json" --report "$TMP/r.html" >/dev/null; rc=$?
ino2=$(stat -c %i "$TMP/r.html")
check "report rewritten by rename (inode $ino1 -> $ino2, rc $rc)" '[[ $rc -eq 0 && "$ino1" != "$ino2" ]]'
"$BIN" scenario run "$SRC/scenarios/outage-recovery.json" --report "$TMP/nodir/r.html" >/dev/null 2>"$TMP/err_nd.txt"; rc=$?
check "unwritable report path exits 1 (got $rc)" '[[ $rc -eq 1 ]]'
check "names the report path" 'grep -q "cannot write $TMP/nodir/r.html" "$TMP/err_nd.txt"'
check "no file left behind" '[[ ! -e "$TMP/nodir" ]]'
"$BIN" scenario run "$SRC/scenarios/outage-recovery.json" --json >"$TMP/b.json"
d1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$TMP/a.json")
d2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$TMP/b.json")
check "same seed, same digest ($d1 vs $d2)" '[[ -n "$d1" && "$d1" == "$d2" ]]'
"$BIN" scenario run "$SRC/scenarios/outage-recovery.json" --json --seed 99 >"$TMP/c.json"
d3=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$TMP/c.json")
check "--seed changes the digest" '[[ "$d3" != "$d1" ]]'

# 1: an expectation that cannot hold.
cat >"$TMP/fails.json" <<'JSON'
{"name": "fails", "duration": "10s",
 "providers": [{"name": "p", "models": ["gpt-4o-mini"]}],
 "faults": [{"provider": "p", "kind": "http_error", "status": 500, "trigger": {"nth": 1, "every": 2}}],
 "workload": {"arrival": {"process": "constant", "rate_per_s": 5}},
 "client": {"retry": {"max_total_attempts": 1}},
 "expect": [{"kind": "success_rate", "min": 0.99}, {"kind": "no_lost_requests"}]}
JSON
"$BIN" scenario run "$TMP/fails.json" >"$TMP/out1.txt" 2>"$TMP/err1.txt"; rc=$?
check "failing expectation exits 1 (got $rc)" '[[ $rc -eq 1 ]]'
check "names the failed expectation and by how much" 'grep -q "FAILED fails expect\[0\]" "$TMP/err1.txt" && grep -q "short by" "$TMP/err1.txt"'
check "passing one still PASS" 'grep -q "PASS expect\[1\]" "$TMP/out1.txt"'
"$BIN" scenario run "$TMP/fails.json" --junit "$TMP/j.xml" >/dev/null 2>&1; rc=$?
check "--junit with a failing expectation still exits 1 (got $rc)" '[[ $rc -eq 1 ]]'
junit=$(python3 - "$TMP/j.xml" <<'PY'
import sys, xml.etree.ElementTree as E
root = E.parse(sys.argv[1]).getroot()
suite = root.find("testsuite")
cases = suite.findall("testcase")
fails = [c for c in cases if c.find("failure") is not None]
print(root.tag, suite.get("tests"), suite.get("failures"), suite.get("name"), len(cases), len(fails),
      fails[0].get("name").startswith("expect[0]") if fails else False)
PY
)
check "--junit writes JUnit XML: a testcase per expectation, the failed one with <failure> ($junit)" '[[ "$junit" == "testsuites 2 1 fails 2 1 True" ]]'
check "--junit (a failing run) validates against the JUnit schemas" 'validate_junit "$TMP/j.xml"'
mkdir "$TMP/two" && cp "$SRC/scenarios/outage-recovery.json" "$TMP/fails.json" "$TMP/two/"
"$BIN" scenario run "$TMP/two" --junit "$TMP/j2.xml" >/dev/null 2>&1
check "--junit: a testsuite per scenario, ids 0 and 1" '[[ $(grep -c "<testsuite " "$TMP/j2.xml") -eq 2 ]] && grep -q " id=\"1\"" "$TMP/j2.xml"'
check "--junit (a passing and a failing scenario) validates against the JUnit schemas" 'validate_junit "$TMP/j2.xml"'
"$BIN" scenario run "$SRC/scenarios/outage-recovery.json" --junit "$TMP/j3.xml" >/dev/null 2>&1; rc=$?
check "--junit (a passing run, exit $rc) validates against the JUnit schemas" '[[ $rc -eq 0 ]] && validate_junit "$TMP/j3.xml"'

# 2: bad input, every error listed with file and path.
cat >"$TMP/bad.json" <<'JSON'
{"name": "bad", "duration": "soon", "providers": [{"name": "p", "protocol": "smtp", "models": ["m"]}],
 "workload": {"stream_share": 7}, "expect": [{"kind": "vibes"}]}
JSON
"$BIN" scenario run "$TMP/bad.json" >"$TMP/out2.txt" 2>"$TMP/err2.txt"; rc=$?
check "bad input exits 2 (got $rc)" '[[ $rc -eq 2 ]]'
for needle in "bad.json" "duration: must be a duration" "providers\[0\].protocol" "workload.stream_share" "expect\[0\].kind"; do
  check "error lists $needle" 'grep -q "$needle" "$TMP/err2.txt"'
done
"$BIN" scenario run "$TMP/does-not-exist.json" >/dev/null 2>&1; rc=$?
check "missing file exits 2 (got $rc)" '[[ $rc -eq 2 ]]'
echo '{"name": ' >"$TMP/broken.json"
"$BIN" scenario run "$TMP/broken.json" >/dev/null 2>"$TMP/err3.txt"; rc=$?
check "invalid JSON exits 2 (got $rc)" '[[ $rc -eq 2 ]] && grep -q "broken.json" "$TMP/err3.txt"'

# A directory runs every file; one failing file makes the run fail.
mkdir "$TMP/dir" && cp "$SRC/scenarios/outage-recovery.json" "$TMP/fails.json" "$TMP/dir/"
"$BIN" scenario run "$TMP/dir" >"$TMP/out4.txt" 2>&1; rc=$?
check "directory with a failing scenario exits 1 (got $rc)" '[[ $rc -eq 1 ]] && grep -q "2 scenario(s), 1 passed, 1 failed" "$TMP/out4.txt"'

if (( fail )); then cat "$TMP"/err*.txt; exit 1; fi
echo "scenario_cli_test: ok"
