#!/usr/bin/env bash
# Installs the dependencies of ploke-sim from Debian 12 packages.
# Idempotent: packages already present are skipped; apt-get runs only if something is missing.
#
# Usage: scripts/install-deps.sh [--run] [--bench]
#   --run    only what building and running the ploke-sim binary needs (README command 1:
#            compiler, CMake, Ninja and the libraries it links; configure with
#            -DPLOKE_BUILD_TESTS=OFF -DPLOKE_BUILD_BENCH=OFF)
#   (none)   everything: --run's set plus what the tests, the sanitizer stages and packaging
#            need (README command 2, scripts/test.sh)
#   --bench  adds wrk, nginx and java for bench/load.sh
#
# RUN set: redis's client library libhiredis-dev (the shared store, adapters/redis);
# libyaml-cpp-dev (VCR YAML cassette import/export, core/codec); libsystemd-dev (the gateway's
# readiness notification, optional at build time: cli/service_notify.h); libedit-dev (line
# editing, history and completion of `ploke-sim console`, BSD licence).
# TEST set: googletest and Google Benchmark; clang-14 and its compiler-rt (sanitizer and
# libFuzzer stages); redis-server (the shared-store tests); chromium (the dashboard tests);
# node/npm (the official SDKs against the simulator); libxml2-utils (xmllint validates the
# JUnit reports, tests/cli/junit_schema.sh); zsh, fish, groff-base and man-db (the generated shell
# completions and man pages, tests/cli/completion_cli_test.sh); dpkg-dev and file (cpack -G DEB and
# scripts/deb-test.sh); ccache (rebuilds).
set -euo pipefail

RUN_PKGS=(
  g++ make cmake ninja-build pkg-config ca-certificates
  libcpp-httplib-dev nlohmann-json3-dev
  libfmt-dev libcli11-dev libspdlog-dev libssl-dev zlib1g-dev libevent-dev libhttp-parser-dev
  libtomlplusplus-dev libyaml-cpp-dev libedit-dev libsqlite3-dev libboost-context-dev libmimalloc-dev
  libhiredis-dev libsystemd-dev
)
TEST_PKGS=(
  build-essential clang clang-14 libclang-rt-14-dev git curl ccache
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  redis-server
  chromium chromium-driver
  nodejs npm python3 openssl
  libxml2-utils zsh fish groff-base man-db
  dpkg-dev file
)
BENCH_PKGS=(wrk nginx-light default-jre-headless procps)

PKGS=("${RUN_PKGS[@]}")
full=1
for arg in "$@"; do
  case "$arg" in
    --run) full=0 ;;
    --bench) PKGS+=("${BENCH_PKGS[@]}") ;;
    *) echo "install-deps: unknown option $arg (usage: scripts/install-deps.sh [--run] [--bench])" >&2; exit 2 ;;
  esac
done
if ((full)); then PKGS+=("${TEST_PKGS[@]}"); fi

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
