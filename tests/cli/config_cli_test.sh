#!/usr/bin/env bash
# `ploke-sim config validate|show`, `model use --dry-run`, `provider profile`, `usage` as a
# user runs them: every error listed with its path (exit 2), keys redacted in every output
# (config show, saved files, error messages, usage tables), profile switching (atomic save,
# refusal to drop inline keys), the dry-run checks (key, capabilities, reachability against
# `ploke-sim serve` and a dead port, a 0644 key file, a slow key command), and usage from a
# ledger written by tests/ledger/ledger_writer. Temp XDG home. Ends with "N passed, N failed".
set -u
BIN="$1"
WRITER="$2"
TMP="$(mktemp -d)"
SERVER_PID=""
cleanup() { [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
export XDG_CACHE_HOME="$TMP/cache" XDG_CONFIG_HOME="$TMP/config" XDG_DATA_HOME="$TMP/data" HOME="$TMP"
unset OPENROUTER_API_KEY OPENAI_API_KEY ANTHROPIC_API_KEY PLOKE_SIM_CONFIG PLOKE_SIM_PROFILE PLOKE_SIM_MODEL \
  PLOKE_SIM_PRESET PLOKE_SIM_LEDGER PLOKE_SIM_TEMPERATURE PLOKE_SIM_MAX_TOKENS PLOKE_SIM_TOP_P PLOKE_SIM_TIMEOUT_MS
PLANTED="sk-or-v1-FAKEPLANTED0123456789abcdef0123"  # fake key
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
no_key() {  # name file...
  local name="$1"; shift
  if grep -q FAKEPLANTED "$@"; then echo "FAIL $name: the planted key leaked"; fail=$((fail+1)); else echo "ok   $name"; pass=$((pass+1)); fi
}
CFG="$XDG_CONFIG_HOME/ploke-sim/config.toml"
mkdir -p "$(dirname "$CFG")"

"$BIN" config validate >"$TMP/out" 2>&1; check "validate without a file: built-in defaults" 0 $? "config OK: \(no file" "$TMP/out"
"$BIN" config validate --config "$TMP/none.toml" >"$TMP/out" 2>&1; check "validate --config missing file" 2 $? "none.toml" "$TMP/out"
"$BIN" config >"$TMP/out" 2>&1; check "config needs a subcommand" 2 $?

cat >"$TMP/bad.toml" <<TOML
colour = "blue"
[params]
temperature = 9
top_p = "$PLANTED"
[models.claude]
id = "anthropic/claude-3.5-sonnet"
preset = "j"
[presets.j]
json_mode = true
[models.ghost]
id = "no/such-model"
[profiles.work]
preset = "missing"
TOML
"$BIN" config validate --config "$TMP/bad.toml" >"$TMP/out" 2>&1; check "validate: bad file exits 2" 2 $? "^config: 6 errors:" "$TMP/out"
grep -q "bad.toml:1:1: colour: unknown key" "$TMP/out"; check "error: unknown key with file:line:col" 0 $?
grep -q "bad.toml:3:15: params.temperature: value 9 out of range" "$TMP/out"; check "error: range" 0 $?
grep -q "bad.toml:4:9: params.top_p: expected a number" "$TMP/out"; check "error: type" 0 $?
grep -q "bad.toml:9:13: presets.j.json_mode: .*does not support JSON mode" "$TMP/out"; check "error: capability from the catalog" 0 $?
grep -q "bad.toml:11:6: models.ghost.id: unknown model" "$TMP/out"; check "error: model not in the catalog" 0 $?
grep -q "bad.toml:13:10: profiles.work.preset: unknown preset 'missing'" "$TMP/out"; check "error: unknown preset reference" 0 $?
no_key "validate errors never echo a key" "$TMP/out"
printf '[credentials.c]\nkey = "%s" oops\n' "$PLANTED" >"$TMP/syntax.toml"
"$BIN" config validate --config "$TMP/syntax.toml" >"$TMP/out" 2>&1; check "syntax error: file:line:col" 2 $? "syntax.toml:2:[0-9]+: syntax error" "$TMP/out"
no_key "syntax error never echoes a key" "$TMP/out"
PLOKE_SIM_TEMPERATURE=hot "$BIN" config validate >"$TMP/out" 2>&1; check "bad env override is an error" 2 $? "env PLOKE_SIM_TEMPERATURE" "$TMP/out"

cat >"$CFG" <<TOML
active_profile = "work"
[params]
temperature = 0.7
[credentials.inline]
key = "$PLANTED"
[credentials.work-or]
provider = "openrouter"
env = "OR_WORK_KEY"
[profiles.work]
model = "gpt-4o"
[profiles.work.credentials]
openrouter = "work-or"
[profiles.personal]
preset = "creative"
[[budgets]]
scope = "provider"
name = "openrouter"
limit_usd = 0.5
action = "stop"
TOML
chmod 600 "$CFG"
"$BIN" config show >"$TMP/out" 2>&1; check "show: active profile" 0 $? "^# active profile: work" "$TMP/out"
grep -q '^key = .\[REDACTED\].' "$TMP/out"; check "show: inline key printed redacted" 0 $?
grep -q '^temperature = 0.7$' "$TMP/out"; check "show: floats printed shortest" 0 $?
no_key "show never prints a key" "$TMP/out"
PLOKE_SIM_TEMPERATURE=1.1 "$BIN" config show --resolve gpt-4o --preset economical >"$TMP/out" 2>&1
check "show --resolve: sources per parameter" 0 $? "^temperature=0.5 \(preset:economical\)" "$TMP/out"
grep -q "environment overrides: PLOKE_SIM_TEMPERATURE" "$TMP/out"; check "show: env overrides named" 0 $?
"$BIN" provider profile >"$TMP/out" 2>&1; check "provider profile shows the active one" 0 $? "^active profile: work" "$TMP/out"
"$BIN" provider profile --json >"$TMP/out" 2>"$TMP/err"; check "provider profile --json" 0 $?
python3 - "$TMP/out" <<'PY'; check "profile --json: active one, profiles with model, preset, credentials" 0 $?
import json, sys
d = json.load(open(sys.argv[1]))
assert d["active_profile"] == "work" and d["from_env"] is False, d
p = {x["name"]: x for x in d["profiles"]}
assert p["work"] == {"name": "work", "active": True, "model": "gpt-4o", "preset": None, "credentials": {"openrouter": "work-or"}}, p
assert p["personal"]["active"] is False and p["personal"]["preset"] == "creative", p
PY
"$BIN" provider profile nope >"$TMP/out" 2>&1; check "unknown profile" 2 $? "unknown profile 'nope' \(defined: personal, work\)" "$TMP/out"
grep -q 'active_profile = "work"' "$CFG"; check "refused switch left the file alone" 0 $?
# Saving is a text-preserving edit: the user's comments and the inline key line survive
# byte for byte (nothing re-serialised, so nothing to redact), only active_profile changes.
sed -i '1i # my own comment, keep me' "$CFG"
sed -i 's/^temperature = 0.7$/temperature = 0.7  # warm/' "$CFG"
cp "$CFG" "$TMP/before.toml"
"$BIN" provider profile personal >"$TMP/out" 2>&1; check "switch profile" 0 $? "active profile: personal" "$TMP/out"
diff "$TMP/before.toml" "$CFG" >"$TMP/diff" 2>&1
[[ $(grep -c '^[<>]' "$TMP/diff") -eq 2 ]] && grep -q '^> active_profile = "personal"$' "$TMP/diff"
check "switch changed only the active_profile line" 0 $? 
grep -q '^# my own comment, keep me$' "$CFG" && grep -q '^temperature = 0.7  # warm$' "$CFG"; check "switch kept the comments" 0 $?
[[ "$(stat -c %a "$CFG")" == 600 ]]; check "switch kept the file mode" 0 $?
"$BIN" provider profile work --json >"$TMP/out" 2>"$TMP/err"; check "switch with --json" 0 $?
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["active_profile"]=="work" and [x["name"] for x in d["profiles"] if x["active"]]==["work"], d' "$TMP/out"
check "switch --json prints the new state (JSON only)" 0 $?
"$BIN" provider profile personal >/dev/null 2>&1
sed -i '/^\[credentials.inline\]/,+1d' "$CFG"
"$BIN" provider profile >"$TMP/out" 2>&1; check "switch persisted" 0 $? "^\* personal" "$TMP/out"
PLOKE_SIM_PROFILE=work "$BIN" provider profile >"$TMP/out" 2>&1; check "PLOKE_SIM_PROFILE overrides the file" 0 $? "work \(from PLOKE_SIM_PROFILE\)" "$TMP/out"
[[ $(ls -A "$(dirname "$CFG")" | wc -l) -eq 1 ]]; check "atomic save left no temp file" 0 $?

# model use --dry-run against the simulator (reachable) and a dead port.
"$BIN" serve --port 0 --fast --seed 5 >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVER_PID=$!
for _ in $(seq 1 200); do grep -q '^listening on ' "$TMP/serve.out" 2>/dev/null && break; sleep 0.05; done
URL=$(sed -n 's/^listening on //p' "$TMP/serve.out")
[[ -n "$URL" ]]; check "serve prints its URL" 0 $?
DEAD_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
mkdir -p "$TMP/keys"; printf '%s\n' "$PLANTED" >"$TMP/keys/or.key"; chmod 644 "$TMP/keys/or.key"
cat >"$TMP/use.toml" <<TOML
[providers.openrouter]
base_url = "$URL/api/v1"
[providers.dead]
kind = "openrouter"
base_url = "http://127.0.0.1:$DEAD_PORT/v1"
[models.claude]
id = "anthropic/claude-3.5-sonnet"
[models.claude-dead]
id = "anthropic/claude-3.5-sonnet"
provider = "dead"
[presets.j]
json_mode = true
[credentials.filekey]
file = "$TMP/keys/or.key"
[credentials.slow]
command = "sleep 20; echo $PLANTED"
command_timeout_ms = 300
[profiles.filep.credentials]
openrouter = "filekey"
[profiles.slowp.credentials]
openrouter = "slow"
TOML
U=(--config "$TMP/use.toml" --timeout-ms 1000)
OPENROUTER_API_KEY="$PLANTED" "$BIN" model use gpt-4o --dry-run "${U[@]}" >"$TMP/out" 2>&1
check "dry run: all checks pass" 0 $? "result: +ok \(dry run" "$TMP/out"
grep -q "key: *ok (env:OPENROUTER_API_KEY)" "$TMP/out"; check "dry run: key source shown" 0 $?
grep -q "reachable: *ok" "$TMP/out"; check "dry run: simulator reachable" 0 $?
no_key "dry run never prints the key" "$TMP/out"
# --json: the same checks as one object (stdout alone), the key never in it.
OPENROUTER_API_KEY="$PLANTED" "$BIN" model use gpt-4o --dry-run --json "${U[@]}" >"$TMP/use.json" 2>/dev/null
check "dry run --json: exit 0" 0 $?
python3 - "$TMP/use.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
names = [c["check"] for c in j["checks"]]
assert j["model"] == "gpt-4o" and j["provider"] == "openrouter" and j["ok"] is True, j
assert names[0] == "key" and "capabilities" in names and names[-1] == "reachable", names
assert all(c["ok"] for c in j["checks"]) and j["result"].startswith("ok (dry run"), j
PY
check "dry run --json: model, provider, checks in order, result" 0 $?
no_key "model use --json never prints the key" "$TMP/use.json"
"$BIN" model use gpt-4o --dry-run --json "${U[@]}" >"$TMP/use.json" 2>/dev/null
check "dry run --json: missing key exits 1" 1 $?
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); c=[x for x in j["checks"] if x["check"]=="key"][0]; assert j["ok"] is False and c["ok"] is False and "no credential" in c["detail"], j' "$TMP/use.json"
check "dry run --json: the failed key check says why" 0 $?
"$BIN" model use gpt-4o --dry-run "${U[@]}" >"$TMP/out" 2>&1; check "dry run: missing key fails" 1 $? "key: +FAILED: no credential for provider openrouter" "$TMP/out"
OPENROUTER_API_KEY="$PLANTED" "$BIN" model use claude-dead --dry-run "${U[@]}" >"$TMP/out" 2>&1
check "dry run: dead port unreachable" 1 $? "reachable: +FAILED" "$TMP/out"
OPENROUTER_API_KEY="$PLANTED" "$BIN" model use claude --preset j --dry-run "${U[@]}" >"$TMP/out" 2>&1
check "dry run: preset json_mode on a model without it" 1 $? "capabilities: FAILED: .*presets.j.json_mode" "$TMP/out"
"$BIN" model use no/such --dry-run "${U[@]}" >"$TMP/out" 2>&1; check "dry run: unknown model" 2 $? "unknown model 'no/such'" "$TMP/out"
PLOKE_SIM_PROFILE=filep "$BIN" model use gpt-4o --dry-run "${U[@]}" >"$TMP/out" 2>&1
check "dry run: 0644 key file refused" 1 $? "key: +FAILED: credential 'filekey': key file .*mode 0644, expected 0600" "$TMP/out"
no_key "refused key file never printed" "$TMP/out"
chmod 600 "$TMP/keys/or.key"
PLOKE_SIM_PROFILE=filep "$BIN" model use gpt-4o --dry-run "${U[@]}" >"$TMP/out" 2>&1
check "dry run: 0600 key file accepted" 0 $? "key: +ok \(file:" "$TMP/out"
start=$(date +%s)
PLOKE_SIM_PROFILE=slowp "$BIN" model use gpt-4o --dry-run "${U[@]}" >"$TMP/out" 2>&1
check "dry run: slow key command times out" 1 $? "key: +FAILED: credential 'slow': key command timed out after 300 ms" "$TMP/out"
[[ $(( $(date +%s) - start )) -lt 10 ]]; check "slow key command was killed, not waited for" 0 $?
grep -qE 'forecast: +\$0.0[0-9]+ expected' "$TMP/out"; check "dry run: cost forecast from catalog prices" 0 $?
# A stop budget exhausted today (rows stamped now) blocks the switch.
"$WRITER" "$TMP/today.db" 50 openrouter 50 now >/dev/null; check "ledger rows stamped now" 0 $?
cp "$TMP/use.toml" "$TMP/budget.toml"
sed -i "1i ledger = \"$TMP/today.db\"" "$TMP/budget.toml"
printf '[[budgets]]\nscope = "provider"\nname = "openrouter"\nlimit_usd = 0.1\naction = "stop"\n' >>"$TMP/budget.toml"
OPENROUTER_API_KEY="$PLANTED" "$BIN" model use gpt-4o --dry-run --config "$TMP/budget.toml" --timeout-ms 1000 >"$TMP/out" 2>&1
check "dry run: exhausted stop budget fails" 1 $? "budget: +FAILED: budget day provider=openrouter: 0.2250 of 0.10 USD spent" "$TMP/out"
sed -i 's/^limit_usd = 0.1$/limit_usd = 10.0/' "$TMP/budget.toml"
OPENROUTER_API_KEY="$PLANTED" "$BIN" model use gpt-4o --dry-run --config "$TMP/budget.toml" --timeout-ms 1000 >"$TMP/out" 2>&1
check "dry run: budget with room passes" 0 $? "budget: +ok \(\\\$9.77" "$TMP/out"
cp "$TMP/use.toml" "$TMP/use.before"
OPENROUTER_API_KEY="$PLANTED" "$BIN" model use gpt-4o "${U[@]}" >"$TMP/out" 2>&1; check "model use saves default_model" 0 $? "saved" "$TMP/out"
grep -qE "^default_model = \"gpt-4o\"$" "$TMP/use.toml"; check "default_model written" 0 $?
# A text-preserving save adds only the changed line: the key in the environment is never
# written, and the user's own lines (here a key command) are kept as written.
diff "$TMP/use.before" "$TMP/use.toml" | grep '^>' >"$TMP/added"
[[ $(wc -l <"$TMP/added") -eq 2 ]] && grep -q '^> default_model = "gpt-4o"$' "$TMP/added" && grep -q '^> $' "$TMP/added"
check "model use changed only default_model" 0 $?
no_key "saved config adds no key" "$TMP/added" "$TMP/out"

# usage from the ledger.
"$BIN" usage >"$TMP/out" 2>&1; check "usage without a ledger" 0 $? "no usage recorded" "$TMP/out"
LEDGER="$TMP/ledger.db"
"$WRITER" "$LEDGER" 50 openrouter 200 >/dev/null && "$WRITER" "$LEDGER" 10 "$PLANTED" 20 >/dev/null
check "ledger written" 0 $?
"$BIN" usage --ledger "$LEDGER" >"$TMP/out" 2>&1; check "usage by provider" 0 $? "^openrouter +200 +200 +20 " "$TMP/out"
grep -qE "^TOTAL +220 +220" "$TMP/out"; check "usage total row" 0 $?
grep -q "\[REDACTED\]" "$TMP/out"; check "usage: planted key as a provider name is redacted" 0 $?
no_key "usage table never prints a key" "$TMP/out"
grep -qE "budget day provider=openrouter: 0.[0-9]+ of 0.50 USD spent \(stop\)" "$TMP/out"; check "usage shows budgets from the config" 0 $?
"$BIN" usage --ledger "$LEDGER" --by profile --json >"$TMP/out" 2>&1; check "usage --json" 0 $? '"key":"personal"' "$TMP/out"
python3 -m json.tool "$TMP/out" >/dev/null; check "usage --json is valid JSON" 0 $?
no_key "usage --json never prints a key" "$TMP/out"
ODD="$TMP/odd.db"
"$WRITER" "$ODD" 5 $'od"d\\\n\x01\xff\xc3' 5 >/dev/null
"$BIN" usage --ledger "$ODD" --json >"$TMP/out" 2>&1; check "usage --json, odd provider name" 0 $?
python3 -m json.tool "$TMP/out" >/dev/null; check "usage --json is valid JSON for any bytes in a name" 0 $?
"$BIN" usage --ledger "$LEDGER" --by model --csv >"$TMP/out" 2>&1; check "usage --csv" 0 $? "^model,requests,attempts" "$TMP/out"
grep -q "^openrouter/openai/gpt-4o,200,200,20,0,200000,40000," "$TMP/out"; check "usage --csv row" 0 $?
no_key "usage --csv never prints a key" "$TMP/out"
PLOKE_SIM_LEDGER="$LEDGER" "$BIN" usage --since 7d --json >"$TMP/out" 2>&1; check "PLOKE_SIM_LEDGER and --since 7d" 0 $? '"rows":\[\]' "$TMP/out"
PLOKE_SIM_LEDGER="$LEDGER" "$BIN" usage --since 2020-01-01 >"$TMP/out" 2>&1; check "--since a date" 0 $? "^TOTAL +220" "$TMP/out"
"$BIN" usage --ledger "$LEDGER" --since yesterday-ish >"$TMP/out" 2>&1; check "bad --since" 2 $? "--since" "$TMP/out"
"$BIN" usage --ledger "$LEDGER" --by colour >"$TMP/out" 2>&1; check "bad --by" 2 $?
"$BIN" usage --ledger "$LEDGER" --json --csv >"$TMP/out" 2>&1; check "--json excludes --csv" 2 $?
echo "not a database at all, just some text that is long enough to be read" >"$TMP/junk.db"
"$BIN" usage --ledger "$TMP/junk.db" >"$TMP/out" 2>&1; check "usage: not a ledger" 2 $? "junk.db" "$TMP/out"

# --json on config validate and show: one shape each, keys redacted, exit codes as the text forms.
cat >"$TMP/json.toml" <<'TOML'
[providers.local]
kind = "custom"
base_url = "http://127.0.0.1:8080/v1"
[credentials.mine]
provider = "local"
key = "sk-proj-FAKEjson0123456789abcdefghijkl"
[models.smart]
id = "gpt-4o"
provider = "local"
[models.smart.params]
temperature = 0.3
TOML
"$BIN" config validate --config "$TMP/json.toml" --json >"$TMP/out" 2>/dev/null; check "config validate --json" 0 $?
ok_if "  ok, counts, no errors" 'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d[\"ok\"] and d[\"counts\"][\"models\"]==1 and d[\"errors\"]==[] and d[\"warnings\"]" "$TMP/out"'
printf '[models.x]\nid = 3\n' >"$TMP/bad.toml"
"$BIN" config validate --config "$TMP/bad.toml" --json >"$TMP/out" 2>/dev/null; check "config validate --json, bad file: exit 2" 2 $?
ok_if "  every error with file, line, column, path" 'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); e=d[\"errors\"][0]; assert not d[\"ok\"] and e[\"path\"]==\"models.x.id\" and e[\"line\"]==2 and e[\"file\"].endswith(\"bad.toml\")" "$TMP/out"'
"$BIN" config show --config "$TMP/json.toml" --json --resolve smart >"$TMP/out" 2>/dev/null; check "config show --json" 0 $?
ok_if "  the settings as an object, resolved parameters" 'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); c=d[\"config\"]; assert c[\"models\"][\"smart\"][\"id\"]==\"gpt-4o\" and c[\"credentials\"][\"mine\"][\"key\"]==\"[REDACTED]\" and d[\"resolved\"][\"lines\"]" "$TMP/out"'
absent "  config show --json never prints the key" "FAKEjson0123456789" "$TMP/out"

finish
