// Catalog normalization (adapters/openrouter's reader): GET /models with 350 models (the simulator's synthetic payload,
// shaped like OpenRouter's) → ModelRecords; with schema drift; merge with the curated file;
// search. Target: normalization of the 350-model payload ≤ 5 ms.
#include <benchmark/benchmark.h>

#include "ploke/adapters/openrouter/catalog_reader.h"
#include "ploke/catalog/catalog.h"
#include "ploke/simulator/openrouter_options.h"

namespace {

std::string payload(bool drift) {
  ploke::simulator::OpenRouterSimOptions o;
  o.catalog_size = 350;
  if (drift) o.drift = ploke::simulator::OpenRouterDrift{true, true, true};
  return ploke::simulator::openrouter_models_json(o, 1);
}

void BM_NormalizeModels350(benchmark::State& state) {
  const std::string body = payload(state.range(0) != 0);
  size_t n = 0;
  for (auto _ : state) {
    auto r = ploke::adapters::openrouter::parse_openrouter_models(body, "bench");
    if (!r.ok()) state.SkipWithError(r.status().message().c_str());
    n = r->size();
    benchmark::DoNotOptimize(r);
  }
  state.counters["models"] = static_cast<double>(n);
  state.counters["payload_KB"] = static_cast<double>(body.size()) / 1024.0;
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_NormalizeModels350)->Arg(0)->Arg(1)->ArgNames({"drift"})->Unit(benchmark::kMillisecond);

void BM_MergeWithCurated350(benchmark::State& state) {
  auto discovered = ploke::adapters::openrouter::parse_openrouter_models(payload(false), "bench");
  auto curated = ploke::catalog::parse_curated(ploke::catalog::builtin_curated_json(), "curated");
  for (auto _ : state) {
    ploke::catalog::Catalog cat(*curated, *discovered);
    benchmark::DoNotOptimize(cat);
  }
}
BENCHMARK(BM_MergeWithCurated350)->Unit(benchmark::kMicrosecond);

void BM_Search350(benchmark::State& state) {
  auto discovered = ploke::adapters::openrouter::parse_openrouter_models(payload(false), "bench");
  auto curated = ploke::catalog::parse_curated(ploke::catalog::builtin_curated_json(), "curated");
  ploke::catalog::Catalog cat(std::move(*curated), std::move(*discovered));
  for (auto _ : state) {
    auto hits = cat.search({"instruct", "70b"});
    benchmark::DoNotOptimize(hits);
  }
}
BENCHMARK(BM_Search350)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
