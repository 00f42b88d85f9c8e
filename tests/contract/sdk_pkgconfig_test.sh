#!/usr/bin/env bash
# The adapter SDK through pkg-config: installs this build's ploke_sdk component into a temporary
# prefix, then compiles docs/examples/acme-adapter's contract test with nothing but
# `pkg-config --cflags --libs ploke-sim` (no CMake), and runs it: acme.json passes (exit 0),
# and the shipped openai suite found through the .pc file's `contractsdir` passes too.
# Args: BUILD_DIR EXAMPLE_DIR CXX_COMPILER [COMPILER_LAUNCHER [EXTRA_FLAGS]] (EXTRA_FLAGS: a
# sanitizer tree's -fsanitize=...)
set -eu
BUILD="$1"; EXAMPLE="$2"; CXX="$3"; LAUNCHER="${4:-}"; EXTRA="${5:-}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
export CCACHE_NOHASHDIR=1

cmake --install "$BUILD" --prefix "$TMP/prefix" --component ploke_sdk >"$TMP/install.log"
PC=$(find "$TMP/prefix" -name ploke-sim.pc)
[[ -n "$PC" ]] || { echo "FAIL: no ploke-sim.pc installed"; exit 1; }
PKG_CONFIG_PATH="$(dirname "$PC")"
export PKG_CONFIG_PATH
unset PKG_CONFIG_LIBDIR
# The file names the prefix it was installed to (not the build's configured prefix).
[[ "$(pkg-config --variable=prefix ploke-sim)" == "$TMP/prefix" ]] ||
  { echo "FAIL: prefix is $(pkg-config --variable=prefix ploke-sim)"; exit 1; }
[[ "$(pkg-config --modversion ploke-sim)" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]

cp -r "$EXAMPLE" "$TMP/src"   # a copy: nothing from the source tree
# shellcheck disable=SC2046,SC2086
$LAUNCHER "$CXX" -std=c++20 -O1 -o "$TMP/acme_contract" "$TMP/src/contract_main.cpp" "$TMP/src/acme_adapter.cpp" "$TMP/src/acme_sim_protocol.cpp" \
  -I"$TMP/src" $EXTRA $(pkg-config --cflags --libs ploke-sim) >"$TMP/build.log" 2>&1 || { cat "$TMP/build.log"; exit 1; }

"$TMP/acme_contract" "$TMP/src/acme.json" >"$TMP/out" || { cat "$TMP/out"; exit 1; }
grep -qE "^acme_rate_limit_420 +sim +non-stream +PASS" "$TMP/out"
grep -qE "^[0-9]+ passed, 0 failed" "$TMP/out"
SUITES=$(pkg-config --variable=contractsdir ploke-sim)
"$TMP/acme_contract" "$SUITES/openai.json" >"$TMP/out2" || { cat "$TMP/out2"; exit 1; }
grep -qE "^cassette_stream +cassette +stream +PASS" "$TMP/out2"
echo "sdk pkg-config: ok"
