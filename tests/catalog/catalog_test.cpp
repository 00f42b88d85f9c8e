// ploke::catalog: the curated file, curated-wins merging with per-field sources, search,
// and the atomic cache file; and adapters/openrouter's reader of OpenRouter's /models
// (incl. schema drift) and /endpoints bodies, which fills the discovered pool.
#include "ploke/catalog/catalog.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "ploke/adapters/openrouter/catalog_reader.h"
#include "ploke/simulator/openrouter_options.h"
#include "support/test_support.h"

namespace ploke::catalog {
namespace {

using adapters::openrouter::parse_openrouter_endpoints;
using adapters::openrouter::parse_openrouter_models;

constexpr std::string_view kReal = R"({"data": [
 {"id": "deepseek/deepseek-chat-v3.1", "canonical_slug": "deepseek/deepseek-chat-v3.1", "hugging_face_id": "deepseek-ai/DeepSeek-V3.1",
  "name": "DeepSeek: DeepSeek V3.1", "created": 1755779628, "description": "…", "context_length": 163840,
  "architecture": {"modality": "text->text", "input_modalities": ["text"], "output_modalities": ["text"], "tokenizer": "DeepSeek", "instruct_type": "deepseek-v3.1"},
  "pricing": {"prompt": "0.0000002", "completion": "0.0000008", "request": "0", "image": "0", "web_search": "0", "internal_reasoning": "0",
              "input_cache_read": "0.00000002", "input_cache_write": "0"},
  "top_provider": {"context_length": 163840, "max_completion_tokens": 163840, "is_moderated": false},
  "per_request_limits": null,
  "supported_parameters": ["max_tokens", "temperature", "top_p", "stop", "seed", "tools", "tool_choice", "response_format", "structured_outputs", "reasoning", "include_reasoning"]},
 {"id": "openrouter/auto", "name": "Auto Router", "context_length": 2000000,
  "architecture": {"modality": "text+image->text", "tokenizer": "Router", "instruct_type": null},
  "pricing": {"prompt": "-1", "completion": "-1"}, "top_provider": {"context_length": null, "max_completion_tokens": null, "is_moderated": false},
  "supported_parameters": ["max_tokens"]},
 {"name": "no id here"},
 {"id": "x/cheap", "name": "Cheap", "pricing": {"prompt": "cheap", "completion": 1e-7}, "new_field": {"a": [1]}}
]})";

TEST(CatalogTest, NormalizesARealShapedPayload) {
  ParseStats st;
  auto r = parse_openrouter_models(kReal, "fixture", &st);
  ASSERT_OK(r);
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ(st.models, 3u);
  EXPECT_EQ(st.skipped, 1u);
  EXPECT_EQ(st.warnings, 1u);
  EXPECT_EQ(st.first_warning, "data[3].pricing.prompt: not a price");
  const ModelRecord& d = (*r)[0];
  EXPECT_EQ(d.id, "deepseek/deepseek-chat-v3.1");
  EXPECT_EQ(d.display_name.value, "DeepSeek: DeepSeek V3.1");
  EXPECT_TRUE(d.tools.value);
  EXPECT_EQ(d.tools.source, Source::kDiscovered);
  EXPECT_TRUE(d.json_mode.value);
  EXPECT_TRUE(d.json_schema.value);
  EXPECT_TRUE(d.streaming.value);
  EXPECT_EQ(d.context_length.value, 163840u);
  EXPECT_EQ(d.max_output_tokens.value, 163840u);
  EXPECT_EQ(d.input_modalities.value, std::vector<std::string>{"text"});
  EXPECT_DOUBLE_EQ(d.pricing.prompt.value, 0.0000002);
  EXPECT_DOUBLE_EQ(d.pricing.completion.value, 0.0000008);
  EXPECT_DOUBLE_EQ(d.pricing.cache_read.value, 0.00000002);
  EXPECT_TRUE(d.pricing.cache_write.known());
  const ModelRecord& a = (*r)[1];
  EXPECT_FALSE(a.tools.value);
  EXPECT_FALSE(a.pricing.prompt.known());  // "-1": variable price
  EXPECT_FALSE(a.max_output_tokens.known());
  EXPECT_EQ(a.input_modalities.value, (std::vector<std::string>{"text", "image"}));  // from "modality"
  const ModelRecord& c = (*r)[2];
  EXPECT_FALSE(c.pricing.prompt.known());
  EXPECT_DOUBLE_EQ(c.pricing.completion.value, 1e-7);  // a number, not a string
  EXPECT_FALSE(c.tools.known());
}

TEST(CatalogTest, SimulatorPayloadWithAndWithoutDrift) {
  simulator::OpenRouterSimOptions o;
  o.catalog_size = 350;
  auto plain = parse_openrouter_models(simulator::openrouter_models_json(o), "plain");
  o.drift = simulator::OpenRouterDrift{true, true, true};
  ParseStats st;
  auto drift = parse_openrouter_models(simulator::openrouter_models_json(o), "drift", &st);
  ASSERT_OK(plain);
  ASSERT_OK(drift);
  ASSERT_EQ(plain->size(), 350u);
  ASSERT_EQ(drift->size(), 350u);
  EXPECT_EQ(st.warnings, 0u);
  for (size_t i = 0; i < plain->size(); ++i) {
    // Numeric prices, unknown enum values and extra fields change nothing normalized.
    ModelRecord a = (*plain)[i], b = (*drift)[i];
    for (auto [x, y] : {std::pair{&a.pricing.prompt, &b.pricing.prompt}, std::pair{&a.pricing.completion, &b.pricing.completion},
                        std::pair{&a.pricing.request, &b.pricing.request}, std::pair{&a.pricing.cache_read, &b.pricing.cache_read},
                        std::pair{&a.pricing.cache_write, &b.pricing.cache_write}}) {
      ASSERT_EQ(x->source, y->source) << a.id;
      EXPECT_NEAR(x->value, y->value, 1e-12 + 1e-9 * y->value) << a.id;  // decimal text vs binary number
      x->value = y->value;
    }
    EXPECT_EQ(a, b) << a.id;
    EXPECT_TRUE((*plain)[i].pricing.prompt.known());
  }
}

TEST(CatalogTest, SyntaxErrorsNameSourceAndOffset) {
  auto r = parse_openrouter_models(R"({"data": [{"id": "a"},]})", "GET /models");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kMalformedResponse);
  EXPECT_NE(r.status().message().find("GET /models"), std::string::npos);
  EXPECT_NE(r.status().message().find("byte"), std::string::npos);
  auto missing = parse_openrouter_models(R"({"models": []})", "x");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "x: data: expected an array of models");
  auto eps = parse_openrouter_endpoints(R"({"data":{"endpoints":[}})", "GET /models/a/b/endpoints");
  ASSERT_FALSE(eps.ok());
  EXPECT_EQ(eps.status().code(), StatusCode::kMalformedResponse);
  EXPECT_NE(eps.status().message().find("GET /models/a/b/endpoints: invalid JSON at byte 23"), std::string::npos)
      << eps.status().message();
  auto no_eps = parse_openrouter_endpoints(R"({"data":{"id":"a/b"}})", "e");
  ASSERT_FALSE(no_eps.ok());
  EXPECT_EQ(no_eps.status().message(), "e: data.endpoints: expected an array");
}

TEST(CatalogTest, EndpointsKeepUnknownEnumsAndNumericPrices) {
  const std::string body = R"({"data":{"id":"m/x","endpoints":[
    {"name":"A | m/x","provider_name":"DeepInfra","tag":"deepinfra/fp4","quantization":"mxfp4","context_length":1000,
     "pricing":{"prompt":3e-7,"completion":"0.000001"},"supported_parameters":["tools","verbosity_level"],"status":-7,
     "uptime_last_30m":99.5,"latency_last_30m":{"p50":0.4},"throughput_last_30m":{"p50":40},"x_new":1,
     "max_completion_tokens":null},
    {"provider_name":"B","tag":"b","quantization":null,"supported_parameters":["max_tokens"]}]}})";
  auto r = parse_openrouter_endpoints(body, "endpoints");
  ASSERT_OK(r);
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].quantization, "mxfp4");
  EXPECT_TRUE((*r)[0].tools);
  EXPECT_EQ((*r)[0].status, -7);
  EXPECT_DOUBLE_EQ(*(*r)[0].prompt_price, 3e-7);
  EXPECT_DOUBLE_EQ(*(*r)[0].completion_price, 1e-6);
  EXPECT_DOUBLE_EQ(*(*r)[0].latency_p50_s, 0.4);
  EXPECT_DOUBLE_EQ(*(*r)[0].throughput_p50_tps, 40);
  EXPECT_DOUBLE_EQ(*(*r)[0].uptime_last_30m, 99.5);
  EXPECT_EQ((*r)[0].context_length, 1000u);
  EXPECT_EQ((*r)[0].provider_name, "DeepInfra");
  EXPECT_EQ((*r)[0].tag, "deepinfra/fp4");
  EXPECT_FALSE((*r)[0].max_completion_tokens.has_value());
  EXPECT_FALSE((*r)[1].tools);
  EXPECT_EQ((*r)[1].quantization, "");
}

TEST(CatalogTest, BuiltinCuratedParsesAndBadCuratedNamesThePath) {
  auto c = parse_curated(builtin_curated_json(), "curated.json");
  ASSERT_OK(c);
  EXPECT_GE(c->size(), 10u);
  for (const auto& m : *c) EXPECT_TRUE(m.curated);
  auto bad = parse_curated(R"({"models":[{"id":"a/b"},{"id":"c/d","tools":"yes"}]})", "mine.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "mine.json: models[1].tools: wrong type");
  auto unknown = parse_curated(R"({"models":[{"id":"a/b","tool":true}]})", "mine.json");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("models[0].tool: unknown key"), std::string::npos);
  auto price = parse_curated(R"({"models":[{"id":"a/b","pricing":{"prompt":-1}}]})", "mine.json");
  ASSERT_FALSE(price.ok());
  EXPECT_NE(price.status().message().find("pricing.prompt"), std::string::npos);
}

TEST(CatalogTest, CuratedWinsAndUnknownsComeFromDiscovery) {
  auto curated = parse_curated(R"({"models":[{"id":"deepseek/deepseek-chat-v3.1","display_name":"DS","tools":false,
    "pricing":{"prompt":0.000001}, "aliases":["ds"]}]})", "c");
  auto discovered = parse_openrouter_models(kReal, "d");
  ASSERT_OK(curated);
  ASSERT_OK(discovered);
  Catalog cat(std::move(*curated), std::move(*discovered));
  EXPECT_EQ(cat.models().size(), 3u);
  EXPECT_EQ(cat.curated_count(), 1u);
  EXPECT_EQ(cat.discovered_count(), 3u);
  const ModelRecord* m = cat.find("ds");
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(m->curated && m->discovered);
  EXPECT_EQ(m->display_name.value, "DS");
  EXPECT_EQ(m->display_name.source, Source::kCurated);
  EXPECT_FALSE(m->tools.value);  // curated wins over discovered "tools"
  EXPECT_EQ(m->tools.source, Source::kCurated);
  EXPECT_DOUBLE_EQ(m->pricing.prompt.value, 0.000001);
  EXPECT_EQ(m->pricing.prompt.source, Source::kCurated);
  EXPECT_DOUBLE_EQ(m->pricing.completion.value, 0.0000008);
  EXPECT_EQ(m->pricing.completion.source, Source::kDiscovered);
  EXPECT_EQ(m->context_length.source, Source::kDiscovered);
  EXPECT_EQ(cat.find("nope/none"), nullptr);
}

TEST(CatalogTest, SearchNeedsEveryWordCuratedFirst) {
  auto curated = parse_curated(builtin_curated_json(), "c");
  simulator::OpenRouterSimOptions o;
  o.catalog_size = 100;
  auto discovered = parse_openrouter_models(simulator::openrouter_models_json(o), "d");
  ASSERT_OK(curated);
  ASSERT_OK(discovered);
  Catalog cat(std::move(*curated), std::move(*discovered));
  auto hits = cat.search({"KIMI"});
  ASSERT_GE(hits.size(), 2u);
  EXPECT_TRUE(hits[0]->curated);
  auto both = cat.search({"deepseek", "v3.1"});
  ASSERT_EQ(both.size(), 1u);
  EXPECT_EQ(both[0]->id, "deepseek/deepseek-chat-v3.1");
  EXPECT_TRUE(cat.search({"zzzz-no-such"}).empty());
  EXPECT_EQ(cat.search({"gemini-flash"}).size(), 1u);  // by alias
}

TEST(CatalogTest, CacheRoundTripAtomicAndErrorsNameTheFile) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("catalog_test_" + std::to_string(::ploke::testing::test_seed()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "cache.json").string();
  auto missing = load_cache(path);
  ASSERT_OK(missing);
  EXPECT_TRUE(missing->discovered.empty());
  EXPECT_FALSE(missing->last_refresh.has_value());

  CatalogCache c;
  auto d = parse_openrouter_models(kReal, "d");
  ASSERT_OK(d);
  c.discovered = *d;
  c.discovery_count = 3;
  c.refresh_count = 2;
  c.source_url = "http://127.0.0.1:1/api/v1";
  SimulatedClock clock;
  c.last_refresh = clock.system_now();
  auto eps = parse_openrouter_endpoints(R"({"data":{"endpoints":[{"provider_name":"A","tag":"a","quantization":"fp8","pricing":{"prompt":"0.1","completion":"0.2"},"supported_parameters":["tools"],"uptime_last_30m":98.5,
    "latency_last_30m":{"p50":0.4},"throughput_last_30m":{"p50":40},"context_length":1000,"max_completion_tokens":100,"status":-2}]}})", "e");
  ASSERT_OK(eps);
  c.endpoints["deepseek/deepseek-chat-v3.1"] = *eps;
  ASSERT_OK(save_cache(path, c));
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) { (void)e; ++files; }
  EXPECT_EQ(files, 1u);  // no temp file left behind
  auto back = load_cache(path);
  ASSERT_OK(back);
  EXPECT_EQ(back->discovered, c.discovered);
  EXPECT_EQ(back->endpoints, c.endpoints);
  EXPECT_EQ(back->discovery_count, 3u);
  EXPECT_EQ(back->refresh_count, 2u);
  EXPECT_EQ(back->source_url, c.source_url);
  EXPECT_EQ(back->last_refresh, c.last_refresh);

  { std::ofstream(path) << "{\"version\":1,\"discovered\":[ oops"; }
  auto bad = load_cache(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(path), std::string::npos);
  EXPECT_NE(bad.status().message().find("byte"), std::string::npos);
  { std::ofstream(path) << R"({"version":1,"discovered":[{"id":"a","tools":{"value":true,"source":"guessed"}}]})"; }
  auto bad2 = load_cache(path);
  ASSERT_FALSE(bad2.ok());
  EXPECT_NE(bad2.status().message().find("discovered[0].tools.source"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(CatalogTest, RecordJsonCarriesSources) {
  auto d = parse_openrouter_models(kReal, "d");
  ASSERT_OK(d);
  const std::string j = record_to_json((*d)[0]);
  EXPECT_NE(j.find("\"tools\":{\"source\":\"discovered\",\"value\":true}"), std::string::npos) << j;
  EXPECT_NE(j.find("\"cache_write\":{\"source\":\"discovered\""), std::string::npos);
}

}  // namespace
}  // namespace ploke::catalog
