// Validation: references inside the file and, against the model catalog, models,
// fallbacks and the capabilities each (model, preset) pairing needs.
#include <map>
#include <set>
#include <tuple>

#include "config_internal.h"

namespace ploke::config {
namespace internal {

const ModelConfig* find_model(const Config& c, std::string_view model) {
  auto it = c.models.find(std::string(model));
  return it == c.models.end() ? nullptr : &it->second;
}

FieldError config_error(std::string file, uint32_t line, uint32_t column, std::string path, const std::string& msg) {
  FieldError e = field_error(std::move(path), redact_secrets(msg));
  e.file = std::move(file);
  e.line = static_cast<int>(line);
  e.column = static_cast<int>(column);
  return e;
}

FieldError located_error(const Config& c, const std::string& path, const std::string& msg) {
  const bool env = path.rfind("env ", 0) == 0;
  uint32_t line = 0, column = 0;
  if (auto it = c.locations.find(path); it != c.locations.end()) std::tie(line, column) = it->second;
  return config_error(env ? "environment" : c.source, line, column, path, msg);
}

void check_refs(LoadResult& r) {
  const Config& c = r.config;
  auto error_at = [&r](const std::string& path, const std::string& msg) {
    r.errors.add(located_error(r.config, path, msg));
  };
  if (!c.file_active_profile.empty() && !c.profiles.count(c.file_active_profile)) {
    error_at("active_profile", "unknown profile '" + c.file_active_profile + "'");
  }
  if (!c.active_profile.empty() && c.active_profile != c.file_active_profile && !c.profiles.count(c.active_profile)) {
    r.errors.add(config_error("environment", 0, 0, "env PLOKE_SIM_PROFILE", "unknown profile '" + c.active_profile + "'"));
  }
  if (!c.file_default_preset.empty() && !c.presets.count(c.file_default_preset)) {
    error_at("default_preset", "unknown preset '" + c.file_default_preset + "'");
  }
  if (!c.default_preset.empty() && c.default_preset != c.file_default_preset && !c.presets.count(c.default_preset)) {
    bool from_profile = c.active() && c.active()->preset == c.default_preset;
    if (!from_profile) r.errors.add(config_error("environment", 0, 0, "env PLOKE_SIM_PRESET", "unknown preset '" + c.default_preset + "'"));
  }
  for (const auto& [name, pr] : c.providers) {
    if (!pr.credential.empty() && !c.credentials.count(pr.credential)) {
      error_at("providers." + name + ".credential", "unknown credential '" + pr.credential + "'");
    }
  }
  std::map<std::string, std::string> alias_owner;  // alias -> the model that claims it
  for (const auto& [name, m] : c.models) {
    if (!c.providers.count(m.provider)) error_at("models." + name + ".provider", "unknown provider '" + m.provider + "'");
    if (!m.preset.empty() && !c.presets.count(m.preset)) error_at("models." + name + ".preset", "unknown preset '" + m.preset + "'");
    for (size_t i = 0; i < m.deployments.size(); ++i) {
      const std::string& p = m.deployments[i].provider;
      const std::string at = "models." + name + ".deployments[" + std::to_string(i) + "].provider";
      if (!p.empty() && !c.providers.count(p)) error_at(at, "unknown provider '" + p + "'");
    }
    for (size_t i = 0; i < m.aliases.size(); ++i) {
      const std::string& a = m.aliases[i];
      const std::string at = "models." + name + ".aliases[" + std::to_string(i) + "]";
      if (c.models.count(a)) {
        error_at(at, "alias '" + a + "' is also a model name");
      } else if (auto [it, fresh] = alias_owner.emplace(a, name); !fresh) {
        error_at(at, "alias '" + a + "' is already an alias of models." + it->second);
      }
    }
  }
  for (const auto& [name, cs] : c.credentials) {
    if (!cs.provider.empty() && !c.providers.count(cs.provider)) {
      error_at("credentials." + name + ".provider", "unknown provider '" + cs.provider + "'");
    }
  }
  for (const auto& [name, pf] : c.profiles) {
    if (!pf.preset.empty() && !c.presets.count(pf.preset)) error_at("profiles." + name + ".preset", "unknown preset '" + pf.preset + "'");
    for (const auto& [prov, cred] : pf.credentials) {
      const std::string path = "profiles." + name + ".credentials." + prov;
      if (!c.providers.count(prov)) error_at(path, "unknown provider '" + prov + "'");
      auto it = c.credentials.find(cred);
      if (it == c.credentials.end()) {
        error_at(path, "unknown credential '" + cred + "'");
      } else if (!it->second.provider.empty() && it->second.provider != prov) {
        error_at(path, "credential '" + cred + "' is for provider " + it->second.provider + ", not " + prov);
      }
    }
  }
  for (size_t i = 0; i < c.budgets.size(); ++i) {
    const auto& b = c.budgets[i];
    const std::string path = "budgets[" + std::to_string(i) + "].name";
    if (b.scope == "provider" && !b.name.empty() && !c.providers.count(b.name)) error_at(path, "unknown provider '" + b.name + "'");
    if (b.scope == "profile" && !b.name.empty() && !c.profiles.count(b.name)) error_at(path, "unknown profile '" + b.name + "'");
  }
}


}  // namespace internal

namespace {

using internal::find_model;
using internal::located_error;

// Maps a ResolvedParams source layer to the field path of `param` in the file.
std::string layer_path(const std::string& layer, const std::string& param) {
  auto colon = layer.find(':');
  const std::string kind = layer.substr(0, colon), name = colon == std::string::npos ? "" : layer.substr(colon + 1);
  if (kind == "preset") return "presets." + name + "." + param;
  if (kind == "model") return "models." + name + ".params." + param;
  if (kind == "provider") return "providers." + name + ".params." + param;
  if (kind == "profile") return "profiles." + name + ".params." + param;
  if (kind == "env") return "env " + name;
  return "params." + param;
}

}  // namespace

FieldErrors validate(const Config& c, const catalog::Catalog& cat) {
  FieldErrors errs(kConfigErrorSource);
  std::set<std::string> seen;
  auto add = [&errs, &seen, &c](const std::string& path, const std::string& msg) {
    if (seen.insert(path + "\n" + msg).second) errs.add(located_error(c, path, msg));
  };
  // (model name or id, preset, where the pairing comes from)
  struct Use { std::string model, preset, via; };
  std::vector<Use> uses;
  for (const auto& [name, m] : c.models) uses.push_back({name, m.preset.empty() ? c.default_preset : m.preset, "models." + name});
  if (!c.default_model.empty()) uses.push_back({c.default_model, "", "default_model"});
  for (const auto& [name, pf] : c.profiles) {
    if (!pf.model.empty()) uses.push_back({pf.model, pf.preset, "profiles." + name});
  }
  for (const auto& [name, m] : c.models) {
    const auto* prov = c.providers.count(m.provider) ? &c.providers.at(m.provider) : nullptr;
    if (!cat.find(m.id) && !(prov && prov->kind == "custom")) {
      add(c.locations.count("models." + name + ".id") ? "models." + name + ".id" : "models." + name,
          "unknown model '" + m.id + "' (not in the catalog; run `ploke-sim models refresh` or use a custom provider)");
    }
  }
  for (size_t i = 0; i < c.routing.fallbacks.size(); ++i) {
    const std::string& f = c.routing.fallbacks[i];
    if (f.empty()) continue;  // not a string: reported by the parser
    const ModelConfig* mc = find_model(c, f);
    if (!mc && !cat.find(f)) {
      add(c.locations.count("routing.fallbacks[" + std::to_string(i) + "]") ? "routing.fallbacks[" + std::to_string(i) + "]"
                                                                             : "routing.fallbacks",
          "unknown model '" + f + "' (neither a [models] entry nor in the catalog)");
    }
  }
  for (const auto& u : uses) {
    for (const FieldError& e : check_model(c, cat, u.model, u.preset, u.via)) {
      if (seen.insert(e.path + "\n" + e.message).second) errs.add(e);
    }
  }
  return errs;
}

FieldErrors check_model(const Config& c, const catalog::Catalog& cat, std::string_view model,
                        std::string_view preset, std::string_view via_sv) {
  FieldErrors errs(kConfigErrorSource);
  const std::string via(via_sv);
  auto add = [&errs, &c](const std::string& path, const std::string& msg) {
    errs.add(located_error(c, path, msg));
  };
  const ModelConfig* mc = find_model(c, model);
  const std::string id = mc ? mc->id : std::string(model);
  const catalog::ModelRecord* rec = cat.find(id);
  if (!rec) {
    if (!mc) add(via == "default_model" ? via : via + (via.rfind("profiles.", 0) == 0 ? ".model" : ""),
                 "unknown model '" + std::string(model) + "'");
    return errs;
  }
  if (!preset.empty() && !c.presets.count(std::string(preset))) return errs;  // reported elsewhere
  auto rp = resolve_params(c, model, preset);
  if (!rp.ok()) return errs;
  const Params& v = rp->values;
  auto src = [&rp](const char* k) {
    auto it = rp->sources.find(k);
    return it == rp->sources.end() ? std::string("global") : it->second;
  };
  const std::string who = "model " + rec->id + " (" + via + (preset.empty() ? "" : ", preset " + std::string(preset)) + ")";
  if (v.tools.value_or(false) && rec->tools.known() && !rec->tools.value) {
    add(layer_path(src("tools"), "tools"), "tools = true, but " + who + " does not support tools");
  }
  if (v.json_mode.value_or(false) && rec->json_mode.known() && !rec->json_mode.value) {
    add(layer_path(src("json_mode"), "json_mode"), "json_mode = true, but " + who + " does not support JSON mode");
  }
  if (v.stream.value_or(false) && rec->streaming.known() && !rec->streaming.value) {
    add(layer_path(src("stream"), "stream"), "stream = true, but " + who + " does not support streaming");
  }
  if (v.max_tokens && rec->max_output_tokens.known() && rec->max_output_tokens.value > 0 &&
      static_cast<uint64_t>(*v.max_tokens) > rec->max_output_tokens.value) {
    add(layer_path(src("max_tokens"), "max_tokens"),
        "max_tokens = " + std::to_string(*v.max_tokens) + " exceeds " + who + "'s maximum output of " +
            std::to_string(rec->max_output_tokens.value));
  }
  return errs;
}

}  // namespace ploke::config
