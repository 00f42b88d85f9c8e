// File: ploke/core/budget.h
//
// The one budget policy: spending limits per UTC day or month, for everything ("global"),
// one provider or one credential profile, that warn or stop. Where spend is kept is the
// caller's business (a store): the SQLite ledger (ploke/ledger/ledger.h) sums its attempts
// table, a scenario's in-memory ledger sums its rows. Both evaluate the same rules here.
//
//   budget_period_start(t, period)   start of the UTC day / month containing t
//   budget_applies(rule, provider, profile)
//   evaluate_budgets(rules, provider, profile, est, now, spent)
//       for each applicable rule: used = spent(rule, period start); remaining is the
//       smallest limit - used; used + est > limit refuses ("stop", the first such rule is
//       blocked_by) or warns ("warn": "... (limit exceeded)"); used + est >= 80 % of the
//       limit warns ("... (over 80%)"). Labels read
//       "budget day provider=openrouter: 4.1000 of 5.00 USD spent".
//
// Thread-safety: pure functions; `spent` is called on the caller's thread.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/core/usage.h"

namespace ploke {

struct BudgetRule {
  std::string scope = "global";     ///< global | provider | profile
  std::string name;                 ///< provider or profile ("" for global)
  std::string period = "day";       ///< day | month (UTC)
  double limit_usd = 0;
  std::string action = "warn";      ///< warn | stop
};

/// Start of the UTC day (period "day") or month ("month") containing `t`.
SystemTime budget_period_start(SystemTime t, std::string_view period);

/// True when `rule` covers a request to `provider` under credential `profile`.
bool budget_applies(const BudgetRule& rule, std::string_view provider, std::string_view profile);

/// Spend (USD) that counts against `rule` since `from` (the start of its current period).
using BudgetSpend = std::function<double(const BudgetRule& rule, SystemTime from)>;

/// The verdict for spending `est_cost_usd` more now. `refused`, when given, receives the
/// index of every stop rule that refused.
BudgetCheck evaluate_budgets(std::span<const BudgetRule> rules, std::string_view provider, std::string_view profile,
                             double est_cost_usd, SystemTime now, const BudgetSpend& spent,
                             std::vector<size_t>* refused = nullptr);

}  // namespace ploke
