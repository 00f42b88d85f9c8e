#!/usr/bin/env bash
# SDK conformance: runs the official `openai` npm SDK (unchanged except baseURL) against
# `BINARY serve` on loopback. Usage: tests/sdk/run.sh path/to/ploke-sim [node --test args...]
#
# - installs node_modules with `npm ci` only when missing or older than package-lock.json
#   (that one step needs the npm registry; everything else is loopback only);
# - starts `BINARY serve --host 127.0.0.1 --port 0 --seed 7` (fault-free; pacing made fast
#   with --ttft-ms/--tps, override with PLOKE_SIM_SERVE_ARGS), reads its
#   "listening on URL" line, runs test/*.test.mjs serially with OPENAI_BASE_URL=URL/v1;
# - always stops the server (trap) and fails if it does not exit 0 on SIGTERM.
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 path/to/ploke-sim [node --test args...]" >&2
  exit 2
fi
BIN=$1
shift
[[ -x $BIN ]] || { echo "run.sh: $BIN is not an executable" >&2; exit 2; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$HERE"

command -v node >/dev/null || { echo "run.sh: node not found" >&2; exit 2; }

# node_modules: missing, or stale relative to the lock file -> npm ci.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "run.sh: installing node_modules (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ploke-sdk-test.XXXXXX")
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

# Loopback only: no proxies.
unset HTTP_PROXY HTTPS_PROXY http_proxy https_proxy ALL_PROXY all_proxy
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

# shellcheck disable=SC2206
SERVE_ARGS=(${PLOKE_SIM_SERVE_ARGS:---ttft-ms 0 --tps 5000})
mkfifo "$WORK/stdout"
"$BIN" serve --host 127.0.0.1 --port 0 --seed 7 "${SERVE_ARGS[@]}" >"$WORK/stdout" 2>"$WORK/server.log" &
SERVER_PID=$!
# Watchdog: if this script is killed with SIGKILL (no trap runs, e.g. a harness timeout),
# stop the server anyway.
(
  trap - EXIT INT TERM
  while kill -0 $$ 2>/dev/null && kill -0 "$SERVER_PID" 2>/dev/null; do sleep 1; done
  if ! kill -0 $$ 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    rm -rf "$WORK"
  fi
) </dev/null >/dev/null 2>&1 &
WATCHDOG_PID=$!
exec 3<"$WORK/stdout"   # keep the read end open for the server's lifetime
LINE=
if ! IFS= read -r -t 15 LINE <&3; then
  echo "run.sh: server did not print its URL within 15 s" >&2
  cat "$WORK/server.log" >&2
  exit 1
fi
if [[ ! $LINE =~ ^listening\ on\ (http://127\.0\.0\.1:[0-9]+)$ ]]; then
  echo "run.sh: unexpected first line from server: '$LINE'" >&2
  cat "$WORK/server.log" >&2
  exit 1
fi
URL=${BASH_REMATCH[1]}
echo "run.sh: $BIN serve -> $URL (pid $SERVER_PID)" >&2

set +e
OPENAI_BASE_URL="$URL/v1" OPENAI_API_KEY=sk-ploke-sim-test OPENAI_LOG=off \
  node --test --test-reporter=spec --test-concurrency=1 --test-timeout=60000 "$@" test/*.test.mjs
TEST_RC=$?
set -e

# Stop the server; it must exit 0 on SIGTERM.
kill -TERM "$SERVER_PID"
SERVER_RC=0
wait "$SERVER_PID" || SERVER_RC=$?
SERVER_PID=
if [[ $SERVER_RC -ne 0 ]]; then
  echo "run.sh: server exited $SERVER_RC on SIGTERM (expected 0)" >&2
  tail -n 50 "$WORK/server.log" >&2
  [[ $TEST_RC -ne 0 ]] || TEST_RC=1
fi
if [[ $TEST_RC -ne 0 ]]; then
  echo "run.sh: --- server log (last 50 lines) ---" >&2
  tail -n 50 "$WORK/server.log" >&2
fi
exit "$TEST_RC"
