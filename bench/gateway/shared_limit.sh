#!/usr/bin/env bash
# Shared-limit accuracy: three gateways on one Redis keep a provider's limit N per minute
# over WINDOWS windows, under an offered load above N (a light load: this is about counting,
# not speed).
#
#   bench/gateway/shared_limit.sh [BUILD_DIR]
#
#   upstream = `ploke-sim serve --fast --limit-requests N` (advertises N/min: each gateway
#              learns it from the first answer's headers, then admits through Redis)
#   3 gateways --redis unix:SOCKET, a Python client per gateway sending RATE req/s each
#   (keep-alive), for WINDOWS × 60 s; a request answered 200 reached the provider (one
#   attempt each: nothing else to fall over to).
# Per 60 s window from the start: the 200s across the three, against N. The first window
# also holds the three requests each gateway sent before it knew the limit.
#
# Env: PLOKE_LIMIT_N (600), PLOKE_LIMIT_WINDOWS (10), PLOKE_LIMIT_RATE (5 req/s per
# gateway: 900/min offered for N=600). Results: bench/results/shared-limit-<UTC>.json.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH=$(cd "$HERE/.." && pwd)
REPO=$(cd "$BENCH/.." && pwd)
# shellcheck source=bench/lib/common.sh
source "$BENCH/lib/common.sh"
bench_init

BIN=$(bench_find_binary "$REPO" "${1:-}")
N=${PLOKE_LIMIT_N:-600}
WINDOWS=${PLOKE_LIMIT_WINDOWS:-10}
RATE=${PLOKE_LIMIT_RATE:-5}
BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ploke-sharedlimit.XXXXXX")
T=$BENCH_TMP
mkdir -p "$BENCH/results"
RESULTS=$BENCH/results/shared-limit-$(date -u +%Y%m%dT%H%M%SZ).json

bench_redis_start "$T"
bench_spawn "$T/sim.log" "$BIN" serve --host 127.0.0.1 --port 0 --seed 7 --fast --limit-requests "$N" --limit-tokens 1000000000000
SIM=$(bench_wait_line "$T/sim.log" '^listening on (http://127\.0\.0\.1:[0-9]+)$' 15) || bench_die "simulator did not start"
URLS=()
for k in 0 1 2; do
  bench_spawn "$T/gw$k.log" "$BIN" gateway --host 127.0.0.1 --port 0 --provider "openai,$SIM/v1,gpt-4o" \
    --redis "unix:$T/redis.sock" --instance-id "limit-$k"
  URLS+=("$(bench_wait_line "$T/gw$k.log" '^listening on (http://127\.0\.0\.1:[0-9]+)$' 15)") || bench_die "gateway $k did not start"
done
bench_log "N=$N/min, $WINDOWS windows, ${RATE} req/s per gateway × 3"

python3 - "$RESULTS" "$N" "$WINDOWS" "$RATE" "${URLS[@]}" <<'PY'
import http.client, json, sys, threading, time, urllib.parse
out, n, windows, rate, urls = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5:]
body = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8})
t0 = time.monotonic()
end = t0 + windows * 60
ok = [[0] * windows for _ in urls]
other = [0] * len(urls)
def client(i, url):
    u = urllib.parse.urlparse(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    k = 0
    while True:
        due = t0 + k / rate
        now = time.monotonic()
        if due >= end: return
        if due > now: time.sleep(due - now)
        c.request("POST", "/v1/chat/completions", body, {"content-type": "application/json"})
        r = c.getresponse(); r.read()
        w = int((time.monotonic() - t0) // 60)
        if r.status == 200 and w < windows: ok[i][w] += 1
        elif r.status != 429: other[i] += 1
        k += 1
ts = [threading.Thread(target=client, args=(i, u)) for i, u in enumerate(urls)]
for t in ts: t.start()
for t in ts: t.join()
per = [sum(ok[i][w] for i in range(len(urls))) for w in range(windows)]
res = {"n": n, "windows": per, "per_instance": ok, "other_statuses": other,
       "max_over_n_pct": round(100 * (max(per[1:] or per) - n) / n, 3),
       "min_under_n_pct": round(100 * (n - min(per[1:] or per)) / n, 3),
       "first_window": per[0]}
json.dump(res, open(out, "w"), indent=2)
print(json.dumps(res))
PY
bench_log "results: $RESULTS"
