// import_ploke_config(): ploke's config.toml → a ploke-sim Config. See
// ploke/config/ploke_import.h. toml++ stays in this file (exceptions caught here).
#include "ploke/config/ploke_import.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <utility>

#include <toml++/toml.h>

#include "ploke/config/credentials.h"
#include "ploke/core/field_errors.h"
#include "ploke/core/secret.h"

namespace ploke::config {
namespace ploke_toml {

constexpr const char* kOpenRouterUrl = "https://openrouter.ai/api/v1";

/// Where a ploke-sim setting came from in ploke's file (to name ploke's path in errors).
struct Origin {
  std::string path;
  uint32_t line = 0, column = 0;
};

std::string trim_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

std::string kind_of(std::string_view provider_type) {
  if (provider_type == "OpenRouter") return "openrouter";
  if (provider_type == "OpenAI") return "openai";
  if (provider_type == "Anthropic") return "anthropic";
  if (provider_type == "Custom") return "custom";
  return "";
}

std::string slug(std::string_view s) {
  std::string out;
  for (char c : s) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    out += keep ? c : (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : '-';
  }
  return out;
}

class Importer {
 public:
  Importer(std::string source, const PlokeImportOptions& options) : source_(std::move(source)), options_(options) {
    out.config.providers = builtin_providers();
    out.config.presets = builtin_presets();
    if (!options_.openrouter_base_url.empty()) {
      ProviderConfig& p = out.config.providers["openrouter"];
      p.base_url = trim_slash(options_.openrouter_base_url);
      p.builtin = false;
    }
  }
  void run(const toml::table& root);

  FieldErrors errors{kPlokeConfigErrorSource};
  PlokeImport out;
  std::map<std::string, Origin> origins;  ///< ploke-sim field path -> ploke's

 private:
  void error(const toml::node& at, const std::string& path, const std::string& msg);
  void note(const std::string& path, const std::string& msg) { out.notes.push_back(path + ": " + redact_secrets(msg)); }
  void origin(const std::string& sim_path, const toml::node& at, const std::string& path);
  const toml::table* table(const toml::node* n, const std::string& path);
  std::optional<std::string> str(const toml::node* n, const std::string& path);
  std::optional<double> num(const toml::node* n, const std::string& path);
  std::optional<int64_t> integer(const toml::node* n, const std::string& path);

  void provider_entries(const toml::table& registry);
  void provider_entry(const toml::table& e, const std::string& path);
  void model_entries(const toml::table& registry);
  void model_entry(const std::string& key, const toml::table& e, const std::string& path, const std::string& global);
  void params(const toml::table& t, const std::string& path, const std::string& model, Params& p);
  bool param(std::string_view key, const toml::node& v, const std::string& path, const std::string& sim, Params& p);
  std::string provider_for(const std::string& kind, const std::string& base_url, const toml::table& e,
                           const std::string& id, const std::string& path);
  bool add_model(ModelConfig m, const toml::node& at, const std::string& path);
  void add_alias(const std::string& model, const std::string& alias, const std::string& path);
  void registry_aliases(const toml::table& registry);
  void active_provider(const toml::table& registry);

  std::string source_;
  PlokeImportOptions options_;
  std::set<std::string> claimed_;  ///< model names and aliases in use
  std::map<std::string, std::string> pending_aliases_;  ///< model -> wire name
};

void Importer::error(const toml::node& at, const std::string& path, const std::string& msg) {
  FieldError e = field_error(path, redact_secrets(msg));
  e.file = source_;
  e.line = static_cast<int>(at.source().begin.line);
  e.column = static_cast<int>(at.source().begin.column);
  errors.add(std::move(e));
}

void Importer::origin(const std::string& sim_path, const toml::node& at, const std::string& path) {
  origins[sim_path] = {path, at.source().begin.line, at.source().begin.column};
}

const toml::table* Importer::table(const toml::node* n, const std::string& path) {
  if (!n) return nullptr;
  if (const auto* t = n->as_table()) return t;
  error(*n, path, "expected a table");
  return nullptr;
}

std::optional<std::string> Importer::str(const toml::node* n, const std::string& path) {
  if (!n) return std::nullopt;
  if (auto v = n->value<std::string>(); v && n->is_string()) return *v;
  error(*n, path, "expected a string");
  return std::nullopt;
}

std::optional<double> Importer::num(const toml::node* n, const std::string& path) {
  if (!n) return std::nullopt;
  if (n->is_number()) return n->value<double>();
  error(*n, path, "expected a number");
  return std::nullopt;
}

std::optional<int64_t> Importer::integer(const toml::node* n, const std::string& path) {
  if (!n) return std::nullopt;
  if (n->is_integer()) return n->value<int64_t>();
  error(*n, path, "expected an integer");
  return std::nullopt;
}

void Importer::run(const toml::table& root) {
  if (const toml::node* t = root.get("llm_timeout_secs")) {
    if (auto secs = integer(t, "llm_timeout_secs")) {
      out.config.params.timeout_ms = *secs * 1000;
      origin("params.timeout_ms", *t, "llm_timeout_secs");
    }
  }
  const toml::table* registry = table(root.get("registry"), "registry");
  if (!registry) return;
  provider_entries(*registry);
  model_entries(*registry);
  for (const auto& [model, wire] : pending_aliases_) add_alias(model, wire, "models." + model);
  registry_aliases(*registry);
  active_provider(*registry);
  if (out.config.models.empty()) note("registry", "no model entries ([[registry.providers]] or [registry.models]) found");
}

void Importer::provider_entries(const toml::table& registry) {
  const toml::node* n = registry.get("providers");
  if (!n) return;
  const toml::array* arr = n->as_array();
  if (!arr) {
    error(*n, "registry.providers", "expected an array of tables ([[registry.providers]])");
    return;
  }
  for (size_t i = 0; i < arr->size(); ++i) {
    const std::string path = index_path("registry.providers", i);
    if (const toml::table* e = table(arr->get(i), path)) provider_entry(*e, path);
  }
}

void Importer::provider_entry(const toml::table& e, const std::string& path) {
  const auto id = str(e.get("id"), path + ".id");
  const auto model = str(e.get("model"), path + ".model");
  const auto type = str(e.get("provider_type"), path + ".provider_type");
  const auto base = str(e.get("base_url"), path + ".base_url");
  const auto display = str(e.get("display_name"), path + ".display_name");
  if (!e.get("id")) error(e, path + ".id", "missing: every entry needs an id");
  if (!id) return;
  if (id->empty()) return error(*e.get("id"), path + ".id", "must not be empty");
  std::string kind = kind_of(type.value_or("OpenRouter"));
  if (kind.empty()) {
    return error(*e.get("provider_type"), path + ".provider_type",
                 "unknown provider type '" + *type + "' (expected OpenRouter, OpenAI, Anthropic or Custom)");
  }
  if (kind == "custom" && base.value_or("").empty()) {
    return error(e, path + ".base_url", "a Custom provider needs a base_url");
  }
  ModelConfig m;
  m.name = *id;
  m.id = model.value_or("moonshotai/kimi-k2");  // ploke's default model
  m.provider = provider_for(kind, base.value_or(""), e, *id, path);
  if (const toml::table* lp = table(e.get("llm_params"), path + ".llm_params")) params(*lp, path + ".llm_params", m.name, m.params);
  const std::string wire = m.id;
  if (display && !display->empty()) out.display_names.emplace(m.id, *display);
  if (add_model(std::move(m), e, path) && wire != *id) pending_aliases_.emplace(*id, wire);
}

// The ploke-sim provider for a ploke entry: the built-in one of its kind when the entry
// uses that provider's base URL (or none) and its conventional key variable; else a provider
// of its own (named after the first entry that needs it; shared by entries with the same
// kind, URL and key variable) reading its key from the entry's variable. A key written in
// ploke's file is never copied.
std::string Importer::provider_for(const std::string& kind, const std::string& base_url, const toml::table& e,
                                   const std::string& id, const std::string& path) {
  const auto env = str(e.get("api_key_env"), path + ".api_key_env");
  const std::string conventional = conventional_key_env(kind);
  const std::string var = env && !env->empty() ? *env : conventional;
  if (const auto key = str(e.get("api_key"), path + ".api_key"); key && !key->empty()) {
    note(path + ".api_key", "the key in the file was not copied; ploke-sim reads it from $" + var);
  }
  std::string url = trim_slash(base_url);
  if (kind != "custom" && (url.empty() || url == builtin_providers().at(kind).base_url)) {
    if (var == conventional) return kind;
    url = out.config.providers.at(kind).base_url;  // the built-in's (or --openrouter-base-url)
  }
  const std::string cred = var == conventional ? "" : "ploke-" + slug(var);
  for (const auto& [name, p] : out.config.providers) {
    if (name.rfind("ploke-", 0) == 0 && p.kind == kind && p.base_url == url && p.credential == cred) return name;
  }
  std::string name = "ploke-" + slug(id);
  for (int n = 2; out.config.providers.count(name); ++n) name = "ploke-" + slug(id) + "-" + std::to_string(n);
  out.config.providers[name] = {name, kind, url, cred, {}, false};
  if (!cred.empty()) out.config.credentials[cred] = {cred, "", var, "", "", 5000, Secret()};
  return name;
}

void Importer::params(const toml::table& t, const std::string& path, const std::string& model, Params& p) {
  for (auto&& [k, v] : t) {
    const std::string key(k.str());
    const std::string kp = path + "." + key;
    if (!param(key, v, kp, "models." + model + ".params", p)) {
      note(kp, "not imported (ploke-only or unknown setting)");
    }
  }
}

// One ploke parameter onto Params; false when ploke-sim has no such parameter.
bool Importer::param(std::string_view key, const toml::node& v, const std::string& path, const std::string& sim, Params& p) {
  auto number = [&](std::optional<double>& dst, const char* name) {
    if (auto x = num(&v, path)) dst = *x, origin(sim + "." + name, v, path);
    return true;
  };
  auto whole = [&](std::optional<int64_t>& dst, const char* name) {
    if (auto x = integer(&v, path)) dst = *x, origin(sim + "." + name, v, path);
    return true;
  };
  if (key == "temperature") return number(p.temperature, "temperature");
  if (key == "top_p") return number(p.top_p, "top_p");
  if (key == "presence_penalty") return number(p.presence_penalty, "presence_penalty");
  if (key == "frequency_penalty") return number(p.frequency_penalty, "frequency_penalty");
  if (key == "max_tokens") return whole(p.max_tokens, "max_tokens");
  if (key == "seed") return whole(p.seed, "seed");
  if (key == "system_prompt") {
    if (auto s = str(&v, path)) p.system_prompt = *s, origin(sim + ".system_prompt", v, path);
    return true;
  }
  if (key == "response_format") {
    if (auto s = str(&v, path); s && *s == "JsonObject") p.json_mode = true, origin(sim + ".json_mode", v, path);
    return true;
  }
  if (key != "stop_sequences" && key != "stop") return false;
  const toml::array* a = v.as_array();
  if (!a) return error(v, path, "expected an array of strings"), true;
  std::vector<std::string> stops;
  for (size_t i = 0; i < a->size(); ++i) {
    if (auto s = str(a->get(i), index_path(path, i))) stops.push_back(*s);
  }
  if (!stops.empty()) p.stop = std::move(stops), origin(sim + ".stop", v, path);
  return true;
}

void Importer::model_entries(const toml::table& registry) {
  const toml::table* models = table(registry.get("models"), "registry.models");
  if (!models) return;
  const auto global = str(registry.get("global_default_profile"), "registry.global_default_profile");
  for (auto&& [k, v] : *models) {
    const std::string key(k.str());
    const std::string path = "registry.models." + (key.find_first_of("./:\" ") == std::string::npos ? key : "\"" + key + "\"");
    const toml::table* e = table(&v, path);
    if (!e) continue;
    if (key.find('/') == std::string::npos) {
      error(v, path, "model key '" + key + "' is not author/slug");
      continue;
    }
    model_entry(key, *e, path, global.value_or(""));
  }
}

// [registry.models."author/slug"]: the default profile's params (else the global default
// profile's, when the model has one by that name) onto [models."author/slug"] on OpenRouter.
void Importer::model_entry(const std::string& key, const toml::table& e, const std::string& path, const std::string& global) {
  ModelConfig m;
  m.name = key;
  m.id = key;
  m.provider = "openrouter";
  auto profile = str(e.get("default_profile"), path + ".default_profile");
  const toml::table* profiles = table(e.get("profiles"), path + ".profiles");
  if (profiles) {
    if (!profile && !global.empty() && profiles->get(global)) profile = global;
    if (!profile && profiles->size() == 1) profile = std::string(profiles->begin()->first.str());
    for (auto&& [pk, pv] : *profiles) {
      const std::string name(pk.str());
      const std::string pp = path + ".profiles." + name;
      const toml::table* pt = table(&pv, pp);
      if (!pt) continue;
      if (profile && name == *profile) {
        if (const toml::table* params_t = table(pt->get("params"), pp + ".params")) params(*params_t, pp + ".params", key, m.params);
      } else {
        note(pp, "not imported (only the default profile's parameters become the model's)");
      }
    }
  }
  for (const char* k : {"allowed_routers", "selected_endpoints"}) {
    if (e.get(k)) note(path + "." + k, "not imported (the gateway's [routing] decides the route)");
  }
  add_model(std::move(m), e, path);
}

bool Importer::add_model(ModelConfig m, const toml::node& at, const std::string& path) {
  if (claimed_.count(m.name)) {
    note(path, "model name '" + m.name + "' is already imported; this entry is skipped");
    return false;
  }
  claimed_.insert(m.name);
  origin("models." + m.name, at, path);
  origin("models." + m.name + ".id", at, path);
  const std::string name = m.name;
  out.config.models.emplace(name, std::move(m));
  return true;
}

void Importer::add_alias(const std::string& model, const std::string& alias, const std::string& path) {
  auto it = out.config.models.find(model);
  if (it == out.config.models.end()) return note(path, "alias '" + alias + "' names an unknown model '" + model + "'");
  if (!claimed_.insert(alias).second) return note(path, "'" + alias + "' is already a model name or alias; not added");
  it->second.aliases.push_back(alias);
}

void Importer::registry_aliases(const toml::table& registry) {
  const toml::table* aliases = table(registry.get("aliases"), "registry.aliases");
  if (!aliases) return;
  for (auto&& [k, v] : *aliases) {
    const std::string path = "registry.aliases." + std::string(k.str());
    if (auto target = str(&v, path)) add_alias(*target, std::string(k.str()), path);
  }
}

void Importer::active_provider(const toml::table& registry) {
  const toml::node* n = registry.get("active_provider");
  const auto active = str(n, "registry.active_provider");
  if (!active) return;
  if (out.config.models.count(*active)) {
    out.config.file_default_model = out.config.default_model = *active;
    origin("default_model", *n, "registry.active_provider");
    return;
  }
  for (const auto& [name, m] : out.config.models) {
    if (std::find(m.aliases.begin(), m.aliases.end(), *active) == m.aliases.end()) continue;
    out.config.file_default_model = out.config.default_model = name;
    origin("default_model", *n, "registry.active_provider");
    return;
  }
  note("registry.active_provider", "'" + *active + "' is not an imported model; no default_model set");
}

// Re-reads the rendered config with ploke-sim's own parser: a value it would refuse (out of
// range, …) is reported under ploke's path and position.
void check_rendered(const Importer& im, FieldErrors& errors, const std::string& text, const std::string& source) {
  LoadOptions lo;
  lo.env = fixed_env({});
  const LoadResult r = parse_config(text, "imported config", lo);
  for (const FieldError& e : r.errors) {
    FieldError out = e;
    out.file = source;
    out.line = out.column = 0;
    auto it = im.origins.find(e.path);
    if (it != im.origins.end()) {
      out.path = it->second.path;
      out.line = static_cast<int>(it->second.line);
      out.column = static_cast<int>(it->second.column);
    }
    errors.add(std::move(out));
  }
}

}  // namespace ploke_toml

std::string default_ploke_config_path(const EnvLookup& env) {
  auto xdg = env("XDG_CONFIG_HOME");
  if (xdg && !xdg->empty()) return *xdg + "/ploke/config.toml";
  auto home = env("HOME");
  return (home ? *home : std::string(".")) + "/.config/ploke/config.toml";
}

Result<PlokeImport> import_ploke_config(std::string_view text, std::string_view source, const PlokeImportOptions& options) {
  ploke_toml::Importer im{std::string(source), options};
  try {
    toml::table root = toml::parse(text, source);
    im.run(root);
  } catch (const toml::parse_error& e) {
    std::string what(e.description());
    FieldError fe = field_error("", "syntax error: " + what);
    fe.file = std::string(source);
    fe.line = static_cast<int>(e.source().begin.line);
    fe.column = static_cast<int>(e.source().begin.column);
    im.errors.add(std::move(fe));
  }
  if (im.errors.empty()) ploke_toml::check_rendered(im, im.errors, render_ploke_import(im.out, source), std::string(source));
  if (!im.errors.empty()) return im.errors.to_status();
  return std::move(im.out);
}

std::string render_ploke_import(const PlokeImport& imported, std::string_view source) {
  std::string head = "# ploke-sim config imported from ploke's " + std::string(source) +
                     " (`ploke-sim ploke import`).\n"
                     "# Keys are never copied: each provider reads its key from an environment variable.\n\n";
  return head + render_config(imported.config, SaveOptions{false});
}

std::vector<catalog::ModelRecord> unknown_model_records(const PlokeImport& imported, const catalog::Catalog& cat) {
  std::vector<catalog::ModelRecord> out;
  std::set<std::string> seen;
  for (const auto& [name, m] : imported.config.models) {
    if (cat.find(m.id) || !seen.insert(m.id).second) continue;
    catalog::ModelRecord r;
    r.id = m.id;
    r.discovered = true;
    auto dn = imported.display_names.find(m.id);
    r.display_name.set(dn != imported.display_names.end() ? dn->second : m.id, catalog::Source::kDiscovered);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace ploke::config
