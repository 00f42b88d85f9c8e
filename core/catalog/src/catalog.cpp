// Model catalog: the curated file, merging, search, and the cache file. See
// ploke/catalog/catalog.h.
#include "ploke/core/ascii.h"
#include "ploke/core/file_io.h"
#include "ploke/json/limits.h"
#include "ploke/catalog/catalog.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

namespace ploke::catalog {
namespace {

using nlohmann::json;

std::optional<double> number_of(const json& v) {
  if (v.is_number()) {
    const double d = v.get<double>();
    return std::isfinite(d) ? std::optional<double>(d) : std::nullopt;
  }
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    double d = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (!s.empty() && ec == std::errc() && p == s.data() + s.size() && std::isfinite(d)) return d;
  }
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

const json* member(const json& o, const char* k) {
  if (!o.is_object()) return nullptr;
  auto it = o.find(k);
  return it == o.end() || it->is_null() ? nullptr : &*it;
}

std::vector<std::string> strings_of(const json& v) {
  std::vector<std::string> out;
  if (!v.is_array()) return out;
  out.reserve(v.size());
  for (const json& s : v) {
    if (s.is_string()) out.push_back(s.get<std::string>());
  }
  return out;
}

/// Parses `text`; a syntax error → `code` naming `source` and the byte offset.
Result<json> parse_doc(std::string_view text, std::string_view source, StatusCode code) {
  if (Status st = ploke::json::check_json_limits(text); !st.ok()) return Status(code, std::string(source) + ": " + st.message());
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    return Status(code, std::string(source) + ": invalid JSON at byte " + std::to_string(e.byte) + ": " + e.what());
  } catch (const json::exception& e) {
    return Status(code, std::string(source) + ": invalid JSON: " + e.what());
  }
}

// ---- JSON out --------------------------------------------------------------------------

template <typename T>
json field_json(const Field<T>& f) {
  if (!f.known()) return json{{"value", nullptr}, {"source", "unknown"}};
  return json{{"value", f.value}, {"source", std::string(source_name(f.source))}};
}

json record_json(const ModelRecord& r) {
  json j = json::object();
  j["id"] = r.id;
  j["curated"] = r.curated;
  j["discovered"] = r.discovered;
  j["display_name"] = field_json(r.display_name);
  j["tools"] = field_json(r.tools);
  j["json_mode"] = field_json(r.json_mode);
  j["json_schema"] = field_json(r.json_schema);
  j["streaming"] = field_json(r.streaming);
  j["context_length"] = field_json(r.context_length);
  j["max_output_tokens"] = field_json(r.max_output_tokens);
  j["input_modalities"] = field_json(r.input_modalities);
  j["output_modalities"] = field_json(r.output_modalities);
  j["pricing"] = {{"prompt", field_json(r.pricing.prompt)},
                  {"completion", field_json(r.pricing.completion)},
                  {"request", field_json(r.pricing.request)},
                  {"cache_read", field_json(r.pricing.cache_read)},
                  {"cache_write", field_json(r.pricing.cache_write)}};
  if (!r.aliases.empty()) j["aliases"] = r.aliases;
  if (!r.params_json.empty()) j["params"] = json::parse(r.params_json, nullptr, false);
  return j;
}

json endpoint_json_value(const EndpointRecord& e) {
  auto opt = [](const auto& o) { return o ? json(*o) : json(nullptr); };
  return json{{"provider_name", e.provider_name},
              {"tag", e.tag},
              {"quantization", e.quantization},
              {"context_length", e.context_length},
              {"max_completion_tokens", opt(e.max_completion_tokens)},
              {"prompt_price", opt(e.prompt_price)},
              {"completion_price", opt(e.completion_price)},
              {"tools", e.tools},
              {"supported_parameters", e.supported_parameters},
              {"status", e.status},
              {"uptime_last_30m", opt(e.uptime_last_30m)},
              {"latency_p50_s", opt(e.latency_p50_s)},
              {"throughput_p50_tps", opt(e.throughput_p50_tps)}};
}

// Reads back what record_json wrote (the cache file). Problems → `err` ("path: what").
template <typename T, typename Get>
void read_field(const json& j, const char* key, Field<T>& f, Get get, const std::string& path, std::string& err) {
  const json* v = member(j, key);
  if (v == nullptr) return;
  const json* src = member(*v, "source");
  const json* val = member(*v, "value");
  if (src == nullptr || !src->is_string()) {
    if (err.empty()) err = path + "." + key + ".source: expected a string";
    return;
  }
  const std::string& s = src->get_ref<const std::string&>();
  if (s == "unknown" || val == nullptr) return;
  Source source = s == "curated" ? Source::kCurated : s == "discovered" ? Source::kDiscovered : Source::kUnknown;
  if (source == Source::kUnknown) {
    if (err.empty()) err = path + "." + key + ".source: unknown source '" + s + "'";
    return;
  }
  std::optional<T> value = get(*val);
  if (!value) {
    if (err.empty()) err = path + "." + key + ".value: wrong type";
    return;
  }
  f.set(std::move(*value), source);
}

ModelRecord record_from_json(const json& j, const std::string& path, std::string& err) {
  ModelRecord r;
  if (const json* id = member(j, "id"); id && id->is_string()) r.id = id->get<std::string>();
  else if (err.empty()) err = path + ".id: expected a string";
  r.curated = j.value("curated", false);
  r.discovered = j.value("discovered", false);
  auto str = [](const json& v) { return v.is_string() ? std::optional<std::string>(v.get<std::string>()) : std::nullopt; };
  auto boolean = [](const json& v) { return v.is_boolean() ? std::optional<bool>(v.get<bool>()) : std::nullopt; };
  auto num = [](const json& v) { return v.is_number() ? std::optional<double>(v.get<double>()) : std::nullopt; };
  auto cnt = [](const json& v) { return count_of(v); };
  auto strs = [](const json& v) {
    return v.is_array() ? std::optional<std::vector<std::string>>(strings_of(v)) : std::nullopt;
  };
  read_field(j, "display_name", r.display_name, str, path, err);
  read_field(j, "tools", r.tools, boolean, path, err);
  read_field(j, "json_mode", r.json_mode, boolean, path, err);
  read_field(j, "json_schema", r.json_schema, boolean, path, err);
  read_field(j, "streaming", r.streaming, boolean, path, err);
  read_field(j, "context_length", r.context_length, cnt, path, err);
  read_field(j, "max_output_tokens", r.max_output_tokens, cnt, path, err);
  read_field(j, "input_modalities", r.input_modalities, strs, path, err);
  read_field(j, "output_modalities", r.output_modalities, strs, path, err);
  if (const json* p = member(j, "pricing")) {
    const std::string pp = path + ".pricing";
    read_field(*p, "prompt", r.pricing.prompt, num, pp, err);
    read_field(*p, "completion", r.pricing.completion, num, pp, err);
    read_field(*p, "request", r.pricing.request, num, pp, err);
    read_field(*p, "cache_read", r.pricing.cache_read, num, pp, err);
    read_field(*p, "cache_write", r.pricing.cache_write, num, pp, err);
  }
  if (const json* a = member(j, "aliases")) r.aliases = strings_of(*a);
  if (const json* p = member(j, "params"); p && p->is_object()) r.params_json = p->dump();
  return r;
}

EndpointRecord endpoint_from_json(const json& e) {
  EndpointRecord r;
  auto s = [&](const char* k) { const json* v = member(e, k); return v && v->is_string() ? v->get<std::string>() : std::string(); };
  auto d = [&](const char* k) { const json* v = member(e, k); return v ? number_of(*v) : std::nullopt; };
  r.provider_name = s("provider_name");
  r.tag = s("tag");
  r.quantization = s("quantization");
  if (const json* c = member(e, "context_length")) r.context_length = count_of(*c).value_or(0);
  if (const json* mc = member(e, "max_completion_tokens")) r.max_completion_tokens = count_of(*mc);
  if (const json* sp = member(e, "supported_parameters")) r.supported_parameters = strings_of(*sp);
  if (const json* t = member(e, "tools"); t && t->is_boolean()) r.tools = t->get<bool>();
  if (const json* st = member(e, "status"); st && st->is_number()) r.status = static_cast<int64_t>(st->get<double>());
  r.prompt_price = d("prompt_price");
  r.completion_price = d("completion_price");
  r.uptime_last_30m = d("uptime_last_30m");
  r.latency_p50_s = d("latency_p50_s");
  r.throughput_p50_tps = d("throughput_p50_tps");
  return r;
}

// Curated wins per field; unknown curated fields are filled from discovery.
template <typename T>
void merge_field(Field<T>& into, const Field<T>& from) {
  if (!into.known() && from.known()) into = from;
}

void merge(ModelRecord& curated, const ModelRecord& d) {
  merge_field(curated.display_name, d.display_name);
  merge_field(curated.tools, d.tools);
  merge_field(curated.json_mode, d.json_mode);
  merge_field(curated.json_schema, d.json_schema);
  merge_field(curated.streaming, d.streaming);
  merge_field(curated.context_length, d.context_length);
  merge_field(curated.max_output_tokens, d.max_output_tokens);
  merge_field(curated.input_modalities, d.input_modalities);
  merge_field(curated.output_modalities, d.output_modalities);
  merge_field(curated.pricing.prompt, d.pricing.prompt);
  merge_field(curated.pricing.completion, d.pricing.completion);
  merge_field(curated.pricing.request, d.pricing.request);
  merge_field(curated.pricing.cache_read, d.pricing.cache_read);
  merge_field(curated.pricing.cache_write, d.pricing.cache_write);
  curated.discovered = true;
}

}  // namespace

std::string_view source_name(Source s) {
  switch (s) {
    case Source::kCurated: return "curated";
    case Source::kDiscovered: return "discovered";
    default: return "unknown";
  }
}

Result<std::vector<ModelRecord>> parse_curated(std::string_view text, std::string_view source) {
  PLOKE_ASSIGN_OR_RETURN(const json doc, parse_doc(text, source, StatusCode::kInvalidRequest));
  const json* models = member(doc, "models");
  if (models == nullptr || !models->is_array()) return InvalidRequestError(std::string(source) + ": models: expected an array");
  std::vector<ModelRecord> out;
  constexpr Source C = Source::kCurated;
  for (size_t i = 0; i < models->size(); ++i) {
    const json& m = (*models)[i];
    const std::string path = std::string(source) + ": models[" + std::to_string(i) + "]";
    if (!m.is_object()) return InvalidRequestError(path + ": expected an object");
    static const char* const kKeys[] = {"id", "display_name", "tools", "json_mode", "json_schema", "streaming",
                                        "context_length", "max_output_tokens", "input_modalities",
                                        "output_modalities", "pricing", "params", "aliases", "notes"};
    for (auto it = m.begin(); it != m.end(); ++it) {
      if (std::find_if(std::begin(kKeys), std::end(kKeys), [&](const char* k) { return it.key() == k; }) == std::end(kKeys)) {
        return InvalidRequestError(path + "." + it.key() + ": unknown key");
      }
    }
    ModelRecord r;
    r.curated = true;
    const json* id = member(m, "id");
    if (id == nullptr || !id->is_string() || id->get<std::string>().empty()) return InvalidRequestError(path + ".id: required string");
    r.id = id->get<std::string>();
    auto need = [&](const char* key, bool ok) -> Status {
      return ok ? Status::Ok() : InvalidRequestError(path + "." + key + ": wrong type");
    };
    if (const json* v = member(m, "display_name")) { PLOKE_RETURN_IF_ERROR(need("display_name", v->is_string())); r.display_name.set(v->get<std::string>(), C); }
    for (auto [key, field] : {std::pair<const char*, Field<bool>*>{"tools", &r.tools}, {"json_mode", &r.json_mode},
                              {"json_schema", &r.json_schema}, {"streaming", &r.streaming}}) {
      if (const json* v = member(m, key)) { PLOKE_RETURN_IF_ERROR(need(key, v->is_boolean())); field->set(v->get<bool>(), C); }
    }
    for (auto [key, field] : {std::pair<const char*, Field<uint64_t>*>{"context_length", &r.context_length},
                              {"max_output_tokens", &r.max_output_tokens}}) {
      if (const json* v = member(m, key)) {
        auto c = count_of(*v);
        PLOKE_RETURN_IF_ERROR(need(key, c.has_value()));
        field->set(*c, C);
      }
    }
    for (auto [key, field] : {std::pair<const char*, Field<std::vector<std::string>>*>{"input_modalities", &r.input_modalities},
                              {"output_modalities", &r.output_modalities}}) {
      if (const json* v = member(m, key)) { PLOKE_RETURN_IF_ERROR(need(key, v->is_array())); field->set(strings_of(*v), C); }
    }
    if (const json* p = member(m, "pricing")) {
      PLOKE_RETURN_IF_ERROR(need("pricing", p->is_object()));
      for (auto it = p->begin(); it != p->end(); ++it) {
        Field<double>* f = it.key() == "prompt" ? &r.pricing.prompt : it.key() == "completion" ? &r.pricing.completion
                         : it.key() == "request" ? &r.pricing.request : it.key() == "cache_read" ? &r.pricing.cache_read
                         : it.key() == "cache_write" ? &r.pricing.cache_write : nullptr;
        if (f == nullptr) return InvalidRequestError(path + ".pricing." + it.key() + ": unknown key");
        auto d = number_of(it.value());
        if (!d || *d < 0) return InvalidRequestError(path + ".pricing." + it.key() + ": expected a non-negative price (USD per token)");
        f->set(*d, C);
      }
    }
    if (const json* p = member(m, "params")) { PLOKE_RETURN_IF_ERROR(need("params", p->is_object())); r.params_json = p->dump(); }
    if (const json* a = member(m, "aliases")) { PLOKE_RETURN_IF_ERROR(need("aliases", a->is_array())); r.aliases = strings_of(*a); }
    out.push_back(std::move(r));
  }
  return out;
}

Catalog::Catalog(std::vector<ModelRecord> curated, std::vector<ModelRecord> discovered) {
  std::map<std::string, size_t> at;
  merged_.reserve(curated.size() + discovered.size());
  for (ModelRecord& c : curated) {
    if (at.count(c.id)) continue;  // first curated entry wins
    at.emplace(c.id, merged_.size());
    merged_.push_back(std::move(c));
  }
  for (ModelRecord& d : discovered) {
    auto it = at.find(d.id);
    if (it != at.end()) {
      if (merged_[it->second].curated) merge(merged_[it->second], d);
      continue;
    }
    at.emplace(d.id, merged_.size());
    merged_.push_back(std::move(d));
  }
  std::sort(merged_.begin(), merged_.end(), [](const ModelRecord& a, const ModelRecord& b) { return a.id < b.id; });
}

const ModelRecord* Catalog::find(std::string_view id) const {
  auto it = std::lower_bound(merged_.begin(), merged_.end(), id,
                             [](const ModelRecord& r, std::string_view k) { return r.id < k; });
  if (it != merged_.end() && it->id == id) return &*it;
  for (const ModelRecord& r : merged_) {
    if (std::find(r.aliases.begin(), r.aliases.end(), id) != r.aliases.end()) return &r;
  }
  return nullptr;
}

std::vector<const ModelRecord*> Catalog::search(const std::vector<std::string>& words) const {
  std::vector<std::string> ws;
  for (const auto& w : words) if (!w.empty()) ws.push_back(ascii_lower(w));
  std::vector<const ModelRecord*> out;
  for (const ModelRecord& r : merged_) {
    std::string hay = ascii_lower(r.id) + "\n" + ascii_lower(r.display_name.value);
    for (const auto& a : r.aliases) hay += "\n" + ascii_lower(a);
    if (std::all_of(ws.begin(), ws.end(), [&](const std::string& w) { return hay.find(w) != std::string::npos; })) {
      out.push_back(&r);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const ModelRecord* a, const ModelRecord* b) { return a->curated > b->curated; });
  return out;
}

size_t Catalog::curated_count() const {
  return static_cast<size_t>(std::count_if(merged_.begin(), merged_.end(), [](const ModelRecord& r) { return r.curated; }));
}

size_t Catalog::discovered_count() const {
  return static_cast<size_t>(std::count_if(merged_.begin(), merged_.end(), [](const ModelRecord& r) { return r.discovered; }));
}

std::string record_to_json(const ModelRecord& r) { return record_json(r).dump(); }
std::string endpoint_to_json(const EndpointRecord& e) { return endpoint_json_value(e).dump(); }

std::string cache_to_json(const CatalogCache& c) {
  json j = json::object();
  j["version"] = 1;
  if (c.last_refresh) {
    j["last_refresh_unix_ms"] =
        std::chrono::duration_cast<std::chrono::milliseconds>(c.last_refresh->time_since_epoch()).count();
  } else {
    j["last_refresh_unix_ms"] = nullptr;
  }
  j["discovery_count"] = c.discovery_count;
  j["refresh_count"] = c.refresh_count;
  j["source_url"] = c.source_url;
  json models = json::array();
  for (const auto& r : c.discovered) models.push_back(record_json(r));
  j["discovered"] = std::move(models);
  json eps = json::object();
  for (const auto& [id, list] : c.endpoints) {
    json a = json::array();
    for (const auto& e : list) a.push_back(endpoint_json_value(e));
    eps[id] = std::move(a);
  }
  j["endpoints"] = std::move(eps);
  return j.dump(1);
}

Result<CatalogCache> cache_from_json(std::string_view text, std::string_view source) {
  PLOKE_ASSIGN_OR_RETURN(const json doc, parse_doc(text, source, StatusCode::kInvalidRequest));
  const std::string src(source);
  if (!doc.is_object()) return InvalidRequestError(src + ": expected a JSON object");
  if (doc.value("version", 0) != 1) return InvalidRequestError(src + ": version: expected 1");
  CatalogCache c;
  if (const json* t = member(doc, "last_refresh_unix_ms")) {
    if (!t->is_number_integer()) return InvalidRequestError(src + ": last_refresh_unix_ms: expected an integer");
    c.last_refresh = SystemTime(std::chrono::duration_cast<Duration>(std::chrono::milliseconds(t->get<int64_t>())));
  }
  if (const json* n = member(doc, "discovery_count")) c.discovery_count = count_of(*n).value_or(0);
  if (const json* n = member(doc, "refresh_count")) c.refresh_count = count_of(*n).value_or(0);
  if (const json* s = member(doc, "source_url"); s && s->is_string()) c.source_url = s->get<std::string>();
  const json* models = member(doc, "discovered");
  if (models == nullptr || !models->is_array()) return InvalidRequestError(src + ": discovered: expected an array");
  std::string err;
  for (size_t i = 0; i < models->size(); ++i) {
    c.discovered.push_back(record_from_json((*models)[i], "discovered[" + std::to_string(i) + "]", err));
    if (!err.empty()) return InvalidRequestError(src + ": " + err);
  }
  if (const json* eps = member(doc, "endpoints")) {
    if (!eps->is_object()) return InvalidRequestError(src + ": endpoints: expected an object");
    for (auto it = eps->begin(); it != eps->end(); ++it) {
      if (!it.value().is_array()) return InvalidRequestError(src + ": endpoints." + it.key() + ": expected an array");
      auto& list = c.endpoints[it.key()];
      for (const json& e : it.value()) list.push_back(endpoint_from_json(e));
    }
  }
  return c;
}

Status save_cache(const std::string& path, const CatalogCache& cache) {
  return ploke::write_file_atomic(path, cache_to_json(cache));
}

Result<CatalogCache> load_cache(const std::string& path) {
  Result<std::string> text = ploke::read_file(path);
  if (!text.ok()) {
    // A missing file is an empty cache.
    if (text.status().code() == StatusCode::kNotFound) return CatalogCache{};
    return text.status();
  }
  return cache_from_json(*text, path);
}

}  // namespace ploke::catalog
