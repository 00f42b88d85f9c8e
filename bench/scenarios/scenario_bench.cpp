// The runner's speed target: bench/scenarios/hour-100k.json — 1 h simulated,
// 100,000 requests with faults — in ≤ 3 s wall, the same digest every run.
//   build-release/bench/scenarios/scenario_bench --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "ploke/scenarios/runner.h"

namespace {

void BM_Hour100k(benchmark::State& state) {
  // PLOKE_SCENARIO_FILE picks another scenario; PLOKE_SCENARIO_DUMP writes the canonical
  // text (what the digest covers) there, to diff two builds.
  const char* file = std::getenv("PLOKE_SCENARIO_FILE");
  auto s = ploke::scenarios::load_scenario_file(file ? std::string(file)
                                                     : std::string(PLOKE_SOURCE_DIR) + "/bench/scenarios/hour-100k.json");
  if (!s.ok()) {
    state.SkipWithError(s.status().message().c_str());
    return;
  }
  std::string digest;
  for (auto _ : state) {
    auto r = ploke::scenarios::run_scenario(*s);
    if (!r.ok()) {
      state.SkipWithError(r.status().message().c_str());
      return;
    }
    if (!digest.empty() && digest != r->digest) state.SkipWithError("digest changed between runs");
    digest = r->digest;
    if (const char* dump = std::getenv("PLOKE_SCENARIO_DUMP")) {
      std::ofstream(dump, std::ios::binary | std::ios::trunc) << ploke::scenarios::canonical_text(*r);
    }
    state.counters["requests"] = static_cast<double>(r->requests);
    state.counters["attempts"] = static_cast<double>(r->attempts);
    state.counters["ok_pct"] = 100.0 * static_cast<double>(r->ok) / static_cast<double>(r->requests);
    state.counters["passed"] = r->passed() ? 1 : 0;
  }
  state.SetLabel(digest.substr(0, 16));
}
BENCHMARK(BM_Hour100k)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
