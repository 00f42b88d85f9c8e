// BudgetLedger: in-memory budgets for scenarios (see budget_ledger.h).
#include "budget_ledger.h"
#include "ploke/core/thread_annotations.h"

#include <algorithm>
#include <cstdio>

namespace ploke::scenarios::detail {

namespace {
std::vector<BudgetRule> rules_of(const std::vector<BudgetSpec>& specs) {
  std::vector<BudgetRule> out;
  out.reserve(specs.size());
  for (const BudgetSpec& b : specs) out.push_back(BudgetRule{b.scope, b.name, b.period, b.limit_usd, b.action});
  return out;
}
}  // namespace

BudgetLedger::BudgetLedger(Clock& clock, TimePoint t0, std::vector<BudgetSpec> budgets)
    : clock_(clock),
      t0_(t0),
      budgets_(std::move(budgets)),
      rules_(rules_of(budgets_)),
      refusals_(budgets_.size(), 0),
      first_refusal_(budgets_.size()) {}

Status BudgetLedger::record_attempt(const ploke::AttemptRecord& a) {
  const double usd = a.reported_cost_usd.value_or(a.estimated_cost_usd.value_or(0.0));
  const SystemTime at = a.at.value_or(clock_.system_now());
  MutexLock g(mu_);
  rows_.push_back(Row{at, a.provider, a.profile, usd});
  return Status::Ok();
}

double BudgetLedger::spent_locked(const BudgetRule& b, SystemTime from) const {
  double sum = 0;
  for (const Row& r : rows_) {
    if (r.at >= from && budget_applies(b, r.provider, r.profile)) sum += r.usd;
  }
  return sum;
}

BudgetCheck BudgetLedger::check_budget(std::string_view provider, std::string_view profile, double est) {
  const SystemTime now = clock_.system_now();
  const Duration since = clock_.now() - t0_;
  MutexLock g(mu_);
  std::vector<size_t> refused;
  BudgetCheck out = evaluate_budgets(
      rules_, provider, profile, est, now, [this](const BudgetRule& b, SystemTime from) {
        mu_.assert_held();  // evaluate_budgets calls back synchronously, under g
        return spent_locked(b, from);
      },
      &refused);
  for (size_t i : refused) {
    ++refusals_[i];
    if (!first_refusal_[i]) first_refusal_[i] = since;
  }
  return out;
}

double BudgetLedger::remaining_budget(std::string_view provider, std::string_view profile) {
  return check_budget_quietly(provider, profile).remaining_usd;
}

BudgetCheck BudgetLedger::check_budget_quietly(std::string_view provider, std::string_view profile) {
  const SystemTime now = clock_.system_now();
  MutexLock g(mu_);
  return evaluate_budgets(rules_, provider, profile, 0, now,
                          [this](const BudgetRule& b, SystemTime from) {
        mu_.assert_held();  // evaluate_budgets calls back synchronously, under g
        return spent_locked(b, from);
      });
}

std::vector<BudgetSummary> BudgetLedger::summaries() {
  const SystemTime now = clock_.system_now();
  MutexLock g(mu_);
  std::vector<BudgetSummary> out;
  for (size_t i = 0; i < budgets_.size(); ++i) {
    const BudgetSpec& b = budgets_[i];
    BudgetSummary s;
    s.path = b.path;
    s.scope = b.scope;
    s.name = b.name;
    s.period = b.period;
    s.action = b.action;
    s.limit_usd = b.limit_usd;
    s.spent_usd = spent_locked(rules_[i], budget_period_start(now, b.period));
    s.refusals = refusals_[i];
    s.first_refusal = first_refusal_[i];
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace ploke::scenarios::detail
