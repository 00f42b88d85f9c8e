#!/usr/bin/env bash
# SDK conformance through the gateway: the official npm SDKs (unchanged except baseURL)
# against `BINARY gateway --sim` on loopback (two in-process simulators, sim-a then sim-b,
# behind the resilience core).
# Usage: tests/sdk/run_gateway.sh path/to/ploke-sim [node --test args...]
#
# - `npm ci` only when node_modules is missing or stale (lib.sh);
# - starts `BINARY gateway --sim --port 0` (fast simulated pacing), reads the upstream
#   lines ("upstream sim-a URL (simulated)") and "listening on URL", runs
#   test/gateway_*.test.mjs serially with PLOKE_GATEWAY_URL, PLOKE_SIM_A_URL, PLOKE_SIM_B_URL;
# - always stops the gateway (trap) and fails if it does not exit 0 on SIGTERM.
# PLOKE_GATEWAY_UPSTREAM=anthropic: the simulators are spoken to with the Anthropic adapter
# (--sim-protocol anthropic --model claude-sonnet-4-6) and only
# test/gateway_anthropic_upstream.test.mjs runs (it skips itself otherwise).
# PLOKE_GATEWAY_AUTH=keys: a client key is made with `gateway keys create` in a temp ledger
# and the gateway runs with --auth on and a master key; only test/gateway_keys.test.mjs runs
# (it skips itself otherwise; the other tests use the admin API without a key).
set -euo pipefail
if [[ $# -lt 1 ]]; then
  echo "usage: $0 path/to/ploke-sim [node --test args...]" >&2
  exit 2
fi
# shellcheck source=tests/sdk/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sdk_setup run_gateway.sh "$1"
shift

# shellcheck disable=SC2206
GATEWAY_ARGS=(${PLOKE_GATEWAY_ARGS:---sim-ttft-ms 0 --sim-tps 5000 --drain-timeout-ms 2000})
# The tests are about protocols, not the retry budget: many fall-over tests in a row would
# otherwise spend it (retries ≤ 20 % of a 1 s window's requests) and a later fall-over
# could be refused depending on timing. Routing is otherwise the defaults.
printf '[routing.retry]\nbudget_ratio = 100\n' >"$WORK/gateway.toml"
GATEWAY_ARGS+=(--config "$WORK/gateway.toml")
TESTS=(test/gateway_*.test.mjs)
if [[ "${PLOKE_GATEWAY_UPSTREAM:-}" == anthropic ]]; then
  GATEWAY_ARGS+=(--sim-protocol anthropic --model claude-sonnet-4-6)
  TESTS=(test/gateway_anthropic_upstream.test.mjs)
fi
if [[ "${PLOKE_GATEWAY_AUTH:-}" == keys ]]; then
  PLOKE_GATEWAY_KEY=$("$BIN" gateway keys create --name sdk --models gpt-4o-mini --ledger "$WORK/keys.db" 2>/dev/null)
  export PLOKE_GATEWAY_KEY PLOKE_GATEWAY_MASTER_KEY="sk-FAKE-master-sdk-0123456789abcdef"
  GATEWAY_ARGS+=(--auth on --ledger "$WORK/keys.db")
  TESTS=(test/gateway_keys.test.mjs)
fi
sdk_start gateway --sim --host 127.0.0.1 --port 0 "${GATEWAY_ARGS[@]}"
URL= SIM_A= SIM_B=
while :; do
  sdk_read_line
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
  node --test --test-reporter=spec --test-concurrency=1 --test-timeout=60000 "$@" "${TESTS[@]}"
TEST_RC=$?
set -e
sdk_finish "$TEST_RC"
