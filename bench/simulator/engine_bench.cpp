// SimEngine::handle() CPU cost for the load bench's request (~1 KB non-stream completion)
// and for a streamed one: the engine's share of the simulator's per-request budget.
#include <benchmark/benchmark.h>

#include "ploke/core/clock.h"
#include "ploke/simulator/engine.h"

namespace {

ploke::HttpRequest load_request(bool stream) {
  ploke::HttpRequest r;
  r.method = "POST";
  r.path = "/v1/chat/completions";
  r.headers.add("Content-Type", "application/json");
  r.headers.add("Authorization", "Bearer sk-bench");
  r.body = std::string(R"({"model":"gpt-4o","messages":[{"role":"system","content":"You are terse."},)") +
           R"({"role":"user","content":"Give me a short status update."}],"max_tokens":8,"n":3)" +
           (stream ? R"(,"stream":true})" : "}");
  return r;
}

void BM_EngineHandle(benchmark::State& state) {
  ploke::SimulatedClock clock;
  ploke::sim::SimOptions opts;
  opts.latency = ploke::sim::LatencyModel::Fast();
  auto engine = ploke::sim::SimEngine::Create(opts, clock);
  const ploke::HttpRequest req = load_request(state.range(0) != 0);
  size_t bytes = 0;
  for (auto _ : state) {
    ploke::ScriptedResponse r = (*engine)->handle(req);
    for (const auto& c : r.chunks) bytes += c.bytes.size();
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_EngineHandle)->Arg(0)->Arg(1)->ArgNames({"stream"});

}  // namespace

BENCHMARK_MAIN();
