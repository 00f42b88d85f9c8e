#!/usr/bin/env bash
# The dashboard page in headless Chromium (Debian's chromium, driven by playwright-core).
# Usage: tests/dashboard/run.sh path/to/ploke-sim path/to/dashboard.html [node --test args...]
#
# - exit 77 (ctest SKIP) when Chromium is absent ($PLOKE_CHROMIUM, default /usr/bin/chromium;
#   scripts/install-deps.sh installs it); anything else missing is a failure;
# - installs node_modules with `npm ci` only when missing or older than package-lock.json
#   (that one step needs the npm registry; everything else is loopback only);
# - runs test/*.test.mjs serially: fixture.test.mjs (node http serving the page + a mutable
#   dashboard.json) and e2e.test.mjs (`ploke-sim gateway --sim` and `ploke-sim serve` end to
#   end; it starts and stops its own processes).
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 path/to/ploke-sim path/to/dashboard.html [node --test args...]" >&2
  exit 2
fi
BIN=$1
PAGE=$2
shift 2
[[ -x $BIN ]] || { echo "run.sh: $BIN is not an executable" >&2; exit 2; }
[[ -f $PAGE ]] || { echo "run.sh: $PAGE not found" >&2; exit 2; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
PAGE=$(cd "$(dirname "$PAGE")" && pwd)/$(basename "$PAGE")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$HERE"

CHROMIUM=${PLOKE_CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $CHROMIUM ]]; then
  echo "run.sh: SKIP: Chromium not found at $CHROMIUM (apt-get install chromium, or scripts/install-deps.sh)" >&2
  exit 77
fi
command -v node >/dev/null || { echo "run.sh: node not found" >&2; exit 2; }

# node_modules: missing, or stale relative to the lock file -> npm ci.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "run.sh: installing node_modules (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

# Loopback only: no proxies.
unset HTTP_PROXY HTTPS_PROXY http_proxy https_proxy ALL_PROXY all_proxy
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

PLOKE_SIM_BIN="$BIN" PLOKE_DASHBOARD_HTML="$PAGE" PLOKE_CHROMIUM="$CHROMIUM" \
  exec node --test --test-reporter=spec --test-concurrency=1 --test-timeout=90000 "$@" test/*.test.mjs
