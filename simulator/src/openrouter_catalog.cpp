// The simulated OpenRouter catalog (hand-made and seeded models with their endpoints) and
// its JSON: /api/v1/models (ModelsListResponse) and /models/{id}/endpoints. See
// openrouter_wire.h.
#include "openrouter_wire.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "ploke/adapters/openrouter/render.h"
#include "ploke/core/secret.h"

namespace ploke::simulator {
namespace detail {

std::string quant_of(const OrEndpoint& e, const OpenRouterDrift& d) {
  if (d.unknown_enums && e.quantization == "fp4") return "mxfp4";
  if (d.unknown_enums && e.quantization == "fp8" && e.provider_name == "Chutes") return "nvfp4";
  return e.quantization;
}

std::vector<std::string> params_of(const OrEndpoint& e, const OpenRouterDrift& d) {
  std::vector<std::string> p{"max_tokens", "temperature", "top_p", "stop", "seed", "frequency_penalty",
                             "presence_penalty"};
  if (e.tools) { p.push_back("tools"); p.push_back("tool_choice"); }
  if (e.structured) { p.push_back("response_format"); p.push_back("structured_outputs"); }
  if (d.unknown_enums) p.push_back("verbosity_level");
  return p;
}

namespace {

// ---- Catalog -------------------------------------------------------------------------

OrEndpoint ep(std::string name, std::string tag, std::string quant, double prompt_per_m, double completion_per_m,
              bool tools, double speed, double uptime) {
  OrEndpoint e;
  e.provider_name = std::move(name);
  e.tag = std::move(tag);
  e.quantization = std::move(quant);
  e.prompt = prompt_per_m / 1e6;
  e.completion = completion_per_m / 1e6;
  e.tools = tools;
  e.speed = speed;
  e.uptime = uptime;
  return e;
}

OrModel& add_model(std::vector<OrModel>& v, std::string id, std::string name, std::string tok, int64_t created,
                   std::string hf) {
  OrModel m;
  m.id = std::move(id);
  m.name = std::move(name);
  m.tokenizer = std::move(tok);
  m.created = created;
  m.hugging_face_id = std::move(hf);
  m.description = "Simulated " + m.name + " (ploke-sim).";
  v.push_back(std::move(m));
  return v.back();
}

// The models routing tests lean on: several endpoints that differ, none with tools.
void add_routing_models(std::vector<OrModel>& v) {
  auto model = [&](auto&&... a) -> OrModel& { return add_model(v, std::forward<decltype(a)>(a)...); };
  {  // The multi-endpoint model: endpoints differ in tool support, price, latency and uptime.
    OrModel& m = model("moonshotai/kimi-k2", "MoonshotAI: Kimi K2", "Other", 1752263252, "moonshotai/Kimi-K2-Instruct");
    m.endpoints = {ep("DeepInfra", "deepinfra/fp4", "fp4", 0.50, 2.00, true, 1.0, 99.5),
                   ep("Groq", "groq", "unknown", 1.00, 3.00, true, 0.3, 99.9),
                   ep("Novita", "novita/fp8", "fp8", 0.57, 2.30, false, 1.6, 97.0),
                   ep("Chutes", "chutes/fp8", "fp8", 0.30, 1.20, false, 2.5, 90.0)};
    m.endpoints[0].context_length = 131072;
    m.endpoints[1].context_length = 131072;
    m.endpoints[1].max_completion_tokens = 16384;
    m.endpoints[2].context_length = 131072;
    m.endpoints[3].context_length = 65536;
    m.endpoints[3].collects_data = true;
    m.endpoints[3].structured = false;
  }
  {  // No endpoint supports tools: tools → 404 "No endpoints found that support tool use."
    OrModel& m = model("mistralai/mistral-7b-instruct", "Mistral: Mistral 7B Instruct", "Mistral", 1716768000,
                       "mistralai/Mistral-7B-Instruct-v0.3");
    m.instruct_type = "mistral";
    m.endpoints = {ep("Together", "together", "fp16", 0.028, 0.054, false, 0.8, 99.7),
                   ep("NovitaAI", "novita", "bf16", 0.029, 0.059, false, 1.2, 98.9)};
    for (auto& e : m.endpoints) { e.context_length = 32768; e.structured = false; }
  }
}

// The frontier models (OpenAI, Anthropic) with cache prices.
void add_frontier_models(std::vector<OrModel>& v) {
  auto model = [&](auto&&... a) -> OrModel& { return add_model(v, std::forward<decltype(a)>(a)...); };
  {
    OrModel& m = model("openai/gpt-4o", "OpenAI: GPT-4o", "GPT", 1715367049, "");
    m.input_modalities = {"text", "image", "file"};
    m.is_moderated = true;
    m.endpoints = {ep("OpenAI", "openai", "unknown", 2.50, 10.0, true, 1.0, 99.95),
                   ep("Azure", "azure", "unknown", 2.50, 10.0, true, 1.3, 99.6)};
    for (auto& e : m.endpoints) { e.context_length = 128000; e.max_completion_tokens = 16384; e.cache_read = 1.25 / 1e6; }
  }
  {
    OrModel& m = model("openai/gpt-4o-mini", "OpenAI: GPT-4o-mini", "GPT", 1721260800, "");
    m.input_modalities = {"text", "image", "file"};
    m.is_moderated = true;
    m.endpoints = {ep("OpenAI", "openai", "unknown", 0.15, 0.60, true, 0.8, 99.95)};
    m.endpoints[0].context_length = 128000;
    m.endpoints[0].max_completion_tokens = 16384;
    m.endpoints[0].cache_read = 0.075 / 1e6;
  }
  {
    OrModel& m = model("anthropic/claude-3.5-sonnet", "Anthropic: Claude 3.5 Sonnet", "Claude", 1729555200, "");
    m.input_modalities = {"text", "image", "file"};
    m.is_moderated = true;
    m.endpoints = {ep("Anthropic", "anthropic", "unknown", 3.0, 15.0, true, 1.1, 99.8),
                   ep("Amazon Bedrock", "amazon-bedrock", "unknown", 3.0, 15.0, true, 1.4, 99.5),
                   ep("Google", "google-vertex", "unknown", 3.0, 15.0, true, 1.2, 99.7)};
    for (auto& e : m.endpoints) {
      e.context_length = 200000;
      e.max_completion_tokens = 8192;
      e.cache_read = 0.30 / 1e6;
      e.cache_write = 3.75 / 1e6;
    }
  }
}

// Open-weight and other models: quantized endpoints, a free variant, data-collecting hosts.
void add_open_models(std::vector<OrModel>& v) {
  auto model = [&](auto&&... a) -> OrModel& { return add_model(v, std::forward<decltype(a)>(a)...); };
  {
    OrModel& m = model("deepseek/deepseek-chat-v3.1", "DeepSeek: DeepSeek V3.1", "DeepSeek", 1755779628,
                       "deepseek-ai/DeepSeek-V3.1");
    m.instruct_type = "deepseek-v3.1";
    m.endpoints = {ep("DeepInfra", "deepinfra/fp4", "fp4", 0.30, 1.00, true, 1.0, 99.6),
                   ep("Chutes", "chutes/fp8", "fp8", 0.20, 0.80, false, 1.8, 95.0),
                   ep("Fireworks", "fireworks", "fp8", 0.56, 1.68, true, 0.5, 99.8)};
    for (auto& e : m.endpoints) e.context_length = 163840;
    m.endpoints[0].cache_read = 0.02 / 1e6;
  }
  {
    OrModel& m = model("deepseek/deepseek-chat", "DeepSeek: DeepSeek V3", "DeepSeek", 1735241400, "deepseek-ai/DeepSeek-V3");
    m.endpoints = {ep("DeepSeek", "deepseek", "fp8", 0.27, 1.10, true, 1.2, 99.0)};
    m.endpoints[0].context_length = 64000;
    m.endpoints[0].collects_data = true;
  }
  {
    OrModel& m = model("qwen/qwq-32b:free", "Qwen: QwQ 32B (free)", "Qwen", 1741208814, "Qwen/QwQ-32B");
    m.instruct_type = "qwq";
    m.endpoints = {ep("Chutes", "chutes/bf16", "bf16", 0, 0, false, 2.0, 93.0)};
    m.endpoints[0].context_length = 32768;
    m.endpoints[0].collects_data = true;
  }
  {
    OrModel& m = model("google/gemini-flash-1.5", "Google: Gemini 1.5 Flash", "Gemini", 1715644800, "");
    m.input_modalities = {"text", "image"};
    m.endpoints = {ep("Google Vertex", "google-vertex", "unknown", 0.075, 0.30, true, 0.6, 99.9),
                   ep("Google AI Studio", "google-ai-studio", "unknown", 0.075, 0.30, true, 0.7, 99.4)};
    for (auto& e : m.endpoints) { e.context_length = 1000000; e.max_completion_tokens = 8192; }
  }
  {
    OrModel& m = model("meta-llama/llama-3.1-8b-instruct", "Meta: Llama 3.1 8B Instruct", "Llama3", 1721692800,
                       "meta-llama/Meta-Llama-3.1-8B-Instruct");
    m.instruct_type = "llama3";
    m.endpoints = {ep("DeepInfra", "deepinfra/bf16", "bf16", 0.02, 0.03, true, 0.9, 99.7),
                   ep("Groq", "groq", "unknown", 0.05, 0.08, true, 0.2, 99.9),
                   ep("Lambda", "lambda/bf16", "bf16", 0.025, 0.04, false, 1.1, 98.5),
                   ep("Cerebras", "cerebras/fp16", "fp16", 0.10, 0.10, true, 0.15, 97.5)};
    for (auto& e : m.endpoints) e.context_length = 131072;
  }
}

std::vector<OrModel> hand_made() {
  std::vector<OrModel> v;
  add_routing_models(v);
  add_frontier_models(v);
  add_open_models(v);
  return v;
}

// One to three endpoints of distinct providers for a generated model.
void add_generated_endpoints(OrModel& m, Random& rng, bool model_tools, double base_prompt, uint32_t ctx) {
  struct Prov { const char* name; const char* slug; };
  static constexpr Prov kProviders[] = {{"DeepInfra", "deepinfra"}, {"Together", "together"}, {"Fireworks", "fireworks"},
                                        {"Novita", "novita"},      {"Lambda", "lambda"},     {"Parasail", "parasail"},
                                        {"Nebius", "nebius"},      {"Chutes", "chutes"},     {"Groq", "groq"},
                                        {"Mancer", "mancer"}};
  static constexpr const char* kQuants[] = {"fp8", "bf16", "fp16", "int8", "int4", "fp4", "unknown"};
  const size_t n_ep = 1 + rng.below(3);
  std::set<size_t> used;
  for (size_t k = 0; k < n_ep; ++k) {
    size_t p = rng.below(std::size(kProviders));
    if (!used.insert(p).second) continue;
    const std::string quant = kQuants[rng.below(std::size(kQuants))];
    // One draw per statement: the order is part of what a seed means (function arguments
    // are evaluated in an unspecified order, which differs between compilers).
    const double uptime = 90.0 + 10.0 * rng.uniform01();
    const double speed = 0.3 + 2.0 * rng.uniform01();
    const bool tools = model_tools && (k == 0 || rng.chance(0.6));
    const double completion = base_prompt * 3 * (0.7 + 0.6 * rng.uniform01());
    const double prompt = base_prompt * (0.7 + 0.6 * rng.uniform01());
    OrEndpoint e = ep(kProviders[p].name, std::string(kProviders[p].slug) + (quant == "unknown" ? "" : "/" + quant), quant,
                      prompt, completion, tools, speed, uptime);
    e.context_length = ctx;
    if (rng.chance(0.5)) e.max_completion_tokens = ctx / 4;
    e.collects_data = rng.chance(0.2);
    e.structured = rng.chance(0.5);
    m.endpoints.push_back(std::move(e));
  }
}

}  // namespace

std::vector<OrModel> build_openrouter_catalog(const OpenRouterSimOptions& options, uint64_t seed) {
  std::vector<OrModel> v = hand_made();
  static constexpr const char* kAuthors[] = {"openai",  "anthropic", "google",    "meta-llama", "mistralai",
                                             "qwen",    "deepseek",  "x-ai",      "cohere",     "nousresearch",
                                             "microsoft", "amazon",  "nvidia",    "ai21",       "perplexity",
                                             "thedrummer", "sao10k", "gryphe",    "liquid",     "inflection"};
  static constexpr const char* kTokenizers[] = {"GPT", "Claude", "Gemini", "Llama3", "Mistral", "Qwen", "DeepSeek",
                                                "Grok", "Cohere", "Other", "Other", "Nova", "Other", "Other", "Other",
                                                "Llama3", "Llama3", "Llama2", "Other", "Other"};
  static constexpr const char* kFamilies[] = {"nova", "atlas", "orion", "lyra", "vega", "sirius", "helix", "cobalt",
                                              "ember", "zephyr", "aurora", "quill", "tundra", "delta", "nimbus"};
  static constexpr int kSizes[] = {1, 3, 7, 8, 13, 14, 22, 32, 34, 70, 72, 110, 235, 405};
  static constexpr const char* kSuffixes[] = {"instruct", "chat", "preview", "v1", "v2", "thinking"};
  Random rng = Random(seed).fork(0x0E0E);
  std::set<std::string> ids;
  for (const auto& m : v) ids.insert(m.id);
  size_t i = 0;
  while (v.size() < options.catalog_size) {
    ++i;
    const size_t a = rng.below(std::size(kAuthors));
    OrModel m;
    const std::string family = kFamilies[rng.below(std::size(kFamilies))];
    const int size = kSizes[rng.below(std::size(kSizes))];
    const std::string suffix = kSuffixes[rng.below(std::size(kSuffixes))];
    m.id = std::string(kAuthors[a]) + "/" + family + "-" + std::to_string(size) + "b-" + suffix;
    if (!ids.insert(m.id).second) {
      m.id += "-" + std::to_string(i);
      ids.insert(m.id);
    }
    std::string display = family;
    display[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(display[0])));
    m.name = std::string(kAuthors[a]) + ": " + display + " " + std::to_string(size) + "B " + suffix;
    m.description = "A synthetic " + std::to_string(size) + "B-parameter " + suffix +
                    " model generated by ploke-sim for catalog tests and benchmarks. It supports long " +
                    "contexts, follows instructions, and is priced like its real peers.";
    m.tokenizer = kTokenizers[a];
    m.created = 1700000000 + static_cast<int64_t>(rng.below(60000000));
    m.hugging_face_id = rng.chance(0.6) ? std::string(kAuthors[a]) + "/" + family + "-" + std::to_string(size) + "B" : "";
    if (rng.chance(0.3)) m.input_modalities = {"text", "image"};
    const bool model_tools = rng.chance(0.7);
    const double base_prompt = 0.02 + static_cast<double>(size) * 0.01 * (0.5 + rng.uniform01());
    const uint32_t ctx = rng.chance(0.5) ? 131072 : (rng.chance(0.5) ? 32768 : 65536);
    add_generated_endpoints(m, rng, model_tools, base_prompt, ctx);
    v.push_back(std::move(m));
  }
  return v;
}

namespace {

namespace orw = ploke::adapters::openrouter;

orw::Architecture architecture(const OrModel& m, const OpenRouterDrift& d) {
  orw::Architecture a;
  a.input_modalities = m.input_modalities;
  a.output_modalities = m.output_modalities;
  a.tokenizer = (d.unknown_enums && m.tokenizer == "Other") ? "Nemotron" : m.tokenizer;
  if (d.unknown_enums && m.instruct_type.empty()) a.instruct_type = "harmony";
  else if (!m.instruct_type.empty()) a.instruct_type = m.instruct_type;
  return a;
}

// Drift: a price member clients must ignore, and (on models) the discount.
orw::Pricing pricing(const OrEndpoint& e, const OpenRouterDrift& d, bool endpoint) {
  orw::Pricing p;
  p.prompt = e.prompt;
  p.completion = e.completion;
  p.request = e.request;
  if (!endpoint) {
    p.web_search = 0;
    p.internal_reasoning = 0;
  }
  p.input_cache_read = e.cache_read;
  p.input_cache_write = e.cache_write;
  if (d.extra_fields) {
    const double h1 = e.cache_write.value_or(0) * 1.6;
    p.extra.emplace_back("input_cache_write_1h", orw::openrouter_price_json(h1, orw::RenderOptions{d.numeric_prices}));
    if (!endpoint) p.extra.emplace_back("discount", "0");
  }
  return p;
}

// The union of the endpoints' parameters, in first-seen order.
std::vector<std::string> model_params(const OrModel& m, const OpenRouterDrift& d) {
  std::vector<std::string> out;
  for (const auto& e : m.endpoints) {
    for (auto& p : params_of(e, d)) {
      if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
    }
  }
  return out;
}

orw::ModelEntry model_entry(const OrModel& m, const OpenRouterDrift& d) {
  const OrEndpoint& top = m.endpoints.front();
  orw::ModelEntry o;
  o.id = m.id;
  o.hugging_face_id = m.hugging_face_id;
  o.name = m.name;
  o.created = m.created;
  o.description = m.description;
  for (const auto& e : m.endpoints) o.context_length = std::max(o.context_length, e.context_length);
  o.architecture = architecture(m, d);
  o.pricing = pricing(top, d, false);
  o.top_context_length = top.context_length;
  o.top_max_completion_tokens = top.max_completion_tokens;
  o.is_moderated = m.is_moderated;
  o.supported_parameters = model_params(m, d);
  if (d.extra_fields) {
    o.extra = {{"knowledge_cutoff", "\"2025-06-30\""},
               {"benchmarks", R"({"mmlu":0.71,"swe_bench":null})"},
               {"x_sim_extra", R"({"nested":[1,2,{"deep":true}]})"}};
  }
  return o;
}

orw::EndpointEntry endpoint_entry(const OrModel& m, const OrEndpoint& e, const OpenRouterDrift& d,
                                  const LatencyModel& lat) {
  const double ttft_s = std::chrono::duration<double>(lat.time_to_first_token).count() * e.speed;
  const double tps = lat.tokens_per_second / e.speed;
  auto r3 = [](double x) { return std::round(x * 1000) / 1000; };
  orw::EndpointEntry o;
  o.name = e.provider_name + " | " + m.id;
  o.model_id = m.id;
  o.model_name = m.name;
  o.context_length = e.context_length;
  o.pricing = pricing(e, d, true);
  o.provider_name = e.provider_name;
  o.tag = e.tag;
  o.quantization = quant_of(e, d);
  o.max_completion_tokens = e.max_completion_tokens;
  o.supported_parameters = params_of(e, d);
  o.status = (d.unknown_enums && e.uptime < 95.0) ? -7 : e.status;
  o.uptime_last_30m = std::round(e.uptime * 10) / 10;
  o.uptime_last_5m = std::min(100.0, std::round((e.uptime + 0.3) * 10) / 10);
  o.uptime_last_1d = std::round((e.uptime - 0.2) * 10) / 10;
  o.supports_implicit_caching = e.implicit_caching;
  o.latency_last_30m = {r3(ttft_s), r3(ttft_s * 1.4), r3(ttft_s * 2), r3(ttft_s * 4)};
  o.throughput_last_30m = {r3(tps), r3(tps * 0.85), r3(tps * 0.6), r3(tps * 0.3)};
  if (d.extra_fields) o.extra = {{"x_sim_extra", R"({"region":"eu-west","since":2026})"}};
  return o;
}

}  // namespace

std::string render_models(const std::vector<OrModel>& models, const OpenRouterDrift& drift) {
  std::vector<orw::ModelEntry> entries;
  entries.reserve(models.size());
  for (const auto& m : models) entries.push_back(model_entry(m, drift));
  orw::ExtraMembers extra;
  if (drift.extra_fields) {
    extra.emplace_back("meta", R"({"generator":"ploke-sim","count":)" + std::to_string(models.size()) + "}");
  }
  return orw::render_openrouter_model_list(entries, orw::RenderOptions{drift.numeric_prices}, extra);
}

std::string render_endpoints(const OrModel& m, const OpenRouterDrift& drift) {
  static const LatencyModel kDefault;
  orw::EndpointList l;
  l.id = m.id;
  l.name = m.name;
  l.created = m.created;
  l.description = m.description;
  l.architecture = architecture(m, drift);
  for (const auto& e : m.endpoints) l.endpoints.push_back(endpoint_entry(m, e, drift, kDefault));
  return orw::render_openrouter_endpoint_list(l, orw::RenderOptions{drift.numeric_prices});
}

}  // namespace detail

std::string openrouter_models_json(const OpenRouterSimOptions& options, uint64_t seed) {
  return detail::render_models(detail::build_openrouter_catalog(options, seed), options.drift);
}

}  // namespace ploke::simulator
