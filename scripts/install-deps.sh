#!/usr/bin/env bash
# Installs every build/test dependency of ploke-sim from Debian 12 packages.
# Idempotent: packages already present are skipped; apt-get runs only if something is missing.
# redis-server and libhiredis-dev: the shared store (adapters/redis) and its tests.
# libyaml-cpp-dev: VCR YAML cassette import/export (core/codec).
# libedit-dev: line editing, history and completion of `ploke-sim console` (BSD licence).
# clang-14 and its compiler-rt build the sanitizer and libFuzzer stages of scripts/test.sh.
# Test-only: libxml2-utils (xmllint) validates the JUnit reports against tests/data/junit's
# schemas (tests/cli/junit_schema.sh); zsh, fish, groff-base and man-db check the generated shell
# completions and man pages (tests/cli/completion_cli_test.sh).
# Usage: scripts/install-deps.sh [--bench]   (--bench adds wrk, nginx and java for bench/load.sh)
set -euo pipefail

PKGS=(
  build-essential cmake g++ clang clang-14 libclang-rt-14-dev pkg-config git ca-certificates curl ninja-build ccache
  libcpp-httplib-dev nlohmann-json3-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  libfmt-dev libcli11-dev libspdlog-dev libssl-dev zlib1g-dev libevent-dev libhttp-parser-dev
  libtomlplusplus-dev libyaml-cpp-dev libedit-dev libsqlite3-dev libboost-context-dev libmimalloc-dev
  redis-server libhiredis-dev
  chromium chromium-driver
  nodejs npm python3 openssl
  libxml2-utils zsh fish groff-base man-db
)
if [[ "${1:-}" == "--bench" ]]; then
  PKGS+=(wrk nginx-light default-jre-headless procps)
fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    # node/npm may come from a non-Debian install already on PATH; accept that.
    if [[ "$p" == nodejs && -x "$(command -v node || true)" ]]; then continue; fi
    if [[ "$p" == npm && -x "$(command -v npm || true)" ]]; then continue; fi
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi

SUDO=""
if [[ "$(id -u)" != 0 ]]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
