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
#include "ploke/ledger/ledger.h"
#include "usage_report.h"

namespace ploke::cli {
namespace lg = ploke::ledger;

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

namespace {

// --since / --until into the query; false (after the message) when one is not a time.
bool parse_window(const UsageArgs& a, SystemTime now, lg::AggregateQuery& q) {
  if (!a.since.empty()) {
    q.since = parse_when(a.since, now);
    if (!q.since) {
      std::fprintf(stderr, "ploke-sim usage: --since '%s': expected a date, 2026-11-24T05:00:00Z, 30m/24h/7d, today or month\n",
                   a.since.c_str());
      return false;
    }
  }
  if (!a.until.empty()) {
    q.until = parse_when(a.until, now);
    if (!q.until) {
      std::fprintf(stderr, "ploke-sim usage: --until '%s': not a time\n", a.until.c_str());
      return false;
    }
  }
  return true;
}

// "budget PERIOD SCOPE[=NAME]: SPENT of LIMIT USD spent (ACTION)" for each configured budget.
std::vector<std::string> budget_lines(lg::Ledger& ledger, const std::vector<config::BudgetConfig>& configured) {
  std::vector<lg::Budget> budgets;
  for (const auto& b : configured) budgets.push_back({b.scope, b.name, b.period, b.limit_usd, b.action});
  (void)ledger.set_budgets(budgets);
  std::vector<std::string> lines;
  for (const auto& b : budgets) {
    auto sp = ledger.spent(b);
    char line[256];
    std::snprintf(line, sizeof line, "budget %s %s%s%s: %.4f of %.2f USD spent (%s)", b.period.c_str(), b.scope.c_str(),
                  b.name.empty() ? "" : "=", b.name.c_str(), sp.ok() ? *sp : 0.0, b.limit_usd, b.action.c_str());
    lines.push_back(line);
  }
  return lines;
}

// The rows and budget lines of an existing ledger into `report`; an exit code on failure.
std::optional<int> read_ledger(const lg::AggregateQuery& q, const config::Config& c, Clock& clock, UsageReport& report) {
  auto l = lg::Ledger::open(report.ledger, clock);
  if (!l.ok()) {
    std::fprintf(stderr, "ploke-sim usage: %s\n", redact_secrets(l.status().message()).c_str());
    return kExitUsage;
  }
  auto r = (*l)->aggregate(q);
  if (!r.ok()) {
    std::fprintf(stderr, "ploke-sim usage: %s\n", redact_secrets(r.status().message()).c_str());
    return kExitFailed;
  }
  report.rows = std::move(r).value();
  report.budget_lines = budget_lines(**l, c.budgets);
  return std::nullopt;
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

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
  lg::AggregateQuery q;
  q.by = a.by;
  q.include_probes = !a.no_probes;
  if (!parse_window(a, clock.system_now(), q)) return kExitUsage;
  UsageReport report;
  report.by = a.by;
  report.since = q.since;
  report.until = q.until;
  report.ledger = a.ledger;
  if (report.ledger.empty()) report.ledger = cfg.config.ledger_path;  // PLOKE_SIM_LEDGER, then the file's `ledger`
  if (report.ledger.empty()) report.ledger = default_ledger_path();
  const bool exists = file_exists(report.ledger);
  if (!exists) {
    if (!a.json && !a.csv) std::printf("no usage recorded (ledger %s does not exist)\n", report.ledger.c_str());
  } else if (auto rc = read_ledger(q, cfg.config, clock, report)) {
    return *rc;
  }
  std::string out;
  if (a.json) out = usage_json(report);
  else if (a.csv) out = usage_csv(report);
  else if (!report.rows.empty() || exists) out = usage_table(report);
  const std::string safe = redact_secrets(out);
  std::fwrite(safe.data(), 1, safe.size(), stdout);
  return kExitOk;
}

}  // namespace ploke::cli
