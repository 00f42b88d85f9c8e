#!/usr/bin/env bash
# The Debian packages as a user gets them (cli/packaging/README.md): builds them with
# `cpack -G DEB` from a configured build tree, installs both with `dpkg -i` into this machine,
# runs the installed binary (--version; `serve --port 0` answering a chat request; `scenario run`
# on the scenario library under /usr/share/ploke-sim; the SDK through pkg-config and the unit
# through systemd-analyze when present), then purges them and checks that none of their files
# is left. A previous run's packages are purged first; they are purged on failure too.
# Needs root (or sudo), dpkg-dev and file (scripts/install-deps.sh), and the -dev
# packages ploke-sim-dev depends on (installed by scripts/install-deps.sh).
# Usage: scripts/deb-test.sh [BUILD_DIR]   (default: build; scripts/test.sh's stage `deb`)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
[[ -f "$BUILD/CPackConfig.cmake" ]] || { echo "deb-test: $BUILD is not a configured build tree" >&2; exit 2; }
SUDO=""
if [[ "$(id -u)" != 0 ]]; then SUDO="sudo"; fi
PKGS=(ploke-sim-dev ploke-sim)
TMP="$(mktemp -d)"
SERVE_PID=""
# dpkg's state of package $1: installed, config-files, half-installed, ... or not-installed.
pkg_state() { local s; s=$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) || s=""; echo "${s:-not-installed}"; }
purge() {
  local installed=()
  for p in "${PKGS[@]}"; do
    [[ "$(pkg_state "$p")" == not-installed ]] || installed+=("$p")
  done
  if ((${#installed[@]})); then $SUDO dpkg --purge "${installed[@]}" >/dev/null; fi
}
cleanup() {
  if [[ -n "$SERVE_PID" ]]; then kill "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" 2>/dev/null || true; fi
  purge
  rm -rf "$TMP"
}
trap cleanup EXIT
fail() { echo "deb-test: FAIL: $*" >&2; exit 1; }
t0=$(date +%s)

purge  # idempotent: a package left by an earlier run goes first
cmake --build "$BUILD" --target ploke-sim >/dev/null
(cd "$BUILD" && cpack -G DEB -B "$TMP/out" >"$TMP/cpack.log" 2>&1) || { cat "$TMP/cpack.log"; fail "cpack"; }
shopt -s nullglob
DEBS=("$TMP"/out/ploke-sim_*.deb "$TMP"/out/ploke-sim-dev_*.deb)
((${#DEBS[@]} == 2)) || fail "expected ploke-sim and ploke-sim-dev packages, got: ${DEBS[*]}"
dpkg-deb -f "${DEBS[0]}" Depends | grep -q "libc6" || fail "ploke-sim has no computed Depends"
$SUDO dpkg -i "${DEBS[@]}" >"$TMP/dpkg.log" 2>&1 || { cat "$TMP/dpkg.log"; fail "dpkg -i"; }
dpkg-query -L "${PKGS[@]}" | sort -u >"$TMP/files"
echo "deb-test: installed $(dpkg-query -W -f='${Package} ${Version}\n' "${PKGS[@]}" | tr '\n' ' ')($(wc -l <"$TMP/files") paths)"

BIN=/usr/bin/ploke-sim
export XDG_CACHE_HOME="$TMP/cache" XDG_CONFIG_HOME="$TMP/config" XDG_DATA_HOME="$TMP/data"
VERSION=$(dpkg-query -W -f='${Version}' ploke-sim)
"$BIN" --version | grep -q "^ploke-sim $VERSION " || fail "--version: $("$BIN" --version) (package $VERSION)"
# serve: listening line, one chat request answered.
"$BIN" serve --port 0 --fast >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVE_PID=$!
for _ in $(seq 1 200); do grep -q '^listening on ' "$TMP/serve.out" 2>/dev/null && break; sleep 0.05; done
URL=$(sed -n 's/^listening on //p' "$TMP/serve.out")
[[ -n "$URL" ]] || { cat "$TMP/serve.err"; fail "serve printed no URL"; }
code=$(curl -s -o "$TMP/chat.json" -w '%{http_code}' -H 'content-type: application/json' \
  -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' "$URL/v1/chat/completions")
if [[ "$code" != 200 ]] || ! grep -q '"choices"' "$TMP/chat.json"; then fail "serve answered $code: $(head -c 300 "$TMP/chat.json")"; fi
kill "$SERVE_PID"; wait "$SERVE_PID" || true; SERVE_PID=""
# scenario run: the installed library (no path: /usr/share/ploke-sim/scenarios) and one file.
"$BIN" scenario run --json >"$TMP/sc.json" 2>"$TMP/sc.err" || { cat "$TMP/sc.err"; fail "scenario run (installed library)"; }
python3 - "$TMP/sc.json" <<'PY' || fail "scenario run did not use /usr/share/ploke-sim/scenarios"
import json, sys
runs = json.load(open(sys.argv[1]))
assert runs and all(r["file"].startswith("/usr/share/ploke-sim/scenarios/") for r in runs), runs[:1]
PY
"$BIN" scenario run /usr/share/ploke-sim/scenarios/outage-recovery.json >"$TMP/sc.txt" || { cat "$TMP/sc.txt"; fail "scenario run outage-recovery"; }
# The SDK package: pkg-config and CMake find it under /usr.
[[ "$(pkg-config --variable=prefix ploke-sim)" == /usr ]] || fail "pkg-config ploke-sim: $(pkg-config --variable=prefix ploke-sim 2>&1)"
test -f /usr/lib/cmake/ploke_sim/ploke_simConfig.cmake || fail "no /usr/lib/cmake/ploke_sim/ploke_simConfig.cmake"
UNIT=/usr/lib/systemd/system/ploke-sim-gateway.service
grep -q "^ExecStart=$BIN gateway " "$UNIT" || fail "$UNIT: ExecStart is not $BIN"
if command -v systemd-analyze >/dev/null; then
  if ! out=$(systemd-analyze verify "$UNIT" 2>&1) || [[ -n "$out" ]]; then fail "systemd-analyze verify $UNIT: $out"; fi
fi

purge
left=()
while IFS= read -r f; do
  # Folders other packages share (/usr, /usr/lib/systemd/system, ...) stay; our files do not.
  if [[ -e "$f" && ! -d "$f" ]]; then left+=("$f"); fi
done <"$TMP/files"
for d in /usr/share/ploke-sim /usr/lib/ploke-sim /usr/include/ploke /usr/lib/cmake/ploke_sim; do
  [[ -e "$d" ]] && left+=("$d")
done
((${#left[@]} == 0)) || fail "left after purge: ${left[*]}"
for p in "${PKGS[@]}"; do [[ "$(pkg_state "$p")" == not-installed ]] || fail "$p is $(pkg_state "$p") after purge"; done
echo "deb-test: ok in $(( $(date +%s) - t0 ))s (built, installed, ran, purged; nothing left)"
