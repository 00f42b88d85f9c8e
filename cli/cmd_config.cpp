// ploke-sim config validate | config show | model use ID [--dry-run] | provider profile [NAME]
// (ploke::config; see core/config/README.md).
//
//   config validate [--config F]      exit 2 listing every error as file:line:col: path: message
//   config show [--config F] [--resolve MODEL [--preset P]]
//                                     the file's settings (keys redacted), the active profile,
//                                     env overrides in effect; --resolve prints the effective
//                                     parameters of MODEL with the layer each came from
//   model use ID [--dry-run] [--preset P] [--timeout-ms N]
//                                     checks: the model is known, a key resolves for its
//                                     provider, the parameters fit its capabilities, the
//                                     provider's base URL accepts a TCP connection within N ms,
//                                     and (when the ledger exists) no "stop" budget is exhausted;
//                                     it also prints a cost forecast from the catalog prices.
//                                     Without --dry-run and when every check passes, it makes
//                                     ID the config's default_model (atomic save).
//   provider profile [NAME]           shows the active profile (and the others), or switches
//                                     to NAME (atomic save)
//
// Saving is a text-preserving edit (ploke/config/edit.h): only the changed key lines are
// replaced (or appended); comments, layout and inline key lines are kept byte for byte;
// atomic; refused when the edited file would not be valid. Exit codes: 0 ok, 1 a check
// failed, 2 usage or bad config.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "commands.h"
#include "ploke/catalog/catalog.h"
#include "ploke/config/config.h"
#include "ploke/config/credentials.h"
#include "ploke/config/edit.h"
#include "ploke/core/clock.h"
#include "ploke/core/secret.h"
#include "ploke/ledger/ledger.h"
#include "reachable.h"
#include "usage_report.h"

namespace ploke::cli {
namespace {

namespace cfg = ploke::config;

std::string cache_path(const ConfigArgs& a) {
  if (!a.cache.empty()) return a.cache;
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  std::string base = xdg && *xdg ? std::string(xdg) : std::string(home ? home : ".") + "/.cache";
  return base + "/ploke-sim/models-cache.json";
}

// Built-in curated entries plus the discovered pool from the models cache (if any).
catalog::Catalog load_catalog(const ConfigArgs& a) {
  auto curated = catalog::parse_curated(catalog::builtin_curated_json(), "builtin curated.json");
  std::vector<catalog::ModelRecord> discovered;
  auto cache = catalog::load_cache(cache_path(a));
  if (cache.ok()) discovered = std::move(cache->discovered);
  else std::fprintf(stderr, "warning: models cache: %s (using curated models only)\n", cache.status().message().c_str());
  return catalog::Catalog(curated.ok() ? std::move(curated).value() : std::vector<catalog::ModelRecord>{},
                          std::move(discovered));
}

cfg::LoadResult load(const ConfigArgs& a, const catalog::Catalog* cat) {
  cfg::LoadOptions o;
  o.explicit_path = a.config;
  o.env = cfg::process_env();
  o.catalog = cat;
  return cfg::load_config(o);
}

void print_warnings(const cfg::LoadResult& r) {
  for (const auto& w : r.warnings) std::fprintf(stderr, "warning: %s\n", redact_secrets(w).c_str());
}

// Prints every error; returns kExitUsage.
int report_errors(const cfg::LoadResult& r) {
  std::fprintf(stderr, "%s\n", redact_secrets(r.status().message()).c_str());
  return kExitUsage;
}

// Saves the changed root keys with a text-preserving edit (ploke/config/edit.h): only
// those lines change; comments, layout and any inline key lines stay byte for byte (so
// nothing has to be redacted, and nothing is lost). Atomic; refused if the result is invalid.
int save(const ConfigArgs& a, const cfg::LoadResult& r, const std::vector<cfg::ConfigEdit>& edits, const char* what) {
  const std::string path = r.path.empty() ? cfg::config_path(a.config, cfg::process_env()) : r.path;
  cfg::LoadOptions lo;
  lo.explicit_path = a.config;
  lo.env = cfg::process_env();
  auto res = cfg::edit_config_file(path, edits, lo, {a.with_keys});
  if (!res.ok()) {
    std::fprintf(stderr, "ploke-sim %s: %s\n", what, redact_secrets(res.status().message()).c_str());
    return res.status().code() == StatusCode::kInvalidRequest ? kExitUsage : kExitFailed;
  }
  if (!a.json) std::printf("saved %s\n", path.c_str());  // --json: stdout is the JSON alone
  return kExitOk;
}

using OJson = nlohmann::ordered_json;

// `config validate --json`: {"ok","file","counts":{…},"warnings":[…],"errors":[{"file","line","column","path","message"}]}.
int validate_json(const cfg::LoadResult& r) {
  const auto& c = r.config;
  OJson errors = OJson::array();
  for (const auto& e : r.errors) {
    errors.push_back({{"file", e.file.empty() ? r.path : e.file}, {"line", e.line}, {"column", e.column},
                      {"path", e.path}, {"message", redact_secrets(e.message)}});
  }
  OJson warnings = OJson::array();
  for (const auto& w : r.warnings) warnings.push_back(redact_secrets(w));
  OJson j = {{"ok", r.ok()},
             {"file", r.path.empty() ? OJson(nullptr) : OJson(r.path)},
             {"counts", {{"providers", c.providers.size()}, {"models", c.models.size()}, {"presets", c.presets.size()},
                         {"profiles", c.profiles.size()}, {"credentials", c.credentials.size()},
                         {"budgets", c.budgets.size()}}},
             {"warnings", std::move(warnings)},
             {"errors", std::move(errors)}};
  std::printf("%s\n", j.dump(2).c_str());
  return r.ok() ? kExitOk : kExitUsage;
}

// `config show --json`: the header facts and the file's settings as one object (keys
// redacted); with --resolve, "resolved": the effective parameters' lines.
int show_json(const ConfigArgs& a, const cfg::LoadResult& r) {
  const auto& c = r.config;
  OJson presets = OJson::array();
  for (const auto& kv : c.presets) presets.push_back({{"name", kv.first}, {"builtin", kv.second.builtin}});
  auto opt = [](const std::string& v) { return v.empty() ? OJson(nullptr) : OJson(v); };
  OJson j = {{"file", opt(r.path)},
             {"active_profile", opt(c.active_profile)},
             {"default_model", opt(c.default_model)},
             {"default_preset", opt(c.default_preset)},
             {"env_overrides", c.env_overrides_applied},
             {"presets", std::move(presets)},
             {"config", OJson::parse(cfg::render_config_json(c))}};
  if (!a.resolve.empty()) {
    auto p = cfg::resolve_params(c, a.resolve, a.preset);
    if (!p.ok()) {
      std::fprintf(stderr, "ploke-sim config show: %s\n", p.status().message().c_str());
      return kExitUsage;
    }
    OJson lines = OJson::array();
    std::string text = redact_secrets(cfg::render_resolved(*p));
    for (size_t pos = 0, nl; pos < text.size(); pos = nl + 1) {
      nl = text.find('\n', pos);
      if (nl == std::string::npos) nl = text.size();
      if (nl > pos) lines.push_back(text.substr(pos, nl - pos));
    }
    j["resolved"] = {{"model", a.resolve}, {"lines", std::move(lines)}};
  }
  std::printf("%s\n", j.dump(2).c_str());
  return kExitOk;
}

int cmd_validate(const ConfigArgs& a) {
  auto cat = load_catalog(a);
  auto r = load(a, &cat);
  if (a.json) return validate_json(r);
  print_warnings(r);
  if (!r.ok()) return report_errors(r);
  const auto& c = r.config;
  std::printf("config OK: %s (%zu providers, %zu models, %zu presets, %zu profiles, %zu credentials, %zu budgets)\n",
              r.path.empty() ? "(no file; built-in defaults)" : r.path.c_str(), c.providers.size(), c.models.size(),
              c.presets.size(), c.profiles.size(), c.credentials.size(), c.budgets.size());
  return kExitOk;
}

int cmd_show(const ConfigArgs& a) {
  auto cat = load_catalog(a);
  auto r = load(a, &cat);
  print_warnings(r);
  if (!r.ok()) return report_errors(r);
  if (a.json) return show_json(a, r);
  const auto& c = r.config;
  std::printf("# file: %s\n", r.path.empty() ? "(none)" : r.path.c_str());
  std::printf("# active profile: %s\n", c.active_profile.empty() ? "(none)" : c.active_profile.c_str());
  std::printf("# default model: %s, default preset: %s\n", c.default_model.empty() ? "(none)" : c.default_model.c_str(),
              c.default_preset.empty() ? "(none)" : c.default_preset.c_str());
  std::string env;
  for (const auto& e : c.env_overrides_applied) env += (env.empty() ? "" : ", ") + e;
  std::printf("# environment overrides: %s\n", env.empty() ? "(none)" : env.c_str());
  std::string presets;
  for (const auto& kv : c.presets) presets += (presets.empty() ? "" : ", ") + kv.first + (kv.second.builtin ? " (built-in)" : "");
  std::printf("# presets: %s\n", presets.c_str());
  if (!a.resolve.empty()) {
    auto p = cfg::resolve_params(c, a.resolve, a.preset);
    if (!p.ok()) {
      std::fprintf(stderr, "ploke-sim config show: %s\n", p.status().message().c_str());
      return kExitUsage;
    }
    std::printf("# effective parameters for %s (request > preset > model > provider > global):\n", a.resolve.c_str());
    std::string lines = cfg::render_resolved(*p);
    std::printf("%s", redact_secrets(lines).c_str());
    return kExitOk;
  }
  // Never keys: show is for screens, logs and bug reports.
  std::printf("%s", cfg::render_config(c, {false}).c_str());
  return kExitOk;
}

// The model `model use` names: its catalog id and provider, the catalog record (null for
// a custom provider's model) and the provider's config.
struct ModelChoice {
  std::string id, provider;
  const catalog::ModelRecord* rec = nullptr;
  const cfg::ProviderConfig* provider_config = nullptr;
};

// Known model (config or catalog; a custom provider's may be neither), known preset,
// known provider; the first that fails is printed and its exit code returned.
std::optional<int> choose_model(const ConfigArgs& a, const cfg::Config& c, const catalog::Catalog& cat, ModelChoice& m) {
  auto mit = c.models.find(a.model);
  m.id = mit != c.models.end() ? mit->second.id : a.model;
  m.provider = mit != c.models.end() ? mit->second.provider : "openrouter";
  m.rec = cat.find(m.id);
  auto pit = c.providers.find(m.provider);
  if (!m.rec && !(pit != c.providers.end() && pit->second.kind == "custom")) {
    std::fprintf(stderr, "ploke-sim model use: unknown model '%s' (not in the config or the catalog; see `ploke-sim models search`)\n",
                 a.model.c_str());
    return kExitUsage;
  }
  if (!a.preset.empty() && !c.presets.count(a.preset)) {
    std::fprintf(stderr, "ploke-sim model use: unknown preset '%s'\n", a.preset.c_str());
    return kExitUsage;
  }
  if (pit == c.providers.end()) {
    std::fprintf(stderr, "ploke-sim model use: unknown provider '%s'\n", m.provider.c_str());
    return kExitUsage;
  }
  m.provider_config = &pit->second;
  return std::nullopt;
}

// What `model use` found, check by check: printed as "name:  text" lines, or as JSON.
struct UseChecks {
  struct Item {
    std::string name, text;
    bool ok = true;
  };
  std::vector<Item> items;
  bool add(std::string name, bool ok, std::string text) {
    items.push_back({std::move(name), std::move(text), ok});
    return ok;
  }
};

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, f);
  std::vsnprintf(buf, sizeof buf, f, ap);
  va_end(ap);
  return buf;
}

bool check_key(UseChecks& out, const cfg::Config& c, const std::string& provider, Clock& clock) {
  auto key = cfg::resolve_provider_key(c, provider, cfg::process_env(), clock);
  if (!key.ok()) return out.add("key", false, "FAILED: " + redact_secrets(key.status().message()));
  return out.add("key", true, "ok (" + key->source + (key->credential.empty() ? "" : ", credential ") + key->credential + ")");
}

const char* known_yes_no(const catalog::Field<bool>& t) { return t.known() ? (t.value ? "yes" : "no") : "unknown"; }

bool check_capabilities(UseChecks& out, const ConfigArgs& a, const cfg::Config& c, const catalog::Catalog& cat,
                        const catalog::ModelRecord* rec) {
  if (!rec) return out.add("capabilities", true, "unknown (custom provider, not in the catalog)");
  auto errs = cfg::check_model(c, cat, a.model, a.preset, "model use");
  for (const auto& e : errs) out.add("capabilities", false, "FAILED: " + e.to_string());
  if (!errs.empty()) return false;
  return out.add("capabilities", true, fmt("ok (tools %s, json %s, streaming %s)", known_yes_no(rec->tools),
                                           known_yes_no(rec->json_mode), known_yes_no(rec->streaming)));
}

// The catalog's price of `rec` (unknown parts 0), or nullopt when neither token price is known.
std::optional<ledger::PriceRecord> known_price(const catalog::ModelRecord* rec) {
  if (!rec || !(rec->pricing.prompt.known() || rec->pricing.completion.known())) return std::nullopt;
  ledger::PriceRecord price;
  price.prompt = rec->pricing.prompt.known() ? rec->pricing.prompt.value : 0;
  price.completion = rec->pricing.completion.known() ? rec->pricing.completion.value : 0;
  price.request = rec->pricing.request.known() ? rec->pricing.request.value : 0;
  return price;
}

// Against an existing ledger only (a dry run creates nothing): whether a "stop" budget
// refuses `expected_usd` more for the provider and the active profile.
bool check_budget(UseChecks& out, const cfg::Config& c, const std::string& provider, double expected_usd, Clock& clock) {
  const std::string lpath = c.ledger_path.empty() ? default_ledger_path() : c.ledger_path;
  if (c.budgets.empty() || ::access(lpath.c_str(), F_OK) != 0) return true;
  auto l = ledger::Ledger::open(lpath, clock);
  if (!l.ok()) return true;
  std::vector<ledger::Budget> budgets;
  for (const auto& b : c.budgets) budgets.push_back({b.scope, b.name, b.period, b.limit_usd, b.action});
  (void)(*l)->set_budgets(budgets);
  auto check = (*l)->check_budget(provider, c.active_profile, expected_usd);
  for (const auto& w : check.warnings) out.add("budget", true, "warning: " + w);
  if (!check.allowed) return out.add("budget", false, "FAILED: " + check.blocked_by + " (action stop)");
  if (check.remaining_usd >= 1e299) {
    return out.add("budget", true, "ok (no budget applies to " + provider + " / profile " +
                                       (c.active_profile.empty() ? "-" : c.active_profile) + ")");
  }
  return out.add("budget", true, fmt("ok ($%.4f remaining)", check.remaining_usd));
}

// The cost forecast for 1000 prompt tokens and up to the resolved max_tokens (1000 when
// unset), then the budget check with the expected cost. True when nothing refuses.
bool forecast_and_check_budget(UseChecks& out, const ConfigArgs& a, const cfg::Config& c, const ModelChoice& m,
                               Clock& clock) {
  const std::optional<ledger::PriceRecord> price = known_price(m.rec);
  if (!price) return true;
  auto rp = cfg::resolve_params(c, a.model, a.preset);
  const uint64_t max_out = rp.ok() && rp->values.max_tokens ? static_cast<uint64_t>(*rp->values.max_tokens) : 1000;
  const double expected = ledger::cost_of(*price, {1000, max_out / 2, 0, 0});
  out.add("forecast", true,
          fmt("$%.6f expected, $%.6f max for 1000 prompt + up to %llu output tokens ($%.2f / $%.2f per M tokens)",
              expected, ledger::cost_of(*price, {1000, max_out, 0, 0}), static_cast<unsigned long long>(max_out),
              price->prompt * 1e6, price->completion * 1e6));
  return check_budget(out, c, m.provider, expected, clock);
}

bool check_reachable(UseChecks& out, const std::string& base_url, int timeout_ms) {
  std::string detail;
  const bool ok = reachable(base_url, timeout_ms, detail);
  return out.add("reachable", ok, std::string(ok ? "ok" : "FAILED") + ": " + base_url + " (" + detail + ")");
}

// `model use` text (one "name: text" line per check, then the result) or, with --json,
// {"model","id","provider","profile","checks":[{"check","ok","detail"}],"ok","result"}.
void print_model_use(const ConfigArgs& a, const cfg::Config& c, const ModelChoice& m, const UseChecks& checks,
                     const std::string& result) {
  const std::string profile = c.active_profile.empty() ? "(none)" : c.active_profile;
  const std::string id = m.rec ? m.rec->id : m.id;
  bool ok = true;
  for (const auto& i : checks.items) ok = ok && i.ok;
  if (!a.json) {
    std::printf("%-14s%s (%s) via provider %s, profile %s\n", "model:", a.model.c_str(), id.c_str(), m.provider.c_str(),
                profile.c_str());
    for (const auto& i : checks.items) std::printf("%-14s%s\n", (i.name + ":").c_str(), i.text.c_str());
    std::printf("%-14s%s\n", "result:", result.c_str());
    return;
  }
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& i : checks.items) list.push_back({{"check", i.name}, {"ok", i.ok}, {"detail", i.text}});
  const nlohmann::ordered_json j = {{"model", a.model}, {"id", id}, {"provider", m.provider},
                                    {"profile", c.active_profile.empty() ? nlohmann::ordered_json(nullptr)
                                                                         : nlohmann::ordered_json(c.active_profile)},
                                    {"checks", std::move(list)}, {"ok", ok}, {"result", result}};
  std::printf("%s\n", j.dump(2).c_str());
}

int cmd_model_use(const ConfigArgs& a) {
  auto cat = load_catalog(a);
  auto r = load(a, &cat);
  if (!a.json) print_warnings(r);
  if (!r.ok()) return report_errors(r);
  const cfg::Config& c = r.config;
  ModelChoice m;
  if (auto rc = choose_model(a, c, cat, m)) return *rc;
  RealClock clock;
  UseChecks checks;
  bool all_ok = check_key(checks, c, m.provider, clock);
  all_ok = check_capabilities(checks, a, c, cat, m.rec) && all_ok;
  all_ok = forecast_and_check_budget(checks, a, c, m, clock) && all_ok;
  all_ok = check_reachable(checks, m.provider_config->base_url, a.timeout_ms) && all_ok;
  if (!all_ok) {
    print_model_use(a, c, m, checks, "not switching: fix the failed checks above");
    return kExitFailed;
  }
  if (a.dry_run) {
    print_model_use(a, c, m, checks, "ok (dry run: nothing changed)");
    return kExitOk;
  }
  std::vector<cfg::ConfigEdit> edits{{{}, "default_model", cfg::toml_string(a.model)}};
  if (!a.preset.empty()) edits.push_back({{}, "default_preset", cfg::toml_string(a.preset)});
  const int rc = save(a, r, edits, "model use");
  print_model_use(a, c, m, checks, rc == kExitOk ? "ok (switched)" : "not switched: the config could not be saved");
  return rc;
}

// `provider profile --json`: {"active_profile","from_env","profiles":[{"name","active","model","preset","credentials"}]}.
void print_profiles_json(const cfg::Config& c, const std::string& active, bool from_env) {
  auto opt = [](const std::string& v) { return v.empty() ? OJson(nullptr) : OJson(v); };
  OJson profiles = OJson::array();
  for (const auto& [name, p] : c.profiles) {
    OJson creds = OJson::object();
    for (const auto& [prov, cred] : p.credentials) creds[prov] = cred;
    profiles.push_back({{"name", name}, {"active", name == active}, {"model", opt(p.model)},
                        {"preset", opt(p.preset)}, {"credentials", std::move(creds)}});
  }
  const OJson j = {{"active_profile", opt(active)}, {"from_env", from_env}, {"profiles", std::move(profiles)}};
  std::printf("%s\n", j.dump(2).c_str());
}

int cmd_profile(const ConfigArgs& a) {
  auto r = load(a, nullptr);
  print_warnings(r);
  if (!r.ok()) return report_errors(r);
  cfg::Config& c = r.config;
  if (a.profile.empty()) {
    const bool from_env = c.active_profile != c.file_active_profile;
    if (a.json) {
      print_profiles_json(c, c.active_profile, from_env);
      return kExitOk;
    }
    std::printf("active profile: %s%s\n", c.active_profile.empty() ? "(none)" : c.active_profile.c_str(),
                from_env ? " (from PLOKE_SIM_PROFILE)" : "");
    for (const auto& [name, p] : c.profiles) {
      std::string creds;
      for (const auto& [prov, cred] : p.credentials) creds += (creds.empty() ? "" : ", ") + prov + "=" + cred;
      std::printf("%s %s  model=%s preset=%s credentials: %s\n", name == c.active_profile ? "*" : " ", name.c_str(),
                  p.model.empty() ? "-" : p.model.c_str(), p.preset.empty() ? "-" : p.preset.c_str(),
                  creds.empty() ? "-" : creds.c_str());
    }
    return kExitOk;
  }
  if (!c.profiles.count(a.profile)) {
    std::string known;
    for (const auto& kv : c.profiles) known += (known.empty() ? "" : ", ") + kv.first;
    std::fprintf(stderr, "ploke-sim provider profile: unknown profile '%s' (defined: %s)\n", a.profile.c_str(),
                 known.empty() ? "none" : known.c_str());
    return kExitUsage;
  }
  int rc = save(a, r, {{{}, "active_profile", cfg::toml_string(a.profile)}}, "provider profile");
  if (rc == kExitOk && a.json) print_profiles_json(c, a.profile, false);
  else if (rc == kExitOk) std::printf("active profile: %s\n", a.profile.c_str());
  return rc;
}

}  // namespace

void add_config_commands(CLI::App& app, ConfigArgs& args) {
  auto common = [&args](CLI::App* sc) {
    sc->add_option("--config", args.config, "Config file (default $PLOKE_SIM_CONFIG, else $XDG_CONFIG_HOME/ploke-sim/config.toml)");
  };
  auto* c = app.add_subcommand("config", "The TOML configuration: validate it, show it (keys redacted)");
  c->require_subcommand(1);
  auto* v = c->add_subcommand("validate", "Check the config file; exit 2 listing every error with its path");
  common(v);
  v->add_option("--cache", args.cache, "Models cache for capability checks (default $XDG_CACHE_HOME/ploke-sim/models-cache.json)");
  v->add_flag("--json", args.json, "Print the verdict, counts, warnings and every error as JSON");
  v->callback([&args] { args.action = "validate"; });
  auto* s = c->add_subcommand("show", "Print the config (keys redacted), the active profile and env overrides");
  common(s);
  s->add_option("--cache", args.cache, "Models cache");
  s->add_option("--resolve", args.resolve, "Print the effective parameters for this model, with their sources");
  s->add_option("--preset", args.preset, "Preset for --resolve");
  s->add_flag("--json", args.json, "Print the same as JSON (the settings as an object; keys redacted)");
  s->callback([&args] { args.action = "show"; });

  auto* m = app.add_subcommand("model", "Switch the default model (with checks)");
  m->require_subcommand(1);
  auto* u = m->add_subcommand("use", "Check keys, capabilities and reachability, then make ID the default model");
  common(u);
  u->add_option("id", args.model, "Model: a [models] name, catalog id or alias")->required();
  u->add_flag("--dry-run", args.dry_run, "Only run the checks; change nothing");
  u->add_flag("--json", args.json, "Print the checks and the result as JSON");
  u->add_option("--preset", args.preset, "Preset to check (and set as default)");
  u->add_option("--timeout-ms", args.timeout_ms, "Reachability timeout")->capture_default_str()->check(CLI::Range(1, 60000));
  u->add_option("--cache", args.cache, "Models cache");
  u->add_flag("--with-keys", args.with_keys, "Keep inline keys when saving");
  u->callback([&args] { args.action = "model-use"; });

  CLI::App* p = nullptr;
  try {
    p = app.get_subcommand("provider");  // another command may have added `provider …`
  } catch (const CLI::OptionNotFound&) {
    p = app.add_subcommand("provider", "Provider profiles and health");
  }
  auto* pr = p->add_subcommand("profile", "Show the active profile, or switch to NAME");
  common(pr);
  pr->add_option("name", args.profile, "Profile to activate");
  pr->add_flag("--with-keys", args.with_keys, "Keep inline keys when saving");
  pr->add_flag("--json", args.json, "Print the profiles and the active one as JSON (after a switch: the new state)");
  pr->callback([&args] { args.action = "profile"; });
}

int run_config(const ConfigArgs& args) {
  if (args.action == "validate") return cmd_validate(args);
  if (args.action == "show") return cmd_show(args);
  if (args.action == "model-use") return cmd_model_use(args);
  if (args.action == "profile") return cmd_profile(args);
  std::fprintf(stderr, "ploke-sim: unknown config action\n");
  return kExitUsage;
}

}  // namespace ploke::cli
