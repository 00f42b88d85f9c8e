// LlmClient end to end in virtual time: OpenAI adapter → InProcessTransport → SimEngine
// (two simulated providers, "alpha" and "beta"), faults from simulator fault plans.
// Every wait (backoff, Retry-After, timeouts, breaker open time) costs no wall time.
#include "ploke/resilience/llm_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <deque>
#include <thread>

#include "ploke/adapters/openai/adapter.h"
#include "ploke/core/in_process_transport.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan_json.h"
#include "support/test_support.h"

namespace ploke::resilience {
namespace {

using namespace std::chrono_literals;
using sim::SimEngine;
using sim::SimOptions;

ChatRequest hello(std::string text = "Hello, please answer briefly.") {
  ChatRequest r;
  r.model = "gpt-4o";
  r.messages.push_back(Message::User(std::move(text)));
  return r;
}

LlmClientOptions base_options() {
  LlmClientOptions o;
  o.router.default_policy = "pinned";  // candidate order: alpha, then beta
  o.backoff = BackoffConfig{100ms, 2s, JitterMode::kNone};
  o.seed = 7;
  return o;
}

class LlmClientTest : public ::testing::Test {
 protected:
  void SetUp() override { adapter_ = adapters::openai::make_openai_adapter(); }

  SimEngine& add_sim(const std::string& name, std::string_view faults = "") {
    SimOptions o;
    o.seed = 100 + engines_.size();
    if (!faults.empty()) {
      auto p = sim::parse_fault_plan(faults, name);
      EXPECT_TRUE(p.ok()) << p.status().to_string();
      if (p.ok()) o.faults = *p;
    }
    auto e = SimEngine::Create(o, clock_);
    EXPECT_TRUE(e.ok()) << e.status().to_string();
    engines_.push_back(std::move(e).value());
    auto handler = sim::engine_handler(*engines_.back());
    const size_t index = engines_.size() - 1;
    bodies_.emplace_back();
    transports_.push_back(std::make_unique<InProcessTransport>(clock_, [this, handler, index](const HttpRequest& r) {
      bodies_[index].push_back(r.body);
      return handler(r);
    }));
    names_.push_back(name);
    return *engines_.back();
  }

  void make_client(LlmClientOptions o = base_options()) {
    client_ = std::make_unique<LlmClient>(clock_, std::move(o));
    for (size_t i = 0; i < names_.size(); ++i) {
      EndpointConfig c;
      c.candidate.id = names_[i] + "/gpt-4o";
      c.candidate.provider = names_[i];
      c.candidate.model = "gpt-4o";
      c.candidate.key_id = "default";
      c.candidate.caps = Capabilities{true, true, true, true, true, 0};
      c.candidate.input_usd_per_mtok = 2.5;
      c.candidate.output_usd_per_mtok = 10;
      c.adapter = adapter_.get();
      c.endpoint = Endpoint{names_[i], "http://" + names_[i] + ".sim.invalid/v1", Secret("sk-FAKE-resilience-test"), {}};
      c.transport = transports_[i].get();
      c.call_options.first_byte_timeout = 5s;
      c.call_options.idle_timeout = 5s;
      c.call_options.total_timeout = 60s;
      ASSERT_OK(client_->add_endpoint(std::move(c)));
    }
  }

  double attempts(const std::string& name, StatusCode code) {
    return client_->metric(MetricId::kAttempts, {name + "/gpt-4o", status_code_name(code)});
  }

  SimulatedClock clock_;
  ProviderAdapterPtr adapter_;
  std::vector<std::unique_ptr<SimEngine>> engines_;
  std::vector<std::unique_ptr<InProcessTransport>> transports_;
  std::vector<std::string> names_;
  std::deque<std::vector<std::string>> bodies_;  // request bodies each engine received
  std::unique_ptr<LlmClient> client_;
};

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

TEST_F(LlmClientTest, NoSilentFallbackAfterContentReachedTheCaller) {
  add_sim("alpha", R"({"faults":[{"kind":"stream_cut","after_events":4}]})");
  add_sim("beta");
  make_client();
  std::vector<StreamEvent> events;
  RequestTrace trace;
  auto r = client_->stream(hello(), [&](const StreamEvent& e) { events.push_back(e); }, {}, &trace);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kStreamInterrupted);
  EXPECT_GT(r.status().delivered().content_chars, 0u);
  EXPECT_EQ(r.status().delivered().events, events.size());
  uint64_t chars = 0;
  for (const auto& e : events) chars += e.kind == StreamEvent::Kind::kTextDelta ? e.text.size() : 0;
  EXPECT_EQ(r.status().delivered().content_chars, chars);
  EXPECT_EQ(engines_[1]->request_count(), 0u);  // no silent fallback
  EXPECT_NE(trace.attempts.back().decision.find("content already reached the caller"), std::string::npos);
}

TEST_F(LlmClientTest, StreamFailureBeforeContentFallsOverSilently) {
  add_sim("alpha", R"({"faults":[{"kind":"http_error","status":503,"should_retry":false}]})");
  add_sim("beta");
  make_client();
  std::vector<StreamEvent> events;
  auto r = client_->stream(hello(), [&](const StreamEvent& e) { events.push_back(e); });
  ASSERT_OK(r);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().kind, StreamEvent::Kind::kStart);
  int starts = 0;
  std::string text;
  for (const auto& e : events) {
    starts += e.kind == StreamEvent::Kind::kStart;
    if (e.kind == StreamEvent::Kind::kTextDelta) text += e.text;
  }
  EXPECT_EQ(starts, 1);
  EXPECT_EQ(text, r->content);
  EXPECT_EQ(r->provider, "beta");
}

TEST_F(LlmClientTest, StreamCutBeforeContentFallsOver) {
  add_sim("alpha", R"({"faults":[{"kind":"stream_cut","after_events":0}]})");
  add_sim("beta");
  make_client();
  std::vector<StreamEvent> events;
  RequestTrace trace;
  auto r = client_->stream(hello(), [&](const StreamEvent& e) { events.push_back(e); }, {}, &trace);
  ASSERT_TRUE(r.ok()) << r.status().to_string() << "\n" << render_trace_text(trace);
  EXPECT_EQ(trace.served_by, "beta/gpt-4o");
}

TEST_F(LlmClientTest, OptInContinuationAfterMidStreamCut) {
  add_sim("alpha", R"({"faults":[{"kind":"stream_cut","after_events":4}]})");
  add_sim("beta");
  LlmClientOptions o = base_options();
  o.stream_continuation = true;
  make_client(o);
  std::string text, first_delta;
  int starts = 0;
  RequestTrace trace;
  auto r = client_->stream(
      hello(),
      [&](const StreamEvent& e) {
        starts += e.kind == StreamEvent::Kind::kStart;
        if (e.kind == StreamEvent::Kind::kTextDelta && first_delta.empty()) first_delta = e.text;
        if (e.kind == StreamEvent::Kind::kTextDelta) text += e.text;
      },
      {}, &trace);
  ASSERT_TRUE(r.ok()) << r.status().to_string() << "\n" << render_trace_text(trace);
  EXPECT_EQ(starts, 1);
  EXPECT_EQ(r->content, text);  // what was delivered from alpha + beta's continuation
  EXPECT_EQ(trace.served_by, "beta/gpt-4o");
  ASSERT_FALSE(trace.notes.empty());
  EXPECT_NE(trace.notes[0].find("continuation"), std::string::npos);
  // Beta was asked to continue: the partial answer went along as an assistant message.
  ASSERT_EQ(bodies_[1].size(), 1u);
  const std::string& body = bodies_[1][0];
  ASSERT_FALSE(first_delta.empty());
  // "continuation: N chars delivered by …": the first N chars the caller got came from alpha
  // and must travel to beta as the assistant's message.
  const size_t n = std::stoul(trace.notes[0].substr(std::string("continuation: ").size()));
  ASSERT_GT(n, 0u);
  ASSERT_LT(n, text.size());
  EXPECT_NE(body.find("\"content\":\"" + text.substr(0, n) + "\""), std::string::npos)
      << "partial answer not sent along: " << body;
  EXPECT_NE(body.find("\"role\":\"assistant\""), std::string::npos) << body;
  EXPECT_NE(body.find("Continue exactly where your previous message stopped"), std::string::npos) << body;
}

TEST_F(LlmClientTest, CancelFromTheStreamCallbackAbortsTheTransfer) {
  add_sim("alpha");
  add_sim("beta");
  make_client();
  CancelToken token;
  CallControl ctl;
  ctl.cancel = &token;
  int deltas = 0;
  RequestTrace trace;
  auto r = client_->stream(
      hello(),
      [&](const StreamEvent& e) {
        if (e.kind == StreamEvent::Kind::kTextDelta && ++deltas == 2) token.cancel();
      },
      ctl, &trace);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled) << r.status().to_string();
  EXPECT_EQ(r.status().delivered().content_chars > 0, true);
  EXPECT_LE(deltas, 3);                          // the transfer stopped right away
  EXPECT_EQ(engines_[1]->request_count(), 0u);   // and nothing was retried elsewhere
  EXPECT_EQ(client_->health()[0].breaker_failure_rate, 0.0);  // not the endpoint's fault
  EXPECT_EQ(client_->queue_status().in_flight, 0u);
}

TEST_F(LlmClientTest, CancelDuringBackoffEndsTheWaitAtOnce) {
  add_sim("alpha", R"({"faults":[{"kind":"http_error","status":429,"retry_after_ms":20000}]})");
  make_client();
  CancelToken token;
  CallControl ctl;
  ctl.cancel = &token;
  const TimePoint t0 = clock_.now();
  clock_.schedule_after(3s, [&] { token.cancel(); });  // the caller gives up after 3 s
  auto r = client_->complete(hello(), ctl);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_LT(clock_.now() - t0, 4s);  // did not sit out the 20 s Retry-After
  EXPECT_EQ(engines_[0]->request_count(), 1u);
}

TEST_F(LlmClientTest, AlreadyCancelledMakesNoAttempt) {
  add_sim("alpha");
  make_client();
  CancelToken token;
  token.cancel();
  CallControl ctl;
  ctl.cancel = &token;
  auto r = client_->complete(hello(), ctl);
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(engines_[0]->request_count(), 0u);
}

TEST_F(LlmClientTest, ProbesAreBudgetedAndFeedTheBreaker) {
  add_sim("alpha", R"({"faults":[{"kind":"http_error","status":500,"trigger":{"times":5}}]})");
  add_sim("beta");
  add_sim("gamma");
  make_client();
  ProbeOptions po;
  po.max_probes_per_minute = 2;
  auto res = client_->probe(po);
  ASSERT_EQ(res.size(), 3u);
  EXPECT_EQ(res[0].outcome, "server_error");
  EXPECT_EQ(res[1].outcome, "ok");
  EXPECT_EQ(res[2].outcome, "skipped_budget");  // probes cannot multiply
  EXPECT_EQ(client_->metric(MetricId::kProbes, {"beta/gpt-4o", "ok"}), 1.0);
  EXPECT_EQ(client_->metric(MetricId::kAttempts, {"beta/gpt-4o", "ok"}), 0.0);  // not request traffic
  EXPECT_EQ(client_->metric(MetricId::kRequests, {"ok"}), 0.0);
  // Four more failed probes on alpha (budget refills at 2/min) open its breaker...
  for (int i = 0; i < 4; ++i) {
    clock_.advance(30s);
    (void)client_->probe(po);
  }
  EXPECT_EQ(client_->health()[0].breaker, BreakerState::kOpen);
  EXPECT_EQ(client_->probe(po)[0].outcome, "skipped_breaker");  // still waiting: no probe
  // ...and once the wait is over, the probe is the half-open trial (the fault is spent).
  clock_.advance(client_->health()[0].open_remaining);
  BreakerConfig bc;
  for (uint32_t i = 0; i < bc.half_open_trials; ++i) {
    clock_.advance(30s);
    auto r = client_->probe(po);
    EXPECT_EQ(r[0].outcome, "ok") << i;
  }
  EXPECT_EQ(client_->health()[0].breaker, BreakerState::kClosed);
}

TEST_F(LlmClientTest, FullLaneIsRejectedWithOverloaded) {
  add_sim("alpha");
  LlmClientOptions o = base_options();
  o.admission = AdmissionConfig{1, {0, 0, 0}};
  make_client(o);
  Result<ChatResponse> inner = InternalError("not run");
  bool once = false;
  auto r = client_->stream(hello(), [&](const StreamEvent&) {
    if (once) return;
    once = true;
    inner = client_->complete(hello());  // the only slot is held by the outer call
  });
  ASSERT_OK(r);
  ASSERT_FALSE(inner.ok());
  EXPECT_EQ(inner.status().code(), StatusCode::kOverloaded);
  EXPECT_NE(inner.status().message().find("admission queue full"), std::string::npos);
  EXPECT_EQ(client_->metric(MetricId::kAdmissionRejected, {"interactive"}), 1.0);
}

TEST_F(LlmClientTest, DeadlineWhileQueuedEndsTheWait) {
  add_sim("alpha");
  LlmClientOptions o = base_options();
  o.admission = AdmissionConfig{1, {4, 4, 4}};
  make_client(o);
  Result<ChatResponse> inner = InternalError("not run");
  TimePoint inner_start{}, inner_end{};
  bool once = false;
  auto r = client_->stream(hello(), [&](const StreamEvent&) {
    if (once) return;
    once = true;
    ChatRequest req = hello();
    req.meta.deadline = 1s;
    inner_start = clock_.now();
    inner = client_->complete(req);  // queued behind the outer call, which cannot finish meanwhile
    inner_end = clock_.now();
  });
  ASSERT_OK(r);
  ASSERT_FALSE(inner.ok());
  EXPECT_EQ(inner.status().code(), StatusCode::kTimeout);
  EXPECT_NE(inner.status().message().find("while waiting for admission"), std::string::npos);
  EXPECT_EQ(inner_end - inner_start, 1s);
  auto q = client_->queue_status();
  EXPECT_EQ(q.in_flight, 0u);
  EXPECT_EQ(q.lanes[0].cancelled, 1u);
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

TEST_F(LlmClientTest, NoRequestLostUnderMixedFaults) {
  add_sim("alpha", R"({"faults":[
      {"kind":"http_error","status":429,"retry_after_ms":200,"trigger":{"probability":0.15}},
      {"kind":"http_error","status":500,"trigger":{"probability":0.1}},
      {"kind":"hang","trigger":{"probability":0.05}},
      {"kind":"reset","trigger":{"probability":0.05}},
      {"kind":"stream_cut","after_events":3,"trigger":{"probability":0.1}},
      {"kind":"malformed_json","trigger":{"probability":0.05}}]})");
  add_sim("beta", R"({"faults":[
      {"kind":"http_error","status":529,"trigger":{"probability":0.2}},
      {"kind":"empty_reply","trigger":{"probability":0.05}},
      {"kind":"mid_stream_error","after_events":2,"trigger":{"probability":0.1}}]})");
  make_client();
  int ok = 0, failed = 0;
  for (int i = 0; i < 200; ++i) {
    ChatRequest req = hello();
    req.meta.deadline = 30s;
    Result<ChatResponse> r = InternalError("unset");
    if (i % 2) r = client_->stream(req, [](const StreamEvent&) {});
    else r = client_->complete(req);
    if (r.ok()) {
      ++ok;
    } else {
      ++failed;
      EXPECT_NE(r.status().code(), StatusCode::kInternal) << r.status().to_string();
    }
  }
  EXPECT_EQ(ok + failed, 200);
  EXPECT_GT(ok, 150);
  double total = 0;
  for (size_t c = 0; c < kNumStatusCodes; ++c) {
    total += client_->metric(MetricId::kRequests, {status_code_name(static_cast<StatusCode>(c))});
  }
  EXPECT_EQ(total, 200.0);
  EXPECT_EQ(client_->queue_status().in_flight, 0u);
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

// Priority order under load, with real threads: one slot; the running call holds it
// while five more queue (admitted one by one so arrival order is fixed); they are then
// served interactive first, bulk last. RealClock with a zero-latency engine: no sleeps.
TEST(LlmClientLoadTest, PriorityOrderUnderLoad) {
  RealClock clock;
  SimOptions so;
  so.latency = sim::LatencyModel::Fast();
  auto engine = SimEngine::Create(so, clock);
  ASSERT_OK(engine);
  InProcessTransport inner(clock, sim::engine_handler(**engine));
  // Records which request reached the provider, in order (one slot: the admission order).
  std::mutex mu;
  std::vector<std::string> order;
  class Recording final : public Transport {
   public:
    Recording(Transport& t, std::mutex& m, std::vector<std::string>& o) : t_(t), m_(m), o_(o) {}
    CallPtr start(const HttpRequest& r, const CallOptions& opts, ResponseHandler& h) override {
      const size_t at = r.body.find("request ");
      if (at != std::string::npos) {
        std::lock_guard<std::mutex> g(m_);
        o_.push_back(r.body.substr(at + 8, r.body.find('"', at) - at - 8));
      }
      return t_.start(r, opts, h);
    }
    Transport& t_;
    std::mutex& m_;
    std::vector<std::string>& o_;
  } transport(inner, mu, order);
  auto adapter = adapters::openai::make_openai_adapter();
  LlmClientOptions o = base_options();
  o.admission = AdmissionConfig{1, {8, 8, 8}};
  LlmClient client(clock, o);
  EndpointConfig c;
  c.candidate.id = "sim/gpt-4o";
  c.candidate.provider = "sim";
  c.candidate.model = "gpt-4o";
  c.candidate.caps = Capabilities{true, true, true, true, true, 0};
  c.adapter = adapter.get();
  c.endpoint = Endpoint{"sim", "http://sim.invalid/v1", Secret("sk-FAKE-resilience-test"), {}};
  c.transport = &transport;
  c.call_options.total_timeout = 30s;
  ASSERT_OK(client.add_endpoint(std::move(c)));

  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  auto queued_total = [&] {
    size_t n = 0;
    for (const auto& l : client.queue_status().lanes) n += l.depth;
    return n;
  };
  struct Job { std::string name; ChatRequest req; };
  std::vector<Job> jobs;
  auto make = [](std::string name, Priority p, std::optional<uint32_t> max_out, bool tool_turn) {
    ChatRequest r = hello("request " + name);
    r.meta.priority = p;
    r.max_output_tokens = max_out;
    if (tool_turn) {
      Message call{Role::kAssistant, {}, {ToolCall{"call_1", "lookup", "{}"}}, {}, {}};
      r.messages.push_back(std::move(call));
      r.messages.push_back(Message::ToolResult("call_1", "{\"ok\":true}"));
    }
    return Job{std::move(name), std::move(r)};
  };
  jobs.push_back(make("bulk-1", Priority::kNormal, 4096, false));
  jobs.push_back(make("normal-1", Priority::kNormal, 1024, false));
  jobs.push_back(make("tool-1", Priority::kNormal, 4096, true));
  jobs.push_back(make("low-1", Priority::kLow, std::nullopt, false));
  jobs.push_back(make("short-1", Priority::kNormal, 100, false));
  bool spawned = false;
  auto r = client.stream(hello("the running one"), [&](const StreamEvent&) {
    if (spawned) return;
    spawned = true;
    for (size_t i = 0; i < jobs.size(); ++i) {
      threads.emplace_back([&, i] {
        auto res = client.complete(jobs[i].req);
        std::lock_guard<std::mutex> g(mu);
        if (!res.ok()) failures.push_back(jobs[i].name + ": " + res.status().to_string());
      });
      while (queued_total() < i + 1) std::this_thread::yield();  // wait until it queued
    }
  });
  for (auto& t : threads) t.join();
  ASSERT_OK(r);
  EXPECT_TRUE(failures.empty()) << failures.front();
  EXPECT_EQ(order, (std::vector<std::string>{"tool-1", "short-1", "normal-1", "bulk-1", "low-1"}));
  auto q = client.queue_status();
  EXPECT_EQ(q.in_flight, 0u);
  EXPECT_EQ(q.lanes[0].queued, 2u);
  EXPECT_EQ(q.lanes[2].queued, 2u);
}

// A blocking transport (like HttpTransport's plain-HTTP path) delivers the whole body inside
// start(), before the façade can register the call with the CancelToken: a cancel from the
// stream callback must still stop the transfer at the next chunk.
TEST(LlmClientCancelTest, CancelStopsABlockingTransferAtTheNextChunk) {
  SimulatedClock clock;
  struct Done final : Call {
    void cancel() override {}
    bool done() const override { return true; }
  };
  class Blocking final : public Transport {
   public:
    CallPtr start(const HttpRequest&, const CallOptions&, ResponseHandler& h) override {
      Headers hs;
      hs.add("content-type", "text/event-stream");
      h.on_head(200, hs);
      bool go = true;
      for (int i = 0; i < 20 && go; ++i) {
        ++chunks_delivered;
        go = h.on_body(
            "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\","
            "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},\"finish_reason\":null}]}\n\n");
      }
      if (go) h.on_body("data: [DONE]\n\n");
      h.on_complete(go ? Status::Ok() : CancelledError("handler stopped the transfer"));
      return std::make_unique<Done>();
    }
    int chunks_delivered = 0;
  } transport;
  auto adapter = adapters::openai::make_openai_adapter();
  LlmClient client(clock, base_options());
  EndpointConfig c;
  c.candidate.id = "blocking/gpt-4o";
  c.candidate.provider = "blocking";
  c.candidate.model = "gpt-4o";
  c.candidate.caps = Capabilities{true, true, true, true, true, 0};
  c.adapter = adapter.get();
  c.endpoint = Endpoint{"blocking", "http://blocking.invalid/v1", Secret("sk-FAKE-resilience-test"), {}};
  c.transport = &transport;
  ASSERT_OK(client.add_endpoint(std::move(c)));
  CancelToken token;
  CallControl ctl;
  ctl.cancel = &token;
  int deltas = 0;
  auto r = client.stream(
      hello(), [&](const StreamEvent& e) {
        if (e.kind == StreamEvent::Kind::kTextDelta && ++deltas == 2) token.cancel();
      },
      ctl);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled) << r.status().to_string();
  EXPECT_LE(transport.chunks_delivered, 3);  // not all 20
}


// Each endpoint serves its own model: falling over to another provider sends that
// provider's model id, not the request's (which named the primary's).
TEST(LlmClientModelTest, FallOverSendsTheEndpointsOwnModel) {
  SimulatedClock clock;
  SimOptions so;
  so.latency = sim::LatencyModel::Fast();
  auto primary = SimEngine::Create(so, clock);
  auto secondary = SimEngine::Create(so, clock);
  ASSERT_OK(primary);
  ASSERT_OK(secondary);
  auto plan = sim::parse_fault_plan(R"({"faults":[{"kind":"http_error","status":500}]})", "test");
  ASSERT_OK(plan);
  ASSERT_OK((*primary)->set_faults(*plan));
  InProcessTransport tp(clock, sim::engine_handler(**primary));
  InProcessTransport ts_inner(clock, sim::engine_handler(**secondary));
  class Recording final : public Transport {
   public:
    explicit Recording(Transport& t) : t_(t) {}
    CallPtr start(const HttpRequest& r, const CallOptions& o, ResponseHandler& h) override {
      bodies.push_back(r.body);
      return t_.start(r, o, h);
    }
    std::vector<std::string> bodies;
    Transport& t_;
  } ts(ts_inner);
  auto adapter = adapters::openai::make_openai_adapter();
  LlmClient client(clock, base_options());
  auto add = [&](const char* id, const char* provider, const char* model, Transport& t) {
    EndpointConfig c;
    c.candidate.id = id;
    c.candidate.provider = provider;
    c.candidate.model = model;
    c.candidate.caps = Capabilities{true, true, true, true, true, 0};
    c.adapter = adapter.get();
    c.endpoint = Endpoint{provider, "http://sim.invalid/v1", Secret("sk-FAKE-resilience-test"), {}};
    c.transport = &t;
    return client.add_endpoint(std::move(c));
  };
  ASSERT_OK(add("alpha/gpt-4o", "alpha", "gpt-4o", tp));
  ASSERT_OK(add("beta/gpt-4.1-mini", "beta", "gpt-4.1-mini", ts));
  auto r = client.complete(hello());  // asks for gpt-4o
  ASSERT_OK(r);
  ASSERT_FALSE(ts.bodies.empty());
  EXPECT_NE(ts.bodies.back().find("\"model\":\"gpt-4.1-mini\""), std::string::npos) << ts.bodies.back();
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
