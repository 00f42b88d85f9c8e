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
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "commands.h"
#include "ploke/catalog/catalog.h"
#include "ploke/config/config.h"
#include "ploke/config/credentials.h"
#include "ploke/config/edit.h"
#include "ploke/core/clock.h"
#include "ploke/core/secret.h"
#include "ploke/ledger/ledger.h"

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
  std::printf("saved %s\n", path.c_str());
  return kExitOk;
}

int cmd_validate(const ConfigArgs& a) {
  auto cat = load_catalog(a);
  auto r = load(a, &cat);
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

struct Url {
  std::string scheme, host, port;
};
bool parse_url(const std::string& url, Url& out) {
  auto p = url.find("://");
  if (p == std::string::npos) return false;
  out.scheme = url.substr(0, p);
  std::string rest = url.substr(p + 3);
  rest = rest.substr(0, rest.find('/'));
  auto at = rest.rfind('@');
  if (at != std::string::npos) rest = rest.substr(at + 1);
  auto colon = rest.rfind(':');
  if (colon != std::string::npos && rest.find(']') == std::string::npos) {
    out.host = rest.substr(0, colon);
    out.port = rest.substr(colon + 1);
  } else {
    out.host = rest;
    out.port = out.scheme == "https" ? "443" : "80";
  }
  return !out.host.empty();
}

// TCP connect with a timeout: proves DNS + routing + a listener, spends nothing.
bool reachable(const std::string& url, int timeout_ms, std::string& detail) {
  Url u;
  if (!parse_url(url, u)) {
    detail = "cannot parse URL";
    return false;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int g = getaddrinfo(u.host.c_str(), u.port.c_str(), &hints, &res);
  if (g != 0) {
    detail = u.host + ": " + gai_strerror(g);
    return false;
  }
  bool ok = false;
  detail = u.host + ":" + u.port + ": no address";
  for (addrinfo* ai = res; ai && !ok; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd pfd{fd, POLLOUT, 0};
      rc = poll(&pfd, 1, timeout_ms);
      if (rc == 1) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == 0) ok = true;
        else detail = u.host + ":" + u.port + ": " + std::strerror(err);
      } else {
        detail = u.host + ":" + u.port + ": no answer within " + std::to_string(timeout_ms) + " ms";
      }
    } else if (rc == 0) {
      ok = true;
    } else {
      detail = u.host + ":" + u.port + ": " + std::strerror(errno);
    }
    close(fd);
  }
  freeaddrinfo(res);
  if (ok) detail = u.host + ":" + u.port + " accepts connections";
  return ok;
}

int cmd_model_use(const ConfigArgs& a) {
  auto cat = load_catalog(a);
  auto r = load(a, &cat);
  print_warnings(r);
  if (!r.ok()) return report_errors(r);
  cfg::Config& c = r.config;
  auto mit = c.models.find(a.model);
  const std::string id = mit != c.models.end() ? mit->second.id : a.model;
  const std::string provider = mit != c.models.end() ? mit->second.provider : "openrouter";
  const catalog::ModelRecord* rec = cat.find(id);
  auto pit = c.providers.find(provider);
  if (!rec && !(pit != c.providers.end() && pit->second.kind == "custom")) {
    std::fprintf(stderr, "ploke-sim model use: unknown model '%s' (not in the config or the catalog; see `ploke-sim models search`)\n",
                 a.model.c_str());
    return kExitUsage;
  }
  if (!a.preset.empty() && !c.presets.count(a.preset)) {
    std::fprintf(stderr, "ploke-sim model use: unknown preset '%s'\n", a.preset.c_str());
    return kExitUsage;
  }
  if (pit == c.providers.end()) {
    std::fprintf(stderr, "ploke-sim model use: unknown provider '%s'\n", provider.c_str());
    return kExitUsage;
  }
  bool all_ok = true;
  std::printf("model:        %s (%s) via provider %s, profile %s\n", a.model.c_str(), rec ? rec->id.c_str() : id.c_str(),
              provider.c_str(), c.active_profile.empty() ? "(none)" : c.active_profile.c_str());
  RealClock clock;
  auto key = cfg::resolve_provider_key(c, provider, cfg::process_env(), clock);
  if (key.ok()) {
    std::printf("key:          ok (%s%s%s)\n", key->source.c_str(), key->credential.empty() ? "" : ", credential ",
                key->credential.c_str());
  } else {
    all_ok = false;
    std::printf("key:          FAILED: %s\n", redact_secrets(key.status().message()).c_str());
  }
  if (rec) {
    auto errs = cfg::check_model(c, cat, a.model, a.preset, "model use");
    if (errs.empty()) {
      std::printf("capabilities: ok (tools %s, json %s, streaming %s)\n",
                  rec->tools.known() ? (rec->tools.value ? "yes" : "no") : "unknown",
                  rec->json_mode.known() ? (rec->json_mode.value ? "yes" : "no") : "unknown",
                  rec->streaming.known() ? (rec->streaming.value ? "yes" : "no") : "unknown");
    } else {
      all_ok = false;
      for (const auto& e : errs) std::printf("capabilities: FAILED: %s\n", e.to_string().c_str());
    }
  } else {
    std::printf("capabilities: unknown (custom provider, not in the catalog)\n");
  }
  if (rec && (rec->pricing.prompt.known() || rec->pricing.completion.known())) {
    ledger::PriceRecord price;
    price.prompt = rec->pricing.prompt.known() ? rec->pricing.prompt.value : 0;
    price.completion = rec->pricing.completion.known() ? rec->pricing.completion.value : 0;
    price.request = rec->pricing.request.known() ? rec->pricing.request.value : 0;
    auto rp = cfg::resolve_params(c, a.model, a.preset);
    const uint64_t max_out = rp.ok() && rp->values.max_tokens ? static_cast<uint64_t>(*rp->values.max_tokens) : 1000;
    std::printf("forecast:     $%.6f expected, $%.6f max for 1000 prompt + up to %llu output tokens "
                "($%.2f / $%.2f per M tokens)\n",
                ledger::cost_of(price, {1000, max_out / 2, 0, 0}), ledger::cost_of(price, {1000, max_out, 0, 0}),
                static_cast<unsigned long long>(max_out), price.prompt * 1e6, price.completion * 1e6);
    // Budgets: only when a ledger already exists (nothing is created by a dry run).
    std::string lpath = c.ledger_path;
    if (lpath.empty()) {
      const char* xdg = std::getenv("XDG_DATA_HOME");
      const char* home = std::getenv("HOME");
      lpath = (xdg && *xdg ? std::string(xdg) : std::string(home ? home : ".") + "/.local/share") + "/ploke-sim/ledger.db";
    }
    if (!c.budgets.empty() && ::access(lpath.c_str(), F_OK) == 0) {
      auto l = ledger::Ledger::open(lpath, clock);
      if (l.ok()) {
        std::vector<ledger::Budget> budgets;
        for (const auto& b : c.budgets) budgets.push_back({b.scope, b.name, b.period, b.limit_usd, b.action});
        (void)(*l)->set_budgets(budgets);
        auto check = (*l)->check_budget(provider, c.active_profile, ledger::cost_of(price, {1000, max_out / 2, 0, 0}));
        for (const auto& w : check.warnings) std::printf("budget:       warning: %s\n", w.c_str());
        if (!check.allowed) {
          all_ok = false;
          std::printf("budget:       FAILED: %s (action stop)\n", check.blocked_by.c_str());
        } else if (check.remaining_usd >= 1e299) {
          std::printf("budget:       ok (no budget applies to %s / profile %s)\n", provider.c_str(),
                      c.active_profile.empty() ? "-" : c.active_profile.c_str());
        } else {
          std::printf("budget:       ok ($%.4f remaining)\n", check.remaining_usd);
        }
      }
    }
  }
  std::string detail;
  if (reachable(pit->second.base_url, a.timeout_ms, detail)) {
    std::printf("reachable:    ok: %s (%s)\n", pit->second.base_url.c_str(), detail.c_str());
  } else {
    all_ok = false;
    std::printf("reachable:    FAILED: %s (%s)\n", pit->second.base_url.c_str(), detail.c_str());
  }
  if (!all_ok) {
    std::printf("result:       not switching: fix the failed checks above\n");
    return kExitFailed;
  }
  if (a.dry_run) {
    std::printf("result:       ok (dry run: nothing changed)\n");
    return kExitOk;
  }
  std::vector<cfg::ConfigEdit> edits{{{}, "default_model", cfg::toml_string(a.model)}};
  if (!a.preset.empty()) edits.push_back({{}, "default_preset", cfg::toml_string(a.preset)});
  return save(a, r, edits, "model use");
}

int cmd_profile(const ConfigArgs& a) {
  auto r = load(a, nullptr);
  print_warnings(r);
  if (!r.ok()) return report_errors(r);
  cfg::Config& c = r.config;
  if (a.profile.empty()) {
    std::printf("active profile: %s%s\n", c.active_profile.empty() ? "(none)" : c.active_profile.c_str(),
                c.active_profile != c.file_active_profile ? " (from PLOKE_SIM_PROFILE)" : "");
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
  if (rc == kExitOk) std::printf("active profile: %s\n", a.profile.c_str());
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
  v->callback([&args] { args.action = "validate"; });
  auto* s = c->add_subcommand("show", "Print the config (keys redacted), the active profile and env overrides");
  common(s);
  s->add_option("--cache", args.cache, "Models cache");
  s->add_option("--resolve", args.resolve, "Print the effective parameters for this model, with their sources");
  s->add_option("--preset", args.preset, "Preset for --resolve");
  s->callback([&args] { args.action = "show"; });

  auto* m = app.add_subcommand("model", "Switch the default model (with checks)");
  m->require_subcommand(1);
  auto* u = m->add_subcommand("use", "Check keys, capabilities and reachability, then make ID the default model");
  common(u);
  u->add_option("id", args.model, "Model: a [models] name, catalog id or alias")->required();
  u->add_flag("--dry-run", args.dry_run, "Only run the checks; change nothing");
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
