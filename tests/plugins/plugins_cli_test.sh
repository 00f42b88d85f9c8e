#!/usr/bin/env bash
# Adapter plugins through the binary: --plugin-dir, $PLOKE_SIM_PLUGIN_PATH and config.toml's
# `[plugins] load` load the acme example plugin; `adapters` shows where each adapter and
# each simulator protocol comes from; `contract --adapter acme` runs the suite the plugin
# registered against its simulator protocol; chat and gateway serve traffic through it
# against `serve`, and `serve` speaks Acme's protocol (a 429 fault delivered as Acme's 420).
# Refused plugins (wrong ABI, no entry point, duplicate adapter or protocol name, not a
# shared object) are reported naming the file and skipped; a plugin built for ABI 1.0 loads;
# a missing --plugin-dir folder and --plugin-dir on a binary built without plugins are usage
# errors (exit 2). A plugin's cassette ignore paths hold for `serve --cassette` and `record`.
# Loopback, port 0.
# Args: PLOKE_SIM PLOKE_SIM_NOPLUGINS PLUGINS_DIR (holding good/ and bad/)
set -u
BIN="$1"; NOPLUG="$2"; PLUGINS="$3"
GOOD="$PLUGINS/good"; BAD="$PLUGINS/bad"
TMP="$(mktemp -d)"
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
export XDG_CACHE_HOME="$TMP/cache" XDG_CONFIG_HOME="$TMP/config" XDG_DATA_HOME="$TMP/data" HOME="$TMP"
unset PLOKE_SIM_PLUGIN_PATH PLOKE_SIM_CONFIG PLOKE_SIM_LEDGER OPENAI_API_KEY
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/../cli/lib.sh"

"$BIN" --plugin-dir "$GOOD" adapters >"$TMP/out" 2>"$TMP/err"
check "adapters lists the plugin adapter and its origin" 0 $? \
  "^acme +plugin $GOOD/acme.so \(acme 1\.0\.0, ABI [0-9]+\.[0-9]+\)$" "$TMP/out"
check "built-ins still listed as built in" 0 0 "^openai +built in$" "$TMP/out"
check "simulator protocols listed: built in" 0 0 "^protocol openai +built in$" "$TMP/out"
check "... and the plugin's, with its origin and ABI" 0 0 \
  "^protocol acme +plugin $GOOD/acme.so \(acme 1\.0\.0, ABI 1\.1\)$" "$TMP/out"
ok_if "a good plugin prints nothing on stderr" "[[ ! -s $TMP/err ]]"
"$BIN" --plugin-dir "$GOOD" adapters --json >"$TMP/out" 2>&1; check "adapters --json" 0 $?
python3 - "$TMP/out" "$GOOD/acme.so" <<'PY'; check "adapters --json: each adapter's origin, the plugin's path, name, version, ABI" 0 $?
import json, sys
d = {a["name"]: a for a in json.load(open(sys.argv[1]))["adapters"]}
assert d["openai"] == {"name": "openai", "origin": "built in", "plugin": None}, d["openai"]
p = d["acme"]["plugin"]
assert d["acme"]["origin"] == "plugin" and p["path"] == sys.argv[2] and p["name"] == "acme", d["acme"]
assert p["version"] == "1.0.0" and p["abi"].count(".") == 1, p
sp = {a["name"]: a for a in json.load(open(sys.argv[1]))["sim_protocols"]}
assert sp["openai"]["origin"] == "built in" and sp["acme"]["plugin"]["path"] == sys.argv[2], sp
assert sp["acme"]["plugin"]["abi"] == "1.1", sp["acme"]
PY
"$BIN" --plugin-dir "$PLUGINS/abi10" adapters >"$TMP/out" 2>"$TMP/err"
check "a plugin built for ABI 1.0 loads on this 1.1 binary" 0 $? "^legacy10 +plugin .*legacy10.so \(.*ABI 1\.0\)$" "$TMP/out"
ok_if "... silently" "[[ ! -s $TMP/err ]]"
PLOKE_SIM_PLUGIN_PATH="/nonexistent:$GOOD" "$BIN" adapters >"$TMP/out" 2>&1
check "\$PLOKE_SIM_PLUGIN_PATH loads it too" 0 $? "^acme +plugin " "$TMP/out"

printf '[plugins]\nload = ["%s/acme.so"]\n' "$GOOD" >"$TMP/cfg.toml"
PLOKE_SIM_CONFIG="$TMP/cfg.toml" "$BIN" adapters >"$TMP/out" 2>&1
check "config [plugins] load loads it too" 0 $? "^acme +plugin " "$TMP/out"
PLOKE_SIM_CONFIG="$TMP/cfg.toml" "$NOPLUG" adapters >"$TMP/out" 2>&1
check "feature off: [plugins] load ignored with a note" 0 $? "note: .*ignored \(built without plugin support\)" "$TMP/out"

"$BIN" --plugin-dir "$GOOD" contract --adapter acme >"$TMP/out" 2>&1
check "contract --adapter acme runs the plugin's suite" 0 $? "^[0-9]+ passed, 0 failed" "$TMP/out"
"$BIN" contract --adapter acme --plugin-dir "$GOOD" >"$TMP/out" 2>&1
check "--plugin-dir after the command works too" 0 $? "^[0-9]+ passed, 0 failed" "$TMP/out"
"$BIN" contract --adapter acme >"$TMP/out" 2>&1
check "without the plugin acme is unknown" 2 $? "unknown adapter 'acme'" "$TMP/out"

"$BIN" --plugin-dir "$BAD" adapters >"$TMP/out" 2>"$TMP/err"
check "refused plugins do not stop the command" 0 $? "^openai +built in$" "$TMP/out"
check "wrong ABI named with both versions" 0 0 "wrong_abi.so: built for plugin ABI 999\.0, this ploke-sim has ABI [0-9]+\.[0-9]+.*skipped" "$TMP/err"
check "missing entry point named" 0 0 "no_entry.so: no entry point ploke_sim_plugin_entry" "$TMP/err"
check "newer ABI minor named" 0 0 "newer_minor.so: built for plugin ABI [0-9]+\.[0-9]+, this ploke-sim" "$TMP/err"
check "a plugin registering nothing named" 0 0 "empty.so: registered no adapter" "$TMP/err"
check "duplicate adapter name named" 0 0 "duplicate.so: adapter 'openai' is already registered" "$TMP/err"
check "duplicate simulator protocol name named" 0 0 \
  "dup_protocol.so: simulator protocol 'openai' is already registered \(skipped\)" "$TMP/err"
ok_if "... and its adapter is skipped with it" "! grep -q '^dupproto' $TMP/out"
mkdir -p "$TMP/junk" && echo "not an ELF file" >"$TMP/junk/junk.so" && cp "$GOOD/acme.so" "$GOOD/acme.json" "$TMP/junk/"
"$BIN" --plugin-dir "$TMP/junk" adapters >"$TMP/out" 2>"$TMP/err"
check "a file that is not a shared object is skipped" 0 $? "^acme +plugin " "$TMP/out"
check "... and named" 0 0 "junk.so: cannot load" "$TMP/err"

"$BIN" --plugin-dir "$TMP/nope" adapters >"$TMP/out" 2>&1
check "--plugin-dir that is not a folder: exit 2" 2 $? "--plugin-dir: .*nope is not a folder" "$TMP/out"
"$NOPLUG" --plugin-dir "$GOOD" adapters >"$TMP/out" 2>&1
check "feature off: --plugin-dir is a usage error" 2 $? "built without plugin support" "$TMP/out"
"$NOPLUG" adapters >"$TMP/out" 2>&1
check "feature off: built-ins work" 0 $? "^openai +built in$" "$TMP/out"

# Traffic: chat and gateway through the plugin adapter against the simulator.
"$BIN" serve --port 0 --fast >"$TMP/serve.out" 2>"$TMP/serve.err" &
PIDS="$PIDS $!"
for _ in $(seq 1 200); do grep -q '^listening on ' "$TMP/serve.out" 2>/dev/null && break; sleep 0.05; done
SIM=$(sed -n 's/^listening on //p' "$TMP/serve.out")
ACME_API_KEY=sk-acme-test "$BIN" --plugin-dir "$GOOD" chat --adapter acme --api-key-env ACME_API_KEY \
  --base-url "$SIM/v1" --model gpt-4o-mini "hello" >"$TMP/out" 2>&1
check "chat --adapter acme against serve" 0 $? "finish=" "$TMP/out"
ACME_API_KEY=sk-acme-test "$BIN" --plugin-dir "$GOOD" chat --adapter acme --api-key-env ACME_API_KEY --stream \
  --base-url "$SIM/v1" --model gpt-4o-mini "hello" >"$TMP/out" 2>&1
check "chat --stream --adapter acme against serve" 0 $? "finish=" "$TMP/out"

ACME_API_KEY=sk-acme-test "$BIN" --plugin-dir "$GOOD" gateway --port 0 \
  --provider "acme,$SIM/v1,gpt-4o-mini,ACME_API_KEY" >"$TMP/gw.out" 2>"$TMP/gw.err" &
PIDS="$PIDS $!"
for _ in $(seq 1 200); do grep -q '^listening on ' "$TMP/gw.out" 2>/dev/null && break; sleep 0.05; done
GW=$(sed -n 's/^listening on //p' "$TMP/gw.out")
code=$(curl -s -o "$TMP/body" -w '%{http_code}' -H 'content-type: application/json' \
  -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello there"}]}' "$GW/v1/chat/completions")
check "gateway --provider acme,... answers through the plugin" 200 "$code" '"choices"' "$TMP/body"

# serve speaks the plugin's protocol: Acme's chat route answers, an injected 429 comes back as
# Acme's 420 (retry-after kept), the built-in routes are unchanged, chat --adapter acme works on it.
printf '%s' '{"faults":[{"kind":"http_error","status":429,"retry_after_s":2,
  "match":{"path":"/acme/v1/chat/completions"},"trigger":{"nth":2}}]}' >"$TMP/acme-plan.json"
"$BIN" --plugin-dir "$GOOD" serve --port 0 --fast --faults "$TMP/acme-plan.json" >"$TMP/acme.out" 2>"$TMP/acme.err" &
APID=$!; PIDS="$PIDS $APID"
for _ in $(seq 1 200); do grep -q '^listening on ' "$TMP/acme.out" 2>/dev/null && break; sleep 0.05; done
ASIM=$(sed -n 's/^listening on //p' "$TMP/acme.out")
acme_post() { curl -s -D "$TMP/acme.head" -o "$TMP/acme.body" -w '%{http_code}' -H 'content-type: application/json' "$@" \
  -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' "$ASIM/acme/v1/chat/completions"; }
code=$(acme_post -H 'X-Acme-Client: curl')
check "serve --plugin-dir: Acme's chat route answers" 200 "$code" '"object":"chat.completion"' "$TMP/acme.body"
code=$(acme_post -H 'X-Acme-Client: curl')
check "a 429 fault on Acme's route is Acme's 420" 420 "$code" '"code":"enhance_your_calm"' "$TMP/acme.body"
check "... with the fault's retry-after" 0 0 "^retry-after: 2" "$TMP/acme.head"
code=$(acme_post)
check "Acme's protocol wants X-Acme-Client" 400 "$code" "missing_client_header" "$TMP/acme.body"
code=$(curl -s -o "$TMP/acme.body" -w '%{http_code}' -H 'content-type: application/json' \
  -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' "$ASIM/v1/chat/completions")
check "the built-in OpenAI route is unchanged" 200 "$code" '"object":"chat.completion"' "$TMP/acme.body"
ACME_API_KEY=sk-acme-test "$BIN" --plugin-dir "$GOOD" chat --adapter acme --api-key-env ACME_API_KEY \
  --base-url "$ASIM/acme/v1" --model gpt-4o-mini "hello" >"$TMP/out" 2>&1
check "chat --adapter acme against serve speaking Acme" 0 $? "finish=" "$TMP/out"
kill "$APID" 2>/dev/null; wait "$APID" 2>/dev/null

# Cassette matching ignores the paths plugins register (serve --cassette; record uses the same list).
REQ='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello."}],"max_tokens":16,"acme_tag":"run-42"}'
CASSETTE="$(dirname "$0")/../../cassettes/openai/non-stream.json"
for with in no yes; do
  rm -f "$TMP/replay.out"
  if [[ $with == yes ]]; then
    "$BIN" --plugin-dir "$PLUGINS/tagged" serve --port 0 --cassette "$CASSETTE" --timing none >"$TMP/replay.out" 2>"$TMP/replay.err" &
  else
    "$BIN" serve --port 0 --cassette "$CASSETTE" --timing none >"$TMP/replay.out" 2>"$TMP/replay.err" &
  fi
  RPID=$!; PIDS="$PIDS $RPID"
  for _ in $(seq 1 200); do grep -q '^listening on ' "$TMP/replay.out" 2>/dev/null && break; sleep 0.05; done
  RURL=$(sed -n 's/^listening on //p' "$TMP/replay.out")
  code=$(curl -s -o "$TMP/replay.body" -w '%{http_code}' -H 'content-type: application/json' -d "$REQ" "$RURL/v1/chat/completions")
  if [[ $with == yes ]]; then
    check "serve --cassette ignores a plugin's cassette ignore path" 200 "$code"
  else
    check "without the plugin the extra field is a miss" 400 "$code" "cassette_no_match" "$TMP/replay.body"
  fi
  kill "$RPID" 2>/dev/null; wait "$RPID" 2>/dev/null
done

# record: a cassette recorded through `record`, then extended with --mode new_episodes. With the
# tagged plugin a request that differs only in its "acme_tag" matches the recording (replayed,
# nothing new recorded); without it the request is a new episode, recorded.
rec_post() { curl -s -o "$TMP/rec.body" -w '%{http_code}' -H 'content-type: application/json' \
  -d "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"acme_tag\":\"$2\"}" \
  "$1/v1/chat/completions"; }
start_record() {  # start_record CASSETTE MODE [global options...]
  local c="$1" mode="$2"; shift 2
  "$BIN" "$@" record --upstream "$SIM" --cassette "$c" --mode "$mode" --port 0 --quiet >"$TMP/rec.out" 2>"$TMP/rec.err" &
  RPID=$!; PIDS="$PIDS $RPID"
  for _ in $(seq 1 200); do grep -q '^listening on ' "$TMP/rec.out" 2>/dev/null && break; sleep 0.05; done
  RURL=$(sed -n 's/^listening on //p' "$TMP/rec.out")
}
interactions() { python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["interactions"]))' "$1"; }
for with in yes no; do
  C="$TMP/rec-$with.json"
  start_record "$C" all
  code=$(rec_post "$RURL" run-1)
  check "record ($with plugin): the first request is recorded" 200 "$code" '"choices"' "$TMP/rec.body"
  kill -TERM "$RPID"; wait "$RPID" 2>/dev/null
  if [[ $with == yes ]]; then start_record "$C" new_episodes --plugin-dir "$PLUGINS/tagged"; else start_record "$C" new_episodes; fi
  code=$(rec_post "$RURL" run-2)
  check "record ($with plugin): another acme_tag answers" 200 "$code" '"choices"' "$TMP/rec.body"
  kill -TERM "$RPID"; wait "$RPID" 2>/dev/null
  n=$(interactions "$C")
  if [[ $with == yes ]]; then
    check "record honours the plugin's cassette ignore path (replayed, 1 interaction)" 1 "$n"
  else
    check "without the plugin the other acme_tag is a new episode (2 interactions)" 2 "$n"
  fi
done
finish
