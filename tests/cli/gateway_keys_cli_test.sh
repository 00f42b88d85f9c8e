#!/usr/bin/env bash
# `ploke-sim gateway keys create|list|revoke` and `gateway --auth` as a user runs them: a
# key is printed once and stored only as its SHA-256; bad input exits 2 with nothing
# written; auth is off on loopback by default, on when asked (or on a non-loopback host),
# refuses to start without any key; a running gateway serves a created key (Bearer and
# x-api-key), refuses a missing / wrong one with 401 in the client's protocol, refuses a
# revoked one within about a second, and keeps the operator routes for the master key.
# Simulated upstreams (--sim), loopback only, temp XDG home. Ends with "N passed, N failed".
set -u
BIN="$1"
TMP="$(mktemp -d)"
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
export XDG_CACHE_HOME="$TMP/cache" XDG_CONFIG_HOME="$TMP/config" XDG_DATA_HOME="$TMP/data" HOME="$TMP"
unset OPENROUTER_API_KEY OPENAI_API_KEY ANTHROPIC_API_KEY PLOKE_SIM_CONFIG PLOKE_SIM_PROFILE PLOKE_SIM_LEDGER PLOKE_GATEWAY_MASTER_KEY
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
L="$TMP/keys.db"
MASTER="sk-FAKE-master-PLANTEDmaster0123456789"
GW_PID=""
start_gateway() {  # out_file args...
  local out="$1"; shift
  rm -f "$out"  # a stale "listening on" line must not be read
  "$BIN" gateway --sim --sim-fast --port 0 "$@" >"$out" 2>"$out.err" &
  GW_PID=$!
  PIDS="$PIDS $GW_PID"
  for _ in $(seq 1 200); do grep -q '^listening on ' "$out" 2>/dev/null && break; sleep 0.05; done
  URL=$(sed -n 's/^listening on //p' "$out")
}
req() {  # method path body header... -> writes $TMP/body, $TMP/head; prints the status code
  local m="$1" p="$2" b="$3"; shift 3
  local args=()
  for h in "$@"; do args+=(-H "$h"); done
  if [[ -n "$b" ]]; then args+=(-H 'content-type: application/json' -d "$b"); fi
  curl -s -X "$m" -D "$TMP/head" -o "$TMP/body" -w '%{http_code}' "${args[@]}" "$URL$p"
}
CHAT='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello there"}]}'
OTHER='{"model":"gpt-4o","messages":[{"role":"user","content":"hello there"}]}'
MSG='{"model":"gpt-4o-mini","max_tokens":16,"messages":[{"role":"user","content":"hello there"}]}'

# --- keys create / list / revoke -------------------------------------------------------------
"$BIN" gateway keys create --name team-a --budget 5 --rpm 100 --models gpt-4o-mini --ledger "$L" >"$TMP/k1" 2>"$TMP/k1.err"
check "keys create" 0 $? '^sk-ploke-[A-Za-z0-9_-]{32}$' "$TMP/k1"
KEY1=$(cat "$TMP/k1")
grep -q "shown only now" "$TMP/k1.err"; check "create says the key is shown once" 0 $?
"$BIN" gateway keys create --name team-b --ledger "$L" --json >"$TMP/k2" 2>&1
check "keys create --json" 0 $? '"key":"sk-ploke-' "$TMP/k2"
KEY2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["key"])' "$TMP/k2")
"$BIN" gateway keys list --ledger "$L" >"$TMP/list" 2>&1
check "keys list" 0 $? 'vk-1 +team-a' "$TMP/list"
grep -qE 'vk-2 +team-b.*active +\(all\)' "$TMP/list"; check "list: state and models" 0 $?
"$BIN" gateway keys list --ledger "$L" --json >"$TMP/list.json" 2>&1
python3 - "$TMP/list.json" <<'PY'
import json, sys
keys = json.load(open(sys.argv[1]))["keys"]
a = keys[0]
assert a["id"] == "vk-1" and a["name"] == "team-a" and a["max_budget"] == 5 and a["rpm_limit"] == 100, a
assert a["models"] == ["gpt-4o-mini"] and a["revoked"] is False and a["prefix"].startswith("sk-ploke-"), a
assert len(a["prefix"]) < 20 and "key" not in a, a
PY
check "keys list --json: id, name, prefix, budget, rpm, models, spend, revoked" 0 $?
absent "list shows no key" "${KEY1:13}" "$TMP/list" "$TMP/list.json"
absent "the ledger holds no plaintext key (1)" "${KEY1:9}" "$L"*
absent "the ledger holds no plaintext key (2)" "${KEY2:9}" "$L"*

# Bad input: exit 2, clear message, nothing written.
cp "$L" "$TMP/before.db"
"$BIN" gateway keys create --ledger "$L" >"$TMP/out" 2>&1; check "create without --name: exit 2" 2 $? 'name' "$TMP/out"
"$BIN" gateway keys create --name x --rpm 0 --ledger "$L" >"$TMP/out" 2>&1; check "--rpm 0: exit 2" 2 $? 'rpm' "$TMP/out"
"$BIN" gateway keys create --name x --budget -1 --ledger "$L" >"$TMP/out" 2>&1; check "--budget -1: exit 2" 2 $? 'budget' "$TMP/out"
"$BIN" gateway keys create --name x --models 'a,,b' --ledger "$L" >"$TMP/out" 2>&1; check "--models a,,b: exit 2" 2 $? 'models' "$TMP/out"
ok_if "bad create: no output on stdout" '! grep -q sk-ploke "$TMP/out"'
"$BIN" gateway keys revoke vk-99 --ledger "$L" >"$TMP/out" 2>&1; check "revoke unknown id: exit 2" 2 $? 'no client key' "$TMP/out"
"$BIN" gateway keys revoke nonsense --ledger "$L" >"$TMP/out" 2>&1; check "revoke malformed id: exit 2" 2 $? 'no client key' "$TMP/out"
"$BIN" gateway keys >"$TMP/out" 2>&1; check "keys without an action: exit 2" 2 $?
"$BIN" gateway keys list --ledger "$L" --json >"$TMP/after.json" 2>&1
cmp -s <(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["keys"]))' "$TMP/after.json") <(echo 2)
check "bad input wrote no key" 0 $?
"$BIN" gateway keys list --ledger "$TMP/none.db" --json >"$TMP/out" 2>/dev/null; check "list on a missing ledger: empty" 0 $? '^\{"keys":\[\]\}$' "$TMP/out"
"$BIN" gateway keys revoke vk-1 --ledger "$TMP/none.db" >"$TMP/out" 2>&1; check "revoke on a missing ledger: exit 2" 2 $? 'does not exist' "$TMP/out"
ok_if "list / revoke create no ledger" '[[ ! -e "$TMP/none.db" ]]'
echo "not a ledger" >"$TMP/foreign.db"
"$BIN" gateway keys list --ledger "$TMP/foreign.db" >"$TMP/out" 2>&1; check "a foreign file: exit 2" 2 $? 'ledger' "$TMP/out"

# --- auth off / on ---------------------------------------------------------------------------
start_gateway "$TMP/gw0.out" --ledger "$L"
[[ $(req POST /v1/chat/completions "$CHAT") == 200 ]]; check "auth auto is off on loopback" 0 $?
kill -TERM "$GW_PID"; wait "$GW_PID"
"$BIN" gateway --sim --sim-fast --port 0 --auth on >"$TMP/out" 2>&1; check "auth on without any key: exit 2" 2 $? 'keys create' "$TMP/out"
# auto on a non-loopback address is on: with no key it refuses before binding anything.
"$BIN" gateway --sim --sim-fast --host 0.0.0.0 --port 0 >"$TMP/out" 2>&1; check "auth auto is on off loopback (no key: exit 2)" 2 $? 'client auth is on \(--auth auto, --host 0.0.0.0\)' "$TMP/out"
"$BIN" gateway --sim --port 0 --auth on --master-key-env NO_SUCH_VAR_X >"$TMP/out" 2>&1; check "--master-key-env unset: exit 2" 2 $? 'NO_SUCH_VAR_X' "$TMP/out"
"$BIN" gateway --sim --port 0 --auth maybe >"$TMP/out" 2>&1; check "--auth maybe: exit 2" 2 $?

export PLOKE_GATEWAY_MASTER_KEY="$MASTER"
start_gateway "$TMP/gw1.out" --ledger "$L" --auth on --log-level info --log-format json
[[ -n "$URL" ]]; check "auth on: starts with the master key and the ledger's keys" 0 $? 'client auth on' "$TMP/gw1.out.err"
code=$(req POST /v1/chat/completions "$CHAT"); [[ $code == 401 ]]
check "no key: OpenAI 401" 0 $? '"code":"invalid_api_key"' "$TMP/body"
code=$(req POST /v1/messages "$MSG" 'anthropic-version: 2023-06-01'); [[ $code == 401 ]]
check "no key: Anthropic 401" 0 $? '"type":"authentication_error"' "$TMP/body"
code=$(req POST /v1/chat/completions "$CHAT" "authorization: Bearer sk-FAKE-ploke-PLANTEDwrong000000000000000"); [[ $code == 401 ]]
check "wrong key: 401" 0 $? 'invalid API key' "$TMP/body"
absent "wrong key not echoed" "PLANTEDwrong" "$TMP/body"
[[ $(req POST /v1/chat/completions "$CHAT" "authorization: Bearer $KEY1") == 200 ]]; check "client key (Bearer): 200" 0 $?
[[ $(req POST /v1/messages "$MSG" 'anthropic-version: 2023-06-01' "x-api-key: $KEY2") == 200 ]]; check "client key (x-api-key): 200" 0 $?
code=$(req POST /v1/chat/completions "$OTHER" "authorization: Bearer $KEY1"); [[ $code == 403 ]]
check "model not allowed: 403" 0 $? 'Tried to access gpt-4o' "$TMP/body"
[[ $(req GET /__admin/health "" "authorization: Bearer $KEY1") == 401 ]]; check "admin with a client key: 401" 0 $?
[[ $(req GET /__admin/health "" "authorization: Bearer $MASTER") == 200 ]]; check "admin with the master key: 200" 0 $?
[[ $(req GET /healthz "") == 200 ]]; check "/healthz stays open" 0 $?
"$BIN" gateway keys revoke vk-2 --ledger "$L" >"$TMP/out" 2>&1; check "keys revoke" 0 $? 'revoked vk-2' "$TMP/out"
code=0
for _ in $(seq 1 60); do  # the gateway polls the ledger at most once a second
  code=$(req POST /v1/messages "$MSG" 'anthropic-version: 2023-06-01' "x-api-key: $KEY2")
  [[ $code == 401 ]] && break
  sleep 0.1
done
[[ $code == 401 ]]; check "a revoked key is refused by the running gateway" 0 $? 'revoked' "$TMP/body"
kill -TERM "$GW_PID"; wait "$GW_PID"
"$BIN" gateway keys list --ledger "$L" --json >"$TMP/list.json" 2>&1
python3 - "$TMP/list.json" <<'PY'
import json, sys
keys = {k["id"]: k for k in json.load(open(sys.argv[1]))["keys"]}
assert keys["vk-2"]["revoked"] is True and keys["vk-2"]["revoked_at"], keys
assert keys["vk-1"]["spend"] > 0, keys  # priced from the catalog, tagged with the key's id
PY
check "list: revoked, and the key's spend from the ledger" 0 $?
absent "no key in the gateway's output, logs or ledger" "${KEY1:9}" "$TMP/gw1.out" "$TMP/gw1.out.err" "$L"*
absent "no master key in the gateway's output, logs or ledger" "PLANTEDmaster" "$TMP/gw1.out" "$TMP/gw1.out.err" "$L"*
absent "no wrong key in the logs" "PLANTEDwrong" "$TMP/gw1.out" "$TMP/gw1.out.err"

finish
