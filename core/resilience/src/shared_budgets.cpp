// SharedBudgets: budget rules over shared spend counters (see shared_budgets.h).
#include "ploke/resilience/shared_budgets.h"

#include <map>

namespace ploke::resilience {

SharedBudgets::SharedBudgets(Clock& clock, SharedState& shared, std::vector<BudgetRule> rules, UsageSink* inner)
    : clock_(clock), shared_(shared), rules_(std::move(rules)), inner_(inner) {}

std::string SharedBudgets::counter(const BudgetRule& rule, SystemTime period_start) {
  const auto start = std::chrono::duration_cast<std::chrono::seconds>(period_start.time_since_epoch()).count();
  return "budget:" + rule.scope + ":" + rule.name + ":" + rule.period + ":" + std::to_string(start);
}

Status SharedBudgets::record_attempt(const AttemptRecord& a) {
  Status st = inner_ ? inner_->record_attempt(a) : Status();
  const double cost = a.reported_cost_usd.value_or(a.estimated_cost_usd.value_or(0));
  if (cost <= 0) return st;
  const SystemTime at = a.at.value_or(clock_.system_now());
  for (const auto& rule : rules_) {
    if (budget_applies(rule, a.provider, a.profile)) shared_.add_spend(counter(rule, budget_period_start(at, rule.period)), cost);
  }
  return st;
}

BudgetCheck SharedBudgets::check_budget(std::string_view provider, std::string_view profile, double est_cost_usd) {
  const SystemTime now = clock_.system_now();
  std::vector<std::string> keys;
  for (const auto& rule : rules_) {
    if (budget_applies(rule, provider, profile)) keys.push_back(counter(rule, budget_period_start(now, rule.period)));
  }
  if (keys.empty()) return BudgetCheck{};
  Result<std::vector<double>> spend = shared_.spend(keys);
  if (!spend.ok()) {  // hard budgets refuse while the shared spend cannot be read
    BudgetCheck c;
    for (const auto& rule : rules_) {
      if (rule.action != "stop" || !budget_applies(rule, provider, profile)) continue;
      c.allowed = false;
      c.remaining_usd = 0;
      c.blocked_by = "budget " + rule.period + " " + rule.scope + (rule.name.empty() ? "" : "=" + rule.name) +
                     ": shared spend unavailable (" + spend.status().message() + ")";
      break;
    }
    return c;
  }
  std::map<std::string, double, std::less<>> by_key;
  for (size_t i = 0; i < keys.size(); ++i) by_key[keys[i]] = (*spend)[i];
  return evaluate_budgets(rules_, provider, profile, est_cost_usd, now, [&](const BudgetRule& r, SystemTime from) {
    auto it = by_key.find(counter(r, from));
    return it == by_key.end() ? 0.0 : it->second;
  });
}

double SharedBudgets::remaining_budget(std::string_view provider, std::string_view profile) {
  return check_budget(provider, profile, 0).remaining_usd;
}

}  // namespace ploke::resilience
