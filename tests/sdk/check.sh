#!/usr/bin/env bash
# The official SDKs under `ploke-sim check` (check/app.mjs, check/*.json): with their
# default settings openai, @anthropic-ai/sdk and the Vercel AI SDK pass a 429/529/503/reset/
# cut schedule judged by their own profiles; with maxRetries: 0 they fail exactly
# retries_transient_errors; against a hang, a 2 s timeout passes and the default (10 min)
# fails exactly times_out_hung_requests. Usage: tests/sdk/check.sh path/to/ploke-sim
set -uo pipefail
[[ $# -eq 1 ]] || { echo "usage: $0 path/to/ploke-sim" >&2; exit 2; }
# shellcheck source=tests/sdk/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sdk_setup check.sh "$1"
# shellcheck source=tests/cli/lib.sh
source ../cli/lib.sh

# failed_checks FILE: the names of the failed checks in a --json report, comma-separated.
failed_checks() {
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(",".join(c["check"] for c in d["checks"] if c["judged"] and not c["passed"]))' "$1"
}
# run NAME WANT_RC WANT_FAILED ENV... -- CHECK-ARGS...
run() {
  local name=$1 want=$2 want_failed=$3; shift 3
  local envs=()
  while [[ $1 != -- ]]; do envs+=("$1"); shift; done
  shift
  env "${envs[@]}" "$BIN" check --json "$@" -- node check/app.mjs >"$WORK/out.json" 2>"$WORK/err.txt"
  local rc=$? got
  got=$(failed_checks "$WORK/out.json" 2>/dev/null || echo "no report")
  if [[ $rc -eq $want && "$got" == "$want_failed" ]]; then
    echo "ok   $name"; pass=$((pass+1))
  else
    echo "FAIL $name: exit $rc (want $want), failed checks '$got' (want '$want_failed')"
    sed 's/^/    /' "$WORK/err.txt" | tail -20; fail=$((fail+1))
  fi
}

for sdk in openai:openai-node anthropic:anthropic-node; do
  name=${sdk%%:*} profile=${sdk#*:}
  run "$name defaults pass the $profile profile" 0 "" SDK="$name" CALLS=7 STREAM_LAST=1 -- -s check/faults.json --sdk-profile "$profile"
  run "$name maxRetries 0 fails retries_transient_errors" 1 retries_transient_errors SDK="$name" MAX_RETRIES=0 -- \
    -s check/faults.json --sdk-profile "$profile"
  run "$name with a 2 s timeout gives up on a hang" 0 "" SDK="$name" CALLS=2 TIMEOUT_MS=2000 -- -s check/hang.json
  run "$name default timeout fails times_out_hung_requests" 1 times_out_hung_requests SDK="$name" CALLS=2 -- \
    -s check/hang.json
done
run "vercel-ai defaults pass the vercel-ai profile" 0 "" SDK=vercel-ai CALLS=6 -- -s check/faults.json --sdk-profile vercel-ai
run "vercel-ai maxRetries 0 fails retries_transient_errors" 1 retries_transient_errors SDK=vercel-ai MAX_RETRIES=0 -- \
  -s check/faults.json --sdk-profile vercel-ai
finish
