// LlmClient end to end in virtual time (llm_client_fixture.h): routing, retries with
// backoff and Retry-After, fall-over, deadlines, retry budget, breakers, pins, sticky
// keys, capability filters, traces and metrics.
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

TEST_F(LlmClientTest, SuccessOnThePick) {
  add_sim("alpha");
  add_sim("beta");
  make_client();
  RequestTrace trace;
  auto r = client_->complete(hello(), {}, &trace);
  ASSERT_OK(r);
  EXPECT_FALSE(r->content.empty());
  EXPECT_EQ(trace.served_by, "alpha/gpt-4o");
  ASSERT_EQ(trace.attempts.size(), 1u);
  EXPECT_EQ(trace.attempts[0].decision, "done");
  EXPECT_GT(trace.attempts[0].cost_usd, 0.0);
  EXPECT_EQ(trace.candidates.size(), 2u);
  EXPECT_EQ(trace.candidates[0].chain_position, 0);
  EXPECT_EQ(trace.candidates[1].chain_position, 1);
  EXPECT_EQ(engines_[1]->request_count(), 0u);
  EXPECT_EQ(client_->metric(MetricId::kRequests, {"ok"}), 1.0);
}

TEST_F(LlmClientTest, FallsOverWhenPrimary429sWithLongRetryAfter) {
  add_sim("alpha", R"({"faults":[{"kind":"http_error","status":429,"retry_after_ms":60000}]})");
  add_sim("beta");
  make_client();
  const TimePoint t0 = clock_.now();
  RequestTrace trace;
  auto r = client_->complete(hello(), {}, &trace);
  ASSERT_OK(r);
  EXPECT_EQ(trace.served_by, "beta/gpt-4o");
  ASSERT_EQ(trace.attempts.size(), 2u);
  EXPECT_EQ(trace.attempts[0].outcome, StatusCode::kRateLimited);
  EXPECT_NE(trace.attempts[0].decision.find("fall over: retry-after 60s exceeds"), std::string::npos)
      << trace.attempts[0].decision;
  EXPECT_LT(clock_.now() - t0, 5s);  // fell over now, did not wait a minute
  // The limiter learned alpha is blocked: the next request goes straight to beta.
  RequestTrace t2;
  ASSERT_OK(client_->complete(hello(), {}, &t2));
  EXPECT_EQ(t2.attempts.size(), 1u);
  EXPECT_EQ(t2.served_by, "beta/gpt-4o");
  EXPECT_EQ(t2.candidates[0].removed_by, "rate_limit");
  EXPECT_EQ(engines_[0]->request_count(), 1u);
}

TEST_F(LlmClientTest, RetryAfterIsHonouredOnTheSameEndpoint) {
  add_sim("alpha", R"({"faults":[{"kind":"http_error","status":429,"retry_after_ms":1500,"trigger":{"times":1}}]})");
  add_sim("beta");
  make_client();
  RequestTrace trace;
  auto r = client_->complete(hello(), {}, &trace);
  ASSERT_OK(r);
  ASSERT_EQ(trace.attempts.size(), 2u);
  EXPECT_EQ(trace.attempts[0].backoff, 1500ms);
  EXPECT_NE(trace.attempts[0].decision.find("(retry-after)"), std::string::npos);
  EXPECT_EQ(trace.attempts[1].endpoint_id, "alpha/gpt-4o");
  EXPECT_GE(trace.attempts[1].start - (trace.attempts[0].start + trace.attempts[0].duration), 1500ms);
  EXPECT_EQ(engines_[1]->request_count(), 0u);
}

TEST_F(LlmClientTest, RetriesThenFallsOverOn5xx) {
  add_sim("alpha", R"({"faults":[{"kind":"http_error","status":500}]})");
  add_sim("beta");
  make_client();
  RequestTrace trace;
  auto r = client_->complete(hello(), {}, &trace);
  ASSERT_OK(r);
  ASSERT_EQ(trace.attempts.size(), 4u);  // 1 + 2 retries on alpha, then beta
  EXPECT_EQ(trace.attempts[0].backoff, 100ms);
  EXPECT_EQ(trace.attempts[1].backoff, 200ms);
  EXPECT_NE(trace.attempts[2].decision.find("fall over"), std::string::npos);
  EXPECT_EQ(trace.attempts[3].endpoint_id, "beta/gpt-4o");
  EXPECT_EQ(attempts("alpha", StatusCode::kServerError), 3.0);
  EXPECT_EQ(client_->metric(MetricId::kRetries, {"alpha/gpt-4o"}), 2.0);
  EXPECT_EQ(client_->metric(MetricId::kFallovers, {"alpha/gpt-4o"}), 1.0);
}

TEST_F(LlmClientTest, FallsOverWhenPrimaryTimesOut) {
  add_sim("alpha", R"({"faults":[{"kind":"hang"}]})");
  add_sim("beta");
  make_client();
  const TimePoint t0 = clock_.now();
  RequestTrace trace;
  auto r = client_->complete(hello(), {}, &trace);
  ASSERT_OK(r);
  ASSERT_EQ(trace.attempts.size(), 3u);  // timeout, 1 retry (timeouts: 1), beta
  EXPECT_EQ(trace.attempts[0].outcome, StatusCode::kTimeout);
  EXPECT_EQ(trace.attempts[0].duration, 5s);  // first-byte timeout, in virtual time
  EXPECT_EQ(trace.served_by, "beta/gpt-4o");
  EXPECT_LT(clock_.now() - t0, 11s);
}

TEST_F(LlmClientTest, DeadlineCutsOffRetriesAndAttempts) {
  add_sim("alpha", R"({"faults":[{"kind":"hang"}]})");
  add_sim("beta", R"({"faults":[{"kind":"hang"}]})");
  make_client();
  ChatRequest req = hello();
  req.meta.deadline = 3s;
  const TimePoint t0 = clock_.now();
  RequestTrace trace;
  auto r = client_->complete(req, {}, &trace);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kTimeout);
  EXPECT_LE(clock_.now() - t0, 3s);  // never past the deadline
  ASSERT_GE(trace.attempts.size(), 1u);
  EXPECT_EQ(trace.attempts[0].duration, 3s);  // the attempt's total timeout was cut to the deadline
}

TEST_F(LlmClientTest, RetryAfterLongerThanDeadlineFallsOverNow) {
  add_sim("alpha", R"({"faults":[{"kind":"http_error","status":429,"retry_after_ms":4000}]})");
  add_sim("beta");
  make_client();
  ChatRequest req = hello();
  req.meta.deadline = 2s;
  RequestTrace trace;
  auto r = client_->complete(req, {}, &trace);
  ASSERT_OK(r);
  EXPECT_EQ(trace.served_by, "beta/gpt-4o");
  EXPECT_NE(trace.attempts[0].decision.find("does not fit"), std::string::npos) << trace.attempts[0].decision;
}

TEST_F(LlmClientTest, RetryBudgetCapsAStorm) {
  add_sim("alpha", R"({"faults":[{"kind":"http_error","status":503}]})");
  LlmClientOptions o = base_options();
  o.breaker.consecutive_failures = 0;       // keep the breaker out of it
  o.breaker.failure_rate_threshold = 2.0;
  o.budget = RetryBudgetConfig{0.2, 3, WindowConfig{1s, 60}};
  make_client(o);
  int failed = 0;
  for (int i = 0; i < 100; ++i) {
    auto r = client_->complete(hello());
    failed += !r.ok();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kOverloaded);  // classified, not lost
  }
  EXPECT_EQ(failed, 100);
  const double total = attempts("alpha", StatusCode::kOverloaded);
  // Without a budget: 300 attempts. With it: 100 + at most 3 + 20 % of 100.
  EXPECT_LE(total, 100 + 3 + 20);
  EXPECT_GE(total, 100 + 3);
  EXPECT_GT(client_->metric(MetricId::kRetryBudgetDenied, {}), 0.0);
  EXPECT_EQ(static_cast<double>(engines_[0]->request_count()), total);
}

TEST_F(LlmClientTest, BreakerOpensThenRoutingSkipsThePrimary) {
  add_sim("alpha", R"({"faults":[{"kind":"http_error","status":500}]})");
  add_sim("beta");
  LlmClientOptions o = base_options();
  o.breaker.consecutive_failures = 5;
  make_client(o);
  for (int i = 0; i < 2; ++i) ASSERT_OK(client_->complete(hello()));  // 3 alpha failures each
  auto h = client_->health();
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].breaker, BreakerState::kOpen);
  EXPECT_GT(h[0].open_remaining, 0ns);
  RequestTrace trace;
  ASSERT_OK(client_->complete(hello(), {}, &trace));
  EXPECT_EQ(trace.candidates[0].removed_by, "breaker");
  ASSERT_EQ(trace.attempts.size(), 1u);
  EXPECT_EQ(trace.served_by, "beta/gpt-4o");
  EXPECT_EQ(client_->metric(MetricId::kBreakerTransitions, {"alpha/gpt-4o", "open"}), 1.0);
  const std::string text = render_health_text(client_->health());
  EXPECT_NE(text.find("alpha/gpt-4o"), std::string::npos);
  EXPECT_NE(text.find("5 consecutive failures"), std::string::npos) << text;
  EXPECT_NE(text.find("server_error"), std::string::npos);
  // After the open wait, a half-open trial goes to alpha again (and fails: reopens, longer).
  clock_.advance(h[0].open_remaining);
  RequestTrace t3;
  ASSERT_OK(client_->complete(hello(), {}, &t3));
  EXPECT_EQ(t3.attempts[0].endpoint_id, "alpha/gpt-4o");
  EXPECT_EQ(client_->health()[0].breaker, BreakerState::kOpen);
  EXPECT_EQ(client_->health()[0].openings, 2u);
}

TEST_F(LlmClientTest, PinnedRequestIsNeverRerouted) {
  add_sim("alpha", R"({"faults":[{"kind":"http_error","status":500}]})");
  add_sim("beta");
  LlmClientOptions o = base_options();
  o.router.default_policy = "reliability";
  make_client(o);
  CallControl pin;
  pin.pin = "alpha";
  auto r = client_->complete(hello(), pin);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kServerError);
  EXPECT_EQ(engines_[1]->request_count(), 0u);
}

TEST_F(LlmClientTest, StickyKeyKeepsAConversationOnItsEndpoint) {
  add_sim("alpha", R"({"faults":[{"kind":"http_error","status":500,"should_retry":false,"trigger":{"times":1}}]})");
  add_sim("beta");
  make_client();
  CallControl ctl;
  ctl.sticky_key = "conversation-42";
  RequestTrace t1, t2, t3;
  ASSERT_OK(client_->complete(hello(), ctl, &t1));
  EXPECT_EQ(t1.served_by, "beta/gpt-4o");  // alpha failed once: fell over
  ASSERT_OK(client_->complete(hello(), ctl, &t2));
  EXPECT_TRUE(t2.sticky_hit);
  EXPECT_EQ(t2.served_by, "beta/gpt-4o");  // stays where its prompt cache is warm
  ASSERT_OK(client_->complete(hello(), {}, &t3));
  EXPECT_EQ(t3.served_by, "alpha/gpt-4o");  // other traffic follows the policy
}

TEST_F(LlmClientTest, TraceExplainsAFallback) {
  add_sim("alpha", R"({"faults":[{"kind":"http_error","status":500}]})");
  add_sim("beta");
  make_client();
  RequestTrace trace;
  ChatRequest req = hello();
  req.meta.request_id = "req-trace-1";
  ASSERT_OK(client_->complete(req, {}, &trace));
  const std::string text = render_trace_text(trace);
  const std::string json = render_trace_json(trace);
  if (std::getenv("PLOKE_PRINT_TRACE")) std::cout << text << json << "\n";
  EXPECT_NE(text.find("request req-trace-1  policy=pinned"), std::string::npos) << text;
  EXPECT_NE(text.find("alpha/gpt-4o"), std::string::npos);
  EXPECT_NE(text.find("server_error: retry in 100ms (backoff)"), std::string::npos) << text;
  EXPECT_NE(text.find("fall over: server_error: 2 retries on this endpoint used"), std::string::npos) << text;
  EXPECT_NE(text.find("served by beta/gpt-4o"), std::string::npos);
  EXPECT_NE(json.find("\"served_by\":\"beta/gpt-4o\""), std::string::npos);
  EXPECT_EQ(text.find("FAKE"), std::string::npos);  // no key in the trace
  EXPECT_EQ(json.find("FAKE"), std::string::npos);
}

TEST_F(LlmClientTest, CapabilityFilterAndUnknownPolicy) {
  add_sim("alpha");
  make_client();
  ChatRequest req = hello();
  req.meta.required.min_context_tokens = 1'000'000;
  auto r = client_->complete(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kContextLengthExceeded);
  CallControl c;
  c.policy = "fastest";
  r = client_->complete(hello(), c);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidRequest);
  EXPECT_OK(client_->set_policy("cost"));
  EXPECT_EQ(client_->policy(), "cost");
  EXPECT_FALSE(client_->set_policy("fastest").ok());
}

TEST_F(LlmClientTest, MetricsTextListsEveryDeclaredMetric) {
  add_sim("alpha");
  make_client();
  ASSERT_OK(client_->stream(hello(), [](const StreamEvent&) {}));
  const std::string text = client_->metrics_text();
  for (const auto& d : metric_defs()) {
    EXPECT_NE(text.find("# TYPE " + std::string(d.name)), std::string::npos) << d.name;
  }
  EXPECT_NE(text.find("ploke_llm_requests_total{outcome=\"ok\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("ploke_llm_breaker_state{endpoint=\"alpha/gpt-4o\"} 0"), std::string::npos);
  EXPECT_NE(text.find("ploke_llm_ttft_seconds_count{endpoint=\"alpha/gpt-4o\"} 1"), std::string::npos);
  EXPECT_NE(text.find("ploke_llm_queue_depth{lane=\"bulk\"} 0"), std::string::npos);
  EXPECT_NE(text.find("ploke_llm_tokens_total{endpoint=\"alpha/gpt-4o\",kind=\"completion\"}"), std::string::npos);
}


// Under a policy that ranks the recovering endpoint last (reliability: alpha's stats are
// full of failures), the half-open trial must still come from live traffic; otherwise
// alpha's breaker stays half-open forever and alpha never gets traffic back.
TEST_F(LlmClientTest, HalfOpenEndpointGetsItsTrialUnderTheReliabilityPolicy) {
  SimEngine& alpha = add_sim("alpha", R"({"faults":[{"kind":"http_error","status":500}]})");
  add_sim("beta");
  LlmClientOptions o = base_options();
  o.router.default_policy = "reliability";
  o.breaker.consecutive_failures = 3;
  make_client(o);
  for (int i = 0; i < 6; ++i) ASSERT_OK(client_->complete(hello()));  // beta answers
  ASSERT_EQ(client_->health()[0].breaker, BreakerState::kOpen);
  alpha.clear_faults();                       // the outage is over
  clock_.advance(client_->health()[0].open_remaining + 1s);
  bool trial_noted = false;
  for (int i = 0; i < 5; ++i) {
    RequestTrace trace;
    ASSERT_OK(client_->complete(hello(), {}, &trace));
    for (const auto& n : trace.notes) trial_noted = trial_noted || n.find("half-open trial") != std::string::npos;
  }
  EXPECT_TRUE(trial_noted);
  EXPECT_EQ(client_->health()[0].breaker, BreakerState::kClosed);  // the trials succeeded
  EXPECT_GE(attempts("alpha", StatusCode::kOk), 3.0);
}

}  // namespace
}  // namespace ploke::resilience
