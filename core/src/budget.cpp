// The budget policy: see budget.h.
#include "ploke/core/budget.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace ploke {

SystemTime budget_period_start(SystemTime t, std::string_view period) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  if (period == "month") {
    const year_month_day ymd{day};
    return SystemTime(duration_cast<Duration>(sys_days(ymd.year() / ymd.month() / 1).time_since_epoch()));
  }
  return SystemTime(duration_cast<Duration>(day.time_since_epoch()));
}

bool budget_applies(const BudgetRule& rule, std::string_view provider, std::string_view profile) {
  if (rule.scope == "provider") return rule.name == provider;
  if (rule.scope == "profile") return rule.name == profile;
  return true;
}

BudgetCheck evaluate_budgets(std::span<const BudgetRule> rules, std::string_view provider, std::string_view profile,
                             double est, SystemTime now, const BudgetSpend& spent, std::vector<size_t>* refused) {
  BudgetCheck out;
  for (size_t i = 0; i < rules.size(); ++i) {
    const BudgetRule& b = rules[i];
    if (!budget_applies(b, provider, profile)) continue;
    const double used = spent(b, budget_period_start(now, b.period));
    out.remaining_usd = std::min(out.remaining_usd, b.limit_usd - used);
    char label[256];
    std::snprintf(label, sizeof label, "budget %s %s%s%s: %.4f of %.2f USD spent", b.period.c_str(), b.scope.c_str(),
                  b.name.empty() ? "" : "=", b.name.c_str(), used, b.limit_usd);
    if (used + est > b.limit_usd) {
      if (b.action == "stop") {
        if (out.allowed) out.blocked_by = label;
        out.allowed = false;
        if (refused) refused->push_back(i);
      } else {
        out.warnings.push_back(std::string(label) + " (limit exceeded)");
      }
    } else if (used + est >= 0.8 * b.limit_usd) {
      out.warnings.push_back(std::string(label) + " (over 80%)");
    }
  }
  return out;
}

}  // namespace ploke
