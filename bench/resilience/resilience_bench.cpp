// ploke::resilience micro-benches :
//   BM_HistogramRecord         histogram record ≤ 20 ns
//   BM_AdmitRelease            admission (fast path, admit + release) ≤ 200 ns
//   BM_AdmitQueued             admission when the slot is taken (queue + grant)
//   BM_Route50/<policy>        route decision over 50 candidates ≤ 1 µs
//   BM_FacadeComplete          LlmClient::complete, in-process transport, 1 KB request and
//                              response, no faults: whole call ≤ 10 µs median
//   BM_ChatClientComplete      the same call through ChatClient alone (the baseline the
//                              façade adds to)
#include <benchmark/benchmark.h>

#include "ploke/adapters/openai/adapter.h"
#include "ploke/core/chat_client.h"
#include "ploke/core/in_process_transport.h"
#include "ploke/resilience/admission.h"
#include "ploke/resilience/histogram.h"
#include "ploke/resilience/llm_client.h"
#include "ploke/resilience/router.h"

namespace ploke::resilience {
namespace {

using namespace std::chrono_literals;

void BM_HistogramRecord(benchmark::State& state) {
  LogLinearHistogram h;
  Random r(9);
  std::vector<uint64_t> values(4096);
  for (auto& v : values) v = r.below(uint64_t{1} << (1 + r.below(36)));  // 1 µs … 19 h, log-spread
  size_t i = 0;
  for (auto _ : state) {
    h.record(values[i]);
    i = (i + 1) & 4095;
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(h.count());
  if (h.count() != static_cast<uint64_t>(state.iterations())) state.SkipWithError("lost records");
}
BENCHMARK(BM_HistogramRecord);

void BM_WindowedHistogramRecord(benchmark::State& state) {
  WindowedHistogram h;
  TimePoint t(std::chrono::seconds(1000));
  uint64_t v = 12345;
  for (auto _ : state) {
    h.record(t, v);
    v = (v * 6364136223846793005ULL + 1442695040888963407ULL) >> 40;
    t += 1us;
  }
  benchmark::DoNotOptimize(h.lifetime().count());
}
BENCHMARK(BM_WindowedHistogramRecord);

void BM_AdmitRelease(benchmark::State& state) {
  AdmissionQueue q(AdmissionConfig{64, {256, 256, 256}});
  const TimePoint now(std::chrono::seconds(1000));
  for (auto _ : state) {
    Admit a = q.admit(Lane::kInteractive, now, nullptr);
    benchmark::DoNotOptimize(a);
    q.release(now);
  }
}
BENCHMARK(BM_AdmitRelease);

void BM_AdmitQueued(benchmark::State& state) {
  AdmissionQueue q(AdmissionConfig{1, {256, 256, 256}});
  struct W : Waiter {
    void granted(Duration) override { ++n; }
    uint64_t n = 0;
  } w;
  const TimePoint now(std::chrono::seconds(1000));
  (void)q.admit(Lane::kNormal, now, nullptr);  // the slot is taken
  for (auto _ : state) {
    Admit a = q.admit(Lane::kBulk, now, &w);
    benchmark::DoNotOptimize(a);
    q.release(now);  // grants w
  }
  benchmark::DoNotOptimize(w.n);
}
BENCHMARK(BM_AdmitQueued);

void BM_ClassifyAndAdmit(benchmark::State& state) {
  AdmissionQueue q(AdmissionConfig{64, {256, 256, 256}});
  ChatRequest r;
  r.messages = {Message::System("You are helpful."), Message::User(std::string(1000, 'x'))};
  const TimePoint now(std::chrono::seconds(1000));
  for (auto _ : state) {
    Admit a = q.admit(classify(r), now, nullptr);
    benchmark::DoNotOptimize(a);
    q.release(now);
  }
}
BENCHMARK(BM_ClassifyAndAdmit);

void BM_Route50(benchmark::State& state, const char* policy) {
  std::vector<EndpointCandidate> cands;
  std::vector<CandidateSignals> sig;
  Random r(3);
  for (int i = 0; i < 50; ++i) {
    EndpointCandidate c;
    c.id = "provider" + std::to_string(i % 7) + "/model-" + std::to_string(i);
    c.provider = "provider" + std::to_string(i % 7);
    c.model = "model-" + std::to_string(i);
    c.caps = Capabilities{i % 5 != 0, true, i % 3 == 0, i % 4 == 0, true, 0};
    c.context_tokens = i % 6 == 0 ? 8000 : 128000;
    c.input_usd_per_mtok = 0.1 + r.uniform01() * 10;
    c.output_usd_per_mtok = 0.4 + r.uniform01() * 30;
    c.weight = 1 + r.uniform01() * 4;
    cands.push_back(c);
    CandidateSignals s;
    s.breaker_allows = i % 11 != 0;
    s.rate_limited = i % 13 == 0;
    s.p95_ms = 200 + r.uniform01() * 3000;
    s.smoothed_success = 0.8 + r.uniform01() * 0.2;
    sig.push_back(s);
  }
  Router router(RouterConfig{}, 1);
  RouteRequest req;
  req.required.tools = true;
  req.required.min_context_tokens = 16000;
  req.est_prompt_tokens = 1200;
  req.est_output_tokens = 400;
  req.policy = policy;
  RouteDecision d;
  router.route(cands, sig, req, d);
  if (d.chain.empty()) state.SkipWithError("no candidate survived");
  for (auto _ : state) {
    router.route(cands, sig, req, d);
    benchmark::DoNotOptimize(d.chain.data());
  }
  state.counters["survivors"] = static_cast<double>(
      std::count_if(d.verdicts.begin(), d.verdicts.end(), [](const CandidateVerdict& v) { return v.removed_by == Filter::kNone; }));
}
BENCHMARK_CAPTURE(BM_Route50, reliability, "reliability");
BENCHMARK_CAPTURE(BM_Route50, cost, "cost");
BENCHMARK_CAPTURE(BM_Route50, latency, "latency");
BENCHMARK_CAPTURE(BM_Route50, weighted, "weighted");

// 1 KB request (a ~1,000-character user message) and a ~1 KB canned completion.
ChatRequest request_1k() {
  ChatRequest r;
  r.model = "gpt-4o";
  std::string text;
  while (text.size() < 1000) text += "Please summarise the following paragraph about resilient provider routing. ";
  r.messages = {Message::User(text.substr(0, 1000))};
  r.max_output_tokens = 256;
  return r;
}

std::string body_1k() {
  std::string content;
  while (content.size() < 800) content += "Routing keeps the application working when a provider misbehaves. ";
  return R"({"id":"chatcmpl-bench","object":"chat.completion","created":1735689600,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":")" +
         content.substr(0, 800) +
         R"("},"finish_reason":"stop"}],"usage":{"prompt_tokens":250,"completion_tokens":160,"total_tokens":410}})";
}

ScriptedResponse canned() {
  Headers h;
  h.add("content-type", "application/json");
  h.add("x-request-id", "req_bench");
  h.add("x-ratelimit-limit-requests", "100000000");
  h.add("x-ratelimit-remaining-requests", "99999999");
  return ScriptedResponse::Simple(200, h, body_1k());
}

void BM_ChatClientComplete(benchmark::State& state) {
  SimulatedClock clock;
  const ScriptedResponse resp = canned();
  InProcessTransport t(clock, [&resp](const HttpRequest&) { return resp; });
  auto adapter = adapters::openai::make_openai_adapter();
  ChatClient client(*adapter, Endpoint{"openai", "http://bench.invalid/v1", Secret("sk-FAKE-bench"), {}}, t, clock,
                    CallOptions{});
  const ChatRequest req = request_1k();
  for (auto _ : state) {
    auto r = client.complete(req);
    if (!r.ok()) state.SkipWithError(r.status().to_string().c_str());
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ChatClientComplete)->Repetitions(5)->ReportAggregatesOnly(true);

void BM_FacadeComplete(benchmark::State& state) {
  SimulatedClock clock;
  const ScriptedResponse resp = canned();
  InProcessTransport t(clock, [&resp](const HttpRequest&) { return resp; });
  auto adapter = adapters::openai::make_openai_adapter();
  LlmClientOptions o;
  LlmClient client(clock, o);
  for (int i = 0; i < static_cast<int>(state.range(0)); ++i) {
    EndpointConfig c;
    c.candidate.id = "openai/gpt-4o#" + std::to_string(i);
    c.candidate.provider = "openai";
    c.candidate.model = "gpt-4o";
    c.candidate.caps = Capabilities{true, true, true, true, true, 0};
    c.candidate.input_usd_per_mtok = 2.5;
    c.candidate.output_usd_per_mtok = 10;
    c.adapter = adapter.get();
    c.endpoint = Endpoint{"openai", "http://bench.invalid/v1", Secret("sk-FAKE-bench"), {}};
    c.transport = &t;
    (void)client.add_endpoint(std::move(c));
  }
  const ChatRequest req = request_1k();
  for (auto _ : state) {
    auto r = client.complete(req);
    if (!r.ok()) state.SkipWithError(r.status().to_string().c_str());
    benchmark::DoNotOptimize(r);
    clock.advance(1ms);  // time moves between requests, as it would
  }
}
BENCHMARK(BM_FacadeComplete)->Arg(1)->Arg(3)->Repetitions(5)->ReportAggregatesOnly(true);

void BM_FacadeCompleteTraced(benchmark::State& state) {
  SimulatedClock clock;
  const ScriptedResponse resp = canned();
  InProcessTransport t(clock, [&resp](const HttpRequest&) { return resp; });
  auto adapter = adapters::openai::make_openai_adapter();
  LlmClient client(clock, LlmClientOptions{});
  EndpointConfig c;
  c.candidate.id = "openai/gpt-4o";
  c.candidate.provider = "openai";
  c.candidate.model = "gpt-4o";
  c.adapter = adapter.get();
  c.endpoint = Endpoint{"openai", "http://bench.invalid/v1", Secret("sk-FAKE-bench"), {}};
  c.transport = &t;
  (void)client.add_endpoint(std::move(c));
  const ChatRequest req = request_1k();
  RequestTrace trace;
  for (auto _ : state) {
    auto r = client.complete(req, {}, &trace);
    benchmark::DoNotOptimize(r);
    clock.advance(1ms);
  }
}
BENCHMARK(BM_FacadeCompleteTraced);

}  // namespace
}  // namespace ploke::resilience

BENCHMARK_MAIN();
