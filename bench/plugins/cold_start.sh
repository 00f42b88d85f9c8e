#!/usr/bin/env bash
# Cold start with adapter plugins: `ploke-sim serve` exec -> first answer (bench/lib/cold_start.py)
# without plugins and with the ten bench plugins (build/bench/plugins/plugins/bench0..9.so,
# through $PLOKE_SIM_PLUGIN_PATH), and of the feature-off binary (tests/plugins/ploke-sim-noplugins:
# no plugin loading, no exported symbols) when it was built; runs interleaved (default 30 of
# each, after one discarded warm-up of each); min/median/p90 and the median differences.
# Target: +<= 5 ms for 10 plugins.
#
#   bench/plugins/cold_start.sh [BUILD_DIR]      (needs the ploke-sim and bench_plugin_* targets)
# Env: PLOKE_BENCH_RUNS (default 30).
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO=$(cd "$BENCH/.." && pwd)
# shellcheck source=bench/lib/common.sh
source "$BENCH/lib/common.sh"
bench_init
BIN=$(bench_find_binary "$REPO" "${1:-}")
PLUGDIR=$(cd "$(dirname "$BIN")/../bench/plugins/plugins" && pwd) || bench_die "no bench plugins next to $BIN"
n=$(PLOKE_SIM_PLUGIN_PATH="$PLUGDIR" "$BIN" adapters | grep -c "^bench[0-9] *plugin ") || true
[[ $n == 10 ]] || bench_die "expected 10 bench plugins in $PLUGDIR, ploke-sim loaded $n"
NOPLUG="$(dirname "$BIN")/../tests/plugins/ploke-sim-noplugins"
[[ -x $NOPLUG ]] || NOPLUG=""
python3 - "$BENCH/lib" "$BIN" "$PLUGDIR" "${PLOKE_BENCH_RUNS:-30}" "$NOPLUG" <<'PY'
import os, sys
sys.path.insert(0, sys.argv[1])
import cold_start as cs
binary, plugdir, runs, noplug = sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
os.environ.pop("PLOKE_SIM_PLUGIN_PATH", None)
kinds = ("none", "ten") + (("off",) if noplug else ())
res = {k: [] for k in kinds}
def run(kind):
    if kind == "ten":
        os.environ["PLOKE_SIM_PLUGIN_PATH"] = plugdir
    else:
        os.environ.pop("PLOKE_SIM_PLUGIN_PATH", None)
    return cs.one_sim_run(noplug if kind == "off" else binary)["exec_to_first_response_ms"]
for kind in kinds:  # warm-up
    run(kind)
for _ in range(runs):
    for kind in kinds:
        res[kind].append(run(kind))
loadavg = " ".join(open("/proc/loadavg").read().split()[:3])
print(f"serve exec -> first answer, {runs} interleaved runs each, loadavg {loadavg}")
print(f"{'':22}{'min':>9}{'median':>9}{'p90':>9}")
labels = {"none": "no plugins (ms)", "ten": "10 plugins (ms)", "off": "feature off (ms)"}
for kind in kinds:
    s, label = cs.summarize(res[kind]), labels[kind]
    print(f"{label:22}{s['min']:>9.2f}{s['median']:>9.2f}{s['p90']:>9.2f}")
d = cs.summarize(res["ten"])["median"] - cs.summarize(res["none"])["median"]
print(f"median added by 10 plugins: {d:+.2f} ms (target <= 5 ms: {'PASS' if d <= 5.0 else 'MISS'})")
if noplug:
    o = cs.summarize(res["none"])["median"] - cs.summarize(res["off"])["median"]
    print(f"median of plugin support itself (exports, loader, no plugins) vs feature off: {o:+.2f} ms")
PY
