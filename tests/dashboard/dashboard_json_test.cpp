// The dashboard's page and JSON builders (docs/dashboard.md): the embedded page is the
// source file and self-contained; gateway_json() from parts and from a live LlmClient in
// virtual time (a fault opens alpha's breaker, the JSON says so, it closes again);
// sim_dashboard_json() from an engine with a fault plan.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ploke/adapters/openai/adapter.h"
#include "ploke/core/in_process_transport.h"
#include "ploke/dashboard/dashboard.h"
#include "ploke/gateway/gateway.h"
#include "ploke/resilience/llm_client.h"
#include "ploke/simulator/dashboard_json.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan_json.h"
#include "support/test_support.h"

namespace ploke {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

Json parse(const std::string& text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON: " << text;
  return j;
}

const Json* endpoint(const Json& j, const std::string& id) {
  for (const auto& e : j["endpoints"]) {
    if (e["id"] == id) return &e;
  }
  return nullptr;
}

TEST(DashboardPage, IsTheSourceFileAndSelfContained) {
  std::ifstream in(std::string(PLOKE_SOURCE_DIR) + "/core/dashboard/dashboard.html", std::ios::binary);
  ASSERT_TRUE(in) << "core/dashboard/dashboard.html";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string_view page = dashboard::page_html();
  EXPECT_EQ(page, ss.str()) << "page_html() differs from core/dashboard/dashboard.html (stale build?)";
  EXPECT_EQ(page.substr(0, 15), "<!DOCTYPE html>");
  // Works offline: no external script, stylesheet, image or font.
  for (const char* banned : {"http://", "https://", "<script src", "stylesheet", "@import", "url(", "<img", "<iframe"}) {
    EXPECT_EQ(page.find(banned), std::string_view::npos) << banned;
  }
  // Polls the relative JSON URL; test hooks present.
  EXPECT_NE(page.find("\"dashboard.json\""), std::string_view::npos);
  EXPECT_NE(page.find("data-endpoint"), std::string_view::npos);
  EXPECT_NE(page.find("data-breaker"), std::string_view::npos);
  EXPECT_NE(page.find("data-fault"), std::string_view::npos);
}

// alpha: open after 5 failures in a row (reason with a quote and a newline), 6 of 10 calls
// failed, p95 123.5 ms.
resilience::EndpointHealth open_alpha() {
  resilience::EndpointHealth a;
  a.endpoint_id = "alpha/gpt-4o";
  a.provider = "alpha";
  a.model = "gpt-4o";
  a.breaker = resilience::BreakerState::kOpen;
  a.open_remaining = 1500ms;
  a.openings = 2;
  a.stats.calls = 10;
  a.stats.successes = 4;
  a.stats.error_rate = 0.6;
  a.stats.total_ms.count = 4;
  a.stats.total_ms.p95 = 123.5;
  a.stats.by_code[static_cast<size_t>(StatusCode::kServerError)] = 6;
  a.recent_events.push_back({TimePoint{}, resilience::BreakerState::kClosed, resilience::BreakerState::kOpen,
                             "5 failures \"in a row\"\n", 1, 1s});
  return a;
}

// 100 traces of 1..100 ms: alpha fails, beta (an id with invalid UTF-8 and a quote) serves.
std::vector<resilience::RequestTrace> hundred_fall_overs() {
  std::vector<resilience::RequestTrace> recent;
  for (int i = 1; i <= 100; ++i) {
    resilience::RequestTrace t;
    t.request_id = "gw-" + std::to_string(i);
    t.total = std::chrono::milliseconds(i);
    t.served_by = "beta/\xff\"odd";
    resilience::TraceAttempt fail;
    fail.endpoint_id = "alpha/gpt-4o";
    fail.outcome = StatusCode::kServerError;
    fail.decision = "fall over: server_error";
    resilience::TraceAttempt ok;
    ok.endpoint_id = t.served_by;
    ok.ttft = std::chrono::milliseconds(i / 2);
    t.attempts = {fail, ok};
    recent.push_back(t);
  }
  return recent;
}

TEST(GatewayJson, FromPartsWithEscapingAndPercentiles) {
  const resilience::EndpointHealth a = open_alpha();
  resilience::EndpointHealth b;
  b.endpoint_id = "beta/\xff\"odd";  // invalid UTF-8 and a quote survive as valid JSON
  b.breaker = resilience::BreakerState::kHalfOpen;

  resilience::QueueStatus q;
  q.in_flight = 3;
  q.max_in_flight = 64;
  q.lanes[1].lane = resilience::Lane::kNormal;
  q.lanes[1].depth = 7;

  const std::vector<resilience::RequestTrace> recent = hundred_fall_overs();
  dashboard::GatewayInfo info;
  info.worker_queue = 5;
  info.max_recent = 10;
  const Json j = parse(dashboard::gateway_json({a, b}, q, 120, 20, recent, info));
  EXPECT_EQ(j["version"], dashboard::kContractVersion);
  EXPECT_EQ(j["kind"], "gateway");
  EXPECT_EQ(j["totals"]["requests"], 120);
  EXPECT_EQ(j["totals"]["errors"], 20);
  EXPECT_EQ(j["totals"]["in_flight"], 3);
  // Percentiles over the 100 traces (1..100 ms), nearest rank.
  EXPECT_EQ(j["latency_ms"]["total"]["count"], 100);
  EXPECT_DOUBLE_EQ(j["latency_ms"]["total"]["p50"].get<double>(), 50);
  EXPECT_DOUBLE_EQ(j["latency_ms"]["total"]["p95"].get<double>(), 95);
  EXPECT_DOUBLE_EQ(j["latency_ms"]["total"]["p99"].get<double>(), 99);
  EXPECT_EQ(j["latency_ms"]["ttft"]["count"], 100);

  const Json* ja = endpoint(j, "alpha/gpt-4o");
  ASSERT_NE(ja, nullptr);
  EXPECT_EQ((*ja)["breaker"], "open");
  EXPECT_DOUBLE_EQ((*ja)["open_remaining_ms"].get<double>(), 1500);
  EXPECT_EQ((*ja)["openings"], 2);
  EXPECT_DOUBLE_EQ((*ja)["error_rate"].get<double>(), 0.6);
  EXPECT_DOUBLE_EQ((*ja)["latency_ms"]["total"]["p95"].get<double>(), 123.5);
  EXPECT_EQ((*ja)["errors_by_code"]["server_error"], 6);
  EXPECT_EQ((*ja)["recent_events"][0]["reason"], "5 failures \"in a row\"\n");
  const Json* jb = endpoint(j, "beta/\xef\xbf\xbd\"odd");
  ASSERT_NE(jb, nullptr) << j.dump();
  EXPECT_EQ((*jb)["breaker"], "half_open");

  EXPECT_EQ(j["queue"]["worker_queue"], 5);
  EXPECT_EQ(j["queue"]["lanes"][1]["lane"], "normal");
  EXPECT_EQ(j["queue"]["lanes"][1]["depth"], 7);
  // Newest first, capped at max_recent.
  ASSERT_EQ(j["recent"].size(), 10u);
  EXPECT_EQ(j["recent"][0]["id"], "gw-100");
  EXPECT_EQ(j["recent"][9]["id"], "gw-91");
  EXPECT_EQ(j["recent"][0]["attempts"][0]["outcome"], "server_error");
  EXPECT_EQ(j["recent"][0]["attempts"][1]["outcome"], "ok");
}

// A live façade in virtual time: alpha fails (503 fault), its breaker opens, the JSON
// shows it; the fault is cleared, the breaker's wait passes, a trial succeeds: closed.
class GatewayJsonLive : public ::testing::Test {
 protected:
  void SetUp() override {
    adapter_ = adapters::openai::make_openai_adapter();
    for (const char* name : {"alpha", "beta"}) {
      simulator::SimOptions o;
      o.latency = simulator::LatencyModel::Fast();
      auto e = simulator::SimEngine::Create(o, clock_);
      ASSERT_OK(e);
      engines_.push_back(std::move(e).value());
      transports_.push_back(std::make_unique<InProcessTransport>(clock_, simulator::engine_handler(*engines_.back())));
      names_.emplace_back(name);
    }
    resilience::LlmClientOptions o;
    o.router.default_policy = "pinned";
    o.breaker.consecutive_failures = 2;
    o.breaker.open_base = 2s;
    o.breaker.half_open_trials = 1;
    o.retry.max_retries_per_endpoint = 0;
    o.retry.per_code = {};
    o.seed = 5;
    client_ = std::make_unique<resilience::LlmClient>(clock_, o);
    for (size_t i = 0; i < names_.size(); ++i) {
      resilience::EndpointConfig c;
      c.candidate.id = names_[i] + "/gpt-4o";
      c.candidate.provider = names_[i];
      c.candidate.model = "gpt-4o";
      c.candidate.key_id = "default";
      c.candidate.caps = Capabilities{true, true, true, true, true, 0};
      c.adapter = adapter_.get();
      c.endpoint = Endpoint{names_[i], "http://" + names_[i] + ".sim.invalid/v1", Secret("sk-FAKE-dashboard-test"), {}};
      c.transport = transports_[i].get();
      ASSERT_OK(client_->add_endpoint(std::move(c)));
    }
  }

  void call() {
    ChatRequest r;
    r.model = "gpt-4o";
    r.messages.push_back(Message::User("hello"));
    resilience::RequestTrace t;
    (void)client_->complete(r, {}, &t);
    traces_.push_back(std::move(t));
  }

  SimulatedClock clock_;
  ProviderAdapterPtr adapter_;
  std::vector<std::unique_ptr<simulator::SimEngine>> engines_;
  std::vector<std::unique_ptr<InProcessTransport>> transports_;
  std::vector<std::string> names_;
  std::unique_ptr<resilience::LlmClient> client_;
  std::vector<resilience::RequestTrace> traces_;
};

TEST_F(GatewayJsonLive, BreakerOpensAndClosesInTheJson) {
  auto plan = simulator::parse_fault_plan(R"({"faults":[{"id":"down","kind":"http_error","status":503}]})", "t");
  ASSERT_OK(plan);
  ASSERT_OK(engines_[0]->set_faults(*plan));
  for (int i = 0; i < 3; ++i) call();

  Json j = parse(dashboard::gateway_json(*client_, traces_));
  const Json* a = endpoint(j, "alpha/gpt-4o");
  ASSERT_NE(a, nullptr) << j.dump(2);
  EXPECT_EQ((*a)["breaker"], "open") << j.dump(2);
  EXPECT_GT((*a)["open_remaining_ms"].get<double>(), 0);
  EXPECT_GE((*a)["openings"].get<int>(), 1);
  EXPECT_GT((*a)["error_rate"].get<double>(), 0);
  EXPECT_EQ((*endpoint(j, "beta/gpt-4o"))["breaker"], "closed");
  EXPECT_EQ(j["totals"]["requests"], 3);  // every call fell over to beta and succeeded
  EXPECT_EQ(j["totals"]["errors"], 0);
  ASSERT_EQ(j["recent"].size(), 3u);
  EXPECT_EQ(j["recent"][0]["served_by"], "beta/gpt-4o");

  engines_[0]->clear_faults();
  clock_.advance(3s);  // past the 2 s open wait
  call();              // the half-open trial goes to alpha and succeeds
  j = parse(dashboard::gateway_json(*client_, traces_));
  a = endpoint(j, "alpha/gpt-4o");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ((*a)["breaker"], "closed") << j.dump(2);
  EXPECT_EQ(j["recent"][0]["served_by"], "alpha/gpt-4o");
  EXPECT_EQ(j["totals"]["requests"], 4);
}

// The gateway's route hook (Gateway::handle_admin): the page and the JSON, in process.
struct CapturingResponder : gateway::Responder {
  void reply(int s, const Headers& h, std::string b) override { status = s; headers = h; body = std::move(b); }
  void begin(int s, const Headers& h) override { status = s; headers = h; }
  void chunk(std::string d) override { body += d; }
  void finish() override {}
  int status = 0;
  Headers headers;
  std::string body;
};

TEST_F(GatewayJsonLive, GatewayServesThePageAndTheJson) {
  gateway::GatewayOptions go;
  gateway::Gateway gw(*client_, clock_, {{"alpha/gpt-4o", "alpha", "gpt-4o"}, {"beta/gpt-4o", "beta", "gpt-4o"}}, go);
  auto get = [&gw](const std::string& path) {
    auto out = std::make_shared<CapturingResponder>();
    gateway::Request r;
    r.method = "GET";
    r.path = path;
    gw.handle(std::move(r), out);
    return out;
  };
  auto page = get("/__admin/dashboard");
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->headers.get("content-type").value_or(""), "text/html; charset=utf-8");
  EXPECT_EQ(page->body, dashboard::page_html());

  auto plan = simulator::parse_fault_plan(R"({"faults":[{"id":"down","kind":"http_error","status":503}]})", "t");
  ASSERT_OK(plan);
  ASSERT_OK(engines_[0]->set_faults(*plan));
  for (int i = 0; i < 3; ++i) call();
  auto json = get("/__admin/dashboard.json");
  EXPECT_EQ(json->status, 200);
  EXPECT_EQ(json->headers.get("content-type").value_or(""), "application/json");
  const Json j = parse(json->body);
  EXPECT_EQ(j["kind"], "gateway");
  const Json* a = endpoint(j, "alpha/gpt-4o");
  ASSERT_NE(a, nullptr) << json->body;
  EXPECT_EQ((*a)["breaker"], "open");
  EXPECT_TRUE(j["queue"]["worker_queue"].is_null());  // the gateway has no worker pool
}

TEST(SimDashboardJson, FaultsRoutesAndRecent) {
  SimulatedClock clock;
  simulator::SimOptions o;
  o.latency = simulator::LatencyModel::Fast();
  auto plan = simulator::parse_fault_plan(
      R"({"faults":[{"id":"rl","kind":"http_error","status":429,"retry_after_ms":10,"trigger":{"times":2}},
                   {"id":"cut","kind":"stream_cut","after_events":4,"match":{"stream":true,"model":"gpt-4o"}}]})",
      "t");
  ASSERT_OK(plan);
  o.faults = *plan;
  auto e = simulator::SimEngine::Create(o, clock);
  ASSERT_OK(e);
  simulator::SimEngine& engine = **e;
  simulator::SimObservability obs(engine, clock);
  HttpRequest r;
  r.method = "POST";
  r.path = "/v1/chat/completions";
  r.body = R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]})";
  for (int i = 0; i < 3; ++i) engine.handle(r);  // 429, 429, 200
  HttpRequest m;
  m.method = "GET";
  m.path = "/v1/models";
  engine.handle(m);

  Json j = parse(obs.dashboard_json());
  EXPECT_EQ(j["version"], dashboard::kContractVersion);
  EXPECT_EQ(j["kind"], "simulator");
  EXPECT_EQ(j["totals"]["requests"], 4);
  EXPECT_EQ(j["totals"]["errors"], 2);
  EXPECT_FALSE(j.contains("endpoints"));
  EXPECT_FALSE(j.contains("latency_ms"));
  ASSERT_EQ(j["faults"].size(), 2u);
  EXPECT_EQ(j["faults"][0]["id"], "rl");
  EXPECT_EQ(j["faults"][0]["fired"], 2);
  EXPECT_EQ(j["faults"][0]["active"], false);
  EXPECT_EQ(j["faults"][0]["exhausted"], true);
  EXPECT_EQ(j["faults"][0]["summary"], "http_error 429, retry-after-ms 10");
  EXPECT_EQ(j["faults"][0]["trigger"], "times 2");
  EXPECT_EQ(j["faults"][1]["active"], true);
  EXPECT_EQ(j["faults"][1]["match"], "inference paths model=gpt-4o stream");
  EXPECT_EQ(j["faults_fired_by_kind"]["http_error"], 2);
  bool chat_seen = false;
  for (const auto& route : j["routes"]) {
    if (route["route"] == "/v1/chat/completions") {
      chat_seen = true;
      EXPECT_EQ(route["method"], "POST");
      EXPECT_EQ(route["requests"], 3);
      EXPECT_EQ(route["errors"], 2);
      EXPECT_EQ(route["statuses"]["429"], 2);
      EXPECT_EQ(route["statuses"]["200"], 1);
    }
  }
  EXPECT_TRUE(chat_seen) << j.dump(2);
  ASSERT_EQ(j["recent"].size(), 4u);
  EXPECT_EQ(j["recent"][0]["path"], "/v1/models");  // newest first
  EXPECT_EQ(j["recent"][3]["fault_id"], "rl");
  EXPECT_EQ(j["recent"][3]["outcome"], "429");

  // The counters keep counting across polls (no double counting).
  engine.handle(r);
  j = parse(obs.dashboard_json());
  EXPECT_EQ(j["totals"]["requests"], 5);
  EXPECT_EQ(j["totals"]["counted"], 5);
}

}  // namespace
}  // namespace ploke
