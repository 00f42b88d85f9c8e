// `ploke-sim models …`: the model catalog (ploke::catalog) from the command line.
//
//   models list [--curated|--discovered] [--json]   sections with counts and refresh age
//   models refresh [--base-url URL] [--json]        GET {URL}/models → the cache file
//   models search WORD…  [--json]                   every word in id / name / alias
//   models info ID [--base-url URL] [--offline] [--json]
//                                                   the record with each field's source,
//                                                   and its endpoints per provider
//   models promote ID [--as NAME] [--param K=V]… [--force] [--config FILE]
//                                                   adds [models."NAME"] (id, provider,
//                                                   params) to config.toml
// Files: cache --cache, default $XDG_CACHE_HOME/ploke-sim/models-cache.json (else
// ~/.cache/…); user config --config, default config.toml (--config > $PLOKE_SIM_CONFIG >
// $XDG_CONFIG_HOME/ploke-sim/config.toml), edited in place keeping comments (ploke/config/
// edit.h) and validated before the atomic write; --config FILE.json keeps the old
// models.json format for compatibility (an existing models.json is never touched otherwise). The API key (optional) comes from
// $OPENROUTER_API_KEY (--api-key-env) and is never printed.
// Exit codes: 0 ok; 1 a fetch failed; 2 usage or bad input (unknown id, refusal to
// overwrite a config entry without --force, an unreadable/invalid cache or config file —
// the message names the file).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "ploke/core/file_io.h"
#include "ploke/json/limits.h"
#include "ploke/adapters/http_transport.h"
#include "ploke/adapters/openrouter/catalog_reader.h"
#include "ploke/catalog/catalog.h"
#include "ploke/codec/cassette_json.h"
#include "ploke/config/config.h"
#include "ploke/config/edit.h"
#include "ploke/core/clock.h"
#include "ploke/core/secret.h"

namespace ploke::cli {
namespace {

using nlohmann::json;
namespace cat = ploke::catalog;
namespace cfg = ploke::config;

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

std::string home_dir(const char* xdg, const char* dot) {
  std::string base = env_or(xdg, "");
  if (base.empty()) base = env_or("HOME", ".") + "/" + dot;
  return base + "/ploke-sim";
}

std::string default_cache_path() { return home_dir("XDG_CACHE_HOME", ".cache") + "/models-cache.json"; }
// The old promote target (before config.toml took [models]); see cmd_promote.
std::string default_config_path() { return home_dir("XDG_CONFIG_HOME", ".config") + "/models.json"; }

std::string iso8601(SystemTime t) { return iso8601_utc(t); }

std::string age_text(Duration d) {
  const int64_t s = std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::seconds>(d).count());
  if (s < 120) return std::to_string(s) + "s";
  if (s < 7200) return std::to_string(s / 60) + "m";
  if (s < 172800) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

std::string per_million(const cat::Field<double>& f) {
  if (!f.known()) return "?";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", f.value * 1e6);
  return buf;
}

struct Loaded {
  cat::CatalogCache cache;
  cat::Catalog catalog;
  std::string cache_path;
};

// Loads the curated file and the cache; a bad file → exit 2 with its name.
int load(const ModelsArgs& a, Loaded& out) {
  out.cache_path = a.cache.empty() ? default_cache_path() : a.cache;
  std::string curated_text(cat::builtin_curated_json());
  std::string curated_name = "builtin curated.json";
  if (!a.curated_file.empty()) {
    auto t = ploke::read_file(a.curated_file);
    if (!t.ok()) {
      std::fprintf(stderr, "ploke-sim models: --curated-file: %s\n", t.status().message().c_str());
      return kExitUsage;
    }
    curated_text = std::move(*t);
    curated_name = a.curated_file;
  }
  auto curated = cat::parse_curated(curated_text, curated_name);
  if (!curated.ok()) {
    std::fprintf(stderr, "ploke-sim models: %s\n", curated.status().message().c_str());
    return kExitUsage;
  }
  auto cache = cat::load_cache(out.cache_path);
  if (!cache.ok()) {
    std::fprintf(stderr, "ploke-sim models: cache file %s: %s\n(delete it or run `ploke-sim models refresh`)\n",
                 out.cache_path.c_str(), cache.status().message().c_str());
    return kExitUsage;
  }
  out.cache = std::move(*cache);
  out.catalog = cat::Catalog(std::move(*curated), out.cache.discovered);
  return kExitOk;
}

// Creates the parent directory, then writes the cache atomically.
Status save(const Loaded& l) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(l.cache_path).parent_path(), ec);
  return cat::save_cache(l.cache_path, l.cache);
}

Result<HttpResponse> http_get(const ModelsArgs& a, const std::string& path) {
  RealClock clock;
  adapters::HttpTransport transport(clock);
  HttpRequest req;
  req.method = "GET";
  req.base_url = a.base_url;
  while (!req.base_url.empty() && req.base_url.back() == '/') req.base_url.pop_back();
  req.path = path;
  req.headers.add("Accept", "application/json");
  if (const char* key = std::getenv(a.api_key_env.c_str()); key != nullptr && *key != '\0') {
    const Secret secret(key);
    req.headers.add("Authorization", "Bearer " + secret.reveal());
  }
  CallOptions opts;
  opts.connect_timeout = std::chrono::seconds(10);
  opts.total_timeout = std::chrono::milliseconds(a.timeout_ms);
  auto r = send_and_wait(transport, clock, req, opts);
  if (!r.ok()) return r;
  if (r->status != 200) {
    std::string excerpt = redact_secrets(r->body.substr(0, 300));
    return Status(r->status == 404 ? StatusCode::kNotFound : StatusCode::kServerError,
                  "GET " + a.base_url + path + ": HTTP " + std::to_string(r->status) + ": " + excerpt);
  }
  return r;
}

void print_row(const cat::ModelRecord& m) {
  std::string caps;
  if (m.tools.known() && m.tools.value) caps += "tools ";
  if (m.json_schema.known() && m.json_schema.value) caps += "schema ";
  else if (m.json_mode.known() && m.json_mode.value) caps += "json ";
  if (m.input_modalities.known() &&
      std::find(m.input_modalities.value.begin(), m.input_modalities.value.end(), "image") != m.input_modalities.value.end()) {
    caps += "vision ";
  }
  std::printf("  %-44s ctx %-8s $%s/$%s per M  %s\n", m.id.c_str(),
              m.context_length.known() ? std::to_string(m.context_length.value).c_str() : "?",
              per_million(m.pricing.prompt).c_str(), per_million(m.pricing.completion).c_str(), caps.c_str());
}

json records_json(const std::vector<const cat::ModelRecord*>& v) {
  json a = json::array();
  for (const auto* r : v) a.push_back(json::parse(cat::record_to_json(*r)));
  return a;
}

int cmd_list(const ModelsArgs& a) {
  Loaded l;
  if (int rc = load(a, l); rc != kExitOk) return rc;
  std::vector<const cat::ModelRecord*> curated, discovered;
  for (const auto& m : l.catalog.models()) (m.curated ? curated : discovered).push_back(&m);
  RealClock clock;
  const bool show_curated = !a.discovered_only;
  const bool show_discovered = !a.curated_only;
  if (a.json) {
    json j = json::object();
    if (show_curated) j["curated"] = records_json(curated);
    if (show_discovered) j["discovered"] = records_json(discovered);
    j["last_refresh"] = l.cache.last_refresh ? json(iso8601(*l.cache.last_refresh)) : json(nullptr);
    j["refresh_age_s"] = l.cache.last_refresh
                             ? json(std::chrono::duration_cast<std::chrono::seconds>(clock.system_now() - *l.cache.last_refresh).count())
                             : json(nullptr);
    j["discovery_count"] = l.cache.discovery_count;
    j["refresh_count"] = l.cache.refresh_count;
    std::printf("%s\n", j.dump(2).c_str());
    return kExitOk;
  }
  if (show_curated) {
    std::printf("curated (%zu)\n", curated.size());
    for (const auto* m : curated) print_row(*m);
  }
  if (show_discovered) {
    if (show_curated) std::printf("\n");
    if (l.cache.last_refresh) {
      std::printf("discovered (%zu; %llu found by the last refresh %s ago, %s, from %s)\n", discovered.size(),
                  static_cast<unsigned long long>(l.cache.discovery_count),
                  age_text(clock.system_now() - *l.cache.last_refresh).c_str(), iso8601(*l.cache.last_refresh).c_str(),
                  l.cache.source_url.c_str());
    } else {
      std::printf("discovered (0; never refreshed: run `ploke-sim models refresh`)\n");
    }
    for (const auto* m : discovered) print_row(*m);
  }
  return kExitOk;
}

int cmd_refresh(const ModelsArgs& a) {
  Loaded l;
  if (int rc = load(a, l); rc != kExitOk) return rc;
  auto r = http_get(a, "/models");
  if (!r.ok()) {
    std::fprintf(stderr, "ploke-sim models refresh: %s\n", r.status().to_string().c_str());
    return kExitFailed;
  }
  cat::ParseStats st;
  auto models = ploke::adapters::openrouter::parse_openrouter_models(r->body, "GET " + a.base_url + "/models", &st);
  if (!models.ok()) {
    std::fprintf(stderr, "ploke-sim models refresh: %s\n", models.status().message().c_str());
    return kExitFailed;
  }
  RealClock clock;
  l.cache.discovered = std::move(*models);
  l.cache.last_refresh = clock.system_now();
  l.cache.discovery_count = st.models;
  l.cache.refresh_count += 1;
  l.cache.source_url = a.base_url;
  if (Status s = save(l); !s.ok()) {
    std::fprintf(stderr, "ploke-sim models refresh: %s\n", s.message().c_str());
    return kExitFailed;
  }
  if (a.json) {
    const json j{{"models", st.models}, {"skipped", st.skipped}, {"unreadable", st.warnings},
                 {"first_unreadable", st.first_warning.empty() ? json(nullptr) : json(st.first_warning)},
                 {"base_url", a.base_url}, {"cache", l.cache_path}};
    std::printf("%s\n", j.dump(2).c_str());
    return kExitOk;
  }
  std::printf("refreshed: %zu models from %s (%zu skipped, %zu unreadable values) -> %s\n", st.models,
              a.base_url.c_str(), st.skipped, st.warnings, l.cache_path.c_str());
  if (!st.first_warning.empty()) std::printf("  first unreadable value: %s\n", st.first_warning.c_str());
  return kExitOk;
}

int cmd_search(const ModelsArgs& a) {
  Loaded l;
  if (int rc = load(a, l); rc != kExitOk) return rc;
  auto hits = l.catalog.search(a.words);
  if (a.json) {
    const json j{{"words", a.words}, {"count", hits.size()}, {"models", records_json(hits)}};
    std::printf("%s\n", j.dump(2).c_str());
    return kExitOk;
  }
  std::printf("%zu match%s\n", hits.size(), hits.size() == 1 ? "" : "es");
  for (const auto* m : hits) {
    std::printf("%s", m->curated ? "*" : " ");
    print_row(*m);
  }
  return kExitOk;
}

// Loads the catalog and finds `a.id`; null with `rc` set (2) when a file is bad or the id unknown.
const cat::ModelRecord* load_model(const ModelsArgs& a, Loaded& l, const char* cmd, int& rc) {
  if (rc = load(a, l); rc != kExitOk) return nullptr;
  const cat::ModelRecord* m = l.catalog.find(a.id);
  if (m == nullptr) {
    std::fprintf(stderr, "ploke-sim models %s: unknown model '%s' (not curated, not in the cache %s; try `ploke-sim "
                         "models search` or `models refresh`)\n", cmd, a.id.c_str(), l.cache_path.c_str());
    rc = kExitUsage;
  }
  return m;
}

std::string encode_id(const std::string& id) {
  std::string o;
  for (char c : id) o += c == ':' ? std::string("%3A") : std::string(1, c);
  return o;
}

// The model's provider endpoints: fetched (and cached) unless --offline, else or on
// failure the cached ones. `note` says where they came from or what went wrong.
std::vector<cat::EndpointRecord> model_endpoints(const ModelsArgs& a, Loaded& l, const cat::ModelRecord& m,
                                                 std::string& note) {
  std::vector<cat::EndpointRecord> endpoints;
  if (!a.offline) {
    auto r = http_get(a, "/models/" + encode_id(m.id) + "/endpoints");
    if (r.ok()) {
      auto eps = ploke::adapters::openrouter::parse_openrouter_endpoints(r->body, "GET /models/" + m.id + "/endpoints");
      if (eps.ok()) {
        endpoints = std::move(*eps);
        l.cache.endpoints[m.id] = endpoints;
        if (Status s = save(l); !s.ok()) note = "(not cached: " + s.message() + ")";
      } else {
        note = "unreadable: " + eps.status().message();
      }
    } else {
      note = "fetch failed: " + r.status().message();
    }
  }
  if (endpoints.empty() && l.cache.endpoints.count(m.id)) {
    endpoints = l.cache.endpoints.at(m.id);
    note = note.empty() ? "(from the cache)" : "(from the cache; " + note + ")";
  }
  return endpoints;
}

std::string yes_no(const cat::Field<bool>& f) { return f.known() ? std::string(f.value ? "yes" : "no") : "?"; }
std::string count_text(const cat::Field<uint64_t>& f) { return f.known() ? std::to_string(f.value) : "?"; }
std::string list_text(const cat::Field<std::vector<std::string>>& f) {
  std::string s;
  for (const auto& x : f.value) s += (s.empty() ? "" : ",") + x;
  return f.known() ? s : "?";
}
std::string price_text(const cat::Field<double>& f) {
  if (!f.known()) return std::string("?");
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g/token ($%.4g per M)", f.value, f.value * 1e6);
  return std::string(buf);
}

// One field of the record with the source it came from.
void info_line(const char* name, const std::string& value, cat::Source s) {
  std::printf("  %-18s %-28s [%s]\n", name, value.c_str(), std::string(cat::source_name(s)).c_str());
}

void print_record(const cat::ModelRecord& m) {
  std::printf("%s%s\n", m.id.c_str(), m.curated ? " (curated)" : " (discovered)");
  info_line("name", m.display_name.value, m.display_name.source);
  info_line("tools", yes_no(m.tools), m.tools.source);
  info_line("json mode", yes_no(m.json_mode), m.json_mode.source);
  info_line("json schema", yes_no(m.json_schema), m.json_schema.source);
  info_line("streaming", yes_no(m.streaming), m.streaming.source);
  info_line("context length", count_text(m.context_length), m.context_length.source);
  info_line("max output", count_text(m.max_output_tokens), m.max_output_tokens.source);
  info_line("input modalities", list_text(m.input_modalities), m.input_modalities.source);
  info_line("output modalities", list_text(m.output_modalities), m.output_modalities.source);
  info_line("price prompt", price_text(m.pricing.prompt), m.pricing.prompt.source);
  info_line("price completion", price_text(m.pricing.completion), m.pricing.completion.source);
  info_line("price request", price_text(m.pricing.request), m.pricing.request.source);
  info_line("price cache read", price_text(m.pricing.cache_read), m.pricing.cache_read.source);
  info_line("price cache write", price_text(m.pricing.cache_write), m.pricing.cache_write.source);
}

void print_endpoints(const std::vector<cat::EndpointRecord>& endpoints, const std::string& note) {
  std::printf("endpoints (%zu)%s%s\n", endpoints.size(), note.empty() ? "" : " ", note.c_str());
  for (const auto& e : endpoints) {
    char up[32] = "?", lat[32] = "?";
    if (e.uptime_last_30m) std::snprintf(up, sizeof up, "%.1f%%", *e.uptime_last_30m);
    if (e.latency_p50_s) std::snprintf(lat, sizeof lat, "%.3fs", *e.latency_p50_s);
    std::printf("  %-18s %-18s quant %-8s tools %-3s $%.2f/$%.2f per M  uptime %-7s p50 %s\n", e.provider_name.c_str(),
                e.tag.c_str(), e.quantization.empty() ? "-" : e.quantization.c_str(), e.tools ? "yes" : "no",
                e.prompt_price.value_or(0) * 1e6, e.completion_price.value_or(0) * 1e6, up, lat);
  }
}

int cmd_info(const ModelsArgs& a) {
  Loaded l;
  int rc = kExitOk;
  const cat::ModelRecord* m = load_model(a, l, "info", rc);
  if (m == nullptr) return rc;
  std::string endpoints_note;
  const std::vector<cat::EndpointRecord> endpoints = model_endpoints(a, l, *m, endpoints_note);
  if (a.json) {
    json j = json::parse(cat::record_to_json(*m));
    json eps = json::array();
    for (const auto& e : endpoints) eps.push_back(json::parse(cat::endpoint_to_json(e)));
    j["endpoints"] = std::move(eps);
    if (!endpoints_note.empty()) j["endpoints_note"] = endpoints_note;
    std::printf("%s\n", j.dump(2).c_str());
    return kExitOk;
  }
  print_record(*m);
  print_endpoints(endpoints, endpoints_note);
  return kExitOk;
}

// JSON value → TOML value text for a config parameter; "" when it has no TOML form here.
std::string toml_value(const json& v) {
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number_float()) {
    char b[64];
    std::snprintf(b, sizeof b, "%.17g", v.get<double>());
    std::string t = b;
    // shortest round-trip text
    for (int prec = 1; prec <= 17; ++prec) {
      std::snprintf(b, sizeof b, "%.*g", prec, v.get<double>());
      if (std::strtod(b, nullptr) == v.get<double>()) {
        t = b;
        break;
      }
    }
    if (t.find_first_of(".eEn") == std::string::npos) t += ".0";
    return t;
  }
  if (v.is_string()) return cfg::toml_string(v.get<std::string>());
  if (v.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) {
      std::string e = toml_value(v[i]);
      if (e.empty() || v[i].is_array()) return "";
      out += (i ? ", " : "") + e;
    }
    return out + "]";
  }
  return "";
}

// Promotion into config.toml: [models."NAME"] id/provider and [models."NAME".params], as a
// text-preserving, validated, atomic edit (ploke/config/edit.h).
int promote_toml(const ModelsArgs& a, const Loaded& l, const cat::ModelRecord& m, const json& params) {
  cfg::LoadOptions lo;
  lo.explicit_path = a.config;
  lo.env = cfg::process_env();
  lo.catalog = &l.catalog;
  const std::string path = cfg::config_path(a.config, lo.env);
  cfg::LoadResult cur = cfg::load_config(lo);
  if (!cur.ok()) {
    std::fprintf(stderr, "ploke-sim models promote: config file %s: %s\n", path.c_str(),
                 redact_secrets(cur.status().message()).c_str());
    return kExitUsage;
  }
  const std::string name = a.as.empty() ? m.id : a.as;
  if (cur.config.models.count(name) && !a.force) {
    std::fprintf(stderr, "ploke-sim models promote: %s already has an entry '%s'; not overwriting it (use --force)\n",
                 path.c_str(), name.c_str());
    return kExitUsage;
  }
  std::vector<cfg::ConfigEdit> edits;
  edits.push_back({{"models", name}, "id", cfg::toml_string(m.id)});
  edits.push_back({{"models", name}, "provider", cfg::toml_string("openrouter")});
  // --force: parameters of the old entry that the new one does not set are removed.
  for (const char* k : {"temperature", "top_p", "max_tokens", "presence_penalty", "frequency_penalty", "seed", "tools",
                        "json_mode", "stream", "system_prompt", "stop", "timeout_ms"}) {
    if (!params.contains(k)) edits.push_back({{"models", name, "params"}, k, ""});
  }
  for (auto it = params.begin(); it != params.end(); ++it) {
    const std::string v = toml_value(it.value());
    if (v.empty()) {
      std::fprintf(stderr, "ploke-sim models promote: --param %s: the value has no TOML form (%s)\n", it.key().c_str(),
                   it.value().dump().c_str());
      return kExitUsage;
    }
    edits.push_back({{"models", name, "params"}, it.key(), v});
  }
  auto r = cfg::edit_config_file(path, edits, lo);
  if (!r.ok()) {
    std::fprintf(stderr, "ploke-sim models promote: %s\n", redact_secrets(r.status().message()).c_str());
    return r.status().code() == StatusCode::kInvalidRequest ? kExitUsage : kExitFailed;
  }
  std::printf("promoted %s as '%s' into %s\n", m.id.c_str(), name.c_str(), path.c_str());
  const std::string legacy = default_config_path();
  if (a.config.empty() && ::access(legacy.c_str(), F_OK) == 0) {
    std::printf("note: %s (the old promote target) is left as it was; promoted models now live in config.toml\n",
                legacy.c_str());
  }
  return kExitOk;
}

// --param KEY=VALUE (VALUE as JSON, else as a string) into `overrides`; an exit code on
// a malformed one.
std::optional<int> param_overrides(const ModelsArgs& a, json& overrides) {
  for (const std::string& kv : a.params) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "ploke-sim models promote: --param '%s': expected KEY=VALUE\n", kv.c_str());
      return kExitUsage;
    }
    json v = json::parse(kv.substr(eq + 1), nullptr, false);
    overrides[kv.substr(0, eq)] = v.is_discarded() ? json(kv.substr(eq + 1)) : v;
  }
  return std::nullopt;
}

// The curated parameters of `m` (an object, else none) with the overrides on top.
json promoted_params(const cat::ModelRecord& m, const json& overrides) {
  json params = m.params_json.empty() ? json::object() : json::parse(m.params_json, nullptr, false);
  if (!params.is_object()) params = json::object();
  for (auto it = overrides.begin(); it != overrides.end(); ++it) params[it.key()] = it.value();
  return params;
}

// The old models.json at `path` ({"version":1,"models":{}} when it does not exist); an
// exit code when it cannot be read or is not that shape.
std::optional<int> read_legacy_models(const std::string& path, json& doc) {
  doc = {{"version", 1}, {"models", json::object()}};
  auto text = ploke::read_file(path);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) return std::nullopt;
    std::fprintf(stderr, "ploke-sim models promote: config file %s: %s\n", path.c_str(), text.status().message().c_str());
    return kExitUsage;
  }
  if (Status st = ploke::json::check_json_limits(*text); !st.ok()) {
    std::fprintf(stderr, "ploke-sim models promote: config file %s: %s\n", path.c_str(), st.message().c_str());
    return kExitUsage;
  }
  try {
    doc = json::parse(*text);
  } catch (const json::parse_error& e) {
    std::fprintf(stderr, "ploke-sim models promote: config file %s: invalid JSON at byte %zu\n", path.c_str(), e.byte);
    return kExitUsage;
  } catch (const json::exception& e) {
    std::fprintf(stderr, "ploke-sim models promote: config file %s: invalid JSON: %s\n", path.c_str(), e.what());
    return kExitUsage;
  }
  if (!doc.is_object() || !doc.contains("models") || !doc["models"].is_object()) {
    std::fprintf(stderr, "ploke-sim models promote: config file %s: models: expected an object\n", path.c_str());
    return kExitUsage;
  }
  return std::nullopt;
}

// One models.json entry: OpenRouter connection, capabilities and prices from the record.
json legacy_entry(const cat::ModelRecord& m, json params) {
  json rec = json::parse(cat::record_to_json(m));
  json entry = json::object();
  entry["model"] = m.id;
  entry["provider_type"] = "openrouter";
  entry["base_url"] = "https://openrouter.ai/api/v1";
  entry["api_key_env"] = "OPENROUTER_API_KEY";
  entry["display_name"] = m.display_name.known() ? json(m.display_name.value) : json(m.id);
  json caps = json::object();
  for (const char* k : {"tools", "json_mode", "json_schema", "streaming", "context_length", "max_output_tokens",
                        "input_modalities", "output_modalities"}) {
    caps[k] = rec[k]["value"];
  }
  entry["capabilities"] = std::move(caps);
  json pricing = json::object();
  for (auto it = rec["pricing"].begin(); it != rec["pricing"].end(); ++it) pricing[it.key()] = it.value()["value"];
  entry["pricing_usd_per_token"] = std::move(pricing);
  entry["params"] = std::move(params);
  entry["promoted_from"] = m.curated ? "curated" : "discovered";
  RealClock clock;
  entry["promoted_at"] = iso8601(clock.system_now());
  return entry;
}

// Compatibility: --config FILE.json keeps writing the old models.json format.
int promote_legacy_json(const ModelsArgs& a, const cat::ModelRecord& m, const json& params) {
  const std::string path = a.config;
  json doc;
  if (auto rc = read_legacy_models(path, doc)) return *rc;
  const std::string name = a.as.empty() ? m.id : a.as;
  if (doc["models"].contains(name) && !a.force) {
    std::fprintf(stderr, "ploke-sim models promote: %s already has an entry '%s'; not overwriting it (use --force)\n",
                 path.c_str(), name.c_str());
    return kExitUsage;
  }
  doc["models"][name] = legacy_entry(m, params);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (Status s = ploke::write_file_atomic(path, doc.dump(2) + "\n"); !s.ok()) {
    std::fprintf(stderr, "ploke-sim models promote: %s\n", s.message().c_str());
    return kExitFailed;
  }
  std::printf("promoted %s as '%s' into %s\n", m.id.c_str(), name.c_str(), path.c_str());
  return kExitOk;
}

int cmd_promote(const ModelsArgs& a) {
  Loaded l;
  int rc = kExitOk;
  const cat::ModelRecord* m = load_model(a, l, "promote", rc);
  if (m == nullptr) return rc;
  json overrides = json::object();  // usage errors first
  if (auto bad = param_overrides(a, overrides)) return *bad;
  const bool legacy_json = a.config.size() > 5 && a.config.compare(a.config.size() - 5, 5, ".json") == 0;
  if (legacy_json) return promote_legacy_json(a, *m, promoted_params(*m, overrides));
  return promote_toml(a, l, *m, promoted_params(*m, overrides));
}

}  // namespace

CLI::App* add_models_command(CLI::App& app, ModelsArgs& args) {
  CLI::App* m = app.add_subcommand("models", "The model catalog: curated entries + models discovered from OpenRouter");
  m->require_subcommand(1);
  auto common = [&](CLI::App* s) {
    s->add_option("--cache", args.cache, "Catalog cache file (default $XDG_CACHE_HOME/ploke-sim/models-cache.json)");
    s->add_option("--curated-file", args.curated_file, "Curated data file instead of the built-in one");
  };
  auto net = [&](CLI::App* s) {
    s->add_option("--base-url", args.base_url, "OpenRouter-compatible base URL")->capture_default_str();
    s->add_option("--api-key-env", args.api_key_env, "Environment variable holding the (optional) API key")
        ->capture_default_str();
    s->add_option("--timeout-ms", args.timeout_ms, "Total timeout, ms")->capture_default_str()->check(CLI::Range(1, 86400000));
  };
  auto* list = m->add_subcommand("list", "List models in sections (curated, discovered) with counts and refresh age");
  common(list);
  auto* cur = list->add_flag("--curated", args.curated_only, "Only the curated section");
  list->add_flag("--discovered", args.discovered_only, "Only the discovered section")->excludes(cur);
  list->add_flag("--json", args.json, "JSON output");
  list->callback([&args] { args.action = "list"; });

  auto* refresh = m->add_subcommand("refresh", "Fetch {base-url}/models and store the discovered pool in the cache");
  common(refresh);
  net(refresh);
  refresh->add_flag("--json", args.json, "Print what was stored as JSON");
  refresh->callback([&args] { args.action = "refresh"; });

  auto* search = m->add_subcommand("search", "Models whose id, name or alias contains every word");
  common(search);
  search->add_option("words", args.words, "Words")->required();
  search->add_flag("--json", args.json, "Print the matches as JSON");
  search->callback([&args] { args.action = "search"; });

  auto* info = m->add_subcommand("info", "One model's record (with each field's source) and its endpoints per provider");
  common(info);
  net(info);
  info->add_option("id", args.id, "Model id or alias")->required();
  info->add_flag("--offline", args.offline, "Do not fetch endpoints (show cached ones)");
  info->add_flag("--json", args.json, "JSON output");
  info->callback([&args] { args.action = "info"; });

  auto* promote = m->add_subcommand("promote", "Copy a model into the user config (atomic; never overwrites without --force)");
  common(promote);
  promote->add_option("id", args.id, "Model id or alias")->required();
  promote->add_option("--config", args.config,
                      "config.toml to add [models.NAME] to (default $XDG_CONFIG_HOME/ploke-sim/config.toml); "
                      "a FILE.json gets the old models.json format");
  promote->add_option("--as", args.as, "Entry name (default: the model id)");
  promote->add_option("--param", args.params, "Override a parameter: KEY=VALUE (JSON value or text), repeatable");
  promote->add_flag("--force", args.force, "Overwrite an existing entry");
  promote->callback([&args] { args.action = "promote"; });
  return m;
}

std::vector<std::string> catalog_model_ids(const std::string& cache) {
  auto curated = cat::parse_curated(cat::builtin_curated_json(), "builtin curated.json");
  auto cached = cat::load_cache(cache.empty() ? default_cache_path() : cache);
  const cat::Catalog c(curated.ok() ? std::move(*curated) : std::vector<cat::ModelRecord>{},
                       cached.ok() ? std::move(cached->discovered) : std::vector<cat::ModelRecord>{});
  std::vector<std::string> ids;
  for (const auto& m : c.models()) ids.push_back(m.id);
  return ids;
}

int run_models(const ModelsArgs& args) {
  if (args.action == "list") return cmd_list(args);
  if (args.action == "refresh") return cmd_refresh(args);
  if (args.action == "search") return cmd_search(args);
  if (args.action == "info") return cmd_info(args);
  if (args.action == "promote") return cmd_promote(args);
  std::fprintf(stderr, "ploke-sim models: a subcommand is required (list, refresh, search, info, promote)\n");
  return kExitUsage;
}

}  // namespace ploke::cli
