#!/usr/bin/env bash
# SDK conformance: runs the official npm SDKs (unchanged except baseURL) against
# `BINARY serve` on loopback. Usage: tests/sdk/run.sh path/to/ploke-sim [node --test args...]
#
# - `npm ci` only when node_modules is missing or stale (lib.sh);
# - starts `BINARY serve --host 127.0.0.1 --port 0 --seed 7` (fault-free; pacing made fast
#   with --ttft-ms/--tps, override with PLOKE_SIM_SERVE_ARGS), reads its
#   "listening on URL" line, runs test/*.test.mjs serially with OPENAI_BASE_URL=URL/v1;
# - always stops the server (trap) and fails if it does not exit 0 on SIGTERM.
set -euo pipefail
if [[ $# -lt 1 ]]; then
  echo "usage: $0 path/to/ploke-sim [node --test args...]" >&2
  exit 2
fi
# shellcheck source=tests/sdk/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sdk_setup run.sh "$1"
shift

# shellcheck disable=SC2206
SERVE_ARGS=(${PLOKE_SIM_SERVE_ARGS:---ttft-ms 0 --tps 5000})
sdk_start serve --host 127.0.0.1 --port 0 --seed 7 "${SERVE_ARGS[@]}"
sdk_read_line
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
sdk_finish "$TEST_RC"
