// OpenRouter's GET /models and /endpoints bodies → the catalog's neutral records. See
// ploke/adapters/openrouter/catalog_reader.h.
#include "ploke/adapters/openrouter/catalog_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "ploke/codec/fast_json.h"
#include "ploke/json/limits.h"

namespace ploke::adapters::openrouter {
namespace {

using catalog::EndpointRecord;
using catalog::Field;
using catalog::ModelRecord;
using catalog::ParseStats;
using catalog::Source;

std::optional<double> number_text(const std::string& s) {
  double d = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (!s.empty() && ec == std::errc() && p == s.data() + s.size() && std::isfinite(d)) return d;
  return std::nullopt;
}

// ---- /models on ploke::codec's fast DOM (nlohmann's lexer misses the 5 ms budget for
// 350 models) ---------------------------------------------------------------------------

using JValue = codec::internal::JValue;

const JValue* jmember(const JValue* o, std::string_view k) {
  if (o == nullptr) return nullptr;
  const JValue* v = o->find(k);
  return v == nullptr || v->is_null() ? nullptr : v;
}

std::optional<double> jnumber(const JValue& v) {
  if (v.is_number()) return std::isfinite(v.number) ? std::optional<double>(v.number) : std::nullopt;
  if (v.is_string()) return number_text(v.str);
  return std::nullopt;
}

std::optional<uint64_t> jcount(const JValue& v) {
  if (!v.is_number() || !(v.number >= 0) || !std::isfinite(v.number)) return std::nullopt;
  if (v.integer) return static_cast<uint64_t>(v.int_value);
  return static_cast<uint64_t>(std::llround(v.number));
}

std::vector<std::string> jstrings(const JValue& v) {
  std::vector<std::string> out;
  out.reserve(v.items.size());
  for (const JValue& s : v.items) {
    if (s.is_string()) out.push_back(s.str);
  }
  return out;
}

// A price: "0.0000025" or 2.5e-06. "-1" (variable pricing) and garbage → unknown.
void read_price(const JValue& pricing, std::string_view key, Field<double>& out, size_t i, ParseStats& st) {
  const JValue* v = jmember(&pricing, key);
  if (v == nullptr) return;
  auto d = jnumber(*v);
  if (!d) {
    if (st.warnings++ == 0) st.first_warning = "data[" + std::to_string(i) + "].pricing." + std::string(key) + ": not a price";
    return;
  }
  if (*d < 0) return;  // variable price
  out.set(*d, Source::kDiscovered);
}

// "text+image->text" → inputs, outputs (older payloads without *_modalities).
void modality_fallback(const std::string& modality, std::vector<std::string>& in, std::vector<std::string>& out) {
  const size_t arrow = modality.find("->");
  if (arrow == std::string::npos) return;
  auto split = [](std::string_view s, std::vector<std::string>& o) {
    while (!s.empty()) {
      size_t plus = s.find('+');
      if (!s.substr(0, plus).empty()) o.emplace_back(s.substr(0, plus));
      if (plus == std::string_view::npos) break;
      s.remove_prefix(plus + 1);
    }
  };
  split(std::string_view(modality).substr(0, arrow), in);
  split(std::string_view(modality).substr(arrow + 2), out);
}

void read_capabilities(const JValue& m, ModelRecord& r) {
  constexpr Source D = Source::kDiscovered;
  if (const JValue* sp = jmember(&m, "supported_parameters"); sp && sp->is_array()) {
    bool tools = false, rf = false, so = false;
    for (const JValue& p : sp->items) {
      if (!p.is_string()) continue;
      tools = tools || p.str == "tools";
      rf = rf || p.str == "response_format";
      so = so || p.str == "structured_outputs";
    }
    r.tools.set(tools, D);
    r.json_mode.set(rf || so, D);
    r.json_schema.set(so, D);
  }
  r.streaming.set(true, D);  // every OpenRouter model streams
  const JValue* top = jmember(&m, "top_provider");
  const JValue* ctx = jmember(&m, "context_length");
  if (ctx == nullptr) ctx = jmember(top, "context_length");
  if (ctx != nullptr) {
    if (auto v = jcount(*ctx)) r.context_length.set(*v, D);
  }
  if (const JValue* mc = jmember(top, "max_completion_tokens")) {
    if (auto v = jcount(*mc)) r.max_output_tokens.set(*v, D);
  }
}

void read_modalities(const JValue& m, ModelRecord& r) {
  const JValue* a = jmember(&m, "architecture");
  if (a == nullptr || !a->is_object()) return;
  std::vector<std::string> in, out;
  if (const JValue* im = jmember(a, "input_modalities")) in = jstrings(*im);
  if (const JValue* om = jmember(a, "output_modalities")) out = jstrings(*om);
  if (in.empty() && out.empty()) {
    if (const JValue* mod = jmember(a, "modality"); mod && mod->is_string()) modality_fallback(mod->str, in, out);
  }
  if (!in.empty()) r.input_modalities.set(std::move(in), Source::kDiscovered);
  if (!out.empty()) r.output_modalities.set(std::move(out), Source::kDiscovered);
}

bool normalize_model(const JValue& m, size_t i, ModelRecord& r, ParseStats& st) {
  const JValue* id = jmember(&m, "id");
  if (id == nullptr || !id->is_string() || id->str.empty()) return false;
  r.id = id->str;
  r.discovered = true;
  if (const JValue* n = jmember(&m, "name"); n && n->is_string()) r.display_name.set(n->str, Source::kDiscovered);
  read_capabilities(m, r);
  read_modalities(m, r);
  if (const JValue* p = jmember(&m, "pricing"); p && p->is_object()) {
    read_price(*p, "prompt", r.pricing.prompt, i, st);
    read_price(*p, "completion", r.pricing.completion, i, st);
    read_price(*p, "request", r.pricing.request, i, st);
    read_price(*p, "input_cache_read", r.pricing.cache_read, i, st);
    read_price(*p, "input_cache_write", r.pricing.cache_write, i, st);
  }
  return true;
}

// ---- /endpoints on nlohmann's DOM -------------------------------------------------------

using nlohmann::json;

const json* member(const json& o, const char* k) {
  if (!o.is_object()) return nullptr;
  auto it = o.find(k);
  return it == o.end() || it->is_null() ? nullptr : &*it;
}

std::optional<double> number_of(const json* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_number()) {
    const double d = v->get<double>();
    return std::isfinite(d) ? std::optional<double>(d) : std::nullopt;
  }
  if (v->is_string()) return number_text(v->get_ref<const std::string&>());
  return std::nullopt;
}

std::optional<uint64_t> count_of(const json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return static_cast<uint64_t>(v.get<int64_t>());
  if (v.is_number_float() && v.get<double>() >= 0 && std::isfinite(v.get<double>())) {
    return static_cast<uint64_t>(std::llround(v.get<double>()));
  }
  return std::nullopt;
}

std::vector<std::string> strings_of(const json& v) {
  std::vector<std::string> out;
  if (!v.is_array()) return out;
  for (const json& s : v) {
    if (s.is_string()) out.push_back(s.get<std::string>());
  }
  return out;
}

// `latency_last_30m` / `throughput_last_30m`: {"p50":…} (or a bare number).
std::optional<double> p50_of(const json& e, const char* key) {
  const json* v = member(e, key);
  if (v == nullptr) return std::nullopt;
  return number_of(v->is_object() ? member(*v, "p50") : v);
}

EndpointRecord endpoint_of(const json& e) {
  EndpointRecord r;
  auto s = [&](const char* k) { const json* v = member(e, k); return v && v->is_string() ? v->get<std::string>() : std::string(); };
  r.provider_name = s("provider_name");
  r.tag = s("tag");
  r.quantization = s("quantization");
  if (const json* c = member(e, "context_length")) r.context_length = count_of(*c).value_or(0);
  if (const json* mc = member(e, "max_completion_tokens")) r.max_completion_tokens = count_of(*mc);
  if (const json* sp = member(e, "supported_parameters")) {
    r.supported_parameters = strings_of(*sp);
    r.tools = std::find(r.supported_parameters.begin(), r.supported_parameters.end(), "tools") != r.supported_parameters.end();
  }
  if (const json* t = member(e, "tools"); t && t->is_boolean()) r.tools = t->get<bool>();
  if (const json* st = member(e, "status"); st && st->is_number()) r.status = static_cast<int64_t>(st->get<double>());
  if (const json* p = member(e, "pricing")) {
    r.prompt_price = number_of(member(*p, "prompt"));
    r.completion_price = number_of(member(*p, "completion"));
  }
  r.uptime_last_30m = number_of(member(e, "uptime_last_30m"));
  r.latency_p50_s = p50_of(e, "latency_last_30m");
  r.throughput_p50_tps = p50_of(e, "throughput_last_30m");
  return r;
}

// Parses `text`; a syntax error → kMalformedResponse naming `source` and the byte offset.
Result<json> parse_doc(std::string_view text, std::string_view source) {
  if (Status st = ploke::json::check_json_limits(text); !st.ok()) {
    return MalformedResponseError(std::string(source) + ": " + st.message());
  }
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    return MalformedResponseError(std::string(source) + ": invalid JSON at byte " + std::to_string(e.byte) + ": " + e.what());
  } catch (const json::exception& e) {
    return MalformedResponseError(std::string(source) + ": invalid JSON: " + e.what());
  }
}

}  // namespace

Result<std::vector<ModelRecord>> parse_openrouter_models(std::string_view text, std::string_view source,
                                                         ParseStats* stats) {
  ParseStats local;
  ParseStats& st = stats ? *stats : local;
  st = ParseStats{};
  JValue doc;
  codec::internal::JParseError err;
  if (!codec::internal::parse_fast_json(text, &doc, &err)) {
    return MalformedResponseError(std::string(source) + ": invalid JSON: " + err.to_string());
  }
  const JValue* data = jmember(&doc, "data");
  if (data == nullptr || !data->is_array()) {
    return MalformedResponseError(std::string(source) + ": data: expected an array of models");
  }
  std::vector<ModelRecord> out;
  out.reserve(data->items.size());
  for (size_t i = 0; i < data->items.size(); ++i) {
    ModelRecord r;
    if (!normalize_model(data->items[i], i, r, st)) {
      ++st.skipped;
      continue;
    }
    out.push_back(std::move(r));
  }
  st.models = out.size();
  return out;
}

Result<std::vector<EndpointRecord>> parse_openrouter_endpoints(std::string_view text, std::string_view source) {
  PLOKE_ASSIGN_OR_RETURN(const json doc, parse_doc(text, source));
  const json* data = member(doc, "data");
  const json* eps = data ? member(*data, "endpoints") : nullptr;
  if (eps == nullptr || !eps->is_array()) {
    return MalformedResponseError(std::string(source) + ": data.endpoints: expected an array");
  }
  std::vector<EndpointRecord> out;
  for (const json& e : *eps) {
    if (e.is_object()) out.push_back(endpoint_of(e));
  }
  return out;
}

}  // namespace ploke::adapters::openrouter
