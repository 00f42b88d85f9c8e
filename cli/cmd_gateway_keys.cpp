// `ploke-sim gateway keys create|list|revoke`: the gateway's client keys (LiteLLM-style
// virtual keys; gateway/include/ploke/gateway/client_keys.h) in the cost ledger's SQLite
// file. `create` draws the key from OpenSSL's CSPRNG (RAND_bytes: the one place real
// randomness is right), prints it once and stores only its SHA-256. Ledger: --ledger >
// $PLOKE_SIM_LEDGER > the config's `ledger` > $XDG_DATA_HOME/ploke-sim/ledger.db — the
// gateway must be started with the same ledger. Exit codes: 0 ok, 1 the ledger could not
// be written, 2 bad input (nothing written).
#include <CLI/CLI.hpp>
#include <openssl/rand.h>

#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "ploke/config/config.h"
#include "ploke/core/clock.h"
#include "ploke/core/secret.h"
#include "ploke/gateway/client_keys.h"
#include "ploke/ledger/ledger.h"
#include "usage_report.h"

namespace ploke::cli {
namespace {

constexpr const char* kKeysCmd = "ploke-sim gateway keys";

void add_ledger_flags(CLI::App& c, GatewayKeysArgs& k) {
  c.add_option("--ledger", k.ledger, "Ledger file holding the keys (default $PLOKE_SIM_LEDGER, the config's `ledger`, "
                                     "else $XDG_DATA_HOME/ploke-sim/ledger.db)");
  c.add_option("--config", k.config, "Config file (for the ledger path)");
}

// "a,b" → {a, b}; false (message printed) on an empty or blank name.
bool split_models(const std::string& text, std::vector<std::string>& out) {
  if (text.empty()) return true;
  size_t start = 0;
  for (;;) {
    const size_t c = text.find(',', start);
    std::string m = text.substr(start, c == std::string::npos ? std::string::npos : c - start);
    if (m.empty() || m.find_first_of(" \t\r\n") != std::string::npos) {
      std::fprintf(stderr, "%s create: --models: expected model names separated by commas, without spaces (got '%s')\n",
                   kKeysCmd, redact_secrets(text).c_str());
      return false;
    }
    out.push_back(std::move(m));
    if (c == std::string::npos) return true;
    start = c + 1;
  }
}

bool valid_key_name(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  for (unsigned char ch : name) {
    if (ch < 0x20 || ch == 0x7f) return false;
  }
  return true;
}

// Opens (creating when needed) the ledger; an exit code on failure.
std::optional<int> open_key_book(const GatewayKeysArgs& k, Clock& clock, std::unique_ptr<ledger::Ledger>& book) {
  config::LoadOptions o;
  o.explicit_path = k.config;
  o.env = config::process_env();
  auto cfg = config::load_config(o);
  if (!cfg.ok()) {
    std::fprintf(stderr, "%s: %s\n", kKeysCmd, redact_secrets(cfg.status().message()).c_str());
    return kExitUsage;
  }
  std::string path = k.ledger.empty() ? cfg.config.ledger_path : k.ledger;
  if (path.empty()) path = default_ledger_path();
  struct stat st {};
  if (k.action != "create" && ::stat(path.c_str(), &st) != 0) {  // list / revoke never create a ledger
    if (k.action == "list") {
      std::printf("%s", k.json ? "{\"keys\":[]}\n" : "");
      std::fprintf(stderr, "%s list: no keys (ledger %s does not exist)\n", kKeysCmd, path.c_str());
      return kExitOk;
    }
    std::fprintf(stderr, "%s revoke: no client key with id '%s' (ledger %s does not exist)\n", kKeysCmd,
                 redact_secrets(k.id).c_str(), path.c_str());
    return kExitUsage;
  }
  auto l = ledger::Ledger::open(path, clock);
  if (!l.ok()) {
    std::fprintf(stderr, "%s: --ledger: %s\n", kKeysCmd, l.status().to_string().c_str());
    return l.status().code() == StatusCode::kInvalidRequest ? kExitUsage : kExitFailed;
  }
  book = std::move(l).value();
  return std::nullopt;
}

nlohmann::json key_json(const ledger::ClientKeyRecord& r) {
  nlohmann::json j = {{"id", r.id},
                      {"name", r.name},
                      {"prefix", r.prefix},
                      {"max_budget", r.max_budget_usd ? nlohmann::json(*r.max_budget_usd) : nlohmann::json(nullptr)},
                      {"rpm_limit", r.rpm ? nlohmann::json(*r.rpm) : nlohmann::json(nullptr)},
                      {"models", r.models},
                      {"spend", r.spend_usd},
                      {"created_at", ledger::format_time(r.created_at)},
                      {"revoked", r.revoked_at.has_value()}};
  j["revoked_at"] = r.revoked_at ? nlohmann::json(ledger::format_time(*r.revoked_at)) : nlohmann::json(nullptr);
  return j;
}

int run_create(const GatewayKeysArgs& k, ledger::Ledger& book) {
  ledger::ClientKeyRecord r;
  r.name = k.name;
  r.max_budget_usd = k.budget;
  if (k.rpm) r.rpm = static_cast<uint32_t>(*k.rpm);
  if (!split_models(k.models, r.models)) return kExitUsage;
  std::vector<uint8_t> random(32);
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    std::fprintf(stderr, "%s create: the system's random generator failed\n", kKeysCmd);
    return kExitFailed;
  }
  const std::string key = gateway::format_client_key(random);
  r.hash = gateway::hash_client_key(key);
  r.prefix = gateway::client_key_prefix(key);
  auto stored = book.add_client_key(r);
  if (!stored.ok()) {
    std::fprintf(stderr, "%s create: %s\n", kKeysCmd, stored.status().to_string().c_str());
    return kExitFailed;
  }
  if (k.json) {
    nlohmann::json j = key_json(*stored);
    j["key"] = key;  // shown this once
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%s\n", key.c_str());
    std::fprintf(stderr, "%s: created %s (%s). The key above is shown only now: the ledger keeps its SHA-256.\n", kKeysCmd,
                 stored->id.c_str(), stored->name.c_str());
  }
  std::fflush(stdout);
  return kExitOk;
}

std::string keys_opt_text(const std::optional<double>& v) {
  if (!v) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.4f", *v);
  return b;
}

int run_list(const GatewayKeysArgs& k, ledger::Ledger& book) {
  auto keys = book.client_keys();
  if (!keys.ok()) {
    std::fprintf(stderr, "%s list: %s\n", kKeysCmd, keys.status().to_string().c_str());
    return kExitFailed;
  }
  std::string out;
  if (k.json) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& r : *keys) a.push_back(key_json(r));
    out = nlohmann::json{{"keys", std::move(a)}}.dump() + "\n";
  } else {
    char line[512];
    std::snprintf(line, sizeof line, "%-8s %-20s %-16s %10s %8s %10s %-8s %s\n", "ID", "NAME", "KEY", "BUDGET", "RPM",
                  "SPEND", "STATE", "MODELS");
    out = line;
    for (const auto& r : *keys) {
      std::string models;
      for (const auto& m : r.models) models += (models.empty() ? "" : ",") + m;
      std::snprintf(line, sizeof line, "%-8s %-20s %-18s %10s %8s %10.4f %-8s %s\n", r.id.c_str(), r.name.c_str(),
                    r.prefix.c_str(), keys_opt_text(r.max_budget_usd).c_str(), r.rpm ? std::to_string(*r.rpm).c_str() : "-",
                    r.spend_usd, r.revoked_at ? "revoked" : "active", models.empty() ? "(all)" : models.c_str());
      out += line;
    }
  }
  const std::string safe = redact_secrets(out);
  std::fwrite(safe.data(), 1, safe.size(), stdout);
  return kExitOk;
}

int run_revoke(const GatewayKeysArgs& k, ledger::Ledger& book) {
  const Status st = book.revoke_client_key(k.id);
  if (st.code() == StatusCode::kNotFound) {
    std::fprintf(stderr, "%s revoke: %s (see `ploke-sim gateway keys list`)\n", kKeysCmd, st.message().c_str());
    return kExitUsage;
  }
  if (!st.ok()) {
    std::fprintf(stderr, "%s revoke: %s\n", kKeysCmd, st.to_string().c_str());
    return kExitFailed;
  }
  std::printf("revoked %s\n", k.id.c_str());
  return kExitOk;
}

}  // namespace

void add_gateway_keys_commands(CLI::App& gateway, GatewayKeysArgs& k) {
  CLI::App* keys = gateway.add_subcommand("keys", "Client keys of the gateway (master key + virtual keys): create, list, revoke");
  keys->require_subcommand(1);
  CLI::App* c = keys->add_subcommand("create", "Create a client key; prints it once (only its SHA-256 is stored)");
  c->add_option("--name", k.name, "A name for the key (who or what uses it)")->required();
  c->add_option("--budget", k.budget, "Spend limit in USD over the key's life (over it: 400 'Budget has been exceeded')")
      ->check(CLI::NonNegativeNumber);
  c->add_option("--rpm", k.rpm, "Requests per minute (over it: 429 with retry-after)")->check(CLI::Range(int64_t{1}, int64_t{1000000}));
  c->add_option("--models", k.models, "Models the key may ask for, comma-separated (default: every model)");
  c->add_flag("--json", k.json, "Print the key and its settings as JSON");
  add_ledger_flags(*c, k);
  c->callback([&k] { k.action = "create"; });
  CLI::App* l = keys->add_subcommand("list", "List the keys: id, name, prefix, budget, rpm, models, spend, revoked");
  l->add_flag("--json", k.json, "JSON output");
  add_ledger_flags(*l, k);
  l->callback([&k] { k.action = "list"; });
  CLI::App* r = keys->add_subcommand("revoke", "Revoke a key by id (a running gateway refuses it within about a second)");
  r->add_option("id", k.id, "The key's id (vk-N, from `keys list`)")->required();
  add_ledger_flags(*r, k);
  r->callback([&k] { k.action = "revoke"; });
}

int run_gateway_keys(const GatewayKeysArgs& k) {
  if (k.action == "create" && !valid_key_name(k.name)) {
    std::fprintf(stderr, "%s create: --name: 1 to 128 printable characters\n", kKeysCmd);
    return kExitUsage;
  }
  if (k.action == "create" && k.budget && !std::isfinite(*k.budget)) {
    std::fprintf(stderr, "%s create: --budget: a finite number of USD\n", kKeysCmd);
    return kExitUsage;
  }
  std::vector<std::string> models;
  if (k.action == "create" && !split_models(k.models, models)) return kExitUsage;  // before the ledger is touched
  RealClock clock;
  std::unique_ptr<ledger::Ledger> book;
  if (auto rc = open_key_book(k, clock, book)) return *rc;
  if (k.action == "create") return run_create(k, *book);
  if (k.action == "list") return run_list(k, *book);
  return run_revoke(k, *book);
}

}  // namespace ploke::cli
