#!/usr/bin/env bash
# `ploke-sim models …` as a user runs it, against `ploke-sim serve` (its /api/v1 OpenRouter
# routes): refresh → list (sections, counts, refresh age) → search → info (record with
# sources + endpoints per provider) → promote (atomic, no clobber without --force), and the
# failure paths: unknown id, clobber refusal, a bad cache file (exit 2 naming the file), a
# refresh against a dead port (exit 1). Files live in a temp XDG home. Ends with
# "N passed, N failed".
set -u
BIN="$1"
TMP="$(mktemp -d)"
SERVER_PID=""
cleanup() { [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
export XDG_CACHE_HOME="$TMP/cache" XDG_CONFIG_HOME="$TMP/config"
unset OPENROUTER_API_KEY
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
CACHE="$XDG_CACHE_HOME/ploke-sim/models-cache.json"
CONFIG="$XDG_CONFIG_HOME/ploke-sim/config.toml"

"$BIN" models --help >"$TMP/out" 2>&1; check "models --help" 0 $? "promote" "$TMP/out"
"$BIN" models >"$TMP/out" 2>&1; check "models needs a subcommand" 2 $? "subcommand" "$TMP/out"
"$BIN" models list >"$TMP/out" 2>&1; check "list before any refresh" 0 $? "never refreshed" "$TMP/out"
grep -qE '^curated \(1[0-9]\)' "$TMP/out"; check "curated section with its count" 0 $? 
"$BIN" models list --curated --discovered >"$TMP/out" 2>&1; check "--curated excludes --discovered" 2 $?

"$BIN" serve --port 0 --fast --seed 5 >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVER_PID=$!
for _ in $(seq 1 200); do grep -q '^listening on ' "$TMP/serve.out" 2>/dev/null && break; sleep 0.05; done
URL=$(sed -n 's/^listening on //p' "$TMP/serve.out")
[[ -n "$URL" ]]; check "serve prints its URL" 0 $?
API="$URL/api/v1"

OPENROUTER_API_KEY=sk-or-v1-FAKEPLANTED0123456789abcdef "$BIN" models refresh --base-url "$API" >"$TMP/out" 2>&1
check "refresh from the simulator" 0 $? "refreshed: 40 models" "$TMP/out"
if grep -q FAKEPLANTED "$TMP/out" "$CACHE"; then check "refresh never prints or stores the key" 0 1; else check "refresh never prints or stores the key" 0 0; fi
[[ -f "$CACHE" ]]; check "cache file written" 0 $?
"$BIN" models refresh --base-url "$API" --json >"$TMP/out" 2>&1; check "refresh --json" 0 $?
python3 - "$TMP/out" "$API" "$CACHE" <<'PY'; check "refresh --json: counts, source and cache" 0 $?
import json, sys
d = json.load(open(sys.argv[1]))
assert d["models"] == 40 and d["base_url"] == sys.argv[2] and d["cache"] == sys.argv[3], d
assert isinstance(d["skipped"], int) and isinstance(d["unreadable"], int) and "first_unreadable" in d, d
PY
"$BIN" models list >"$TMP/out" 2>&1; check "list: discovered section with count and age" 0 $? '^discovered \([0-9]+; 40 found by the last refresh [0-9]+s ago' "$TMP/out"
"$BIN" models list --discovered >"$TMP/out" 2>&1; check "list --discovered only" 0 $? "^discovered" "$TMP/out"
if grep -q '^curated' "$TMP/out"; then check "--discovered hides curated" 0 1; else check "--discovered hides curated" 0 0; fi
"$BIN" models list --json >"$TMP/out" 2>&1; check "list --json" 0 $? '"discovery_count": 40' "$TMP/out"
grep -q '"source": "curated"' "$TMP/out"; check "list --json carries field sources" 0 $?
"$BIN" models search kimi >"$TMP/out" 2>&1; check "search kimi" 0 $? "moonshotai/kimi-k2" "$TMP/out"
"$BIN" models search deepseek v3.1 >"$TMP/out" 2>&1; check "search needs every word" 0 $? "^1 match$" "$TMP/out"
"$BIN" models search kimi --json >"$TMP/out" 2>&1; check "search --json" 0 $?
python3 - "$TMP/out" <<'PY'; check "search --json: words, count, the records with sources" 0 $?
import json, sys
d = json.load(open(sys.argv[1]))
assert d["words"] == ["kimi"] and d["count"] == len(d["models"]) and d["count"] >= 1, d
assert "moonshotai/kimi-k2" in [m["id"] for m in d["models"]], d
assert all("kimi" in json.dumps(m).lower() for m in d["models"]), d
PY
"$BIN" models info moonshotai/kimi-k2 --base-url "$API" >"$TMP/out" 2>&1
check "info shows sources" 0 $? "tools +yes +\[curated\]" "$TMP/out"
grep -qE '^endpoints \(4\)' "$TMP/out"; check "info lists 4 endpoints" 0 $?
grep -qE 'Novita +novita/fp8 +quant fp8 +tools no' "$TMP/out"; check "info: endpoint without tools" 0 $?
"$BIN" models info kimi-k2 --offline >"$TMP/out" 2>&1; check "info by alias, endpoints from the cache" 0 $? "from the cache" "$TMP/out"
"$BIN" models info qwen/qwq-32b:free --base-url "$API" --json >"$TMP/out" 2>&1; check "info --json of a :variant model" 0 $? '"tag": "chutes/bf16"' "$TMP/out"
"$BIN" models info no/such-model --offline >"$TMP/out" 2>&1; check "info unknown id" 2 $? "unknown model 'no/such-model'" "$TMP/out"

DISC=$("$BIN" models list --discovered --json | sed -n 's/^ *"id": "\(.*\)",$/\1/p' | head -1)
[[ -n "$DISC" ]]; check "a discovered model to promote ($DISC)" 0 $?
mkdir -p "$(dirname "$CONFIG")"
printf '# my config, keep this comment\n[params]\ntemperature = 0.5  # mine\n' >"$CONFIG"
"$BIN" models promote "$DISC" --param temperature=0.2 --param max_tokens=2048 --param stop='["END"]' >"$TMP/out" 2>&1
check "promote a discovered model into config.toml" 0 $? "promoted $DISC as '$DISC' into .*config.toml" "$TMP/out"
grep -qF "[models.\"$DISC\"]" "$CONFIG" && grep -qF "id = \"$DISC\"" "$CONFIG" && grep -q '^provider = "openrouter"$' "$CONFIG"
check "config.toml has the model entry" 0 $?
grep -q '^temperature = 0.2$' "$CONFIG" && grep -q '^max_tokens = 2048$' "$CONFIG" && grep -q '^stop = \["END"\]$' "$CONFIG"
check "config has the overridden params" 0 $?
grep -q '^# my config, keep this comment$' "$CONFIG" && grep -q '^temperature = 0.5  # mine$' "$CONFIG"
check "promote kept the user's comments and lines" 0 $?
"$BIN" config validate >"$TMP/out" 2>&1; check "the promoted config validates" 0 $? "config OK" "$TMP/out"
cp "$CONFIG" "$TMP/config.before"
"$BIN" models promote "$DISC" --param temperature=0.9 >"$TMP/out" 2>&1; check "promote refuses to clobber" 2 $? "use --force" "$TMP/out"
cmp -s "$CONFIG" "$TMP/config.before"; check "refused promote leaves the config untouched" 0 $?
"$BIN" models promote "$DISC" --param temperature=0.9 --force >"$TMP/out" 2>&1; check "promote --force overwrites" 0 $? "promoted" "$TMP/out"
grep -q '^temperature = 0.9$' "$CONFIG" && ! grep -q '^max_tokens = 2048$' "$CONFIG"; check "forced value written, stale params removed" 0 $?
[[ $(grep -c "^\[models" "$CONFIG") -eq 2 ]]; check "--force replaced the entry in place" 0 $?
"$BIN" models promote kimi-k2 --as my-kimi --config "$TMP/alt.json" >"$TMP/out" 2>&1; check "promote --as --config FILE.json (old format)" 0 $? "as 'my-kimi'" "$TMP/out"
grep -q '"my-kimi"' "$TMP/alt.json"; check "--config json file written" 0 $?
"$BIN" models promote kimi-k2 --as my-kimi --config "$TMP/alt.toml" >"$TMP/out" 2>&1; check "promote --as --config FILE.toml" 2 $? "alt.toml" "$TMP/out"
touch "$TMP/alt.toml"
"$BIN" models promote kimi-k2 --as my-kimi --config "$TMP/alt.toml" >"$TMP/out" 2>&1; check "promote --as --config FILE.toml (existing)" 0 $? "as 'my-kimi'" "$TMP/out"
grep -q '^\[models.my-kimi\]$' "$TMP/alt.toml" && grep -q '^temperature = 0.6$' "$TMP/alt.toml"; check "--as entry with the curated params" 0 $?
"$BIN" models promote kimi-k2 --as bad --param colour=red --config "$TMP/alt.toml" >"$TMP/out" 2>&1
check "promote refuses a parameter the config does not know" 2 $? "models.bad.params.colour" "$TMP/out"
grep -q 'bad' "$TMP/alt.toml"; check "refused promote wrote nothing" 1 $?
ls "$XDG_CONFIG_HOME/ploke-sim" | grep -v '^config.toml$' >"$TMP/out"; [[ ! -s "$TMP/out" ]]; check "no temp files left next to the config" 0 $?
"$BIN" models promote no/such-model >"$TMP/out" 2>&1; check "promote unknown id" 2 $? "unknown model" "$TMP/out"
"$BIN" models promote "$DISC" --param novalue >"$TMP/out" 2>&1; check "promote bad --param" 2 $? "KEY=VALUE" "$TMP/out"
echo '{"version":1,"models":[' >"$TMP/badcfg.json"
"$BIN" models promote "$DISC" --config "$TMP/badcfg.json" >"$TMP/out" 2>&1; check "promote into a bad config names it" 2 $? "badcfg.json" "$TMP/out"
printf '[models\nid = 3\n' >"$TMP/badcfg.toml"
"$BIN" models promote "$DISC" --config "$TMP/badcfg.toml" >"$TMP/out" 2>&1; check "promote into a bad config.toml names it" 2 $? "badcfg.toml" "$TMP/out"

echo '{"version":1,"discovered":[ broken' >"$CACHE"
"$BIN" models list >"$TMP/out" 2>&1; check "bad cache file: exit 2 naming the file" 2 $? "models-cache.json" "$TMP/out"
"$BIN" models list --cache "$TMP/other-cache.json" >"$TMP/out" 2>&1; check "--cache picks another file" 0 $? "never refreshed" "$TMP/out"
"$BIN" models refresh --base-url "$API" >"$TMP/out" 2>&1; check "refresh with a bad cache is an input error" 2 $? "models-cache.json" "$TMP/out"
rm -f "$CACHE"
"$BIN" models refresh --base-url "$API" >"$TMP/out" 2>&1; check "refresh again" 0 $? "refreshed" "$TMP/out"

kill -TERM "$SERVER_PID"; wait "$SERVER_PID"; SERVER_PID=""
"$BIN" models refresh --base-url "$API" --timeout-ms 3000 >"$TMP/out" 2>&1; check "refresh against a stopped server fails" 1 $? "models refresh" "$TMP/out"
"$BIN" models list >"$TMP/out" 2>&1; check "failed refresh kept the old cache" 0 $? "40 found" "$TMP/out"

finish
