#!/usr/bin/env bash
# Rebuilds the synthetic cassette library in cassettes/openai/ by recording the simulator
# through the recorder: non-stream, stream, tool calls, 429 and 500.
# Usage: scripts/record-cassettes.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-build}/cli/ploke-sim"
OUT=cassettes/openai
TMP="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

wait_url() {  # file -> prints URL
  for _ in $(seq 1 200); do
    if grep -q '^listening on ' "$1" 2>/dev/null; then sed -n 's/^listening on //p' "$1"; return; fi
    sleep 0.05
  done
  echo "no URL in $1" >&2; exit 1
}

record() {  # name plan-json curl-args...
  local name="$1" plan="$2"; shift 2
  echo "$plan" >"$TMP/plan.json"
  "$BIN" serve --port 0 --seed 11 --ttft-ms 30 --tps 400 --faults "$TMP/plan.json" >"$TMP/sim.out" 2>/dev/null &
  pids+=($!); local sim_pid=$!
  local sim; sim=$(wait_url "$TMP/sim.out")
  rm -f "$OUT/$name.json"
  "$BIN" record --upstream "$sim" --cassette "$OUT/$name.json" --mode all --synthetic \
    --provider openai --protocol openai-chat-completions --quiet >"$TMP/rec.out" 2>/dev/null &
  pids+=($!); local rec_pid=$!
  local rec; rec=$(wait_url "$TMP/rec.out")
  curl -s -o /dev/null -H 'content-type: application/json' -H 'authorization: Bearer sk-FAKE-recording-key-0000000000' \
    "$@" "$rec/v1/chat/completions"
  kill -TERM "$rec_pid"; wait "$rec_pid" || true
  kill -TERM "$sim_pid"; wait "$sim_pid" || true
  echo "recorded $OUT/$name.json"
}

mkdir -p "$OUT"
NOFAULT='{"faults":[]}'
record non-stream "$NOFAULT" --data '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello."}],"max_tokens":16}'
record stream "$NOFAULT" --data '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello."}],"max_tokens":16,"stream":true,"stream_options":{"include_usage":true}}'
TOOLS='"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},{"type":"function","function":{"name":"get_time","parameters":{"type":"object","properties":{"tz":{"type":"string"}},"required":["tz"]}}}],"tool_choice":"required"'
record tool-calls "$NOFAULT" --data '{"model":"gpt-4o","messages":[{"role":"user","content":"Weather and time in Paris?"}],'"$TOOLS"'}'
record tool-calls-stream "$NOFAULT" --data '{"model":"gpt-4o","messages":[{"role":"user","content":"Weather and time in Paris?"}],'"$TOOLS"',"stream":true}'
record rate-limited-429 '{"faults":[{"id":"rl","kind":"http_error","status":429,"retry_after_ms":250}]}' \
  --data '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello."}]}'
record server-error-500 '{"faults":[{"id":"se","kind":"http_error","status":500}]}' \
  --data '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello."}]}'
