// Gateway micro-benches: the inbound codec work per request (parse an OpenAI / Anthropic
// body, render the answer, a stream's SSE chunks) and one whole non-stream request through
// Gateway::handle() with the façade over an in-process simulator (no sockets).
#include <benchmark/benchmark.h>

#include "ploke/adapters/anthropic/server.h"
#include "ploke/adapters/inbound.h"
#include "ploke/adapters/openai/server.h"
#include "ploke/adapters/openai/adapter.h"
#include <cstdlib>

#include "ploke/core/in_process_transport.h"
#include "ploke/core/secret_registry.h"
#include "ploke/gateway/client_keys.h"
#include "ploke/gateway/gateway.h"
#include "ploke/gateway/otlp.h"
#include "ploke/simulator/engine.h"

namespace {

using namespace ploke;

/// PLOKE_BENCH_REGISTERED_KEYS=N registers N opaque keys before any benchmark runs and makes
/// the in-process requests carry a client key (registered by the gateway per request): the
/// same binary measures with and without redaction by value.
const int64_t kEnvKeys = [] {
  const char* n = std::getenv("PLOKE_BENCH_REGISTERED_KEYS");
  const int64_t keys = n != nullptr ? std::atoll(n) : 0;
  for (int64_t i = 0; i < keys; ++i) register_secret("benchFAKEopaque" + std::to_string(i) + "-0123456789abcdef");
  return keys;
}();

const std::string kOpenAi =
    R"({"model":"gpt-4o","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Give me a short status update."}],"max_tokens":8})";
const std::string kAnthropic =
    R"({"model":"claude-haiku-4-5","max_tokens":8,"system":"You are terse.","messages":[{"role":"user","content":"Give me a short status update."}]})";

void BM_ParseOpenAi(benchmark::State& st) {
  for (auto _ : st) benchmark::DoNotOptimize(adapters::openai::parse_openai_chat_request(kOpenAi));
}
BENCHMARK(BM_ParseOpenAi);

void BM_ParseAnthropic(benchmark::State& st) {
  for (auto _ : st) benchmark::DoNotOptimize(adapters::anthropic::parse_anthropic_messages_request(kAnthropic));
}
BENCHMARK(BM_ParseAnthropic);

ChatResponse sample() {
  ChatResponse r;
  r.id = "chatcmpl-abc";
  r.model = "gpt-4o";
  r.content = "All systems nominal, nothing to report today.";
  r.finish_reason = FinishReason::kStop;
  r.usage = Usage{20, 8, 28, 0, 0, 0, std::nullopt};
  return r;
}

void BM_RenderOpenAi(benchmark::State& st) {
  const ChatResponse r = sample();
  for (auto _ : st) benchmark::DoNotOptimize(adapters::openai::render_openai_chat_completion(r, 1735689600, "x"));
}
BENCHMARK(BM_RenderOpenAi);

void BM_OpenAiSseChunk(benchmark::State& st) {
  adapters::openai::OpenAiSseWriter w("chatcmpl-abc", "gpt-4o", 1735689600, true);
  const StreamEvent e = StreamEvent::TextDelta(" status");
  for (auto _ : st) benchmark::DoNotOptimize(w.event(e));
}
BENCHMARK(BM_OpenAiSseChunk);

void BM_AnthropicSseDelta(benchmark::State& st) {
  adapters::anthropic::AnthropicSseWriter w("msg_abc", "claude", 10);
  const StreamEvent e = StreamEvent::TextDelta(" status");
  (void)w.event(e);
  for (auto _ : st) benchmark::DoNotOptimize(w.event(e));
}
BENCHMARK(BM_AnthropicSseDelta);

// A typical agent turn (~1.5 KB): system prompt, tool definitions, an assistant tool call
// and its result. Both parsers on the same body: the DOM path (nlohmann, the old parser) and
// the single-pass fast path parse_openai_chat_request() takes.
const std::string kOpenAiAgent = R"({"model":"gpt-4o-mini","messages":[
 {"role":"system","content":"You are a helpful assistant that answers questions about the weather. Use the tools when you need live data; answer in one short paragraph."},
 {"role":"user","content":"What is the weather in Paris and in Berlin right now, and should I take an umbrella?"},
 {"role":"assistant","content":null,"tool_calls":[{"id":"call_abc123","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\",\"unit\":\"celsius\"}"}},{"id":"call_def456","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Berlin\",\"unit\":\"celsius\"}"}}]},
 {"role":"tool","tool_call_id":"call_abc123","content":"{\"temp\":14,\"conditions\":\"light rain\",\"precip_mm\":2.1}"},
 {"role":"tool","tool_call_id":"call_def456","content":"{\"temp\":9,\"conditions\":\"overcast\",\"precip_mm\":0}"}],
 "tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather for a city","parameters":{"type":"object","properties":{"city":{"type":"string","description":"City name"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city"],"additionalProperties":false},"strict":true}},
          {"type":"function","function":{"name":"get_forecast","description":"Forecast for the next days","parameters":{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer","minimum":1,"maximum":7}},"required":["city","days"]}}}],
 "tool_choice":"auto","temperature":0.2,"max_tokens":256,"stream":false,"user":"user-1234"})";

void BM_ParseOpenAiAgent(benchmark::State& st) {
  const auto path = st.range(0) == 0 ? adapters::openai::ParsePath::kDomOnly : adapters::openai::ParsePath::kFastOnly;
  for (auto _ : st) benchmark::DoNotOptimize(adapters::openai::parse_openai_chat_request(kOpenAiAgent, path));
  st.SetLabel(st.range(0) == 0 ? "dom (nlohmann)" : "fast (single pass)");
}
BENCHMARK(BM_ParseOpenAiAgent)->Arg(0)->Arg(1);

// The codec work of one request: parse the client's body, render the answer.
void BM_CodecRoundTripOpenAi(benchmark::State& st) {
  const ChatResponse r = sample();
  for (auto _ : st) {
    auto in = adapters::openai::parse_openai_chat_request(kOpenAi);
    benchmark::DoNotOptimize(in);
    benchmark::DoNotOptimize(adapters::openai::render_openai_chat_completion(r, 1735689600, "x"));
  }
}
BENCHMARK(BM_CodecRoundTripOpenAi);

void BM_CodecRoundTripAnthropic(benchmark::State& st) {
  ChatResponse r = sample();
  r.id = "msg_abc";
  for (auto _ : st) {
    auto in = adapters::anthropic::parse_anthropic_messages_request(kAnthropic);
    benchmark::DoNotOptimize(in);
    benchmark::DoNotOptimize(adapters::anthropic::render_anthropic_message(r, "x"));
  }
}
BENCHMARK(BM_CodecRoundTripAnthropic);

// A streamed request: parse, 8 text chunks, the finish + usage chunks and [DONE].
void BM_CodecRoundTripOpenAiStream(benchmark::State& st) {
  const ChatResponse r = sample();
  const StreamEvent e = StreamEvent::TextDelta(" status");
  for (auto _ : st) {
    auto in = adapters::openai::parse_openai_chat_request(kOpenAi);
    benchmark::DoNotOptimize(in);
    adapters::openai::OpenAiSseWriter w("chatcmpl-abc", "gpt-4o", 1735689600, true);
    size_t bytes = 0;
    for (int i = 0; i < 8; ++i) bytes += w.event(e).size();
    bytes += w.finish(r).size();
    benchmark::DoNotOptimize(bytes);
  }
}
BENCHMARK(BM_CodecRoundTripOpenAiStream);

struct Sink final : gateway::Responder {
  int status = 0;
  void reply(int s, const Headers&, std::string) override { status = s; }
  void begin(int s, const Headers&) override { status = s; }
  void chunk(std::string) override {}
  void finish() override {}
};

// One request end to end in process: parse → façade (route, admit, adapter, in-process
// transport to the simulator engine, parse) → render. RealClock, fast simulator.
void BM_GatewayInProcess(benchmark::State& st) {
  RealClock clock;
  simulator::SimOptions so;
  so.latency = simulator::LatencyModel::Fast();
  auto engine = simulator::SimEngine::Create(so, clock);
  InProcessTransport t(clock, simulator::engine_handler(**engine));
  auto adapter = adapters::openai::make_openai_adapter();
  resilience::LlmClient client(clock);
  resilience::EndpointConfig c;
  c.candidate = {"sim/gpt-4o", "sim", "gpt-4o", "", Capabilities{true, true, true, true, true, 0}};
  c.adapter = adapter.get();
  c.endpoint.provider = "sim";
  c.endpoint.base_url = "http://sim/v1";
  c.transport = &t;
  (void)client.add_endpoint(std::move(c));
  gateway::Gateway gw(client, clock, {{"sim/gpt-4o", "sim", "gpt-4o"}});
  auto sink = std::make_shared<Sink>();
  for (auto _ : st) {
    gateway::Request r;
    r.method = "POST";
    r.path = "/v1/chat/completions";
    r.body = kOpenAi;
    if (kEnvKeys > 0) r.headers.add("authorization", "Bearer benchFAKEclient-0123456789abcdef");
    gw.handle(std::move(r), sink);
  }
  if (sink->status != 200) st.SkipWithError("not 200");
}
BENCHMARK(BM_GatewayInProcess)->Unit(benchmark::kMicrosecond);

// What the export thread does per request: its spans (the request and two attempts) made
// and encoded in a batch of 512, and its metrics folded.
void BM_OtlpSpansEncode(benchmark::State& st) {
  gateway::RequestTelemetry r;
  r.request_model = r.response_model = "gpt-4o";
  r.provider = "openai";
  r.gateway_trace_id = "0123456789abcdef0123";
  r.server = gateway::TraceIds::parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  r.total = std::chrono::microseconds(900);
  r.input_tokens = 12;
  r.output_tokens = 34;
  r.attempts.push_back({"openai#1", "openai", "gpt-4o", "127.0.0.1:8080", Duration(0), std::chrono::microseconds(400),
                        StatusCode::kServerError, 0, 0, {}, false});
  r.attempts.push_back({"openai#1", "openai", "gpt-4o", "127.0.0.1:8080", std::chrono::microseconds(400),
                        std::chrono::microseconds(500), StatusCode::kOk, 12, 34, {}, false});
  for (auto& a : r.attempts) a.span_id = gateway::TraceIds::parse("00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01").span_id;
  for (auto& a : r.attempts) a.has_span_id = true;
  const std::vector<gateway::RequestTelemetry> batch(512, r);
  Random random(1);
  size_t bytes = 0;
  for (auto _ : st) {
    gateway::OtlpTraceBatch spans("ploke-gateway", 512 * 3);
    for (const auto& q : batch) spans.add(q, random, 1'735'689'600'000'000'000);
    const std::string body = std::move(spans).finish();
    bytes = body.size();
    benchmark::DoNotOptimize(body.data());
  }
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()) * 512);
  st.counters["bytes_per_request"] = static_cast<double>(bytes) / 512;
}
BENCHMARK(BM_OtlpSpansEncode)->Unit(benchmark::kMicrosecond);

}  // namespace

// The client-key check on every request with auth on (ClientAuth::admit): hash the
// presented key (SHA-256), look it up among N loaded keys, the rpm ring and budget.
// Arg: 0 = a client key with rpm and budget (1,000 keys loaded), 1 = the master key.
void BM_ClientKeyAdmit(benchmark::State& st) {
  SimulatedClock clock;
  auto book = ledger::Ledger::open(":memory:", clock);
  if (!book.ok()) return st.SkipWithError("ledger");
  std::string key;
  for (int i = 0; i < 1000; ++i) {
    std::vector<uint8_t> bytes(32, 7);  // 6 bits per character: two characters tell 4,096 keys apart
    bytes[0] = static_cast<uint8_t>(i >> 6);
    bytes[1] = static_cast<uint8_t>(i & 63);
    key = gateway::format_client_key(bytes);
    ledger::ClientKeyRecord r;
    r.name = "k" + std::to_string(i);
    r.hash = gateway::hash_client_key(key);
    r.max_budget_usd = 100;
    r.rpm = 1000000;
    if (auto a = (*book)->add_client_key(r); !a.ok()) return st.SkipWithError(a.status().to_string().c_str());
  }
  gateway::ClientAuthOptions ao;
  ao.master_key = Secret("sk-FAKE-bench-master-0123456789");
  gateway::ClientAuth auth(book->get(), clock, ao);
  if (!auth.load().ok()) return st.SkipWithError("load");
  Headers h;
  h.add("authorization", "Bearer " + (st.range(0) == 0 ? key : ao.master_key.reveal()));
  for (auto _ : st) {
    auto g = auth.admit(h);
    benchmark::DoNotOptimize(g);
    clock.advance(std::chrono::microseconds(100));  // 600 req/min: within the rpm
  }
}
BENCHMARK(BM_ClientKeyAdmit)->Arg(0)->Arg(1);

BENCHMARK_MAIN();
