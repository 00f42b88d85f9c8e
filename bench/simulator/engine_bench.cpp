// SimEngine::handle() CPU cost for the load bench's request (~1 KB non-stream completion)
// and for a streamed one: the engine's share of the simulator's per-request budget; and
// for a 1,000-input embeddings request (target: ≤ 20 ms).
#include <benchmark/benchmark.h>

#include <string>

#include "ploke/core/clock.h"
#include "ploke/simulator/engine.h"
#include "journal_facts.h"  // simulator/src (private): the check facts

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
  ploke::simulator::SimOptions opts;
  opts.latency = ploke::simulator::LatencyModel::Fast();
  auto engine = ploke::simulator::SimEngine::Create(opts, clock);
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

// The same for Anthropic Messages: range(0) stream, range(1) 1 = with tools (the DOM path;
// a plain text request takes the DOM-free scanner).
ploke::HttpRequest anthropic_request(bool stream, bool tools) {
  ploke::HttpRequest r;
  r.method = "POST";
  r.path = "/v1/messages";
  r.headers.add("content-type", "application/json");
  r.headers.add("x-api-key", "sk-ant-bench");
  r.headers.add("anthropic-version", "2023-06-01");
  r.body = std::string(R"({"model":"claude-sonnet-4-6","max_tokens":64,"system":"You are terse.",)") +
           R"("messages":[{"role":"user","content":"Give me a short status update."}])" +
           (tools ? R"(,"tools":[{"name":"get_weather","input_schema":{"type":"object","properties":)"
                    R"({"city":{"type":"string"}},"required":["city"]}}],"tool_choice":{"type":"any"})"
                  : "") +
           (stream ? R"(,"stream":true})" : "}");
  r.expect_stream = stream;
  return r;
}

void BM_EngineHandleAnthropic(benchmark::State& state) {
  ploke::SimulatedClock clock;
  ploke::simulator::SimOptions opts;
  opts.latency = ploke::simulator::LatencyModel::Fast();
  auto engine = ploke::simulator::SimEngine::Create(opts, clock);
  const ploke::HttpRequest req = anthropic_request(state.range(0) != 0, state.range(1) != 0);
  size_t bytes = 0;
  for (auto _ : state) {
    ploke::ScriptedResponse r = (*engine)->handle(req);
    for (const auto& c : r.chunks) bytes += c.bytes.size();
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_EngineHandleAnthropic)->ArgsProduct({{0, 1}, {0, 1}})->ArgNames({"stream", "tools"});

// POST /v1/embeddings: range(0) inputs (distinct ~40-byte texts) × 1536 dims
// (text-embedding-3-small), range(1) 1 = base64 (what the SDKs ask for), else float text.
// The whole handle(): body parse, validation, vectors, render.
ploke::HttpRequest embeddings_request(int64_t inputs, bool base64) {
  ploke::HttpRequest r;
  r.method = "POST";
  r.path = "/v1/embeddings";
  r.headers.add("content-type", "application/json");
  r.body = R"({"model":"text-embedding-3-small",)";
  if (base64) r.body += R"("encoding_format":"base64",)";
  r.body += R"("input":[)";
  for (int64_t i = 0; i < inputs; ++i) {
    if (i) r.body += ',';
    r.body += "\"input number " + std::to_string(i) + " of the embeddings benchmark\"";
  }
  r.body += "]}";
  return r;
}

void BM_EngineEmbeddings(benchmark::State& state) {
  ploke::SimulatedClock clock;
  ploke::simulator::SimOptions opts;
  opts.latency = ploke::simulator::LatencyModel::Fast();
  auto engine = ploke::simulator::SimEngine::Create(opts, clock);
  const ploke::HttpRequest req = embeddings_request(state.range(0), state.range(1) != 0);
  size_t bytes = 0;
  for (auto _ : state) {
    ploke::ScriptedResponse r = (*engine)->handle(req);
    for (const auto& c : r.chunks) bytes += c.bytes.size();
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_EngineEmbeddings)->ArgsProduct({{1, 1000}, {0, 1}})->ArgNames({"inputs", "base64"})
    ->Unit(benchmark::kMillisecond);

}  // namespace

// What `ploke-sim check` adds to every request on the simulator's path: the journal's
// client facts (body hash, advertised wait, broken stream, key outside its header) for a
// 1 KB and a 100 KB body (target with the collector: ≤ 1 ms per request; bench/README.md).
void BM_JournalClientFacts(benchmark::State& state) {
  ploke::HttpRequest req = load_request(false);
  req.path = "/v1/chat/completions?trace=1";
  req.body = std::string(R"({"model":"gpt-4o","messages":[{"role":"user","content":")") +
             std::string(static_cast<size_t>(state.range(0)), 'x') + "\"}]}";
  ploke::ScriptedResponse r = ploke::ScriptedResponse::Simple(429, {}, "{}");
  r.headers.add("retry-after", "2");
  for (auto _ : state) {
    ploke::simulator::JournalEntry e;
    e.status = 429;
    ploke::simulator::detail::add_client_facts(e, req, r, nullptr);
    benchmark::DoNotOptimize(e);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(req.body.size()));
}
BENCHMARK(BM_JournalClientFacts)->Arg(1000)->Arg(100000)->ArgNames({"body_bytes"});

BENCHMARK_MAIN();
