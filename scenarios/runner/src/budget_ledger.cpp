// BudgetLedger: in-memory budgets for scenarios (see budget_ledger.h).
#include "budget_ledger.h"

#include <algorithm>
#include <cstdio>

namespace ploke::scenarios::detail {

SystemTime budget_period_start(SystemTime t, std::string_view period) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  if (period == "month") {
    const year_month_day ymd{day};
    return SystemTime(duration_cast<Duration>(sys_days(ymd.year() / ymd.month() / 1).time_since_epoch()));
  }
  return SystemTime(duration_cast<Duration>(day.time_since_epoch()));
}

BudgetLedger::BudgetLedger(Clock& clock, TimePoint t0, std::vector<BudgetSpec> budgets)
    : clock_(clock),
      t0_(t0),
      budgets_(std::move(budgets)),
      refusals_(budgets_.size(), 0),
      first_refusal_(budgets_.size()) {}

Status BudgetLedger::record_attempt(const ploke::AttemptRecord& a) {
  const double usd = a.reported_cost_usd.value_or(a.estimated_cost_usd.value_or(0.0));
  const SystemTime at = a.at.value_or(clock_.system_now());
  std::lock_guard<std::mutex> g(mu_);
  rows_.push_back(Row{at, a.provider, a.profile, usd});
  return Status::Ok();
}

double BudgetLedger::spent_locked(const BudgetSpec& b, SystemTime now) const {
  const SystemTime from = budget_period_start(now, b.period);
  double sum = 0;
  for (const Row& r : rows_) {
    if (r.at < from) continue;
    if (b.scope == "provider" && r.provider != b.name) continue;
    if (b.scope == "profile" && r.profile != b.name) continue;
    sum += r.usd;
  }
  return sum;
}

BudgetCheck BudgetLedger::check_budget(std::string_view provider, std::string_view profile, double est) {
  BudgetCheck out;
  const SystemTime now = clock_.system_now();
  const Duration since = clock_.now() - t0_;
  std::lock_guard<std::mutex> g(mu_);
  for (size_t i = 0; i < budgets_.size(); ++i) {
    const BudgetSpec& b = budgets_[i];
    if (b.scope == "provider" && b.name != provider) continue;
    if (b.scope == "profile" && b.name != profile) continue;
    const double used = spent_locked(b, now);
    out.remaining_usd = std::min(out.remaining_usd, b.limit_usd - used);
    char label[256];
    std::snprintf(label, sizeof label, "budget %s %s%s%s: %.4f of %.4f USD spent", b.period.c_str(), b.scope.c_str(),
                  b.name.empty() ? "" : "=", b.name.c_str(), used, b.limit_usd);
    if (used + est > b.limit_usd) {
      if (b.action == "stop") {
        if (out.allowed) out.blocked_by = label;
        out.allowed = false;
        ++refusals_[i];
        if (!first_refusal_[i]) first_refusal_[i] = since;
      } else {
        out.warnings.push_back(std::string(label) + " (limit exceeded)");
      }
    } else if (used + est >= 0.8 * b.limit_usd) {
      out.warnings.push_back(std::string(label) + " (over 80%)");
    }
  }
  return out;
}

double BudgetLedger::remaining_budget(std::string_view provider, std::string_view profile) {
  const SystemTime now = clock_.system_now();
  std::lock_guard<std::mutex> g(mu_);
  double remaining = 1e300;
  for (const BudgetSpec& b : budgets_) {
    if (b.scope == "provider" && b.name != provider) continue;
    if (b.scope == "profile" && b.name != profile) continue;
    remaining = std::min(remaining, b.limit_usd - spent_locked(b, now));
  }
  return remaining;
}

std::vector<BudgetSummary> BudgetLedger::summaries() {
  const SystemTime now = clock_.system_now();
  std::lock_guard<std::mutex> g(mu_);
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
    s.spent_usd = spent_locked(b, now);
    s.refusals = refusals_[i];
    s.first_refusal = first_refusal_[i];
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace ploke::scenarios::detail
