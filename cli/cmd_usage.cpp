// ploke-sim usage [--since T] [--until T] [--by provider|model|profile|session|kind|outcome]
//                 [--json|--csv] [--ledger FILE] [--config F] [--no-probes]
//
// Reads the cost ledger (ploke::ledger; see core/ledger/README.md) and prints spend grouped
// by --by, with the budgets from the config and how much of each is spent.
// Ledger: --ledger > $PLOKE_SIM_LEDGER > the config's `ledger` > $XDG_DATA_HOME/ploke-sim/
// ledger.db (else ~/.local/share/…). T: an ISO date/time (2026-11-24, 2026-11-24T05:00:00Z),
// a duration back from now (30m, 24h, 7d), `today` or `month` (UTC).
// Every printed text goes through redact_secrets(). Exit codes: 0 ok, 1 the ledger could not
// be read, 2 usage or bad input.
#include <CLI/CLI.hpp>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "commands.h"
#include "ploke/config/config.h"
#include "ploke/core/clock.h"
#include "ploke/core/secret.h"
#include "ploke/json/escape.h"
#include "ploke/ledger/ledger.h"

namespace ploke::cli {
namespace {

namespace lg = ploke::ledger;

std::optional<SystemTime> parse_when(const std::string& s, SystemTime now) {
  if (s == "today") return lg::period_start(now, "day");
  if (s == "month") return lg::period_start(now, "month");
  if (auto t = lg::parse_time(s)) return t;
  if (s.size() >= 2) {
    char unit = s.back();
    char* end = nullptr;
    const std::string num = s.substr(0, s.size() - 1);
    long n = std::strtol(num.c_str(), &end, 10);
    if (end && *end == '\0' && n >= 0) {
      using namespace std::chrono;
      if (unit == 'm') return now - minutes(n);
      if (unit == 'h') return now - hours(n);
      if (unit == 'd') return now - hours(24 * n);
    }
  }
  return std::nullopt;
}

std::string default_ledger_path() {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  const char* home = std::getenv("HOME");
  std::string base = xdg && *xdg ? std::string(xdg) : std::string(home ? home : ".") + "/.local/share";
  return base + "/ploke-sim/ledger.db";
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

CLI::App* add_usage_command(CLI::App& app, UsageArgs& args) {
  auto* u = app.add_subcommand("usage", "Spend and usage from the cost ledger, grouped by provider, model or profile");
  u->add_option("--since", args.since, "From: 2026-11-24, 2026-11-24T05:00:00Z, 30m, 24h, 7d, today, month");
  u->add_option("--until", args.until, "Until (same forms)");
  u->add_option("--by", args.by, "Group by")->capture_default_str()
      ->check(CLI::IsMember({"provider", "model", "profile", "session", "kind", "outcome"}));
  auto* j = u->add_flag("--json", args.json, "JSON output");
  auto* c = u->add_flag("--csv", args.csv, "CSV output");
  j->excludes(c);
  u->add_option("--ledger", args.ledger, "Ledger file (default $PLOKE_SIM_LEDGER, the config's `ledger`, "
                                         "else $XDG_DATA_HOME/ploke-sim/ledger.db)");
  u->add_option("--config", args.config, "Config file (for the ledger path and budgets)");
  u->add_flag("--no-probes", args.no_probes, "Leave health probes out");
  return u;
}

int run_usage(const UsageArgs& a) {
  config::LoadOptions o;
  o.explicit_path = a.config;
  o.env = config::process_env();
  auto cfg = config::load_config(o);
  if (!cfg.ok()) {
    std::fprintf(stderr, "%s\n", redact_secrets(cfg.status().message()).c_str());
    return kExitUsage;
  }
  RealClock clock;
  const SystemTime now = clock.system_now();
  lg::AggregateQuery q;
  q.by = a.by;
  q.include_probes = !a.no_probes;
  if (!a.since.empty()) {
    q.since = parse_when(a.since, now);
    if (!q.since) {
      std::fprintf(stderr, "ploke-sim usage: --since '%s': expected a date, 2026-11-24T05:00:00Z, 30m/24h/7d, today or month\n",
                   a.since.c_str());
      return kExitUsage;
    }
  }
  if (!a.until.empty()) {
    q.until = parse_when(a.until, now);
    if (!q.until) {
      std::fprintf(stderr, "ploke-sim usage: --until '%s': not a time\n", a.until.c_str());
      return kExitUsage;
    }
  }
  std::string path = a.ledger;
  if (path.empty()) path = cfg.config.ledger_path;  // PLOKE_SIM_LEDGER, then the file's `ledger`
  if (path.empty()) path = default_ledger_path();
  struct stat st {};
  std::vector<lg::AggregateRow> rows;
  std::vector<std::string> budget_lines;
  if (::stat(path.c_str(), &st) != 0) {
    if (!a.json && !a.csv) std::printf("no usage recorded (ledger %s does not exist)\n", path.c_str());
  } else {
    auto l = lg::Ledger::open(path, clock);
    if (!l.ok()) {
      std::fprintf(stderr, "ploke-sim usage: %s\n", redact_secrets(l.status().message()).c_str());
      return kExitUsage;
    }
    auto r = (*l)->aggregate(q);
    if (!r.ok()) {
      std::fprintf(stderr, "ploke-sim usage: %s\n", redact_secrets(r.status().message()).c_str());
      return kExitFailed;
    }
    rows = std::move(r).value();
    std::vector<lg::Budget> budgets;
    for (const auto& b : cfg.config.budgets) budgets.push_back({b.scope, b.name, b.period, b.limit_usd, b.action});
    (void)(*l)->set_budgets(budgets);
    for (const auto& b : budgets) {
      auto sp = (*l)->spent(b);
      char line[256];
      std::snprintf(line, sizeof line, "budget %s %s%s%s: %.4f of %.2f USD spent (%s)", b.period.c_str(), b.scope.c_str(),
                    b.name.empty() ? "" : "=", b.name.c_str(), sp.ok() ? *sp : 0.0, b.limit_usd, b.action.c_str());
      budget_lines.push_back(line);
    }
  }
  lg::AggregateRow total;
  for (const auto& r : rows) {
    total.requests += r.requests;
    total.attempts += r.attempts;
    total.failed += r.failed;
    total.probes += r.probes;
    total.prompt_tokens += r.prompt_tokens;
    total.completion_tokens += r.completion_tokens;
    total.cost_usd += r.cost_usd;
    total.reported_usd += r.reported_usd;
    total.spend_usd += r.spend_usd;
    total.unpriced += r.unpriced;
  }
  std::string out;
  char buf[512];
  if (a.json) {
    auto row_json = [&buf](const lg::AggregateRow& r) {
      std::snprintf(buf, sizeof buf,
                    "\"requests\":%llu,\"attempts\":%llu,\"failed\":%llu,\"probes\":%llu,\"prompt_tokens\":%llu,"
                    "\"completion_tokens\":%llu,\"cost_usd\":%.10g,\"reported_usd\":%.10g,\"spend_usd\":%.10g,\"unpriced\":%llu",
                    (unsigned long long)r.requests, (unsigned long long)r.attempts, (unsigned long long)r.failed,
                    (unsigned long long)r.probes, (unsigned long long)r.prompt_tokens,
                    (unsigned long long)r.completion_tokens, r.cost_usd, r.reported_usd, r.spend_usd,
                    (unsigned long long)r.unpriced);
      return std::string(buf);
    };
    out = "{\"ledger\":" + ploke::json::quote(path) + ",\"by\":" + ploke::json::quote(a.by) +
          ",\"since\":" + (q.since ? ploke::json::quote(lg::format_time(*q.since)) : "null") +
          ",\"until\":" + (q.until ? ploke::json::quote(lg::format_time(*q.until)) : "null") + ",\"rows\":[";
    for (size_t i = 0; i < rows.size(); ++i) out += std::string(i ? "," : "") + "{\"key\":" + ploke::json::quote(rows[i].key) + "," + row_json(rows[i]) + "}";
    out += "],\"total\":{" + row_json(total) + "},\"budgets\":[";
    for (size_t i = 0; i < budget_lines.size(); ++i) out += std::string(i ? "," : "") + ploke::json::quote(budget_lines[i]);
    out += "]}\n";
  } else if (a.csv) {
    out = a.by + ",requests,attempts,failed,probes,prompt_tokens,completion_tokens,cost_usd,reported_usd,spend_usd,unpriced\n";
    for (const auto& r : rows) {
      std::snprintf(buf, sizeof buf, ",%llu,%llu,%llu,%llu,%llu,%llu,%.10g,%.10g,%.10g,%llu\n", (unsigned long long)r.requests,
                    (unsigned long long)r.attempts, (unsigned long long)r.failed, (unsigned long long)r.probes,
                    (unsigned long long)r.prompt_tokens, (unsigned long long)r.completion_tokens, r.cost_usd,
                    r.reported_usd, r.spend_usd, (unsigned long long)r.unpriced);
      out += csv_field(r.key) + buf;
    }
  } else if (!rows.empty() || ::stat(path.c_str(), &st) == 0) {
    std::snprintf(buf, sizeof buf, "%-40s %9s %9s %7s %7s %12s %12s %12s %12s\n", a.by.c_str(), "requests", "attempts",
                  "failed", "probes", "prompt_tok", "compl_tok", "cost_usd", "spend_usd");
    out += buf;
    auto line = [&buf, &out](const lg::AggregateRow& r, const std::string& key) {
      std::snprintf(buf, sizeof buf, "%-40s %9llu %9llu %7llu %7llu %12llu %12llu %12.6f %12.6f%s\n", key.c_str(),
                    (unsigned long long)r.requests, (unsigned long long)r.attempts, (unsigned long long)r.failed,
                    (unsigned long long)r.probes, (unsigned long long)r.prompt_tokens,
                    (unsigned long long)r.completion_tokens, r.cost_usd, r.spend_usd,
                    r.unpriced ? (" (" + std::to_string(r.unpriced) + " unpriced)").c_str() : "");
      out += buf;
    };
    for (const auto& r : rows) line(r, r.key);
    line(total, "TOTAL");
    for (const auto& b : budget_lines) out += b + "\n";
  }
  const std::string safe = redact_secrets(out);
  std::fwrite(safe.data(), 1, safe.size(), stdout);
  return kExitOk;
}

}  // namespace ploke::cli
