// OpenRouter stream parse throughput (issue 4: per protocol): OpenRouterAdapter's decoder
// (the composed OpenAI decoder plus its native_finish_reason scan) over ~1 MB of
// OpenRouter-shaped chunks — `: OPENROUTER PROCESSING` comments, `provider` and
// `native_finish_reason` in every chunk, usage with cost — fed in 1–4 KB pieces; the plain
// OpenAI decoder over the same bytes for comparison. Same word list and piece sizes as
// bench/adapters (BM_OpenAiStreamDecode).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "ploke/adapters/openrouter_adapter.h"
#include "ploke/core/random.h"

namespace ploke {
namespace {

const std::string& corpus() {
  static const std::string s = [] {
    Random rng(42);
    static const char* kWords[] = {"the", "model", "streams", "tokens", " ", "quickly", "caf\xC3\xA9",
                                   "\\\"quoted\\\"", "line\\n", "\xE2\x82\xAC", "data", "json", "ok"};
    const std::string prefix =
        R"(data: {"id":"gen-1756000000-abcdefghij0123456789","provider":"DeepInfra","model":"deepseek/deepseek-chat-v3.1","object":"chat.completion.chunk","created":1756000000,"choices":[{"index":0,"delta":{)";
    std::string out;
    while (out.size() < (1u << 20)) {
      out += ": OPENROUTER PROCESSING\n\n: OPENROUTER PROCESSING\n\n";
      out += prefix + R"("role":"assistant","content":""},"finish_reason":null,"native_finish_reason":null,"logprobs":null}]})" "\n\n";
      const int n = 50 + static_cast<int>(rng.below(100));
      for (int i = 0; i < n; ++i) {
        std::string words;
        for (int w = 0, k = 1 + static_cast<int>(rng.below(3)); w < k; ++w) {
          words += kWords[rng.below(sizeof kWords / sizeof kWords[0])];
          words += ' ';
        }
        out += prefix + R"("content":")" + words + R"("},"finish_reason":null,"native_finish_reason":null,"logprobs":null}]})" "\n\n";
      }
      out += prefix + R"(},"finish_reason":"stop","native_finish_reason":"end_turn","logprobs":null}]})" "\n\n";
      out += R"(data: {"id":"gen-1756000000-abcdefghij0123456789","provider":"DeepInfra","model":"deepseek/deepseek-chat-v3.1","object":"chat.completion.chunk","created":1756000000,"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":120,"total_tokens":129,"cost":0.0000043,"is_byok":false}})" "\n\n";
    }
    return out;
  }();
  return s;
}

const std::vector<std::string_view>& pieces() {
  static const std::vector<std::string_view> v = [] {
    Random rng(7);
    const std::string& c = corpus();
    std::vector<std::string_view> out;
    for (size_t pos = 0; pos < c.size();) {
      const size_t n = std::min<size_t>(1024 + rng.below(3073), c.size() - pos);
      out.emplace_back(c.data() + pos, n);
      pos += n;
    }
    return out;
  }();
  return v;
}

void decode_with(benchmark::State& state, const ProviderAdapter& adapter) {
  const Endpoint ep{"openrouter", "", Secret(), {}};
  std::vector<StreamEvent> out;
  out.reserve(1 << 14);
  size_t events = 0;
  for (auto _ : state) {
    auto dec = adapter.new_stream_decoder(ep);
    out.clear();
    for (std::string_view p : pieces()) {
      if (!dec->feed(p, out).ok()) state.SkipWithError("decode failed");
    }
    events = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(corpus().size()));
  state.counters["events"] = static_cast<double>(events);
}

void BM_OpenRouterStreamDecode(benchmark::State& state) { decode_with(state, OpenRouterAdapter()); }
BENCHMARK(BM_OpenRouterStreamDecode)->Unit(benchmark::kMillisecond);

void BM_OpenAiDecoderOnOpenRouterStream(benchmark::State& state) { decode_with(state, OpenAiAdapter()); }
BENCHMARK(BM_OpenAiDecoderOnOpenRouterStream)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ploke

BENCHMARK_MAIN();
