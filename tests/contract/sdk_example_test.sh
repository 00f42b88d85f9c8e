#!/usr/bin/env bash
# The adapter SDK as an outside project uses it: installs this build's ploke_sdk component
# into a temporary prefix, configures and builds docs/examples/acme-adapter against it
# (find_package(ploke_sim CONFIG), nothing from the source tree), then runs the example's
# contract test: its "acme" adapter is registered next to the built-ins and passes
# acme.json (exit 0); a suite with a wrong expectation exits 1. Then the plugin: installs
# the ploke_cli component (the binary) and the example's acme.so + acme.json into the
# prefix's lib/ploke-sim/plugins, and the installed binary lists acme as a plugin (adapter
# and simulator protocol), passes `contract --adapter acme` (against the plugin's protocol)
# and serves chat and gateway traffic through it; `serve` speaks Acme's protocol, and a 429
# injected by the fault plan comes back in Acme's shape (420, retry-after) (loopback, port 0).
# Args: CMAKE_COMMAND BUILD_DIR EXAMPLE_DIR CXX_COMPILER [COMPILER_LAUNCHER]
set -eu
CMAKE="$1"; BUILD="$2"; EXAMPLE="$3"; CXX="$4"; LAUNCHER="${5:-}"
TMP="$(mktemp -d)"
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"' EXIT
export CCACHE_NOHASHDIR=1

"$CMAKE" --install "$BUILD" --prefix "$TMP/prefix" --component ploke_sdk >"$TMP/install.log"
test -f "$TMP/prefix/include/ploke/core/adapter.h"
test -f "$TMP/prefix/include/ploke/simulator/contract.h"
test -f "$TMP/prefix/share/ploke-sim/adapters/contracts/openai.json"
# Public headers never include third-party headers.
if grep -rlE '#include [<"](httplib\.h|nlohmann/|event2/|toml\+\+|sqlite3\.h)' "$TMP/prefix/include"; then
  echo "FAIL: an installed header includes a private third-party header"; exit 1
fi

cp -r "$EXAMPLE" "$TMP/src"   # build a copy: the example must not reach into the source tree
args=(-S "$TMP/src" -B "$TMP/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$TMP/prefix" -DCMAKE_CXX_COMPILER="$CXX")
[[ -n "$LAUNCHER" ]] && args+=(-DCMAKE_CXX_COMPILER_LAUNCHER="$LAUNCHER")
"$CMAKE" "${args[@]}" >"$TMP/configure.log" 2>&1 || { cat "$TMP/configure.log"; exit 1; }
"$CMAKE" --build "$TMP/build" -j2 >"$TMP/build.log" 2>&1 || { cat "$TMP/build.log"; exit 1; }

"$TMP/build/acme_contract" "$TMP/src/acme.json" | tee "$TMP/out"
grep -q "^registered adapters: acme anthropic custom openai openai-responses openrouter" "$TMP/out"
grep -qE "^acme_rate_limit_420 +sim +non-stream +PASS" "$TMP/out"
grep -qE "^[0-9]+ passed, 0 failed" "$TMP/out"

sed 's/"http_status": 420,/"http_status": 429,/' "$TMP/src/acme.json" >"$TMP/wrong.json"
set +e
"$TMP/build/acme_contract" "$TMP/wrong.json" >"$TMP/out2"; rc=$?
set -e
[[ $rc -eq 1 ]] || { echo "FAIL: wrong expectation exited $rc, want 1"; cat "$TMP/out2"; exit 1; }
grep -q "http_status: expected 429, got 420" "$TMP/out2"
# The installed suites (and the golden cassettes they replay) work from the prefix too.
"$TMP/build/acme_contract" "$TMP/prefix/share/ploke-sim/adapters/contracts/openai.json" >"$TMP/out3" || { cat "$TMP/out3"; exit 1; }
grep -qE "^cassette_stream +cassette +stream +PASS" "$TMP/out3"

# The plugin, loaded by the installed binary from <prefix>/lib/ploke-sim/plugins.
"$CMAKE" --install "$BUILD" --prefix "$TMP/prefix" --component ploke_cli >>"$TMP/install.log"
"$CMAKE" --install "$TMP/build" --prefix "$TMP/prefix" >"$TMP/install-acme.log"
PLUGDIR="$TMP/prefix/lib/ploke-sim/plugins"
test -f "$PLUGDIR/acme.so" && test -f "$PLUGDIR/acme.json"
SIM_BIN="$TMP/prefix/bin/ploke-sim"
unset PLOKE_SIM_PLUGIN_PATH
export XDG_CACHE_HOME="$TMP/cache" XDG_CONFIG_HOME="$TMP/config" XDG_DATA_HOME="$TMP/data"
# The installed binary reads its data from <prefix>/share/ploke-sim, never the source tree:
# the scenario library, the default check file and the contract suites.
DATA="$TMP/prefix/share/ploke-sim"
"$SIM_BIN" scenario run --json >"$TMP/sc.json" 2>"$TMP/sc.err" || { cat "$TMP/sc.err"; exit 1; }
python3 - "$TMP/sc.json" "$DATA/scenarios/" <<'PY' || { echo "FAIL: installed scenario library not used"; exit 1; }
import json, sys
runs = json.load(open(sys.argv[1]))
assert len(runs) >= 15 and all(r["file"].startswith(sys.argv[2]) for r in runs), [r["file"] for r in runs]
PY
"$SIM_BIN" check --json -- true >"$TMP/ck.json" 2>"$TMP/ck.err" || true
grep -q "\"file\": \"$DATA/scenarios/checks/standard.json\"" "$TMP/ck.json" || { echo "FAIL: installed check file not used"; cat "$TMP/ck.json" "$TMP/ck.err"; exit 1; }
"$SIM_BIN" contract --adapter openai --json >"$TMP/ct.json" || { cat "$TMP/ct.json"; exit 1; }
grep -q "\"suite\": *\"$DATA/adapters/contracts/openai.json\"" "$TMP/ct.json" || { echo "FAIL: installed suite not used"; head -c 600 "$TMP/ct.json"; exit 1; }
"$SIM_BIN" adapters | tee "$TMP/adapters"
grep -qE "^acme +plugin $PLUGDIR/acme.so \(acme 1\.0\.0, ABI [0-9]+\.[0-9]+\)$" "$TMP/adapters"
grep -qE "^openai +built in$" "$TMP/adapters"
grep -qE "^protocol acme +plugin $PLUGDIR/acme.so \(acme 1\.0\.0, ABI 1\.1\)$" "$TMP/adapters"
grep -qE "^protocol openai +built in$" "$TMP/adapters"
"$SIM_BIN" contract --adapter acme >"$TMP/out4" || { cat "$TMP/out4"; exit 1; }
grep -qE "^acme_rate_limit_420 +sim +non-stream +PASS" "$TMP/out4"
"$SIM_BIN" serve --port 0 --fast >"$TMP/serve.out" 2>"$TMP/serve.err" &
PIDS="$PIDS $!"
for _ in $(seq 1 200); do grep -q '^listening on ' "$TMP/serve.out" 2>/dev/null && break; sleep 0.05; done
SIM=$(sed -n 's/^listening on //p' "$TMP/serve.out")
[[ -n "$SIM" ]] || { echo "FAIL: serve printed no URL"; cat "$TMP/serve.err"; exit 1; }
export ACME_API_KEY=sk-acme-test
"$SIM_BIN" chat --adapter acme --api-key-env ACME_API_KEY --base-url "$SIM/v1" --model gpt-4o-mini hello >"$TMP/chat" 2>&1 ||
  { cat "$TMP/chat"; exit 1; }
grep -q "finish=" "$TMP/chat"
"$SIM_BIN" gateway --port 0 --provider "acme,$SIM/v1,gpt-4o-mini,ACME_API_KEY" >"$TMP/gw.out" 2>"$TMP/gw.err" &
PIDS="$PIDS $!"
for _ in $(seq 1 200); do grep -q '^listening on ' "$TMP/gw.out" 2>/dev/null && break; sleep 0.05; done
GW=$(sed -n 's/^listening on //p' "$TMP/gw.out")
code=$(curl -s -o "$TMP/gw.body" -w '%{http_code}' -H 'content-type: application/json' \
  -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello there"}]}' "$GW/v1/chat/completions")
[[ $code == 200 ]] && grep -q '"choices"' "$TMP/gw.body" || { echo "FAIL: gateway via acme: $code"; cat "$TMP/gw.body" "$TMP/gw.err"; exit 1; }
# serve speaks the plugin's protocol: an Acme request answers, the fault plan's 429 comes
# back as Acme's 420 with retry-after, and chat --adapter acme talks to it.
printf '%s' '{"faults":[{"kind":"http_error","status":429,"retry_after_s":3,
  "match":{"path":"/acme/v1/chat/completions"},"trigger":{"nth":2}}]}' >"$TMP/acme-plan.json"
"$SIM_BIN" serve --port 0 --fast --faults "$TMP/acme-plan.json" >"$TMP/acme.out" 2>"$TMP/acme.err" &
PIDS="$PIDS $!"
for _ in $(seq 1 200); do grep -q '^listening on ' "$TMP/acme.out" 2>/dev/null && break; sleep 0.05; done
ASIM=$(sed -n 's/^listening on //p' "$TMP/acme.out")
[[ -n "$ASIM" ]] || { echo "FAIL: serve with the plugin printed no URL"; cat "$TMP/acme.err"; exit 1; }
acme_post() { curl -s -D "$TMP/acme.head" -o "$TMP/acme.body" -w '%{http_code}' -H 'content-type: application/json' \
  -H 'X-Acme-Client: sdk-test' -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' \
  "$ASIM/acme/v1/chat/completions"; }
code=$(acme_post)
[[ $code == 200 ]] && grep -q '"object":"chat.completion"' "$TMP/acme.body" ||
  { echo "FAIL: Acme request: $code"; cat "$TMP/acme.body" "$TMP/acme.err"; exit 1; }
code=$(acme_post)
[[ $code == 420 ]] && grep -q '"code":"enhance_your_calm"' "$TMP/acme.body" && grep -qi '^retry-after: 3' "$TMP/acme.head" ||
  { echo "FAIL: the 429 fault in Acme's shape: $code"; cat "$TMP/acme.head" "$TMP/acme.body"; exit 1; }
"$SIM_BIN" chat --adapter acme --api-key-env ACME_API_KEY --base-url "$ASIM/acme/v1" --model gpt-4o-mini hello \
  >"$TMP/chat2" 2>&1 || { cat "$TMP/chat2"; exit 1; }
grep -q "finish=" "$TMP/chat2"
echo "sdk example: ok"
