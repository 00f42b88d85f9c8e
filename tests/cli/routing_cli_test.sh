#!/usr/bin/env bash
# `ploke-sim routing policy`, `chat` reading config.toml ([routing], budgets, ledger) and
# recording every attempt through the façade's usage hook (priced rows, unpriced ones said
# so), `chat --dry-run` (route + cost forecast, nothing sent or written), budgets that warn
# and stop, and `llm queue status` against a stub gateway (python3 http.server) and a dead
# port. Temp XDG home; loopback only. Ends with "N passed, N failed".
set -u
BIN="$1"
TMP="$(mktemp -d)"
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
export XDG_CACHE_HOME="$TMP/cache" XDG_CONFIG_HOME="$TMP/config" XDG_DATA_HOME="$TMP/data" HOME="$TMP"
unset OPENROUTER_API_KEY OPENAI_API_KEY ANTHROPIC_API_KEY PLOKE_SIM_CONFIG PLOKE_SIM_PROFILE PLOKE_SIM_MODEL \
  PLOKE_SIM_PRESET PLOKE_SIM_LEDGER PLOKE_SIM_TEMPERATURE PLOKE_SIM_MAX_TOKENS PLOKE_SIM_TOP_P PLOKE_SIM_TIMEOUT_MS
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
CFG="$XDG_CONFIG_HOME/ploke-sim/config.toml"

# --- routing policy -----------------------------------------------------------------------
"$BIN" routing policy >"$TMP/out" 2>&1; check "policy without a config: the default" 0 $? "^routing policy: reliability \(default\)" "$TMP/out"
grep -q "^registered: cost, latency, pinned, reliability, throughput, weighted" "$TMP/out"; check "lists the registered policies" 0 $?
"$BIN" routing policy --json >"$TMP/out" 2>&1; check "policy --json" 0 $?
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert (d["policy"],d["source"],d["saved"])==("reliability","default",False) and "cost" in d["registered"] and d["config"].endswith("config.toml"), d' "$TMP/out"
check "policy --json: the default, registered ones, the config path" 0 $?
mkdir -p "$(dirname "$CFG")"
cat >"$CFG" <<'TOML'
# my config: keep this comment
[params]
temperature = 0.3   # cool

[routing]
max_chain = 2  # short chains
TOML
"$BIN" routing policy cost >"$TMP/out" 2>&1; check "switch policy" 0 $? "^routing policy: cost \(saved in " "$TMP/out"
grep -q '^policy = "cost"$' "$CFG"; check "policy written under [routing]" 0 $?
grep -q '^# my config: keep this comment$' "$CFG" && grep -q '^temperature = 0.3   # cool$' "$CFG" && grep -q '^max_chain = 2  # short chains$' "$CFG"
check "comments and other lines kept" 0 $?
"$BIN" routing policy >"$TMP/out" 2>&1; check "shows the saved policy" 0 $? "^routing policy: cost \(\[routing\] policy in .*config.toml\)" "$TMP/out"
"$BIN" routing policy throughput --json >"$TMP/out" 2>&1; check "switch with --json" 0 $?
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert (d["policy"],d["source"],d["saved"])==("throughput","config",True), d' "$TMP/out"
check "switch --json: the saved policy (JSON only)" 0 $?
"$BIN" routing policy cost --json >/dev/null 2>&1
"$BIN" routing policy --json >"$TMP/out" 2>&1
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert (d["policy"],d["source"])==("cost","config"), d' "$TMP/out"
check "policy --json: from the config" 0 $?
cp "$CFG" "$TMP/before.toml"
"$BIN" routing policy cheapest >"$TMP/out" 2>&1; check "unknown policy is a usage error" 2 $? "unknown policy 'cheapest' \(registered: cost, latency" "$TMP/out"
cmp -s "$CFG" "$TMP/before.toml"; check "unknown policy left the file alone" 0 $?
"$BIN" routing policy latency --config "$TMP/other.toml" >"$TMP/out" 2>&1; check "--config names a new file" 2 $? "other.toml" "$TMP/out"
touch "$TMP/other.toml"
"$BIN" routing policy latency --config "$TMP/other.toml" >"$TMP/out" 2>&1; check "--config file switched" 0 $? "latency"  "$TMP/out"
grep -q '^policy = "latency"$' "$TMP/other.toml"; check "--config file written" 0 $?
[[ $(ls -A "$TMP" | grep -c '\.tmp') -eq 0 ]]; check "atomic save left no temp file" 0 $?
cat >"$TMP/bad.toml" <<'TOML'
[routing]
policy = "cheapest"
max_chain = 0
[routing.retry]
jitter = "wild"
TOML
"$BIN" routing policy --config "$TMP/bad.toml" >"$TMP/out" 2>&1; check "invalid [routing] is a usage error" 2 $? "bad.toml:2:10: routing.policy: unknown policy 'cheapest'" "$TMP/out"
grep -q "bad.toml:3:13: routing.max_chain: value 0 out of range" "$TMP/out" && grep -q "bad.toml:5:10: routing.retry.jitter" "$TMP/out"
check "every [routing] error at once, with its path" 0 $?
"$BIN" config validate --config "$TMP/bad.toml" >"$TMP/out" 2>&1; check "config validate reports [routing] too" 2 $? "routing.retry.jitter" "$TMP/out"

# --- chat reads config.toml; the usage hook fills the ledger --------------------------------
"$BIN" serve --port 0 --fast --seed 3 >"$TMP/serve.out" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 1 200); do grep -q '^listening on ' "$TMP/serve.out" 2>/dev/null && break; sleep 0.05; done
URL=$(sed -n 's/^listening on //p' "$TMP/serve.out")
[[ -n "$URL" ]]; check "serve prints its URL" 0 $?
"$BIN" chat --base-url "$URL/v1" --trace hello >"$TMP/out" 2>&1; check "chat uses [routing] policy" 0 $? "policy=cost" "$TMP/out"
"$BIN" chat --base-url "$URL/v1" --policy latency --trace hello >"$TMP/out" 2>&1; check "--policy beats the config" 0 $? "policy=latency" "$TMP/out"
"$BIN" chat --base-url "$URL/v1" --config "$TMP/bad.toml" hello >"$TMP/out" 2>&1; check "chat refuses a bad config" 2 $? "routing.policy" "$TMP/out"

LEDGER="$TMP/ledger.db"
"$BIN" chat --base-url "$URL/v1" --max-tokens 100 --dry-run "hello there" >"$TMP/out" 2>&1
check "chat --dry-run forecasts" 0 $? 'forecast: \$0\.0000[0-9]+ \(~[0-9]+ prompt \+ 100 max output tokens' "$TMP/out"
grep -q "dry run: nothing was sent" "$TMP/out"; check "dry run says nothing was sent" 0 $?
"$BIN" chat --base-url "$URL/v1" --dry-run --json hello >"$TMP/out" 2>&1
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["forecast"]["usd"]>0 and d["attempts"]==[], d' "$TMP/out"
check "chat --dry-run --json carries the forecast" 0 $?
"$BIN" chat --base-url "$URL/v1" --ledger "$LEDGER" --dry-run hello >"$TMP/out" 2>&1; check "dry run with a ledger" 0 $?
[[ ! -e "$LEDGER" ]]; check "dry run wrote no ledger" 0 $?
"$BIN" chat --base-url "$URL/v1" --ledger "$LEDGER" hello >"$TMP/out" 2>&1; check "chat --ledger" 0 $? "finish=" "$TMP/out"
"$BIN" usage --ledger "$LEDGER" --by model --json >"$TMP/out" 2>&1
python3 - "$TMP/out" <<'PY'
import json, sys
rows = {r["key"]: r for r in json.load(open(sys.argv[1]))["rows"]}
r = [v for k, v in rows.items() if "gpt-4o-mini" in k][0]
assert r["attempts"] == 1 and r["requests"] == 1 and r["cost_usd"] > 0 and r["unpriced"] == 0, r
PY
check "the gpt-4o-mini row is priced from the catalog (openai/gpt-4o-mini)" 0 $?
"$BIN" chat --adapter anthropic --base-url "$URL" --model claude-sonnet-4-6 --ledger "$LEDGER" hello >"$TMP/out" 2>&1
check "a model without a catalog price is recorded unpriced and said so" 0 $? "no catalog price for anthropic/claude-sonnet-4-6" "$TMP/out"
"$BIN" usage --ledger "$LEDGER" --by model >"$TMP/out" 2>&1; check "usage shows the unpriced row" 0 $? "claude-sonnet-4-6 .*\(1 unpriced\)" "$TMP/out"

# Failed attempts go through the hook too (the primary 500s, the fallback answers).
echo '{"faults":[{"kind":"http_error","status":500}]}' >"$TMP/p500.json"
"$BIN" serve --port 0 --fast --faults "$TMP/p500.json" >"$TMP/serve500.out" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 1 200); do grep -q '^listening on ' "$TMP/serve500.out" 2>/dev/null && break; sleep 0.05; done
URL500=$(sed -n 's/^listening on //p' "$TMP/serve500.out")
"$BIN" chat --base-url "$URL500/v1" --fallback "openai,$URL/v1" --ledger "$TMP/f.db" hello >"$TMP/out" 2>&1; check "chat with a failing primary" 0 $?
"$BIN" usage --ledger "$TMP/f.db" --by outcome >"$TMP/out" 2>&1
check "failed attempts recorded through the hook" 0 $? "^server_error +1 +3 +3" "$TMP/out"

# --- budgets --------------------------------------------------------------------------------
cat >"$TMP/budget.toml" <<TOML
ledger = "$TMP/budget.db"
[[budgets]]
scope = "global"
period = "day"
limit_usd = 0.0000001
action = "warn"
TOML
"$BIN" chat --base-url "$URL/v1" --config "$TMP/budget.toml" hello >"$TMP/out" 2>&1
check "a warn budget warns and lets the call through" 0 $? "warning: budget day global: .* \(limit exceeded\)" "$TMP/out"
[[ -s "$TMP/budget.db" ]]; check "the config's ledger was written" 0 $?
sed -i 's/action = "warn"/action = "stop"/' "$TMP/budget.toml"
"$BIN" chat --base-url "$URL/v1" --config "$TMP/budget.toml" --trace hello >"$TMP/out" 2>&1
check "a stop budget stops spending with a classified error" 1 $? "insufficient_credits: .*budget" "$TMP/out"
grep -q "removed by budget_stop" "$TMP/out"; check "the trace says the budget removed the endpoint" 0 $?
"$BIN" usage --ledger "$TMP/budget.db" --by outcome >"$TMP/out" 2>&1; check "nothing was sent when stopped" 0 $? "^ok +1 +1 " "$TMP/out"

# --- llm queue status -------------------------------------------------------------------------
cat >"$TMP/stub.py" <<'PY'
import http.server, json, sys
mode = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        if self.path != "/__admin/queue":
            self.send_response(404); self.end_headers(); return
        if mode == "garbage":
            body = b"<html>not a queue</html>"
        else:
            lane = lambda n, d, w: {"lane": n, "depth": d, "capacity": 256, "admitted": 10, "queued": 4, "rejected": 1,
                                    "cancelled": 0, "max_depth": 3,
                                    "wait_ms": {"count": 10, "p50": w, "p95": w * 2, "p99": w * 3, "mean": w, "max": w * 4}}
            body = json.dumps({"in_flight": 3, "max_in_flight": 64, "queued": 7,
                               "lanes": [lane("interactive", 2, 1.5), lane("normal", 0, 0), lane("bulk", 5, 120.0)]}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
python3 "$TMP/stub.py" ok >"$TMP/stub.port" 2>/dev/null &
PIDS="$PIDS $!"
python3 "$TMP/stub.py" garbage >"$TMP/garbage.port" 2>/dev/null &
PIDS="$PIDS $!"
for _ in $(seq 1 200); do [[ -s "$TMP/stub.port" && -s "$TMP/garbage.port" ]] && break; sleep 0.05; done
SP=$(cat "$TMP/stub.port"); GP=$(cat "$TMP/garbage.port")
"$BIN" llm queue status --base-url "http://127.0.0.1:$SP" >"$TMP/out" 2>&1; check "queue status prints the lanes" 0 $? "^in flight: 3 / 64" "$TMP/out"
"$BIN" llm queue status --url "http://127.0.0.1:$SP" >"$TMP/out2" 2>"$TMP/err"; check "the deprecated --url still works" 0 $? "^in flight: 3 / 64" "$TMP/out2"
grep -qx "ploke-sim: warning: --url is deprecated, use --base-url" "$TMP/err"; check "and warns on stderr" 0 $?
grep -qE "^bulk +5 +256 +10 +4 +1 +0 +120\.0ms +240\.0ms +480\.0ms" "$TMP/out"; check "queue status: depth, counts and waits per lane" 0 $?
"$BIN" llm queue status --base-url "http://127.0.0.1:$SP/" --json >"$TMP/out" 2>&1
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["lanes"][2]["depth"]==5 and d["in_flight"]==3, d' "$TMP/out"
check "queue status --json" 0 $?
DEAD=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$BIN" llm queue status --base-url "http://127.0.0.1:$DEAD" >"$TMP/out" 2>&1; check "nothing listening: clear message, exit 1" 1 $? "no gateway answered at http://127.0.0.1:$DEAD" "$TMP/out"
"$BIN" llm queue status --base-url "http://127.0.0.1:$GP" >"$TMP/out" 2>&1; check "not a queue status: exit 1" 1 $? "not JSON" "$TMP/out"
"$BIN" llm queue status --base-url "ftp://x" >"$TMP/out" 2>&1; check "bad --base-url is a usage error" 2 $? "--base-url" "$TMP/out"
"$BIN" llm queue >"$TMP/out" 2>&1; check "llm queue needs a subcommand" 2 $?

finish
