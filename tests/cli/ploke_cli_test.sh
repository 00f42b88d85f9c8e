#!/usr/bin/env bash
# `ploke-sim ploke import` as a user runs it: ploke's config.toml (the fixture
# tests/config/data/ploke_config.toml, with a planted fake key) → a ploke-sim config that
# `config validate` accepts (unknown models added to the models cache) and that `gateway
# --config` serves against a `serve` simulator on OpenRouter's /api/v1 routes; the planted
# key in no output; exit 2 for a missing file, malformed TOML (file:line:col) and a wrong
# type (ploke's field path), with nothing written. Loopback only, temp XDG home.
# Ends with "N passed, N failed".
set -u
BIN="$1"
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
TMP="$(mktemp -d)"
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
export XDG_CACHE_HOME="$TMP/cache" XDG_CONFIG_HOME="$TMP/config" HOME="$TMP"
unset OPENROUTER_API_KEY OPENAI_API_KEY ANTHROPIC_API_KEY PLOKE_SIM_CONFIG PLOKE_SIM_PROFILE PLOKE_SIM_LEDGER
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
FIXTURE="$SRC/tests/config/data/ploke_config.toml"
PLANTED="sk-or-v1-FAKE0000000000000000000000000000000000000000000000000000000000"

# --- import, validate ------------------------------------------------------------------------
"$BIN" ploke import --from "$FIXTURE" --output "$TMP/sim.toml" >"$TMP/out" 2>"$TMP/err"
check "import exits 0" 0 $? "imported 4 models from .* \(2 added to the models cache\)" "$TMP/out"
check "a note for the key that was not copied" 0 0 'note: registry.providers\[0\].api_key: the key in the file was not copied; ploke-sim reads it from \$OPENROUTER_API_KEY' "$TMP/err"
check "a note for a ploke-only setting" 0 0 'registry.providers\[1\].llm_params.tool_max_retries: not imported' "$TMP/err"
"$BIN" config validate --config "$TMP/sim.toml" >"$TMP/val" 2>&1
check "config validate accepts the import" 0 $? "config OK: .*sim.toml \(.*4 models" "$TMP/val"
"$BIN" models list --json >"$TMP/models.json" 2>&1
check "unknown models are in the catalog (discovered)" 0 $? '"qwen/qwen3-coder"' "$TMP/models.json"
"$BIN" ploke import --from "$FIXTURE" --json >"$TMP/j.json" 2>/dev/null; check "--json exits 0" 0 $?
python3 - "$TMP/j.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
names = {m["name"]: m for m in d["models"]}
assert set(names) == {"kimi-k2", "gpt-4o", "local-qwen", "deepseek/deepseek-chat-v3.1"}, names
assert "moonshotai/kimi-k2" in names["kimi-k2"]["aliases"] and d["default_model"] == "kimi-k2"
assert d["catalog_added"] == [] and "[models.kimi-k2]" in d["config"], d  # already added above
PY
check "--json: models, aliases, default, the config text" 0 $?
"$BIN" ploke import --from "$FIXTURE" --no-catalog >"$TMP/stdout.toml" 2>/dev/null
check "without --output: the config on stdout" 0 $? "^\[models.gpt-4o\]" "$TMP/stdout.toml"
"$BIN" ploke import --from "$FIXTURE" --no-catalog -o "$TMP/short.toml" >/dev/null 2>&1; check "-o is --output" 0 $?
cmp -s "$TMP/short.toml" "$TMP/stdout.toml"; check "-o writes the same config" 0 $?
"$BIN" ploke import --from "$FIXTURE" --no-catalog --out "$TMP/old.toml" >/dev/null 2>"$TMP/old.err"; check "the deprecated --out still works" 0 $?
cmp -s "$TMP/old.toml" "$TMP/stdout.toml"; check "--out writes the same config" 0 $?
grep -qx "ploke-sim: warning: --out is deprecated, use --output" "$TMP/old.err"; check "and warns on stderr" 0 $?
absent "the planted key is in no output" "$PLANTED" "$TMP/sim.toml" "$TMP/out" "$TMP/err" "$TMP/j.json" "$TMP/stdout.toml" "$TMP/models.json"
mkdir -p "$TMP/config/ploke" && cp "$FIXTURE" "$TMP/config/ploke/config.toml"
"$BIN" ploke import --no-catalog >"$TMP/default.toml" 2>/dev/null
check "default --from: \$XDG_CONFIG_HOME/ploke/config.toml" 0 $? "^\[models.kimi-k2\]" "$TMP/default.toml"

# --- gateway --config OUT serves ploke's model names against `serve` (/api/v1) ---------------
"$BIN" serve --port 0 --fast >"$TMP/serve.out" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 1 200); do grep -q '^listening on ' "$TMP/serve.out" 2>/dev/null && break; sleep 0.05; done
SIM=$(sed -n 's/^listening on //p' "$TMP/serve.out")
"$BIN" ploke import --from "$FIXTURE" --output "$TMP/gw.toml" --openrouter-base-url "$SIM/api/v1" --no-catalog >/dev/null 2>&1
check "import --openrouter-base-url" 0 $? "" "$TMP/gw.toml"
grep -q "$SIM/api/v1" "$TMP/gw.toml"; check "the openrouter provider points at serve" 0 $?
OPENROUTER_API_KEY=sk-or-v1-FAKE-local MY_OPENROUTER_KEY=sk-or-v1-FAKE-local2 \
  "$BIN" gateway --port 0 --config "$TMP/gw.toml" >"$TMP/gw.out" 2>"$TMP/gw.err" &
PIDS="$PIDS $!"
for _ in $(seq 1 200); do grep -q '^listening on ' "$TMP/gw.out" 2>/dev/null && break; sleep 0.05; done
GW=$(sed -n 's/^listening on //p' "$TMP/gw.out")
[[ -n "$GW" ]]; check "gateway --config (the import) starts" 0 $? "" "$TMP/gw.err"
for model in kimi-k2 moonshotai/kimi-k2 gpt-4o; do
  code=$(curl -s -o "$TMP/body" -w '%{http_code}' -H 'content-type: application/json' \
    -d "{\"model\":\"$model\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}" "$GW/api/v1/chat/completions")
  [[ $code == 200 ]]; check "POST /api/v1/chat/completions model $model through gateway → serve" 0 $? '"choices"' "$TMP/body"
done

# --- bad input: exit 2, the file and the path/line named, nothing written --------------------
"$BIN" ploke import --from "$TMP/nope.toml" --output "$TMP/x.toml" >"$TMP/out" 2>&1
check "missing file: exit 2, named" 2 $? "nope.toml: cannot read ploke's config" "$TMP/out"
printf '[registry]\nactive_provider = "kimi-k2"\n[[registry.providers]\nid = "x"\n' >"$TMP/broken.toml"
"$BIN" ploke import --from "$TMP/broken.toml" --output "$TMP/x.toml" >"$TMP/out" 2>&1
check "malformed TOML: exit 2 with file:line:col" 2 $? "broken.toml:3:[0-9]+: syntax error" "$TMP/out"
printf '[[registry.providers]]\nid = "a"\napi_key = "%s"\n[registry.providers.llm_params]\ntemperature = "hot"\n' "$PLANTED" >"$TMP/typed.toml"
"$BIN" ploke import --from "$TMP/typed.toml" --output "$TMP/x.toml" >"$TMP/out" 2>&1
check "wrong type: exit 2 with ploke's field path and line" 2 $? "typed.toml:5:15: registry.providers\[0\].llm_params.temperature: expected a number" "$TMP/out"
absent "the planted key is not in the error" "$PLANTED" "$TMP/out"
[[ ! -e "$TMP/x.toml" ]]; check "nothing written on bad input" 0 $?
"$BIN" ploke >"$TMP/out" 2>&1; check "ploke without a subcommand: exit 2" 2 $?

finish
