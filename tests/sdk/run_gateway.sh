#!/usr/bin/env bash
# SDK conformance through the gateway: the official `openai` and `@anthropic-ai/sdk` npm
# SDKs (unchanged except baseURL) against `BINARY gateway --sim` on loopback (two
# in-process simulators, sim-a then sim-b, behind the resilience core).
# Usage: tests/sdk/run_gateway.sh path/to/ploke-sim [node --test args...]
#
# - installs node_modules with `npm ci` only when missing or stale (as run.sh);
# - starts `BINARY gateway --sim --port 0` (fast simulated pacing), reads the upstream
#   lines ("upstream sim-a URL (simulated)") and "listening on URL", runs
#   test/gateway_*.test.mjs serially with PLOKE_GATEWAY_URL, PLOKE_SIM_A_URL, PLOKE_SIM_B_URL;
# - always stops the gateway (trap) and fails if it does not exit 0 on SIGTERM.
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 path/to/ploke-sim [node --test args...]" >&2
  exit 2
fi
BIN=$1
shift
[[ -x $BIN ]] || { echo "run_gateway.sh: $BIN is not an executable" >&2; exit 2; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$HERE"

command -v node >/dev/null || { echo "run_gateway.sh: node not found" >&2; exit 2; }
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "run_gateway.sh: installing node_modules (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ploke-sdk-gateway.XXXXXX")
SERVER_PID=
WATCHDOG_PID=
# shellcheck disable=SC2317  # invoked by trap
cleanup() {
  local rc=$?
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  exec 3<&- 2>/dev/null || true
  [[ -n ${WATCHDOG_PID:-} ]] && kill "$WATCHDOG_PID" 2>/dev/null
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

unset HTTP_PROXY HTTPS_PROXY http_proxy https_proxy ALL_PROXY all_proxy
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

# shellcheck disable=SC2206
GATEWAY_ARGS=(${PLOKE_GATEWAY_ARGS:---sim-ttft-ms 0 --sim-tps 5000 --drain-timeout-ms 2000})
mkfifo "$WORK/stdout"
"$BIN" gateway --sim --host 127.0.0.1 --port 0 "${GATEWAY_ARGS[@]}" >"$WORK/stdout" 2>"$WORK/server.log" &
SERVER_PID=$!
(
  trap - EXIT INT TERM
  while kill -0 $$ 2>/dev/null && kill -0 "$SERVER_PID" 2>/dev/null; do sleep 1; done
  if ! kill -0 $$ 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    rm -rf "$WORK"
  fi
) </dev/null >/dev/null 2>&1 &
WATCHDOG_PID=$!
exec 3<"$WORK/stdout"
URL= SIM_A= SIM_B=
while :; do
  LINE=
  if ! IFS= read -r -t 15 LINE <&3; then
    echo "run_gateway.sh: gateway did not print its URL within 15 s" >&2
    cat "$WORK/server.log" >&2
    exit 1
  fi
  if [[ $LINE =~ ^upstream\ sim-a\ (http://127\.0\.0\.1:[0-9]+) ]]; then SIM_A=${BASH_REMATCH[1]}; continue; fi
  if [[ $LINE =~ ^upstream\ sim-b\ (http://127\.0\.0\.1:[0-9]+) ]]; then SIM_B=${BASH_REMATCH[1]}; continue; fi
  if [[ $LINE =~ ^listening\ on\ (http://127\.0\.0\.1:[0-9]+)$ ]]; then URL=${BASH_REMATCH[1]}; break; fi
  echo "run_gateway.sh: unexpected line from gateway: '$LINE'" >&2
  cat "$WORK/server.log" >&2
  exit 1
done
echo "run_gateway.sh: $BIN gateway --sim -> $URL (sim-a $SIM_A, sim-b $SIM_B; pid $SERVER_PID)" >&2

set +e
PLOKE_GATEWAY_URL="$URL" PLOKE_SIM_A_URL="$SIM_A" PLOKE_SIM_B_URL="$SIM_B" OPENAI_LOG=off \
  node --test --test-reporter=spec --test-concurrency=1 --test-timeout=60000 "$@" test/gateway_*.test.mjs
TEST_RC=$?
set -e

kill -TERM "$SERVER_PID"
SERVER_RC=0
wait "$SERVER_PID" || SERVER_RC=$?
SERVER_PID=
if [[ $SERVER_RC -ne 0 ]]; then
  echo "run_gateway.sh: gateway exited $SERVER_RC on SIGTERM (expected 0)" >&2
  tail -n 50 "$WORK/server.log" >&2
  [[ $TEST_RC -ne 0 ]] || TEST_RC=1
fi
if [[ $TEST_RC -ne 0 ]]; then
  echo "run_gateway.sh: --- gateway log (last 50 lines) ---" >&2
  tail -n 50 "$WORK/server.log" >&2
fi
exit "$TEST_RC"
