# shellcheck shell=bash
# What the gateway benches share (sourced after bench/lib/common.sh; bench_init first):
# their set-up, starting a ploke-sim process and reading its URL, one wrk run with the
# server's CPU time, and the best-round table.
#
#   bench_gateway_init NAME BUILD_ARG [TOOL...]
#                                   BIN (from BUILD_ARG), DUR, ROUNDS, CLK_TCK, T (a temp
#                                   dir removed on exit), STAMP, RESULTS
#                                   (bench/results/NAME-STAMP.json), ROWS=(); checks wrk,
#                                   python3, curl and TOOLs (warns on a non-Release build);
#                                   $T/body.json (bench_chat_body)
#   bench_start NAME ARGS...        runs "$BIN ARGS..." → ${NAME}_URL, ${NAME}_PID (stopped on exit)
#   bench_run NAME URL CONNS THREADS PID [wrk args...]   appends $T/NAME.json to ROWS
#   bench_warm URL                  2 s (PLOKE_BENCH_WARMUP) of wrk -c16, output dropped
#   bench_best OUT SUMMARY_PY ROWS...  best round per run name (c1: lowest p50; else
#                                   highest req/s) → OUT {rows, best, summary}; SUMMARY_PY is
#                                   a Python expression over `best` giving the summary dict

bench_gateway_init() {
  local name=$1 build=$2 t
  shift 2
  BIN=$(bench_find_binary "$REPO" "$build")
  DUR=${PLOKE_BENCH_DURATION:-8}
  ROUNDS=${PLOKE_BENCH_ROUNDS:-3}
  CLK_TCK=$(getconf CLK_TCK)
  for t in wrk python3 curl "$@"; do command -v "$t" >/dev/null || bench_die "$t not found (scripts/install-deps.sh --bench)"; done
  grep -q 'CMAKE_BUILD_TYPE:STRING=Release' "$(dirname "$(dirname "$BIN")")/CMakeCache.txt" 2>/dev/null ||
    bench_log "WARNING: $BIN is not a Release build; figures are not comparable"
  BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ploke-$name-bench.XXXXXX")
  T=$BENCH_TMP
  mkdir -p "$BENCH/results"
  STAMP=$(date -u +%Y%m%dT%H%M%SZ)
  RESULTS=$BENCH/results/$name-$STAMP.json
  ROWS=()
  bench_chat_body "$T/body.json"
}

bench_start() {
  local name=$1 url
  bench_spawn "$T/$name.log" "$BIN" "${@:2}"
  printf -v "${name}_PID" '%s' "$BENCH_LAST_PID"
  url=$(bench_wait_line "$T/$name.log" '^listening on (https?://127\.0\.0\.1:[0-9]+)$' 15) || { cat "$T/$name.log" >&2; bench_die "$name did not start"; }
  printf -v "${name}_URL" '%s' "$url"
}

bench_run() {
  local name=$1 url=$2 c=$3 t=$4 pid=$5 load1 c0 c1
  shift 5
  load1=$(cut -d' ' -f1 /proc/loadavg)
  c0=$(bench_cpu_ticks "$pid")
  wrk -t"$t" -c"$c" -d"${DUR}s" --latency -s "$BENCH/lib/post.lua" "$@" "$url" >"$T/$name.txt" 2>&1 ||
    { cat "$T/$name.txt" >&2; bench_die "wrk failed for $name"; }
  c1=$(bench_cpu_ticks "$pid")
  python3 "$BENCH/lib/loadreport.py" parse "$name" "$T/$name.txt" "$load1" "$(python3 -c "print(($c1 - $c0) / $CLK_TCK)")" >"$T/$name.json"
  ROWS+=("$T/$name.json")
  bench_log "$name: $(python3 -c "import json;d=json.load(open('$T/$name.json'));print(f\"{d['req_per_s']:.0f} req/s p50 {d['p50_ms']*1000:.0f} us cpu {d.get('server_cpu_us_per_req','?')} us/req\")")"
}

bench_warm() { wrk -t2 -c16 -d"${PLOKE_BENCH_WARMUP:-2}s" -s "$BENCH/lib/post.lua" "$@" >/dev/null 2>&1 || true; }

bench_best() {
  python3 - "$@" <<'PY'
import json, sys
out, summary_py, rows = sys.argv[1], sys.argv[2], [json.load(open(p)) for p in sys.argv[3:]]
best = {}
for r in rows:
    base = r["name"].split("#")[0]
    key = (lambda x: -x["p50_ms"]) if base.endswith("c1") else (lambda x: x["req_per_s"])
    if base not in best or key(r) > key(best[base]):
        best[base] = r
s = eval(summary_py, {"best": best, "round": round})
json.dump({"rows": rows, "best": best, "summary": s}, open(out, "w"), indent=2)
print(f"{'run':<14} {'req/s':>9} {'p50':>9} {'p99':>9} {'cpu us/req':>11} {'load1':>6}")
for n in sorted(best):
    r = best[n]
    print(f"{n:<14} {r['req_per_s']:>9.0f} {r['p50_ms']*1000:>7.0f}us {r['p99_ms']*1000:>7.0f}us {r.get('server_cpu_us_per_req', 0):>11} {r.get('loadavg1_before', 0):>6}")
print(json.dumps(s, indent=2))
PY
}
