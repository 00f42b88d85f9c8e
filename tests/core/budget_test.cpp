// The one budget policy (ploke/core/budget.h): periods, scopes, stop vs warn, the 80 %
// warning, remaining, refusal indices; the store is a plain function here.
#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "ploke/core/budget.h"

namespace ploke {
namespace {

SystemTime at_utc(int y, unsigned mo, unsigned d, int h) {
  using namespace std::chrono;
  return SystemTime(duration_cast<Duration>((sys_days(year(y) / month(mo) / day(d)) + hours(h)).time_since_epoch()));
}

TEST(BudgetPolicy, PeriodStartsAreUtcDayAndMonth) {
  const SystemTime t = at_utc(2026, 11, 24, 17);
  EXPECT_EQ(budget_period_start(t, "day"), at_utc(2026, 11, 24, 0));
  EXPECT_EQ(budget_period_start(t, "month"), at_utc(2026, 11, 1, 0));
}

TEST(BudgetPolicy, ScopesSelectWhichRulesApply) {
  const BudgetRule global{"global", "", "day", 1, "stop"};
  const BudgetRule prov{"provider", "openai", "day", 1, "stop"};
  const BudgetRule prof{"profile", "work", "day", 1, "stop"};
  EXPECT_TRUE(budget_applies(global, "anthropic", "home"));
  EXPECT_TRUE(budget_applies(prov, "openai", "home"));
  EXPECT_FALSE(budget_applies(prov, "anthropic", "home"));
  EXPECT_TRUE(budget_applies(prof, "anthropic", "work"));
  EXPECT_FALSE(budget_applies(prof, "anthropic", "home"));
}

TEST(BudgetPolicy, StopRefusesWarnWarnsAndRemainingIsTheSmallest) {
  const std::vector<BudgetRule> rules = {
      {"provider", "openai", "day", 5.0, "stop"},
      {"global", "", "month", 10.0, "warn"},
      {"provider", "anthropic", "day", 1.0, "stop"},  // does not apply to openai
  };
  std::map<std::string, double> spend = {{"openai", 4.5}, {"global", 9.9}};
  std::vector<SystemTime> froms;
  auto spent = [&](const BudgetRule& b, SystemTime from) {
    froms.push_back(from);
    return b.scope == "global" ? spend["global"] : spend[b.name];
  };
  const SystemTime now = at_utc(2026, 11, 24, 12);
  std::vector<size_t> refused;
  BudgetCheck c = evaluate_budgets(rules, "openai", "", 1.0, now, spent, &refused);
  EXPECT_FALSE(c.allowed);
  EXPECT_EQ(c.blocked_by, "budget day provider=openai: 4.5000 of 5.00 USD spent");
  EXPECT_EQ(refused, std::vector<size_t>{0});
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0], "budget month global: 9.9000 of 10.00 USD spent (limit exceeded)");
  EXPECT_NEAR(c.remaining_usd, 0.1, 1e-9);
  EXPECT_EQ(froms, (std::vector<SystemTime>{at_utc(2026, 11, 24, 0), at_utc(2026, 11, 1, 0)}));

  BudgetCheck small = evaluate_budgets(rules, "openai", "", 0.0, now, spent);
  EXPECT_TRUE(small.allowed) << "4.5 + 0 is within 5";
  ASSERT_EQ(small.warnings.size(), 2u);
  EXPECT_NE(small.warnings[0].find("(over 80%)"), std::string::npos) << small.warnings[0];
}

TEST(BudgetPolicy, NoApplicableRuleAllowsEverything) {
  const std::vector<BudgetRule> rules = {{"provider", "x", "day", 0.0, "stop"}};
  BudgetCheck c = evaluate_budgets(rules, "openai", "", 100.0, SystemTime{},
                                   [](const BudgetRule&, SystemTime) { return 1e9; });
  EXPECT_TRUE(c.allowed);
  EXPECT_TRUE(c.warnings.empty());
  EXPECT_EQ(c.remaining_usd, 1e300);
}

}  // namespace
}  // namespace ploke
