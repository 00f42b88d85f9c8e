#!/usr/bin/env bash
# The gateway's systemd unit (cli/packaging/ploke-sim-gateway.service.in) passes `systemd-analyze
# verify` with ExecStart pointing at this build's binary: no error and no warning (a misspelt
# key or value is only a warning there, so any output fails). It is a Type=notify service
# (the gateway's READY=1 is tested by gateway_notify_test). Exit 77 (skipped) without
# systemd-analyze.
# Args: PLOKE_SIM UNIT_TEMPLATE
set -u
BIN="$1"; TEMPLATE="$2"
command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze not found"; exit 77; }
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
UNIT="$TMP/ploke-sim-gateway.service"
sed -E "s#^ExecStart=@PLOKE_PREFIX@/[^ ]+#ExecStart=$BIN#" "$TEMPLATE" >"$UNIT"
grep -q "^ExecStart=$BIN gateway " "$UNIT" || { echo "FAIL: ExecStart not found in $TEMPLATE"; exit 1; }
grep -q '^Type=notify$' "$UNIT" || { echo "FAIL: not Type=notify"; exit 1; }
out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify "$UNIT" 2>&1); rc=$?
if [[ $rc -ne 0 || -n "$out" ]]; then echo "FAIL: systemd-analyze verify (exit $rc):"; echo "$out"; exit 1; fi
# The check can fail: a misspelt type is reported.
sed 's/^Type=notify$/Type=notfy/' "$UNIT" >"$TMP/bad.service"
out=$(systemd-analyze verify "$TMP/bad.service" 2>&1)
[[ "$out" == *"notfy"* ]] || { echo "FAIL: verify did not report a bad Type: $out"; exit 1; }
echo "gateway unit: ok"
