#!/usr/bin/env bash
# wiremock_jar.sh VERSION -> prints the path of the WireMock standalone jar, installing
# the npm package `wiremock@VERSION` (which ships the jar) into bench/.cache/wiremock
# (gitignored) on first use. Needs the npm registry once.
set -euo pipefail
VERSION=${1:?version}
CACHE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.cache/wiremock
JAR=$CACHE/node_modules/wiremock/build/wiremock-standalone-$VERSION.jar
if [[ ! -f $JAR ]]; then
  mkdir -p "$CACHE"
  echo "installing wiremock@$VERSION into $CACHE (npm)" >&2
  npm install --prefix "$CACHE" --no-audit --no-fund --no-save --loglevel=error "wiremock@$VERSION" >&2
fi
[[ -f $JAR ]] || { echo "wiremock_jar.sh: $JAR missing after install" >&2; exit 1; }
echo "$JAR"
