// LlmClient's usage sink and budget oracle in virtual time (llm_client_fixture.h): every
// attempt labelled, a failing sink never fails the call, stop budgets filter providers,
// budgets checked again before later attempts, plan() forecasts without sending.
#include "ploke/resilience/llm_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <thread>

#include "llm_client_fixture.h"
#include "ploke/adapters/openai/adapter.h"
#include "ploke/core/in_process_transport.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan_json.h"
#include "support/test_support.h"

namespace ploke::resilience {
namespace {

using namespace std::chrono_literals;
using simulator::SimEngine;
using simulator::SimOptions;

// --- usage hook and budgets -------------------------------------------------------------

struct FakeSink : UsageSink {
  Status record_attempt(const AttemptRecord& a) override {
    rows.push_back(a);
    return fail ? InternalError("disk full") : Status::Ok();
  }
  std::vector<AttemptRecord> rows;
  bool fail = false;
};

// Per provider: how many checks pass before a "stop" refuses; warnings always.
struct FakeOracle : BudgetOracle {
  double remaining_budget(std::string_view provider, std::string_view) override {
    auto it = remaining.find(std::string(provider));
    return it == remaining.end() ? 1e300 : it->second;
  }
  BudgetCheck check_budget(std::string_view provider, std::string_view profile, double est) override {
    calls.push_back(std::string(provider) + "/" + std::string(profile));
    est_seen.push_back(est);
    BudgetCheck c;
    c.remaining_usd = remaining_budget(provider, profile);
    auto it = allow_checks.find(std::string(provider));
    if (it != allow_checks.end()) {
      if (it->second == 0) {
        c.allowed = false;
        c.blocked_by = "budget day provider=" + std::string(provider) + ": 5.0000 of 5.00 USD spent";
      } else {
        --it->second;
      }
    }
    auto w = warn.find(std::string(provider));
    if (w != warn.end()) c.warnings.push_back(w->second);
    return c;
  }
  std::map<std::string, double> remaining;
  std::map<std::string, int> allow_checks;  ///< absent = unlimited
  std::map<std::string, std::string> warn;
  std::vector<std::string> calls;
  std::vector<double> est_seen;
};

TEST_F(LlmClientTest, UsageSinkGetsEveryAttemptLabelled) {
  add_sim("alpha", R"({"faults":[{"kind":"http_error","status":500}]})");
  add_sim("beta");
  FakeSink sink;
  LlmClientOptions o = base_options();
  o.usage_sink = &sink;
  o.session = "s1";
  o.profile = "work";
  make_client(o);
  RequestTrace trace;
  CallControl cc;
  cc.profile = "personal";  // the call's label wins
  auto r = client_->complete(hello(), cc, &trace);
  ASSERT_OK(r);
  ASSERT_EQ(sink.rows.size(), 4u);  // 3 failed attempts on alpha are accounted too
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(sink.rows[i].outcome, "server_error") << i;
    EXPECT_EQ(sink.rows[i].provider, "alpha");
    EXPECT_EQ(sink.rows[i].kind, "attempt");
    EXPECT_EQ(sink.rows[i].number, i + 1);
    EXPECT_EQ(sink.rows[i].usage.prompt, 0u);
  }
  const AttemptRecord& ok = sink.rows[3];
  EXPECT_EQ(ok.outcome, "ok");
  EXPECT_EQ(ok.provider, "beta");
  EXPECT_EQ(ok.model, "gpt-4o");
  EXPECT_EQ(ok.endpoint_id, "beta/gpt-4o");
  EXPECT_EQ(ok.session, "s1");
  EXPECT_EQ(ok.profile, "personal");
  ASSERT_TRUE(r->usage.has_value());
  EXPECT_EQ(ok.usage.prompt, r->usage->prompt_tokens);
  EXPECT_EQ(ok.usage.completion, r->usage->completion_tokens);
  ASSERT_TRUE(ok.estimated_cost_usd.has_value());
  EXPECT_NEAR(*ok.estimated_cost_usd, (2.5 * ok.usage.prompt + 10.0 * ok.usage.completion) / 1e6, 1e-12);
  EXPECT_GT(*ok.estimated_cost_usd, 0.0);
  // One request id for all rows, also in the trace (the ledger joins on it).
  EXPECT_FALSE(ok.request_id.empty());
  for (const auto& row : sink.rows) EXPECT_EQ(row.request_id, ok.request_id);
  EXPECT_EQ(trace.request_id, ok.request_id);
  // Probes are accounted and labelled.
  sink.rows.clear();
  (void)client_->probe();
  ASSERT_EQ(sink.rows.size(), 2u);
  EXPECT_EQ(sink.rows[0].kind, "probe");
  EXPECT_EQ(sink.rows[1].kind, "probe");
  EXPECT_TRUE(sink.rows[0].request_id.empty());
  EXPECT_EQ(sink.rows[1].outcome, "ok");
}

TEST_F(LlmClientTest, FailingUsageSinkNeverFailsTheCall) {
  add_sim("alpha");
  FakeSink sink;
  sink.fail = true;
  LlmClientOptions o = base_options();
  o.usage_sink = &sink;
  make_client(o);
  RequestTrace trace;
  ASSERT_OK(client_->complete(hello(), {}, &trace));
  EXPECT_EQ(client_->metric(MetricId::kUsageSinkErrors, {}), 1.0);
  ASSERT_FALSE(trace.notes.empty());
  EXPECT_NE(trace.notes.back().find("not recorded"), std::string::npos);
}

TEST_F(LlmClientTest, StopBudgetFiltersAProviderAndWarnBudgetIsTraced) {
  add_sim("alpha");
  add_sim("beta");
  FakeOracle oracle;
  oracle.allow_checks["alpha"] = 0;  // alpha's stop budget is spent
  oracle.warn["beta"] = "budget month global: 8.1000 of 10.00 USD spent (over 80%)";
  LlmClientOptions o = base_options();
  o.budget_oracle = &oracle;
  o.profile = "work";
  make_client(o);
  RequestTrace trace;
  auto r = client_->complete(hello(), {}, &trace);
  ASSERT_OK(r);
  EXPECT_EQ(trace.served_by, "beta/gpt-4o");
  EXPECT_EQ(engines_[0]->request_count(), 0u);  // nothing spent on alpha
  EXPECT_EQ(trace.candidates[0].removed_by, "budget_stop");
  ASSERT_FALSE(oracle.calls.empty());
  EXPECT_EQ(oracle.calls[0], "alpha/work");
  EXPECT_GT(oracle.est_seen[0], 0.0);  // asked with the forecast cost
  bool warned = false, stopped = false;
  for (const auto& w : trace.budget_warnings) {
    warned = warned || w.find("over 80%") != std::string::npos;
    stopped = stopped || w.find("provider=alpha") != std::string::npos;
  }
  EXPECT_TRUE(warned);
  EXPECT_TRUE(stopped);
  EXPECT_EQ(client_->metric(MetricId::kBudgetWarnings, {"beta"}), 1.0);
  EXPECT_NE(render_trace_text(trace).find("budget: budget month global"), std::string::npos) << render_trace_text(trace);
  // Every budget spent: a classified error, nothing sent.
  oracle.allow_checks["beta"] = 0;
  auto r2 = client_->complete(hello(), {}, &trace);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.status().code(), StatusCode::kInsufficientCredits) << r2.status().to_string();
  EXPECT_NE(r2.status().message().find("budget"), std::string::npos);
  EXPECT_EQ(engines_[1]->request_count(), 1u);
}

TEST_F(LlmClientTest, BudgetIsCheckedAgainBeforeLaterAttempts) {
  add_sim("alpha", R"({"faults":[{"kind":"http_error","status":500}]})");
  add_sim("beta");
  FakeOracle oracle;
  oracle.allow_checks["alpha"] = 1;  // routing passes; the retry is refused
  LlmClientOptions o = base_options();
  o.budget_oracle = &oracle;
  make_client(o);
  RequestTrace trace;
  auto r = client_->complete(hello(), {}, &trace);
  ASSERT_OK(r);
  ASSERT_EQ(trace.attempts.size(), 2u) << render_trace_text(trace);
  EXPECT_EQ(trace.attempts[0].endpoint_id, "alpha/gpt-4o");
  EXPECT_EQ(trace.attempts[1].endpoint_id, "beta/gpt-4o");
  EXPECT_EQ(engines_[0]->request_count(), 1u);  // the retry on alpha was never sent
  EXPECT_EQ(client_->metric(MetricId::kBudgetBlocked, {"alpha"}), 1.0);
  bool noted = false;
  for (const auto& n : trace.notes) noted = noted || n.find("skipped alpha/gpt-4o: budget day") != std::string::npos;
  EXPECT_TRUE(noted) << render_trace_text(trace);
}

TEST_F(LlmClientTest, PlanForecastsWithoutSending) {
  add_sim("alpha");
  add_sim("beta");
  make_client();
  ChatRequest req = hello(std::string(4000, 'x'));
  req.max_output_tokens = 1000;
  RequestTrace plan = client_->plan(req);
  EXPECT_EQ(engines_[0]->request_count() + engines_[1]->request_count(), 0u);
  EXPECT_EQ(plan.est_prompt_tokens, estimate_prompt_tokens(req));
  EXPECT_GE(plan.est_prompt_tokens, 1000u);
  EXPECT_EQ(plan.est_output_tokens, 1000u);
  EXPECT_NEAR(plan.forecast_usd, (2.5 * plan.est_prompt_tokens + 10.0 * 1000) / 1e6, 1e-12);
  EXPECT_EQ(plan.final_code, StatusCode::kOk);
  EXPECT_NE(render_trace_text(plan).find("forecast: $"), std::string::npos);
  // The real call's trace carries the same forecast.
  RequestTrace trace;
  ASSERT_OK(client_->complete(req, {}, &trace));
  EXPECT_DOUBLE_EQ(trace.forecast_usd, plan.forecast_usd);
  // A plan that cannot route says why.
  CallControl pin;
  pin.pin = "nobody";
  EXPECT_EQ(client_->plan(req, pin).final_code, StatusCode::kNotFound);
}

}  // namespace
}  // namespace ploke::resilience
