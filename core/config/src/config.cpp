// Config: the file's location, built-ins, parse_config / load_config and parameter
// resolution (see ploke/config/config.h). Parsing is in toml_parser.cpp, parse_sections.cpp
// and parse_routing.cpp; validation in validate.cpp; rendering and saving in render.cpp.
#include "ploke/config/config.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>

#include "config_internal.h"
#include "ploke/core/file_io.h"
#include "toml_parser.h"

namespace ploke::config {

const Profile* Config::active() const {
  auto it = profiles.find(active_profile);
  return it == profiles.end() ? nullptr : &it->second;
}

Status LoadResult::status() const { return errors.to_status(); }

EnvLookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

EnvLookup fixed_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string default_config_path(const EnvLookup& env) {
  auto xdg = env("XDG_CONFIG_HOME");
  if (xdg && !xdg->empty()) return *xdg + "/ploke-sim/config.toml";
  auto home = env("HOME");
  return (home ? *home : std::string(".")) + "/.config/ploke-sim/config.toml";
}

std::string config_path(const std::string& explicit_path, const EnvLookup& env) {
  if (!explicit_path.empty()) return explicit_path;
  auto v = env("PLOKE_SIM_CONFIG");
  if (v && !v->empty()) return *v;
  return default_config_path(env);
}

const std::vector<std::string>& builtin_policy_names() {
  // The names resilience::Router registers (config_routing_edit_test checks they agree).
  static const std::vector<std::string> names = {"cost", "latency", "pinned", "reliability", "throughput", "weighted"};
  return names;
}

std::map<std::string, Preset> builtin_presets() {
  std::map<std::string, Preset> m;
  Preset creative{"creative", "more varied wording", {}, true};
  creative.params.temperature = 1.0;
  creative.params.top_p = 0.95;
  Preset precise{"precise", "focused, repeatable answers", {}, true};
  precise.params.temperature = 0.2;
  precise.params.top_p = 0.9;
  Preset economical{"economical", "short answers, fewer tokens", {}, true};
  economical.params.temperature = 0.5;
  economical.params.max_tokens = 512;
  m["creative"] = creative;
  m["precise"] = precise;
  m["economical"] = economical;
  return m;
}

std::map<std::string, ProviderConfig> builtin_providers() {
  std::map<std::string, ProviderConfig> m;
  m["openai"] = {"openai", "openai", "https://api.openai.com/v1", "", {}, true};
  m["openrouter"] = {"openrouter", "openrouter", "https://openrouter.ai/api/v1", "", {}, true};
  m["anthropic"] = {"anthropic", "anthropic", "https://api.anthropic.com/v1", "", {}, true};
  return m;
}

LoadResult parse_config(std::string_view text, std::string_view source, const LoadOptions& options) {
  LoadResult r;
  EnvLookup env = options.env ? options.env : process_env();
  r.path = std::string(source);
  r.config.source = std::string(source);
  r.config.providers = builtin_providers();
  r.config.presets = builtin_presets();
  internal::Parser p(std::string(source), r, env);
  try {
    toml::table root = toml::parse(text, source);
    p.parse(root);
  } catch (const toml::parse_error& e) {
    // toml++ says "Error while parsing X: ..."; read as "syntax error while parsing X: ...".
    std::string what(e.description());
    if (what.rfind("Error while ", 0) == 0) what = "syntax error while " + what.substr(12);
    else what = "syntax error: " + what;
    r.errors.add(internal::config_error(std::string(source), e.source().begin.line, e.source().begin.column, "", what));
    return r;  // nothing else can be trusted
  }
  Config& c = r.config;
  c.active_profile = c.file_active_profile;
  c.ledger_path = c.file_ledger_path;
  p.apply_env();
  if (const Profile* prof = c.active()) {
    if (c.default_model.empty() && !prof->model.empty()) c.default_model = prof->model;
    if (c.default_preset.empty() && !prof->preset.empty()) c.default_preset = prof->preset;
  }
  if (c.default_model.empty()) c.default_model = c.file_default_model;
  if (c.default_preset.empty()) c.default_preset = c.file_default_preset;
  if (c.ledger_path.empty()) c.ledger_path = c.file_ledger_path;
  internal::check_refs(r);
  if (options.catalog) r.errors.merge(validate(c, *options.catalog));
  auto& list = r.errors.mutable_list();
  std::stable_sort(list.begin(), list.end(), [](const FieldError& a, const FieldError& b) {
    if (a.file != b.file) return a.file < b.file;
    if (a.line != b.line) return a.line < b.line;
    return a.column < b.column;
  });
  return r;
}

LoadResult load_config(const LoadOptions& options) {
  EnvLookup env = options.env ? options.env : process_env();
  const std::string path = config_path(options.explicit_path, env);
  auto text = read_file(path);
  if (!text.ok()) {
    const bool explicit_file = !options.explicit_path.empty() || env("PLOKE_SIM_CONFIG").has_value();
    if (text.status().code() == StatusCode::kNotFound && !explicit_file) {
      LoadResult r = parse_config("", "", options);  // built-ins + env only
      r.path.clear();
      return r;
    }
    LoadResult r;
    r.path = path;
    r.errors.add(internal::config_error(path, 0, 0, "", "cannot read: " + text.status().message()));
    return r;
  }
  LoadResult r = parse_config(*text, path, options);
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    for (const auto& [name, cs] : r.config.credentials) {
      if (!cs.key.empty()) {
        r.warnings.push_back(path + ": holds an inline key (credentials." + name + ".key) but is readable by others; chmod 600 it");
        break;
      }
    }
  }
  return r;
}

Result<ResolvedParams> resolve_params(const Config& c, std::string_view model, std::string_view preset,
                                      const Params& request) {
  ResolvedParams r;
  overlay_from(r, c.params, "global");
  if (const Profile* prof = c.active()) overlay_from(r, prof->params, "profile:" + prof->name);
  {
    // Env params carry their variable name as the source.
    Params one;
    auto env_layer = [&r](const Params& p, const char* var) { overlay_from(r, p, std::string("env:") + var); };
    one = {}; one.temperature = c.env_params.temperature; env_layer(one, "PLOKE_SIM_TEMPERATURE");
    one = {}; one.top_p = c.env_params.top_p; env_layer(one, "PLOKE_SIM_TOP_P");
    one = {}; one.max_tokens = c.env_params.max_tokens; env_layer(one, "PLOKE_SIM_MAX_TOKENS");
    one = {}; one.timeout_ms = c.env_params.timeout_ms; env_layer(one, "PLOKE_SIM_TIMEOUT_MS");
  }
  const ModelConfig* mc = internal::find_model(c, model);
  const std::string provider = mc ? mc->provider : "openrouter";
  auto pit = c.providers.find(provider);
  if (pit != c.providers.end()) overlay_from(r, pit->second.params, "provider:" + provider);
  if (mc) overlay_from(r, mc->params, "model:" + mc->name);
  std::string pname(preset);
  if (pname.empty() && mc) pname = mc->preset;
  if (pname.empty()) pname = c.default_preset;
  if (!pname.empty()) {
    auto it = c.presets.find(pname);
    if (it == c.presets.end()) return Status(StatusCode::kNotFound, "unknown preset '" + pname + "'");
    overlay_from(r, it->second.params, "preset:" + pname);
  }
  overlay_from(r, request, "request");
  return r;
}

}  // namespace ploke::config
