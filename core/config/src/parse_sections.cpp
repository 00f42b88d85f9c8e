// The Parser's sections: root keys, providers, models, presets, credentials, profiles,
// budgets (see toml_parser.h; [routing] is in parse_routing.cpp).
#include <algorithm>

#include "toml_parser.h"

namespace ploke::config::internal {
namespace {

const KeySet kTopKeys = {"active_profile", "default_model", "default_preset", "ledger", "params", "providers",
                         "models", "presets", "profiles", "credentials", "budgets", "routing", "shared", "plugins"};
const KeySet kProviderKeys = {"kind", "base_url", "credential", "params"};
const KeySet kModelKeys = {"id", "provider", "preset", "params", "aliases", "deployments"};
const KeySet kDeploymentKeys = {"provider", "id", "weight"};
const KeySet kProfileKeys = {"credentials", "model", "preset", "params"};
const KeySet kCredentialKeys = {"provider", "env", "file", "command", "command_timeout_ms", "key"};
const KeySet kBudgetKeys = {"scope", "name", "period", "limit_usd", "action"};
const KeySet kKinds = {"openai", "openrouter", "anthropic", "custom"};

}  // namespace

void Parser::parse(const toml::table& root) {
  unknown_keys(root, "", kTopKeys);
  root_scalars(root);
  each_entry(root, "providers", [this](const std::string& name, const toml::node& n) { provider(name, n); });
  each_entry(root, "models", [this](const std::string& name, const toml::node& n) { model(name, n); });
  each_entry(root, "presets", [this](const std::string& name, const toml::node& n) { preset(name, n); });
  each_entry(root, "credentials", [this](const std::string& name, const toml::node& n) { credential(name, n); });
  each_entry(root, "profiles", [this](const std::string& name, const toml::node& n) { profile(name, n); });
  if (auto* n = root.get("routing")) routing(*n);
  if (auto* n = root.get("shared")) shared(*n);
  if (auto* n = root.get("plugins")) plugins(*n);
  if (auto* n = root.get("budgets")) budgets(*n);
}

void Parser::root_scalars(const toml::table& root) {
  Config& c = out_.config;
  if (auto* n = root.get("active_profile")) if (auto v = str(*n, "active_profile")) c.file_active_profile = *v;
  if (auto* n = root.get("default_model")) if (auto v = str(*n, "default_model")) c.file_default_model = *v;
  if (auto* n = root.get("default_preset")) if (auto v = str(*n, "default_preset")) c.file_default_preset = *v;
  if (auto* n = root.get("ledger")) if (auto v = str(*n, "ledger")) c.file_ledger_path = expand(*v);
  if (auto* n = root.get("params")) c.params = params_table(*n, "params");
}

void Parser::provider(const std::string& name, const toml::node& n) {
  Config& c = out_.config;
  const std::string path = "providers." + name;
  ProviderConfig p;
  if (auto it = c.providers.find(name); it != c.providers.end()) p = it->second;  // a built-in: override
  p.name = name;
  p.builtin = false;
  const toml::table* pt = table(n, path);
  if (!pt) return;
  unknown_keys(*pt, path, kProviderKeys);
  if (auto* x = pt->get("kind")) {
    if (auto v = str(*x, path + ".kind")) {
      if (kKinds.count(*v)) p.kind = *v;
      else error(x->source(), path + ".kind", "unknown kind '" + *v + "' (openai, openrouter, anthropic, custom)");
    }
  }
  if (auto* x = pt->get("base_url")) {
    if (auto v = str(*x, path + ".base_url")) {
      if (v->rfind("http://", 0) != 0 && v->rfind("https://", 0) != 0) {
        error(x->source(), path + ".base_url", "expected an http:// or https:// URL");
      } else {
        p.base_url = *v;
      }
    }
  }
  if (auto* x = pt->get("credential")) if (auto v = str(*x, path + ".credential")) p.credential = *v;
  if (auto* x = pt->get("params")) p.params = params_table(*x, path + ".params");
  if (p.base_url.empty() && !pt->get("base_url")) error(n.source(), path + ".base_url", "missing (required for a new provider)");
  c.providers[name] = std::move(p);
}

void Parser::model(const std::string& name, const toml::node& n) {
  const std::string path = "models." + name;
  ModelConfig m;
  m.name = name;
  const toml::table* mt = table(n, path);
  if (!mt) return;
  unknown_keys(*mt, path, kModelKeys);
  if (auto* x = mt->get("id")) if (auto v = str(*x, path + ".id")) m.id = *v;
  if (auto* x = mt->get("provider")) if (auto v = str(*x, path + ".provider")) m.provider = *v;
  if (auto* x = mt->get("preset")) if (auto v = str(*x, path + ".preset")) m.preset = *v;
  if (auto* x = mt->get("params")) m.params = params_table(*x, path + ".params");
  if (auto* x = mt->get("aliases")) m.aliases = string_list(*x, path + ".aliases");
  if (auto* x = mt->get("deployments")) model_deployments(*x, path + ".deployments", m);
  if (!m.deployments.empty()) {
    if (m.id.empty()) m.id = m.deployments.front().id;
    if (m.provider.empty()) m.provider = m.deployments.front().provider;
  }
  if (m.id.empty()) m.id = name;
  if (m.provider.empty()) m.provider = "openrouter";
  out_.config.models[name] = std::move(m);
}

std::vector<std::string> Parser::string_list(const toml::node& n, const std::string& path) {
  std::vector<std::string> out;
  const toml::array* a = n.as_array();
  if (!a) {
    error(n.source(), path, "expected an array of strings, got " + type_name(n));
    return out;
  }
  for (size_t i = 0; i < a->size(); ++i) {
    if (auto v = str((*a)[i], path + "[" + std::to_string(i) + "]")) out.push_back(*v);
  }
  return out;
}

// deployments = [{ provider = "openai", id = "gpt-4o", weight = 2 }, …]
void Parser::model_deployments(const toml::node& n, const std::string& path, ModelConfig& m) {
  const toml::array* a = n.as_array();
  if (!a || a->empty()) {
    error(n.source(), path, "expected a non-empty array of { provider, id, weight } tables, got " + type_name(n));
    return;
  }
  for (size_t i = 0; i < a->size(); ++i) {
    const std::string at = path + "[" + std::to_string(i) + "]";
    const toml::table* t = table((*a)[i], at);
    if (!t) continue;
    unknown_keys(*t, at, kDeploymentKeys);
    ModelDeployment d;
    if (auto* x = t->get("provider")) if (auto v = str(*x, at + ".provider")) d.provider = *v;
    if (auto* x = t->get("id")) if (auto v = str(*x, at + ".id")) d.id = *v;
    if (auto* x = t->get("weight")) range(*x, at + ".weight", d.weight, 0, 1e6, true);
    if (d.provider.empty()) error((*a)[i].source(), at + ".provider", "missing");
    if (d.id.empty()) error((*a)[i].source(), at + ".id", "missing");
    m.deployments.push_back(std::move(d));
  }
}

void Parser::preset(const std::string& name, const toml::node& n) {
  const std::string path = "presets." + name;
  Preset p;
  p.name = name;
  const toml::table* pt = table(n, path);
  if (!pt) return;
  for (auto&& f : *pt) {
    const std::string k(f.first.str());
    if (k == "description") {
      if (auto v = str(f.second, path + ".description")) p.description = *v;
    } else if (!param(k, f.second, path + "." + k, p.params)) {
      error(f.first.source(), path + "." + k, "unknown key '" + k + "' (a preset holds description and parameters)");
    }
  }
  out_.config.presets[name] = std::move(p);  // replaces a built-in preset of the same name
}

void Parser::credential(const std::string& name, const toml::node& n) {
  const std::string path = "credentials." + name;
  CredentialSpec cs;
  cs.name = name;
  const toml::table* ct = table(n, path);
  if (!ct) return;
  unknown_keys(*ct, path, kCredentialKeys);
  if (auto* x = ct->get("provider")) if (auto v = str(*x, path + ".provider")) cs.provider = *v;
  if (auto* x = ct->get("env")) if (auto v = str(*x, path + ".env")) cs.env = *v;
  if (auto* x = ct->get("file")) if (auto v = str(*x, path + ".file")) cs.file = expand(*v);
  if (auto* x = ct->get("command")) if (auto v = str(*x, path + ".command")) cs.command = *v;
  if (auto* x = ct->get("command_timeout_ms")) {
    std::optional<int64_t> v;
    positive(*x, path + ".command_timeout_ms", v);
    if (v) cs.command_timeout_ms = static_cast<uint32_t>(std::min<int64_t>(*v, 600000));
  }
  if (auto* x = ct->get("key")) credential_key(*x, path + ".key", cs);
  if (cs.env.empty() && cs.file.empty() && cs.command.empty() && cs.key.empty() && !ct->get("key")) {
    error(n.source(), path, "no key source: set env, file, command or key");
  }
  out_.config.credentials[name] = std::move(cs);
}

// An inline key: kept as a Secret with a warning; the save placeholder counts as absent.
void Parser::credential_key(const toml::node& n, const std::string& path, CredentialSpec& cs) {
  auto v = str(n, path);
  if (!v) return;
  if (*v == kRedacted || v->empty()) {
    out_.warnings.push_back(path + ": redacted placeholder ignored (the key was not saved)");
  } else {
    cs.key = Secret(*v);
    out_.warnings.push_back(path + ": inline key in the config file; prefer env, file or command");
  }
}

void Parser::profile(const std::string& name, const toml::node& n) {
  const std::string path = "profiles." + name;
  Profile p;
  p.name = name;
  const toml::table* pt = table(n, path);
  if (!pt) return;
  unknown_keys(*pt, path, kProfileKeys);
  if (auto* x = pt->get("model")) if (auto v = str(*x, path + ".model")) p.model = *v;
  if (auto* x = pt->get("preset")) if (auto v = str(*x, path + ".preset")) p.preset = *v;
  if (auto* x = pt->get("params")) p.params = params_table(*x, path + ".params");
  if (auto* x = pt->get("credentials")) {
    if (const toml::table* ct = table(*x, path + ".credentials")) {
      for (auto&& e : *ct) {
        const std::string prov(e.first.str());
        if (auto v = str(e.second, path + ".credentials." + prov)) p.credentials[prov] = *v;
      }
    }
  }
  out_.config.profiles[name] = std::move(p);
}

void Parser::budgets(const toml::node& n) {
  note(n, "budgets");
  const toml::array* a = n.as_array();
  if (!a) {
    error(n.source(), "budgets", "expected an array of tables ([[budgets]]), got " + type_name(n));
    return;
  }
  for (size_t i = 0; i < a->size(); ++i) budget((*a)[i], "budgets[" + std::to_string(i) + "]");
}

void Parser::budget(const toml::node& n, const std::string& path) {
  const toml::table* bt = table(n, path);
  if (!bt) return;
  unknown_keys(*bt, path, kBudgetKeys);
  BudgetConfig b;
  if (auto* x = bt->get("scope")) {
    if (auto v = choice(*x, path + ".scope", {"global", "provider", "profile"}, "expected global, provider or profile")) b.scope = *v;
  }
  if (auto* x = bt->get("name")) if (auto v = str(*x, path + ".name")) b.name = *v;
  if (auto* x = bt->get("period")) {
    if (auto v = choice(*x, path + ".period", {"day", "month"}, "expected day or month")) b.period = *v;
  }
  if (auto* x = bt->get("action")) {
    if (auto v = choice(*x, path + ".action", {"warn", "stop"}, "expected warn or stop")) b.action = *v;
  }
  if (auto* x = bt->get("limit_usd")) {
    std::optional<double> v;
    range(*x, path + ".limit_usd", v, 0, 1e12);
    if (v) b.limit_usd = *v;
  } else {
    error(n.source(), path + ".limit_usd", "missing");
  }
  if (b.scope != "global" && b.name.empty()) error(n.source(), path + ".name", "missing (needed for scope " + b.scope + ")");
  out_.config.budgets.push_back(std::move(b));
}

}  // namespace ploke::config::internal
