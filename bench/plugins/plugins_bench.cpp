// Adapter plugins (bench/README.md, "Adapter plugins"):
//   BM_ShapeAndParse/builtin   the built-in OpenAI adapter: shape a request + parse a 1 KB completion
//   BM_ShapeAndParse/plugin    the same through a plugin adapter (bench0.so: OpenAI under another
//                              name, forwarding every call), in the same run
//   BM_LoadPlugins/N           load N plugins (dlopen, ABI check, register) and unload them
#include <benchmark/benchmark.h>

#include <string>

#include "ploke/adapters/openai/adapter.h"
#include "ploke/adapters/register.h"
#include "ploke/core/chat.h"
#include "ploke/plugins/loader.h"

namespace ploke {
namespace {

const std::string kDir = PLOKE_BENCH_PLUGIN_DIR;

ChatRequest typical_request() {
  ChatRequest r;
  r.model = "gpt-4o";
  r.messages = {Message::System("You are a helpful assistant. Answer briefly and cite sources when possible."),
                Message::User("What is the weather in Paris today, and should I take an umbrella for the afternoon?")};
  r.temperature = 0.7;
  r.max_output_tokens = 512;
  return r;
}

HttpResponse typical_response() {
  HttpResponse resp;
  resp.status = 200;
  resp.headers.add("content-type", "application/json");
  resp.headers.add("x-request-id", "req_0123456789abcdef");
  resp.body = R"({"id":"chatcmpl-sim0001","object":"chat.completion","created":1735689600,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"It is 14 degrees in Paris with light rain expected after 3 pm, so yes: take an umbrella for the afternoon. The morning should stay dry, with clouds clearing briefly around noon before the showers arrive. Winds are light from the south-west at around 10 km/h, and humidity is high at 82 percent. If you are walking along the Seine, a light waterproof jacket is a good idea as well. Evening temperatures drop to about 9 degrees. Sources: Meteo-France hourly forecast; local observations at Paris-Montsouris.","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":112,"completion_tokens":98,"total_tokens":210}})";
  return resp;
}

void shape_and_parse(benchmark::State& state, const ProviderAdapter& adapter) {
  const Endpoint ep{"openai", "https://api.openai.com/v1", Secret("sk-bench-0123456789"), {}};
  const ChatRequest r = typical_request();
  const HttpResponse resp = typical_response();
  for (auto _ : state) {
    auto http = adapter.build_request(r, ep);
    auto parsed = adapter.parse_response(resp, ep);
    if (!http.ok() || !parsed.ok()) state.SkipWithError("request failed");
    benchmark::DoNotOptimize(http);
    benchmark::DoNotOptimize(parsed);
  }
}

void BM_ShapeAndParse_Builtin(benchmark::State& state) {
  auto adapter = adapters::openai::make_openai_adapter();
  shape_and_parse(state, *adapter);
}
BENCHMARK(BM_ShapeAndParse_Builtin)->Name("BM_ShapeAndParse/builtin");

void BM_ShapeAndParse_Plugin(benchmark::State& state) {
  plugins::PluginSet set;
  if (Status s = set.load(kDir + "/bench0.so", {}); !s.ok()) return state.SkipWithError(s.message().c_str());
  AdapterRegistry registry;
  (void)set.register_adapters(registry);
  auto adapter = registry.create("bench0");
  shape_and_parse(state, **adapter);
}
BENCHMARK(BM_ShapeAndParse_Plugin)->Name("BM_ShapeAndParse/plugin");

void BM_LoadPlugins(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  AdapterRegistry builtins;
  (void)adapters::register_builtin_adapters(builtins);
  const std::vector<std::string> taken = builtins.names();
  for (auto _ : state) {
    plugins::PluginSet set;
    for (int i = 0; i < n; ++i) {
      if (Status s = set.load(kDir + "/bench" + std::to_string(i) + ".so", taken); !s.ok()) {
        return state.SkipWithError(s.message().c_str());
      }
    }
    AdapterRegistry registry;
    benchmark::DoNotOptimize(set.register_adapters(registry));
  }  // unloaded here
}
BENCHMARK(BM_LoadPlugins)->Arg(1)->Arg(10)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace ploke

BENCHMARK_MAIN();
