// File: ploke/resilience/shared_budgets.h
//
// SharedBudgets: the budget rules (ploke/core/budget.h) evaluated over spend that every
// instance adds to (SharedState spend counters), so a "stop" budget stops all instances at
// the same spend, give or take the requests in flight. A UsageSink (each attempt's cost —
// the provider-reported one, else the estimate — is added to the counter of every rule
// that applies to it, for the rule's current period, after the inner sink got the row) and
// a BudgetOracle (the façade's). While the store fails, a stop budget that applies refuses
// (hard budgets refuse; SharedState counts it) and warn budgets are skipped.
//
// Counter names: budget:SCOPE:NAME:PERIOD:START (START: the period's first second, UTC).
// The ledger stays per instance (the inner sink).
//
// Thread-safety: as thread-safe as the inner sink (SharedState is).
#pragma once

#include <string>
#include <vector>

#include "ploke/core/budget.h"
#include "ploke/core/usage.h"
#include "ploke/resilience/shared_state.h"

namespace ploke::resilience {

class SharedBudgets final : public BudgetOracle, public UsageSink {
 public:
  /// `inner` (optional, not owned): gets every attempt first (the instance's ledger).
  SharedBudgets(Clock& clock, SharedState& shared, std::vector<BudgetRule> rules, UsageSink* inner = nullptr);

  Status record_attempt(const AttemptRecord& attempt) override;
  double remaining_budget(std::string_view provider, std::string_view profile) override;
  BudgetCheck check_budget(std::string_view provider, std::string_view profile, double est_cost_usd) override;

  static std::string counter(const BudgetRule& rule, SystemTime period_start);

 private:
  Clock& clock_;
  SharedState& shared_;
  const std::vector<BudgetRule> rules_;
  UsageSink* inner_;
};

}  // namespace ploke::resilience
