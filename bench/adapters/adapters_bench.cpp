// Adapter micro-benchmarks: SSE framing throughput, full OpenAI, Anthropic and OpenRouter stream
// decoding, and shape + parse of a typical non-streamed exchange.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "ploke/adapters/anthropic/adapter.h"
#include "ploke/adapters/openai/adapter.h"
#include "ploke/adapters/openai/responses.h"
#include "ploke/adapters/openai/responses_adapter.h"
#include "ploke/adapters/openrouter/adapter.h"
#include "ploke/adapters/sse.h"
#include "ploke/core/random.h"

namespace ploke {
namespace {
using namespace ploke::adapters::openrouter;  // NOLINT: the OpenRouter package

// Every stream corpus draws its deltas from these words (JSON-escaped where needed) and is
// fed to the decoders in the same 1–4 KB pieces, so the protocols' figures compare.
constexpr const char* kWords[] = {"the", "model", "streams", "tokens", " ", "quickly", "caf\xC3\xA9",
                                  "\\\"quoted\\\"", "line\\n", "\xE2\x82\xAC", "data", "json", "ok"};

std::string random_words(Random& rng) {
  std::string w;
  for (int i = 0, k = 1 + static_cast<int>(rng.below(3)); i < k; ++i) {
    w += kWords[rng.below(sizeof kWords / sizeof kWords[0])];
    w += ' ';
  }
  return w;
}

/// `c` cut into 1–4 KB pieces (fixed seed).
std::vector<std::string_view> cut_pieces(const std::string& c) {
  Random rng(7);
  std::vector<std::string_view> out;
  for (size_t pos = 0; pos < c.size();) {
    const size_t n = std::min<size_t>(1024 + rng.below(3073), c.size() - pos);
    out.emplace_back(c.data() + pos, n);
    pos += n;
  }
  return out;
}

/// ~1 MB of realistic OpenAI chunks: text deltas of 1–3 words, some tool-call fragments,
/// the finish and usage chunks, and [DONE] — repeated as several responses.
const std::string& stream_corpus() {
  static const std::string corpus = [] {
    Random rng(42);
    const std::string prefix =
        R"(data: {"id":"chatcmpl-sim0002","object":"chat.completion.chunk","created":1735689600,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_sim","choices":[{"index":0,"delta":{)";
    std::string s;
    while (s.size() < (1u << 20)) {
      s += prefix + R"("role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":null})" "\n\n";
      const int n = 50 + static_cast<int>(rng.below(100));
      for (int i = 0; i < n; ++i) {
        const std::string words = random_words(rng);
        if (rng.chance(0.05)) {
          s += prefix + R"("tool_calls":[{"index":0,"function":{"arguments":"{\"city\": \")" + words +
               R"("}}]},"logprobs":null,"finish_reason":null}],"usage":null})" "\n\n";
        } else {
          s += prefix + R"("content":")" + words + R"("},"logprobs":null,"finish_reason":null}],"usage":null})" "\n\n";
        }
      }
      s += prefix + R"(},"logprobs":null,"finish_reason":"stop"}],"usage":null})" "\n\n";
      s += R"(data: {"id":"chatcmpl-sim0002","object":"chat.completion.chunk","created":1735689600,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}})" "\n\n";
    }
    return s;
  }();
  return corpus;
}

/// The corpus cut into 1–4 KB pieces (fixed seed).
const std::vector<std::string_view>& pieces() {
  static const std::vector<std::string_view> v = cut_pieces(stream_corpus());
  return v;
}

void BM_SseParse(benchmark::State& state) {
  const auto& ps = pieces();
  size_t events = 0;
  const adapters::SseParser::Callback cb = [&events](const adapters::SseEvent& e) {
    events += e.data.size() > 0;
    return true;
  };
  for (auto _ : state) {
    adapters::SseParser parser;
    for (std::string_view p : ps) {
      if (!parser.feed(p, cb).ok()) state.SkipWithError("parse failed");
    }
    benchmark::DoNotOptimize(events);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(stream_corpus().size()));
  state.counters["events"] = static_cast<double>(events) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_SseParse)->Unit(benchmark::kMicrosecond);

void BM_OpenAiStreamDecode(benchmark::State& state) {
  const auto& ps = pieces();
  auto adapter = adapters::openai::make_openai_adapter();
  const Endpoint ep{"openai", "", Secret(), {}};
  std::vector<StreamEvent> out;
  out.reserve(1 << 14);
  for (auto _ : state) {
    // The corpus holds many responses back to back; decode as one long stream without
    // [DONE] handling by using a fresh decoder per response would add noise, so the
    // corpus has no [DONE] and every chunk is decoded.
    auto dec = adapter->new_stream_decoder(ep);
    out.clear();
    for (std::string_view p : ps) {
      if (!dec->feed(p, out).ok()) state.SkipWithError("decode failed");
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(stream_corpus().size()));
}
BENCHMARK(BM_OpenAiStreamDecode)->Unit(benchmark::kMillisecond);

/// ~1 MB Responses stream as one response (the decoder ends at response.completed): the
/// package's own renderer (render_response_stream) over message items of 50–150 text deltas
/// (1–3 words each, the words of the other corpora unescaped) and, every few items, a
/// function call streamed in argument fragments.
const std::string& responses_corpus() {
  static const std::string corpus = [] {
    constexpr const char* kRaw[] = {"the", "model", "streams", "tokens", " ", "quickly", "caf\xC3\xA9",
                                    "\"quoted\"", "line\n", "\xE2\x82\xAC", "data", "json", "ok"};
    Random rng(42);
    adapters::openai::WireResponse w;
    w.id = "resp_0123456789abcdef0123456789abcdef0123456789abcdef";
    w.model = "gpt-4o";
    size_t bytes = 0;
    while (bytes < (1u << 20)) {
      adapters::openai::WireOutputItem item;
      item.id = "msg_" + std::to_string(w.output.size()) + "0123456789abcdef0123456789abcdef0123456789abcdef";
      if (w.output.size() % 4 == 3) {
        item.is_call = true;
        item.call_id = "call_" + std::to_string(w.output.size());
        item.name = "get_weather";
        for (int i = 0; i < 20; ++i) item.fragments.push_back(std::string(kRaw[rng.below(13)]) + " ");
        for (const auto& f : item.fragments) item.arguments += f;
      } else {
        const int n = 50 + static_cast<int>(rng.below(100));
        for (int i = 0; i < n; ++i) item.tokens.push_back(std::string(kRaw[rng.below(13)]) + " ");
      }
      w.output.push_back(std::move(item));
      bytes = 0;
      for (const auto& o : w.output) bytes += 190 * (o.tokens.size() + o.fragments.size());
    }
    std::string s;
    for (const auto& e : adapters::openai::render_response_stream(w)) s += e.bytes;
    return s;
  }();
  return corpus;
}

void BM_OpenAiResponsesStreamDecode(benchmark::State& state) {
  const std::vector<std::string_view> ps = cut_pieces(responses_corpus());
  adapters::openai::OpenAiResponsesAdapter adapter;
  const Endpoint ep{"openai", "", Secret(), {}};
  std::vector<StreamEvent> out;
  out.reserve(1 << 14);
  size_t events = 0;
  for (auto _ : state) {
    auto dec = adapter.new_stream_decoder(ep);
    out.clear();
    for (std::string_view p : ps) {
      if (!dec->feed(p, out).ok()) state.SkipWithError("decode failed");
    }
    if (!dec->terminated()) state.SkipWithError("no response.completed");
    events = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(responses_corpus().size()));
  state.counters["events"] = static_cast<double>(events);
  state.counters["corpus_bytes"] = static_cast<double>(responses_corpus().size());
}
BENCHMARK(BM_OpenAiResponsesStreamDecode)->Unit(benchmark::kMillisecond);

/// ~1 MB of Anthropic Messages events as one long message: message_start, then text
/// blocks of 50–150 text_delta events (1–3 words each, same word list as the OpenAI
/// corpus), every few blocks a tool_use block with input_json_delta fragments, pings, and
/// the closing message_delta + message_stop.
const std::string& anthropic_corpus() {
  static const std::string corpus = [] {
    Random rng(42);
    auto words = [&] { return random_words(rng); };
    std::string s =
        "event: message_start\n"
        R"(data: {"type":"message_start","message":{"id":"msg_sim02","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":320,"output_tokens":1,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}})"
        "\n\n";
    for (int index = 0; s.size() < (1u << 20); ++index) {
      const std::string idx = std::to_string(index);
      if (index % 4 == 3) {
        s += "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":" + idx +
             R"(,"content_block":{"type":"tool_use","id":"toolu_sim02","name":"get_weather","input":{}}})" "\n\n";
        for (int i = 0, n = 3 + static_cast<int>(rng.below(8)); i < n; ++i) {
          s += "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":" + idx +
               R"(,"delta":{"type":"input_json_delta","partial_json":"{\"city\": \")" + words() + R"("}})" "\n\n";
        }
      } else {
        s += "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":" + idx +
             R"(,"content_block":{"type":"text","text":""}})" "\n\nevent: ping\ndata: {\"type\": \"ping\"}\n\n";
        for (int i = 0, n = 50 + static_cast<int>(rng.below(100)); i < n; ++i) {
          s += "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":" + idx +
               R"(,"delta":{"type":"text_delta","text":")" + words() + R"("}})" "\n\n";
        }
      }
      s += "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":" + idx + "}\n\n";
    }
    s += "event: message_delta\n"
         R"(data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":41}})"
         "\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    return s;
  }();
  return corpus;
}

void BM_AnthropicStreamDecode(benchmark::State& state) {
  const std::string& c = anthropic_corpus();
  const std::vector<std::string_view> ps = cut_pieces(c);
  auto adapter = adapters::anthropic::make_anthropic_adapter();
  const Endpoint ep{"anthropic", "", Secret(), {}};
  std::vector<StreamEvent> out;
  out.reserve(1 << 15);
  size_t events = 0;
  for (auto _ : state) {
    auto dec = adapter->new_stream_decoder(ep);
    out.clear();
    for (std::string_view p : ps) {
      if (!dec->feed(p, out).ok()) state.SkipWithError("decode failed");
    }
    if (!dec->finish(out).ok() || !dec->terminated()) state.SkipWithError("stream not terminated");
    events = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(c.size()));
  state.counters["events"] = static_cast<double>(events);
}
BENCHMARK(BM_AnthropicStreamDecode)->Unit(benchmark::kMillisecond);

/// ~1 MB of OpenRouter-shaped chunks: `: OPENROUTER PROCESSING` comments, `provider` and
/// `native_finish_reason` in every chunk, usage with cost.
const std::string& openrouter_corpus() {
  static const std::string s = [] {
    Random rng(42);
    const std::string prefix =
        R"(data: {"id":"gen-1756000000-abcdefghij0123456789","provider":"DeepInfra","model":"deepseek/deepseek-chat-v3.1","object":"chat.completion.chunk","created":1756000000,"choices":[{"index":0,"delta":{)";
    std::string out;
    while (out.size() < (1u << 20)) {
      out += ": OPENROUTER PROCESSING\n\n: OPENROUTER PROCESSING\n\n";
      out += prefix + R"("role":"assistant","content":""},"finish_reason":null,"native_finish_reason":null,"logprobs":null}]})" "\n\n";
      const int n = 50 + static_cast<int>(rng.below(100));
      for (int i = 0; i < n; ++i) {
        const std::string words = random_words(rng);
        out += prefix + R"("content":")" + words + R"("},"finish_reason":null,"native_finish_reason":null,"logprobs":null}]})" "\n\n";
      }
      out += prefix + R"(},"finish_reason":"stop","native_finish_reason":"end_turn","logprobs":null}]})" "\n\n";
      out += R"(data: {"id":"gen-1756000000-abcdefghij0123456789","provider":"DeepInfra","model":"deepseek/deepseek-chat-v3.1","object":"chat.completion.chunk","created":1756000000,"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":120,"total_tokens":129,"cost":0.0000043,"is_byok":false}})" "\n\n";
    }
    return out;
  }();
  return s;
}

/// OpenRouter stream parse throughput: OpenRouterAdapter's decoder (the composed OpenAI
/// decoder plus its native_finish_reason scan), and the plain OpenAI decoder on the same bytes.
void decode_openrouter_stream(benchmark::State& state, const ProviderAdapter& adapter) {
  const Endpoint ep{"openrouter", "", Secret(), {}};
  std::vector<StreamEvent> out;
  out.reserve(1 << 14);
  size_t events = 0;
  static const std::vector<std::string_view> ps = cut_pieces(openrouter_corpus());
  for (auto _ : state) {
    auto dec = adapter.new_stream_decoder(ep);
    out.clear();
    for (std::string_view p : ps) {
      if (!dec->feed(p, out).ok()) state.SkipWithError("decode failed");
    }
    events = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(openrouter_corpus().size()));
  state.counters["events"] = static_cast<double>(events);
}

void BM_OpenRouterStreamDecode(benchmark::State& state) { decode_openrouter_stream(state, OpenRouterAdapter()); }
BENCHMARK(BM_OpenRouterStreamDecode)->Unit(benchmark::kMillisecond);

void BM_OpenAiDecoderOnOpenRouterStream(benchmark::State& state) { decode_openrouter_stream(state, adapters::openai::OpenAiAdapter()); }
BENCHMARK(BM_OpenAiDecoderOnOpenRouterStream)->Unit(benchmark::kMillisecond);

ChatRequest typical_request() {
  ChatRequest r;
  r.model = "gpt-4o";
  r.messages = {Message::System("You are a helpful assistant. Answer briefly and cite sources when possible."),
                Message::User("What is the weather in Paris today, and should I take an umbrella for the afternoon?")};
  r.tools = {{"get_weather", "Current weather for a city",
              R"({"type":"object","properties":{"city":{"type":"string","description":"City name"},"unit":{"type":"string","enum":["c","f"]}},"required":["city"]})",
              true}};
  r.tool_choice.mode = ToolChoice::Mode::kAuto;
  r.temperature = 0.7;
  r.max_output_tokens = 512;
  return r;
}

HttpResponse typical_response() {
  HttpResponse resp;
  resp.status = 200;
  resp.headers.add("content-type", "application/json");
  resp.headers.add("x-request-id", "req_0123456789abcdef");
  resp.body = R"({"id":"chatcmpl-sim0001","object":"chat.completion","created":1735689600,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_sim","service_tier":"default","choices":[{"index":0,"message":{"role":"assistant","content":"It is 14 degrees in Paris with light rain expected after 3 pm, so yes: take an umbrella for the afternoon. The morning should stay dry, with clouds clearing briefly around noon before the showers arrive. Winds are light from the south-west at around 10 km/h, and humidity is high at 82 percent. If you are walking along the Seine, a light waterproof jacket is a good idea as well. Evening temperatures drop to about 9 degrees. Sources: Meteo-France hourly forecast; local observations at Paris-Montsouris.","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":112,"completion_tokens":98,"total_tokens":210,"prompt_tokens_details":{"cached_tokens":64,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}})";
  return resp;
}

void BM_BuildRequest(benchmark::State& state) {
  auto adapter = adapters::openai::make_openai_adapter();
  const Endpoint ep{"openai", "https://api.openai.com/v1", Secret("sk-bench-0123456789"), {}};
  const ChatRequest r = typical_request();
  for (auto _ : state) {
    auto http = adapter->build_request(r, ep);
    benchmark::DoNotOptimize(http);
  }
}
BENCHMARK(BM_BuildRequest);

void BM_ParseResponse(benchmark::State& state) {
  auto adapter = adapters::openai::make_openai_adapter();
  const Endpoint ep{"openai", "https://api.openai.com/v1", Secret(), {}};
  const HttpResponse resp = typical_response();
  for (auto _ : state) {
    auto r = adapter->parse_response(resp, ep);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(resp.body.size()));
}
BENCHMARK(BM_ParseResponse);

void BM_ShapeAndParse(benchmark::State& state) {
  auto adapter = adapters::openai::make_openai_adapter();
  const Endpoint ep{"openai", "https://api.openai.com/v1", Secret("sk-bench-0123456789"), {}};
  const ChatRequest r = typical_request();
  const HttpResponse resp = typical_response();
  for (auto _ : state) {
    auto http = adapter->build_request(r, ep);
    auto parsed = adapter->parse_response(resp, ep);
    benchmark::DoNotOptimize(http);
    benchmark::DoNotOptimize(parsed);
  }
  state.counters["body_bytes"] = static_cast<double>(resp.body.size());
}
BENCHMARK(BM_ShapeAndParse);

}  // namespace
}  // namespace ploke

BENCHMARK_MAIN();
