// OpenRouter's models list, endpoints list, generation, key and credits bodies, error
// bodies and error chunks from neutral inputs. See ploke/adapters/openrouter/render.h.
#include "ploke/adapters/openrouter/render.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "json_writer.h"

namespace ploke::adapters::openrouter {
namespace {

using json_text::JsonWriter;

// A double as a JSON DOM writes it: shortest round trip, always with a fraction or an
// exponent ("100.0", "2.5e-06"); non-finite → null.
void dbl(JsonWriter& w, double v) { w.raw(nlohmann::json(v).dump()); }

void extras(JsonWriter& w, const ExtraMembers& extra) {
  for (const auto& [k, v] : extra) w.key(k).raw(v);
}

void str_list(JsonWriter& w, const std::vector<std::string>& v) {
  w.begin_array();
  for (const auto& s : v) w.str(s);
  w.end_array();
}

void opt_uint(JsonWriter& w, const std::optional<uint32_t>& v) {
  if (v) w.uinteger(*v);
  else w.null();
}

void opt_dbl(JsonWriter& w, const std::optional<double>& v) {
  if (v) dbl(w, *v);
  else w.null();
}

void price(JsonWriter& w, double v, const RenderOptions& o) {
  if (o.numeric_prices) dbl(w, v);
  else w.str(openrouter_price_text(v));
}

void pricing(JsonWriter& w, const Pricing& p, const RenderOptions& o, bool endpoint) {
  w.begin_object();
  w.key("prompt"), price(w, p.prompt, o);
  w.key("completion"), price(w, p.completion, o);
  w.key("request"), price(w, p.request, o);
  w.key("image"), price(w, p.image, o);
  if (p.web_search) w.key("web_search"), price(w, *p.web_search, o);
  if (p.internal_reasoning) w.key("internal_reasoning"), price(w, *p.internal_reasoning, o);
  if (p.input_cache_read) w.key("input_cache_read"), price(w, *p.input_cache_read, o);
  if (p.input_cache_write) w.key("input_cache_write"), price(w, *p.input_cache_write, o);
  extras(w, p.extra);
  if (endpoint) w.key("discount").integer(0);
  w.end_object();
}

void architecture(JsonWriter& w, const Architecture& a) {
  std::string modality;
  for (size_t i = 0; i < a.input_modalities.size(); ++i) modality += (i ? "+" : "") + a.input_modalities[i];
  modality += "->";
  for (size_t i = 0; i < a.output_modalities.size(); ++i) modality += (i ? "+" : "") + a.output_modalities[i];
  w.begin_object();
  w.key("modality").str(modality);
  w.key("input_modalities"), str_list(w, a.input_modalities);
  w.key("output_modalities"), str_list(w, a.output_modalities);
  w.key("tokenizer").str(a.tokenizer);
  w.key("instruct_type");
  if (a.instruct_type) w.str(*a.instruct_type);
  else w.null();
  w.end_object();
}

void model(JsonWriter& w, const ModelEntry& m, const RenderOptions& o) {
  w.begin_object();
  w.key("id").str(m.id);
  w.key("canonical_slug").str(m.id);
  w.key("hugging_face_id").str(m.hugging_face_id);
  w.key("name").str(m.name);
  w.key("created").integer(m.created);
  w.key("description").str(m.description);
  w.key("context_length").uinteger(m.context_length);
  w.key("architecture"), architecture(w, m.architecture);
  w.key("pricing"), pricing(w, m.pricing, o, false);
  w.key("top_provider").begin_object();
  w.key("context_length").uinteger(m.top_context_length);
  w.key("max_completion_tokens"), opt_uint(w, m.top_max_completion_tokens);
  w.key("is_moderated").boolean(m.is_moderated);
  w.end_object();
  w.key("per_request_limits").null();
  w.key("supported_parameters"), str_list(w, m.supported_parameters);
  w.key("default_parameters").null();
  w.key("supported_voices").null();
  w.key("links").begin_object();
  w.key("details").str("/api/v1/models/" + m.id + "/endpoints");
  w.end_object();
  extras(w, m.extra);
  w.end_object();
}

void percentiles(JsonWriter& w, const Percentiles& p) {
  w.begin_object();
  w.key("p50"), dbl(w, p.p50);
  w.key("p75"), dbl(w, p.p75);
  w.key("p90"), dbl(w, p.p90);
  w.key("p99"), dbl(w, p.p99);
  w.end_object();
}

void endpoint(JsonWriter& w, const EndpointEntry& e, const RenderOptions& o) {
  w.begin_object();
  w.key("name").str(e.name);
  w.key("model_id").str(e.model_id);
  w.key("model_name").str(e.model_name);
  w.key("context_length").uinteger(e.context_length);
  w.key("pricing"), pricing(w, e.pricing, o, true);
  w.key("provider_name").str(e.provider_name);
  w.key("tag").str(e.tag);
  w.key("quantization").str(e.quantization);
  w.key("max_completion_tokens"), opt_uint(w, e.max_completion_tokens);
  w.key("max_prompt_tokens").null();
  w.key("supported_parameters"), str_list(w, e.supported_parameters);
  w.key("status").integer(e.status);
  w.key("uptime_last_30m"), dbl(w, e.uptime_last_30m);
  w.key("uptime_last_5m"), dbl(w, e.uptime_last_5m);
  w.key("uptime_last_1d"), dbl(w, e.uptime_last_1d);
  w.key("supports_implicit_caching").boolean(e.supports_implicit_caching);
  w.key("latency_last_30m"), percentiles(w, e.latency_last_30m);
  w.key("throughput_last_30m"), percentiles(w, e.throughput_last_30m);
  extras(w, e.extra);
  w.end_object();
}

void error_object(JsonWriter& w, const ErrorBody& e) {
  w.begin_object();
  w.key("code").integer(e.code);
  w.key("message").str(e.message);
  if (e.provider_name || e.raw || e.error_type) {
    w.key("metadata").begin_object();
    if (e.provider_name) w.key("provider_name").str(*e.provider_name);
    if (e.raw) w.key("raw").str(*e.raw);
    if (e.error_type) w.key("error_type").str(*e.error_type);
    w.end_object();
  }
  w.end_object();
}

}  // namespace

std::string openrouter_price_text(double v) {
  if (v == 0) return "0";
  if (v < 0) return "-1";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.12f", v);
  std::string s(buf);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::string openrouter_price_json(double usd, const RenderOptions& options) {
  std::string o;
  JsonWriter w(o);
  price(w, usd, options);
  return o;
}

std::string render_openrouter_model_list(const std::vector<ModelEntry>& models, const RenderOptions& options,
                                         const ExtraMembers& extra) {
  std::string o;
  JsonWriter w(o);
  w.begin_object();
  w.key("data").begin_array();
  for (const auto& m : models) model(w, m, options);
  w.end_array();
  w.key("total_count").uinteger(models.size());
  w.key("links").begin_object();
  w.key("next").null();
  w.end_object();
  extras(w, extra);
  w.end_object();
  return o;
}

std::string render_openrouter_endpoint_list(const EndpointList& l, const RenderOptions& options) {
  std::string o;
  JsonWriter w(o);
  w.begin_object();
  w.key("data").begin_object();
  w.key("id").str(l.id);
  w.key("name").str(l.name);
  w.key("created").integer(l.created);
  w.key("description").str(l.description);
  w.key("architecture"), architecture(w, l.architecture);
  w.key("endpoints").begin_array();
  for (const auto& e : l.endpoints) endpoint(w, e, options);
  w.end_array();
  w.end_object();
  w.end_object();
  return o;
}

std::string render_openrouter_generation(const GenerationStats& g) {
  std::string o;
  JsonWriter w(o);
  w.begin_object();
  w.key("data").begin_object();
  w.key("id").str(g.id);
  w.key("upstream_id").str(g.upstream_id);
  w.key("total_cost"), dbl(w, g.total_cost);
  w.key("cache_discount").null();
  w.key("upstream_inference_cost").null();
  w.key("created_at").integer(g.created_at);
  w.key("model").str(g.model);
  w.key("app_id").null();
  w.key("streamed").boolean(g.streamed);
  w.key("cancelled").boolean(false);
  w.key("provider_name").str(g.provider_name);
  w.key("latency").integer(g.latency_ms);
  w.key("moderation_latency").null();
  w.key("generation_time").integer(g.generation_time_ms);
  w.key("finish_reason").str(g.finish_reason);
  w.key("native_finish_reason").str(g.native_finish_reason);
  w.key("tokens_prompt").uinteger(g.tokens_prompt);
  w.key("tokens_completion").uinteger(g.tokens_completion);
  w.key("native_tokens_prompt").uinteger(g.tokens_prompt);
  w.key("native_tokens_completion").uinteger(g.tokens_completion);
  w.key("native_tokens_reasoning").integer(0);
  for (const char* k : {"num_media_prompt", "num_media_completion", "num_search_results"}) w.key(k).null();
  w.key("origin").str("");
  w.key("usage"), dbl(w, g.total_cost);
  w.key("is_byok").boolean(false);
  w.key("api_type").str("completions");
  w.end_object();
  w.end_object();
  return o;
}

std::string render_openrouter_key(const KeyInfo& k) {
  std::string o;
  JsonWriter w(o);
  w.begin_object();
  w.key("data").begin_object();
  w.key("label").str(k.label);
  w.key("limit"), opt_dbl(w, k.limit);
  w.key("limit_reset");
  if (k.limit) w.str("monthly");
  else w.null();
  w.key("limit_remaining"), opt_dbl(w, k.limit_remaining);
  w.key("include_byok_in_limit").boolean(false);
  for (const char* f : {"usage", "usage_daily", "usage_weekly", "usage_monthly"}) w.key(f), dbl(w, k.usage);
  for (const char* f : {"byok_usage", "byok_usage_daily", "byok_usage_weekly", "byok_usage_monthly"}) w.key(f).integer(0);
  w.key("is_free_tier").boolean(false);
  w.key("is_management_key").boolean(false);
  w.key("expires_at").null();
  w.key("creator_user_id").str(k.creator_user_id);
  w.key("rate_limit").begin_object();
  w.key("requests").integer(1000);
  w.key("interval").str("1h");
  w.key("note").str("deprecated");
  w.end_object();
  w.end_object();
  w.end_object();
  return o;
}

std::string render_openrouter_credits(double total_credits, double total_usage) {
  std::string o;
  JsonWriter w(o);
  w.begin_object();
  w.key("data").begin_object();
  w.key("total_credits"), dbl(w, total_credits);
  w.key("total_usage"), dbl(w, total_usage);
  w.end_object();
  w.end_object();
  return o;
}

std::string render_openrouter_error_body(const ErrorBody& e) {
  std::string o;
  JsonWriter w(o);
  w.begin_object();
  w.key("error"), error_object(w, e);
  w.end_object();
  return o;
}

void write_openrouter_error_object(std::string& out, const ErrorBody& e) {
  JsonWriter w(out);
  error_object(w, e);
}

std::string render_openrouter_error_chunk(const ChunkIdentity& c, const ErrorBody& e) {
  std::string o;
  JsonWriter w(o);
  w.begin_object();
  w.key("id").str(c.id);
  w.key("object").str("chat.completion.chunk");
  w.key("created").integer(c.created);
  w.key("model").str(c.model);
  w.key("provider").str(c.provider);
  w.key("error"), error_object(w, e);
  w.key("choices").begin_array();
  w.begin_object();
  w.key("index").integer(0);
  w.key("delta").begin_object();
  w.key("content").str("");
  w.end_object();
  w.key("finish_reason").str("error");
  w.key("native_finish_reason").str("error");
  w.end_object();
  w.end_array();
  w.end_object();
  return o;
}

std::optional<ChunkIdentity> read_openrouter_chunk_identity(std::string_view text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  ChunkIdentity c;
  auto str = [&](const char* k, std::string& out) {
    if (auto it = j.find(k); it != j.end() && it->is_string()) out = it->get<std::string>();
  };
  str("id", c.id);
  str("model", c.model);
  str("provider", c.provider);
  if (auto it = j.find("created"); it != j.end() && it->is_number_integer()) c.created = it->get<int64_t>();
  return c;
}

std::optional<std::string> read_error_message(std::string_view body) {
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  auto e = j.find("error");
  if (e == j.end() || !e->is_object()) return std::nullopt;
  auto m = e->find("message");
  if (m == e->end() || !m->is_string()) return std::nullopt;
  return m->get<std::string>();
}

}  // namespace ploke::adapters::openrouter
