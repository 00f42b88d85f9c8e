#!/usr/bin/env bash
# Enforces the module allow-lists and the house rules that a compiler cannot check.
#
# One table: each module (its folders) and what it may include — the ploke modules (by
# include prefix ploke/<name>/, or ploke/adapters/<protocol>/ for a protocol package,
# named adapters/<protocol>) and the third-party libraries. Dependencies point one way:
#   core (base) <- core modules (json, fibers, codec, catalog, resilience, config, ledger,
#   dashboard, logging, plugins) <- net (net_fibers: + fibers) <- adapters, redis (resilience + net)
#   <- simulator, recorder, scenarios, gateway <- cli.
# Plus: no heavy third-party header in a public header; only core/src/real_clock.cpp reads
# the machine clock or sleeps; no unseeded randomness.
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
bad() { echo "check-layering: $*" >&2; fail=1; }

# module | folders (space-separated) | allowed ploke modules | allowed third-party
MODULES=(
  "core       | core/include core/src | core | -"
  "json       | core/json | core json | -"
  "fibers     | core/fibers | core fibers | boost"
  "codec      | core/codec | core json codec | nlohmann yaml"
  "catalog    | core/catalog | core json catalog | nlohmann"
  "resilience | core/resilience | core json resilience | -"
  "config     | core/config | core catalog config | toml"
  "ledger     | core/ledger | core catalog ledger | sqlite"
  "dashboard  | core/dashboard | core json resilience dashboard | -"
  "logging    | core/logging | core json logging | spdlog"
  "plugins    | core/plugins | core sdk plugins | -"
  "net        | adapters/net | core json fibers net | libevent http_parser openssl"
  "adapters   | adapters/include adapters/src | core json net adapters adapters/openai adapters/openrouter adapters/anthropic | nlohmann httplib openssl"
  "adapters/openai | adapters/openai | core json adapters adapters/openai | nlohmann"
  "adapters/anthropic | adapters/anthropic | core json adapters adapters/anthropic | nlohmann"
  "adapters/openrouter | adapters/openrouter | core json codec catalog adapters adapters/openai adapters/openrouter | nlohmann"
  "redis      | adapters/redis | core resilience net redis | libevent hiredis"
  "simulator  | simulator | core json codec dashboard net adapters adapters/openai adapters/openrouter adapters/anthropic simulator | nlohmann"
  "recorder   | recorder | core codec net adapters recorder | nlohmann"
  "scenarios  | scenarios/runner | core json fibers codec resilience net adapters adapters/openai adapters/openrouter adapters/anthropic simulator scenarios | nlohmann"
  "gateway    | gateway | core json fibers resilience ledger dashboard logging net redis adapters adapters/openai adapters/openrouter adapters/anthropic gateway | nlohmann openssl"
)

# Third-party token -> include pattern.
declare -A THIRD_PARTY=(
  [nlohmann]='nlohmann/'
  [httplib]='httplib\.h'
  [openssl]='openssl/'
  [libevent]='event2/'
  [http_parser]='http_parser\.h'
  [toml]='toml\+\+/'
  [sqlite]='sqlite3\.h'
  [boost]='boost/'
  [cli11]='CLI/'
  [fmt]='fmt/'
  [spdlog]='spdlog/'
  [hiredis]='hiredis/'
  [yaml]='yaml-cpp/'
  [systemd]='systemd/'
)

trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; echo "${s%"${s##*[![:space:]]}"}"; }

for row in "${MODULES[@]}"; do
  IFS='|' read -r name dirs allowed third <<<"$row"
  name=$(trim "$name"); dirs=$(trim "$dirs"); allowed=$(trim "$allowed"); third=$(trim "$third")
  # shellcheck disable=SC2086
  includes=$(grep -rnoE '#include\s+"ploke/[a-z_]+/([a-z_]+/)?' $dirs --include='*.h' --include='*.cpp' 2>/dev/null || true)
  while IFS= read -r hit; do
    [[ -z $hit ]] && continue
    mod=${hit##*ploke/}; mod=${mod%/}
    [[ " $allowed " == *" $mod "* ]] || bad "$name may not include ploke/$mod/ ($hit)"
  done <<<"$includes"
  for tp in "${!THIRD_PARTY[@]}"; do
    [[ " $third " == *" $tp "* ]] && continue
    # shellcheck disable=SC2086
    hits=$(grep -rnE "#include\s+[<\"]${THIRD_PARTY[$tp]}" $dirs --include='*.h' --include='*.cpp' 2>/dev/null || true)
    [[ -z "$hits" ]] || bad "$name may not use $tp:"$'\n'"$hits"
  done
done

# Heavy third-party headers stay out of public headers.
hits=$(grep -rlE '#include\s+[<"](httplib\.h|nlohmann/json\.hpp|event2/|http_parser\.h|toml\+\+/|sqlite3\.h|boost/|hiredis/|yaml-cpp/)' */include core/*/include adapters/*/include scenarios/*/include 2>/dev/null || true)
[[ -z "$hits" ]] || bad "heavy third-party header in a public header: $hits"

# Time and randomness are injected: only real_clock.cpp may read the clock or sleep.
hits=$(grep -rnE 'steady_clock::now|system_clock::now|high_resolution_clock::now|this_thread::sleep|[^_]sleep\(|usleep\(|std::random_device|[^a-z_]rand\(\)|srand\(|time\(nullptr\)|time\(NULL\)' \
  core adapters simulator recorder scenarios gateway --include='*.h' --include='*.cpp' | grep -v '^core/src/real_clock.cpp:' || true)
[[ -z "$hits" ]] || bad "direct clock/sleep/RNG use outside core/src/real_clock.cpp:"$'\n'"$hits"

if (( fail )); then exit 1; fi
echo "check-layering: ok"
