// LlmClient with shared state (LlmClientOptions::shared): three instances, each with its
// own SharedState over one MemoryStore, in front of the same simulated providers, in
// virtual time: one provider limit for all, a breaker opened by one instance applied by
// the others, one half-open trial across them.
#include <gtest/gtest.h>

#include "llm_client_fixture.h"
#include "ploke/resilience/shared_budgets.h"
#include "ploke/resilience/shared_state.h"

namespace ploke::resilience {
namespace {

class LlmClientSharedTest : public LlmClientTest {
 protected:
  /// `n` instances over the fixture's engines (call add_sim first).
  void make_instances(size_t n, LlmClientOptions o, std::vector<BudgetRule> budgets = {}) {
    for (size_t i = 0; i < n; ++i) {
      states_.push_back(std::make_unique<SharedState>(clock_, store_, SharedStateOptions{.instance_id = "i" + std::to_string(i)}));
      o.shared = states_.back().get();
      if (!budgets.empty()) {
        budgets_.push_back(std::make_unique<SharedBudgets>(clock_, *states_.back(), budgets));
        o.usage_sink = budgets_.back().get();
        o.budget_oracle = budgets_.back().get();
      }
      make_client(o);
      clients_.push_back(std::move(client_));
    }
  }
  Result<ChatResponse> call(size_t instance, RequestTrace* trace = nullptr) {
    return clients_[instance]->complete(hello(), {}, trace);
  }
  BreakerState breaker(size_t instance, const std::string& endpoint) {
    for (const auto& h : clients_[instance]->health())
      if (h.endpoint_id == endpoint) return h.breaker;
    return BreakerState::kClosed;
  }

  MemoryStore store_{clock_};
  std::vector<std::unique_ptr<SharedState>> states_;
  std::vector<std::unique_ptr<SharedBudgets>> budgets_;
  std::vector<std::unique_ptr<LlmClient>> clients_;
};

bool has_note(const RequestTrace& t, std::string_view text) {
  for (const auto& n : t.notes)
    if (n.find(text) != std::string::npos) return true;
  return false;
}

TEST_F(LlmClientSharedTest, OneProviderLimitAcrossThreeInstances) {
  add_sim("alpha");
  LlmClientOptions o = base_options();
  o.provider_limits["alpha"] = RateLimits{5, 0};
  o.learn_rate_limits = false;  // the simulator's headers advertise 10,000/min
  make_instances(3, o);
  int ok = 0, limited = 0;
  for (int round = 0; round < 4; ++round) {
    for (size_t i = 0; i < 3; ++i) {
      RequestTrace trace;
      auto r = call(i, &trace);
      if (r.ok()) ++ok;
      if (!r.ok() && r.status().code() == StatusCode::kRateLimited) {
        ++limited;
        EXPECT_TRUE(has_note(trace, "shared rate limit")) << render_trace_text(trace);
      }
    }
  }
  EXPECT_EQ(ok, 5);  // each instance alone would have let 5 through: 12 in all
  EXPECT_EQ(limited, 7);
  EXPECT_EQ(bodies_[0].size(), 5u);
  clock_.advance(62s);  // the next window
  EXPECT_TRUE(call(2).ok());
}

TEST_F(LlmClientSharedTest, BreakerOpenedByOneInstanceIsAppliedByTheOthers) {
  add_sim("alpha", R"({"faults":[{"kind":"http_error","status":500}]})");
  add_sim("beta");
  make_instances(3, base_options());
  while (breaker(0, "alpha/gpt-4o") == BreakerState::kClosed) ASSERT_TRUE(call(0).ok());  // fell over to beta
  const size_t alpha_seen = bodies_[0].size();
  for (size_t i = 1; i < 3; ++i) {
    RequestTrace trace;
    ASSERT_TRUE(call(i, &trace).ok());
    EXPECT_EQ(breaker(i, "alpha/gpt-4o"), BreakerState::kOpen);
  }
  EXPECT_EQ(bodies_[0].size(), alpha_seen);  // the others sent alpha nothing
}

TEST_F(LlmClientSharedTest, OneHalfOpenTrialAcrossInstances) {
  add_sim("alpha", R"({"faults":[{"kind":"http_error","status":500}]})");
  add_sim("beta");
  LlmClientOptions o = base_options();
  o.breaker.half_open_trials = 1;
  make_instances(2, o);
  while (breaker(0, "alpha/gpt-4o") == BreakerState::kClosed) ASSERT_TRUE(call(0).ok());
  ASSERT_TRUE(call(1).ok());  // instance 1 applies the open breaker
  ASSERT_EQ(breaker(1, "alpha/gpt-4o"), BreakerState::kOpen);
  clock_.advance(10s);  // both open waits are over: both half-open
  ASSERT_EQ(breaker(0, "alpha/gpt-4o"), BreakerState::kHalfOpen);
  ASSERT_EQ(breaker(1, "alpha/gpt-4o"), BreakerState::kHalfOpen);
  const size_t before = bodies_[0].size();
  RequestTrace t0, t1;
  ASSERT_TRUE(call(0, &t0).ok());  // claims the trial, which fails: falls over to beta
  ASSERT_TRUE(call(1, &t1).ok());
  EXPECT_EQ(bodies_[0].size(), before + 1);  // one trial across both
  EXPECT_TRUE(has_note(t1, "another instance runs its half-open trial")) << render_trace_text(t1);
}

TEST_F(LlmClientSharedTest, SharedStopBudgetStopsEveryInstanceAtTheSameSpend) {
  add_sim("alpha");
  const double limit = 0.02;
  make_instances(2, base_options(), {BudgetRule{"provider", "alpha", "day", limit, "stop"}});
  double spent = 0, max_cost = 0;
  int served[2] = {0, 0};
  bool stopped[2] = {false, false};
  for (int round = 0; round < 500 && !(stopped[0] && stopped[1]); ++round) {
    for (size_t i = 0; i < 2; ++i) {
      RequestTrace trace;
      auto r = call(i, &trace);
      if (r.ok()) {
        EXPECT_FALSE(stopped[i]) << "a stopped instance served again";
        spent += trace.total_cost_usd;
        max_cost = std::max(max_cost, trace.total_cost_usd);
        ++served[i];
      } else {
        EXPECT_EQ(r.status().code(), StatusCode::kInsufficientCredits) << r.status().to_string();
        stopped[i] = true;
      }
    }
  }
  ASSERT_TRUE(stopped[0] && stopped[1]);
  EXPECT_GT(served[0], 1);
  EXPECT_GT(served[1], 1);
  EXPECT_LE(spent, limit);  // both together, not each: the forecast (512 output tokens) keeps it under
  const double forecast = 512 * 10.0 / 1e6 + 0.0001;
  EXPECT_GE(spent, limit - forecast - 2 * max_cost) << "stopped before the shared budget was used";
}

}  // namespace
}  // namespace ploke::resilience
