#!/usr/bin/env bash
# Enforces the one-way dependency rules and the house rules that a compiler cannot:
#   core <- adapters <- simulator, recorder <- cli; simulator and recorder never include
#   each other; httplib.h / nlohmann only in .cpp files; only core/src/real_clock.cpp reads
#   the machine clock or sleeps; no unseeded randomness.
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
bad() { echo "check-layering: $*" >&2; fail=1; }

check_no_include() {  # dir pattern message
  local hits
  hits=$(grep -rnE "$2" "$1" --include='*.h' --include='*.cpp' 2>/dev/null || true)
  [[ -z "$hits" ]] || bad "$3"$'\n'"$hits"
}

check_no_include core '#include\s+"ploke/(adapters|simulator|recorder)/' "core must not include adapters/simulator/recorder"
check_no_include adapters '#include\s+"ploke/(simulator|recorder)/' "adapters must not include simulator/recorder"
# ploke::net (adapters/net) sits under the adapters: core only.
check_no_include adapters/net '#include\s+"ploke/(adapters|simulator|recorder|codec)/' "ploke::net must depend on ploke::core only"
check_no_include simulator '#include\s+"ploke/recorder/' "simulator must not include recorder"
check_no_include recorder '#include\s+"ploke/simulator/' "recorder must not include simulator"
# scenarios/runner (ploke::scenarios) sits on simulator/adapters/resilience/core, never on
# recorder; nothing below it (core, adapters, simulator, recorder) includes it.
check_no_include scenarios '#include\s+"ploke/recorder/' "scenarios must not include recorder"
for lower in core adapters simulator recorder; do
  check_no_include "$lower" '#include\s+"ploke/scenarios/' "$lower must not include scenarios"
done

# ploke::fibers (core/fibers) sits on ploke::core only, and is the one fiber core: Boost.Context
# appears nowhere else.
check_no_include core/fibers '#include\s+"ploke/(adapters|simulator|recorder|scenarios|gateway|net|codec|resilience)/' "ploke::fibers must depend on ploke::core only"
hits=$(grep -rlE '#include\s+<boost/context' core adapters simulator recorder scenarios cli --include='*.h' --include='*.cpp' | grep -v '^core/fibers/src/' || true)
[[ -z "$hits" ]] || bad "Boost.Context outside core/fibers/src (one fiber core): $hits"

# ploke::core itself has no third-party dependencies (ploke::codec, in core/codec, may use nlohmann).
check_no_include core/include '#include\s+[<"](httplib\.h|nlohmann/|event2/|http_parser\.h|toml\+\+/|sqlite3\.h|CLI/|fmt/|spdlog/)' "ploke::core headers must not include third-party libraries"
check_no_include core/src '#include\s+[<"](httplib\.h|nlohmann/|event2/|http_parser\.h|toml\+\+/|sqlite3\.h|CLI/|fmt/|spdlog/)' "ploke::core sources must not include third-party libraries"

# Heavy third-party headers stay out of public headers.
hits=$(grep -rlE '#include\s+[<"](httplib\.h|nlohmann/json\.hpp|event2/|http_parser\.h|toml\+\+/|sqlite3\.h)' */include core/*/include adapters/*/include scenarios/*/include 2>/dev/null || true)
[[ -z "$hits" ]] || bad "httplib.h / nlohmann/json.hpp in public headers: $hits"

# Time and randomness are injected: only real_clock.cpp may read the clock or sleep.
hits=$(grep -rnE 'steady_clock::now|system_clock::now|high_resolution_clock::now|this_thread::sleep|[^_]sleep\(|usleep\(|std::random_device|[^a-z_]rand\(\)|srand\(|time\(nullptr\)|time\(NULL\)' \
  core adapters simulator recorder scenarios --include='*.h' --include='*.cpp' | grep -v '^core/src/real_clock.cpp:' || true)
[[ -z "$hits" ]] || bad "direct clock/sleep/RNG use outside core/src/real_clock.cpp:"$'\n'"$hits"

if (( fail )); then exit 1; fi
echo "check-layering: ok"
