#!/usr/bin/env bash
# `ploke-sim scenario run --real-time`: the short test scenario over loopback HTTP exits 0,
# says it ran on the real clock (JSON "clock": "real", "digest": null; the table says there
# is no digest), writes the HTML report; a failing expectation exits 1 as in virtual time.
set -u
BIN="$1"
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; fi; }
SMOKE="$SRC/tests/scenarios/data/real-time-smoke.json"

"$BIN" scenario run "$SMOKE" --real-time --json --report "$TMP/r.html" >"$TMP/a.json" 2>"$TMP/err.txt"; rc=$?
check "--real-time exits 0 (got $rc)" '[[ $rc -eq 0 ]]'
check "JSON: passed, clock real, no digest, loopback servers that handled requests" 'python3 - "$TMP/a.json" <<PY
import json, sys
d = json.load(open(sys.argv[1]))
assert d["passed"] is True, d["passed"]
assert d["clock"] == "real" and d["digest"] is None and d["deterministic"] is False
assert all(p["url"].startswith("http://127.0.0.1:") and p["engine_requests"] > 0 for p in d["providers"])
PY'
check "report says real clock" 'grep -q "no digest" "$TMP/r.html"'

"$BIN" scenario run "$SMOKE" --real-time >"$TMP/out.txt" 2>/dev/null; rc=$?
check "table run exits 0 (got $rc)" '[[ $rc -eq 0 ]]'
check "table says there is no digest" 'grep -q "digest n/a (real clock: not deterministic)" "$TMP/out.txt"'
check "table says real time" 'grep -q "real time over loopback HTTP" "$TMP/out.txt"'

cat >"$TMP/fails.json" <<'JSON'
{"name": "fails", "duration": "1s", "drain": "2s",
 "providers": [{"name": "p", "models": ["gpt-4o-mini"], "latency": {"ttft": "10ms", "tokens_per_second": 1000}}],
 "faults": [{"provider": "p", "kind": "http_error", "status": 500, "trigger": {"nth": 1, "every": 2}}],
 "workload": {"arrival": {"process": "constant", "rate_per_s": 6}, "max_output_tokens": 8},
 "client": {"retry": {"max_total_attempts": 1}},
 "expect": [{"kind": "success_rate", "min": 0.99}, {"kind": "no_lost_requests"}]}
JSON
"$BIN" scenario run "$TMP/fails.json" --real-time >"$TMP/out1.txt" 2>"$TMP/err1.txt"; rc=$?
check "failing expectation exits 1 in real time (got $rc)" '[[ $rc -eq 1 ]]'
check "names the failed expectation" 'grep -q "FAILED fails expect\[0\]" "$TMP/err1.txt"'

if (( fail )); then cat "$TMP"/err*.txt "$TMP"/out*.txt; exit 1; fi
echo "scenario_real_time_cli_test: ok"
