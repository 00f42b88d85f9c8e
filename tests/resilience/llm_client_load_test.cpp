// LlmClient under load (llm_client_fixture.h): budgeted probes, admission lanes and
// deadlines while queued, no request lost under mixed faults, priority order with real
// threads, and each endpoint's own model on fall-over.
#include "ploke/resilience/llm_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <mutex>
#include <optional>
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


// Records which request ("request NAME" in the body) reached the provider, in order.
class RecordingTransport final : public Transport {
 public:
  explicit RecordingTransport(Transport& t) : t_(t) {}
  CallPtr start(const HttpRequest& r, const CallOptions& opts, ResponseHandler& h) override {
    const size_t at = r.body.find("request ");
    if (at != std::string::npos) {
      std::lock_guard<std::mutex> g(mu_);
      order_.push_back(r.body.substr(at + 8, r.body.find('"', at) - at - 8));
    }
    return t_.start(r, opts, h);
  }
  std::vector<std::string> order() {
    std::lock_guard<std::mutex> g(mu_);
    return order_;
  }

 private:
  Transport& t_;
  std::mutex mu_;
  std::vector<std::string> order_;
};

// The one endpoint "sim/gpt-4o" behind `transport`.
EndpointConfig sim_endpoint(const ProviderAdapter* adapter, Transport* transport) {
  EndpointConfig c;
  c.candidate.id = "sim/gpt-4o";
  c.candidate.provider = "sim";
  c.candidate.model = "gpt-4o";
  c.candidate.caps = Capabilities{true, true, true, true, true, 0};
  c.adapter = adapter;
  c.endpoint = Endpoint{"sim", "http://sim.invalid/v1", Secret("sk-FAKE-resilience-test"), {}};
  c.transport = transport;
  c.call_options.total_timeout = 30s;
  return c;
}

struct Job {
  std::string name;
  ChatRequest req;
};

Job job(std::string name, Priority p, std::optional<uint32_t> max_out, bool tool_turn) {
  ChatRequest r = hello("request " + name);
  r.meta.priority = p;
  r.max_output_tokens = max_out;
  if (tool_turn) {
    Message call{Role::kAssistant, {}, {ToolCall{"call_1", "lookup", "{}"}}, {}, {}};
    r.messages.push_back(std::move(call));
    r.messages.push_back(Message::ToolResult("call_1", "{\"ok\":true}"));
  }
  return Job{std::move(name), std::move(r)};
}

// In arrival order: the lanes must serve them tool turn, short, normal, bulk, low.
std::vector<Job> priority_jobs() {
  std::vector<Job> jobs;
  jobs.push_back(job("bulk-1", Priority::kNormal, 4096, false));
  jobs.push_back(job("normal-1", Priority::kNormal, 1024, false));
  jobs.push_back(job("tool-1", Priority::kNormal, 4096, true));
  jobs.push_back(job("low-1", Priority::kLow, std::nullopt, false));
  jobs.push_back(job("short-1", Priority::kNormal, 100, false));
  return jobs;
}

size_t queued_total(LlmClient& client) {
  size_t n = 0;
  for (const auto& l : client.queue_status().lanes) n += l.depth;
  return n;
}

// Priority order under load, with real threads: one slot; the running call holds it
// while five more queue (admitted one by one so arrival order is fixed); they are then
// served interactive first, bulk last. RealClock with a zero-latency engine: no sleeps.
TEST(LlmClientLoadTest, PriorityOrderUnderLoad) {
  RealClock clock;
  SimOptions so;
  so.latency = simulator::LatencyModel::Fast();
  auto engine = SimEngine::Create(so, clock);
  ASSERT_OK(engine);
  InProcessTransport inner(clock, simulator::engine_handler(**engine));
  RecordingTransport transport(inner);  // one slot: its order is the admission order
  auto adapter = adapters::openai::make_openai_adapter();
  LlmClientOptions o = base_options();
  o.admission = AdmissionConfig{1, {8, 8, 8}};
  LlmClient client(clock, o);
  ASSERT_OK(client.add_endpoint(sim_endpoint(adapter.get(), &transport)));

  std::mutex mu;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  const std::vector<Job> jobs = priority_jobs();
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
      while (queued_total(client) < i + 1) std::this_thread::yield();  // wait until it queued
    }
  });
  for (auto& t : threads) t.join();
  ASSERT_OK(r);
  EXPECT_TRUE(failures.empty()) << failures.front();
  EXPECT_EQ(transport.order(), (std::vector<std::string>{"tool-1", "short-1", "normal-1", "bulk-1", "low-1"}));
  auto q = client.queue_status();
  EXPECT_EQ(q.in_flight, 0u);
  EXPECT_EQ(q.lanes[0].queued, 2u);
  EXPECT_EQ(q.lanes[2].queued, 2u);
}



// Each endpoint serves its own model: falling over to another provider sends that
// provider's model id, not the request's (which named the primary's).
TEST(LlmClientModelTest, FallOverSendsTheEndpointsOwnModel) {
  SimulatedClock clock;
  SimOptions so;
  so.latency = simulator::LatencyModel::Fast();
  auto primary = SimEngine::Create(so, clock);
  auto secondary = SimEngine::Create(so, clock);
  ASSERT_OK(primary);
  ASSERT_OK(secondary);
  auto plan = simulator::parse_fault_plan(R"({"faults":[{"kind":"http_error","status":500}]})", "test");
  ASSERT_OK(plan);
  ASSERT_OK((*primary)->set_faults(*plan));
  InProcessTransport tp(clock, simulator::engine_handler(**primary));
  InProcessTransport ts_inner(clock, simulator::engine_handler(**secondary));
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

}  // namespace
}  // namespace ploke::resilience
