// Cassette codec benchmarks. Target: loading a 10 MB cassette with 1,000
// interactions takes <= 100 ms. Also: serialization, and one replay match of a ~1 KB
// request (the per-request CPU cost of `ploke-sim serve --cassette`).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "ploke/codec/cassette_json.h"
#include "ploke/codec/matcher.h"
#include "ploke/codec/redact.h"
#include "ploke/codec/scripted.h"
#include "ploke/core/file_io.h"
#include "ploke/core/random.h"
#include "ploke/core/secret.h"
#include "ploke/core/secret_registry.h"

namespace ploke::codec {
namespace {

std::string words(Random& rng, size_t bytes) {
  static const char* kWords[] = {"the", "model", "streams", "tokens", "quickly", "caf\xC3\xA9", "\"quoted\"",
                                 "line\n", "\xE2\x82\xAC", "data", "json", "ok", "cassette", "replay"};
  std::string s;
  while (s.size() < bytes) {
    s += kWords[rng.below(sizeof(kWords) / sizeof(kWords[0]))];
    s += ' ';
  }
  return s;
}

std::string request_body(Random& rng, int i, size_t content_bytes) {
  std::string content = words(rng, content_bytes);
  std::string escaped;
  for (char c : content) {
    if (c == '"') escaped += "\\\"";
    else if (c == '\n') escaped += "\\n";
    else escaped += c;
  }
  return R"({"model":"gpt-4o","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":")" +
         escaped + " #" + std::to_string(i) + R"("}],"stream":true,"temperature":0.2,"max_tokens":256})";
}

/// ~10 MB: 1,000 streamed interactions, ~1 KB request body and ~9 KB of SSE chunks each.
const Cassette& big_cassette() {
  static const Cassette c = [] {
    Random rng(7);
    Cassette out;
    out.name = "bench";
    out.provider = "openai";
    out.protocol = "openai-chat";
    for (int i = 0; i < 1000; ++i) {
      Interaction in;
      in.id = std::to_string(i);
      in.recorded_at = "2026-11-24T01:00:00.000Z";
      in.request.method = "POST";
      in.request.path = "/v1/chat/completions";
      in.request.headers.add("content-type", "application/json");
      in.request.headers.add("authorization", "[REDACTED:authorization]");
      in.request.body = make_recorded_body(request_body(rng, i, 900), "application/json");
      in.response.status = 200;
      in.response.streamed = true;
      in.response.headers.add("content-type", "text/event-stream");
      in.response.headers.add("x-request-id", "req_" + std::to_string(i));
      in.response.first_byte_ms = 150;
      double t = 150;
      for (int k = 0; k < 28; ++k) {
        t += 7.25;
        std::string w = words(rng, 40);
        std::string esc;
        for (char ch : w) esc += ch == '"' ? std::string("\\\"") : ch == '\n' ? std::string("\\n") : std::string(1, ch);
        in.response.chunks.push_back(
            {t, R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1735689600,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":")" +
                    esc + R"("},"finish_reason":null}]})" + "\n\n"});
      }
      in.response.chunks.push_back({t + 1, "data: [DONE]\n\n"});
      in.response.elapsed_ms = t + 1;
      out.interactions.push_back(std::move(in));
    }
    return out;
  }();
  return c;
}

const std::string& big_text() {
  static const std::string s = serialize_cassette(big_cassette());
  return s;
}

void BM_LoadCassette10MB(benchmark::State& state) {
  const std::string& text = big_text();
  for (auto _ : state) {
    auto c = parse_cassette(text, "bench.json");
    if (!c.ok()) state.SkipWithError(c.status().message().c_str());
    benchmark::DoNotOptimize(c);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["MB"] = static_cast<double>(text.size()) / 1e6;
  state.counters["interactions"] = 1000;
}
BENCHMARK(BM_LoadCassette10MB)->Unit(benchmark::kMillisecond);

void BM_LoadCassetteFile10MB(benchmark::State& state) {
  const std::string path = (std::filesystem::temp_directory_path() / "ploke_codec_bench.json").string();
  if (!write_file_atomic(path, big_text()).ok()) {
    state.SkipWithError("cannot write the temp cassette");
    return;
  }
  for (auto _ : state) {
    auto c = load_cassette_file(path);
    if (!c.ok()) state.SkipWithError(c.status().message().c_str());
    benchmark::DoNotOptimize(c);
  }
  std::filesystem::remove(path);
}
BENCHMARK(BM_LoadCassetteFile10MB)->Unit(benchmark::kMillisecond);

void BM_SerializeCassette10MB(benchmark::State& state) {
  const Cassette& c = big_cassette();
  for (auto _ : state) {
    std::string s = serialize_cassette(c);
    benchmark::DoNotOptimize(s);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * big_text().size()));
}
BENCHMARK(BM_SerializeCassette10MB)->Unit(benchmark::kMillisecond);

void BM_ReplayMatch1KB(benchmark::State& state) {
  std::vector<Cassette> cs{big_cassette()};
  auto store = ReplayStore::Create(std::move(cs), ReplayOptions{});
  if (!store.ok()) {
    state.SkipWithError(store.status().message().c_str());
    return;
  }
  RecordedRequest live = (*store)->interaction(500).request;
  live.headers.set("authorization", "Bearer sk-proj-0123456789abcdefghijklmnop");  // fake key
  for (auto _ : state) {
    auto r = (*store)->match(live);
    if (!r.ok()) state.SkipWithError("unmatched");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ReplayMatch1KB)->Unit(benchmark::kMicrosecond);

/// What the server does per request: HttpRequest → RecordedRequest → match → ScriptedResponse.
void BM_ReplayServeFromHttp(benchmark::State& state) {
  std::vector<Cassette> cs{big_cassette()};
  auto store = ReplayStore::Create(std::move(cs), ReplayOptions{});
  if (!store.ok()) {
    state.SkipWithError(store.status().message().c_str());
    return;
  }
  const RecordedRequest& rec = (*store)->interaction(500).request;
  HttpRequest http;
  http.method = rec.method;
  http.path = rec.path;
  http.headers = rec.headers;
  http.headers.set("authorization", "Bearer sk-proj-0123456789abcdefghijklmnop");  // fake key
  http.body = rec.body.bytes;
  for (auto _ : state) {
    auto r = (*store)->match(live_request_from_http(http));
    if (!r.ok()) state.SkipWithError("unmatched");
    ScriptedResponse s = to_scripted(r.interaction->response, Timing::None());
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_ReplayServeFromHttp)->Unit(benchmark::kMicrosecond);


/// What `ploke-sim record` does per exchange on its recording thread: classify the
/// request and response bodies, then redact the interaction (1 KB non-stream exchange).
void BM_RecordExchange1KB(benchmark::State& state) {
  Random rng(3);
  HttpRequest http;
  http.method = "POST";
  http.path = "/v1/chat/completions";
  http.headers.add("content-type", "application/json");
  http.headers.add("authorization", "Bearer sk-proj-FAKE0123456789abcdefghijklmnop");
  http.body = request_body(rng, 1, 600);
  std::string response = R"({"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o","choices":[)";
  for (int i = 0; i < 3; ++i) {
    if (i > 0) response += ',';
    response += R"({"index":)" + std::to_string(i) + R"(,"message":{"role":"assistant","content":")" +
                std::string(200, 'w') + R"("},"finish_reason":"stop"})";
  }
  response += R"(],"usage":{"prompt_tokens":20,"completion_tokens":24,"total_tokens":44}})";
  auto rules = RedactionRules::Create(RedactionConfig{});
  if (!rules.ok()) {
    state.SkipWithError(rules.status().message().c_str());
    return;
  }
  for (auto _ : state) {
    Interaction i;
    i.request = recorded_request_from_http(http);
    i.response.status = 200;
    i.response.headers.add("content-type", "application/json");
    i.response.headers.add("x-request-id", "req_123");
    i.response.body = make_recorded_body(response, "application/json");
    i = redact_interaction(std::move(i), *rules);
    benchmark::DoNotOptimize(i);
  }
}
BENCHMARK(BM_RecordExchange1KB)->Unit(benchmark::kMicrosecond);

/// Registers `n` opaque fake keys (as n configured/env/client keys would be), on top of any
/// PLOKE_BENCH_REGISTERED_KEYS ones.
void register_keys(int64_t n) {
  for (int64_t i = 0; i < n; ++i) register_secret("benchFAKEopaque" + std::to_string(i) + "-0123456789abcdef");
}

/// PLOKE_BENCH_REGISTERED_KEYS=N registers N keys before any benchmark runs, so the same
/// binary measures every benchmark with and without redaction by value.
const bool kEnvKeys = [] {
  if (const char* n = std::getenv("PLOKE_BENCH_REGISTERED_KEYS")) register_keys(std::atoll(n));
  return true;
}();

/// ploke::redact_secrets() over 4 KB of ordinary text (no secret): what every Status factory,
/// log line and trace pays. Arg = registered keys (0 = the pattern path alone).
void BM_RedactSecrets4KB(benchmark::State& state) {
  clear_registered_secrets_for_testing();
  register_keys(state.range(0));
  Random rng(5);
  const std::string text = words(rng, 4096);
  for (auto _ : state) benchmark::DoNotOptimize(redact_secrets(text));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(text.size()));
  clear_registered_secrets_for_testing();
}
BENCHMARK(BM_RedactSecrets4KB)->Arg(0)->Arg(4)->Arg(16)->Unit(benchmark::kMicrosecond);

/// A 95-byte error message (what Status factories see most). Arg = registered keys.
void BM_RedactSecretsShort(benchmark::State& state) {
  clear_registered_secrets_for_testing();
  register_keys(state.range(0));
  const std::string text = "upstream returned 401: Incorrect API key provided. You can find your API key at the dashboard.";
  for (auto _ : state) benchmark::DoNotOptimize(redact_secrets(text));
  clear_registered_secrets_for_testing();
}
BENCHMARK(BM_RedactSecretsShort)->Arg(0)->Arg(4);

/// StreamRedactor over a 64 KB SSE stream fed in 1,400-byte reads, 4 registered keys.
void BM_StreamRedactor64KB(benchmark::State& state) {
  clear_registered_secrets_for_testing();
  register_keys(state.range(0));
  Random rng(9);
  std::string sse;
  while (sse.size() < 65536) sse += "data: {\"choices\":[{\"delta\":{\"content\":\"" + words(rng, 40) + "\"}}]}\n\n";
  for (auto _ : state) {
    StreamRedactor r;
    size_t out = 0;
    for (size_t i = 0; i < sse.size(); i += 1400) out += r.feed(std::string_view(sse).substr(i, 1400)).size();
    out += r.finish().size();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(sse.size()));
  clear_registered_secrets_for_testing();
}
BENCHMARK(BM_StreamRedactor64KB)->Arg(0)->Arg(4)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace ploke::codec

BENCHMARK_MAIN();
