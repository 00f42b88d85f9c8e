# shellcheck shell=bash
# What tests/sdk/run.sh and run_gateway.sh share (sourced, not run):
#   sdk_setup NAME BIN        checks BIN and node, `npm ci` when node_modules is missing or
#                             older than package-lock.json (the one step that needs the npm
#                             registry), a work dir, a trap that always stops the server,
#                             loopback only (no proxies). Sets SDK_NAME, BIN, WORK.
#   sdk_start ARGS...         starts "$BIN" ARGS... with stdout on fd 3 and a watchdog that
#                             stops it if this script is SIGKILLed. Sets SERVER_PID.
#   sdk_read_line             the server's next stdout line into LINE (15 s, else exit 1).
#   sdk_finish TEST_RC        SIGTERM to the server, which must exit 0; prints the server
#                             log on failure; exits with the final code.
sdk_setup() {
  SDK_NAME=$1
  BIN=$2
  [[ -x $BIN ]] || { echo "$SDK_NAME: $BIN is not an executable" >&2; exit 2; }
  BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
  cd "$(dirname "${BASH_SOURCE[0]}")"
  command -v node >/dev/null || { echo "$SDK_NAME: node not found" >&2; exit 2; }
  if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    echo "$SDK_NAME: installing node_modules (npm ci)" >&2
    npm ci --no-audit --no-fund --loglevel=error >&2
  fi
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/ploke-sdk.XXXXXX")
  SERVER_PID=
  WATCHDOG_PID=
  trap sdk_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  unset HTTP_PROXY HTTPS_PROXY http_proxy https_proxy ALL_PROXY all_proxy
  export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
}

# shellcheck disable=SC2317  # invoked by trap
sdk_cleanup() {
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

sdk_start() {
  mkfifo "$WORK/stdout"
  "$BIN" "$@" >"$WORK/stdout" 2>"$WORK/server.log" &
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
  exec 3<"$WORK/stdout"  # keep the read end open for the server's lifetime
}

sdk_read_line() {
  LINE=
  if ! IFS= read -r -t 15 LINE <&3; then
    echo "$SDK_NAME: server did not print its URL within 15 s" >&2
    cat "$WORK/server.log" >&2
    exit 1
  fi
}

sdk_finish() {
  local test_rc=$1 server_rc=0
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" || server_rc=$?
  SERVER_PID=
  if [[ $server_rc -ne 0 ]]; then
    echo "$SDK_NAME: server exited $server_rc on SIGTERM (expected 0)" >&2
    [[ $test_rc -ne 0 ]] || test_rc=1
  fi
  if [[ $test_rc -ne 0 ]]; then
    echo "$SDK_NAME: --- server log (last 50 lines) ---" >&2
    tail -n 50 "$WORK/server.log" >&2
  fi
  exit "$test_rc"
}
