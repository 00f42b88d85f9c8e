// File: budget_ledger.h (private to ploke::scenarios)
//
// BudgetLedger: an in-memory store for the one budget policy (ploke/core/budget.h: global /
// provider / profile budgets per UTC day or month, warn or stop; the SQLite ledger is the
// other store), on the run's clock, so a scenario can give the façade a UsageSink and a BudgetOracle without
// SQLite. An attempt's spend is the provider-reported cost when it sent one, else the
// façade's estimate from the endpoint's prices (the ledger's COALESCE(reported, computed)).
//
// Thread-safety: every method may be called from any thread (one mutex).
#pragma once

#include <mutex>
#include <optional>
#include <vector>

#include "ploke/core/budget.h"
#include "ploke/core/thread_annotations.h"
#include "ploke/core/clock.h"
#include "ploke/core/usage.h"
#include "ploke/scenarios/result.h"
#include "ploke/scenarios/scenario.h"

namespace ploke::scenarios::detail {

class BudgetLedger final : public UsageSink, public BudgetOracle {
 public:
  /// `t0`: the scenario start on `clock` (refusal times are reported since then).
  BudgetLedger(Clock& clock, TimePoint t0, std::vector<BudgetSpec> budgets);

  // UsageSink
  Status record_attempt(const ploke::AttemptRecord& attempt) override;
  // BudgetOracle
  double remaining_budget(std::string_view provider, std::string_view profile) override;
  BudgetCheck check_budget(std::string_view provider, std::string_view profile, double est_cost_usd) override;

  /// Per budget: spend in its current period, refusals, first refusal.
  std::vector<BudgetSummary> summaries();

 private:
  struct Row {
    SystemTime at;
    std::string provider, profile;
    double usd = 0;
  };
  double spent_locked(const BudgetRule& b, SystemTime from) const PLOKE_REQUIRES(mu_);
  BudgetCheck check_budget_quietly(std::string_view provider, std::string_view profile);  // counts no refusal

  Clock& clock_;
  const TimePoint t0_;
  const std::vector<BudgetSpec> budgets_;
  const std::vector<BudgetRule> rules_;  // budgets_ as the policy's rules
  Mutex mu_;
  std::vector<Row> rows_ PLOKE_GUARDED_BY(mu_);
  std::vector<uint64_t> refusals_ PLOKE_GUARDED_BY(mu_);                // per budget
  std::vector<std::optional<Duration>> first_refusal_ PLOKE_GUARDED_BY(mu_);
};

}  // namespace ploke::scenarios::detail
