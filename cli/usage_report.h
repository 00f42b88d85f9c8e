// File: cli/usage_report.h
//
// `ploke-sim usage`'s pieces that decide something: the --since/--until forms, the
// default ledger location, the TOTAL row, and the three renderings (JSON, CSV, table) of
// one report. The command (cmd_usage.cpp) reads the config and the ledger and prints.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/ledger/ledger.h"

namespace ploke::cli {

/// "today", "month" (UTC period starts), an ISO date or date-time, or a duration back
/// from `now`: N followed by m (minutes), h (hours) or d (days). nullopt otherwise.
std::optional<SystemTime> parse_when(const std::string& s, SystemTime now);

/// $XDG_DATA_HOME/ploke-sim/ledger.db, else $HOME/.local/share/ploke-sim/ledger.db (else
/// ./.local/share/… without HOME).
std::string default_ledger_path();

/// The column sums of `rows` (key "").
ledger::AggregateRow total_of(const std::vector<ledger::AggregateRow>& rows);

/// One usage report: the rows of the ledger grouped `by`, and the budget lines.
struct UsageReport {
  std::string ledger, by;
  std::optional<SystemTime> since, until;
  std::vector<ledger::AggregateRow> rows;
  std::vector<std::string> budget_lines;
};

/// {"ledger","by","since","until","rows":[{"key",…}],"total":{…},"budgets":[…]} and a newline.
std::string usage_json(const UsageReport& r);
/// A header line (first column named `by`), then a line per row; keys quoted as CSV needs.
std::string usage_csv(const UsageReport& r);
/// Aligned columns, a TOTAL line, then the budget lines.
std::string usage_table(const UsageReport& r);

}  // namespace ploke::cli
