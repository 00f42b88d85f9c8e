// The gateway over real sockets (loopback, port 0): GatewayServer in front of a Gateway
// whose façade talks HttpTransport to two SimServers on the RealClock. Non-stream and
// streamed answers through the HTTP front, errors in protocol shape, the trace header +
// admin API, fallback when the primary fails, a client that disconnects mid-stream
// (its upstream call is cancelled), and graceful shutdown (stop accepting, in-flight
// requests finish, new ones on open connections get 503).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include <nlohmann/json.hpp>

#include "gateway_fixture.h"

namespace ploke::gateway {
namespace {

using nlohmann::json;
using testing_support::GatewayStack;

TEST(GatewayHttp, NonStreamStreamAndAnthropicOverSockets) {
  GatewayStack s;
  ASSERT_TRUE(s.start());
  auto r = s.post("/v1/chat/completions", R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["object"], "chat.completion");
  const std::string id = std::string(r->headers.get("x-ploke-trace-id").value_or(""));
  ASSERT_FALSE(id.empty());
  auto t = s.get("/__admin/traces/" + id);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(json::parse(t->body)["request_id"], id);

  auto st = s.post("/v1/chat/completions",
                   R"({"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->status, 200);
  EXPECT_EQ(st->headers.get("content-type"), "text/event-stream; charset=utf-8");
  EXPECT_NE(st->body.find("\"choices\":[],\"usage\":{"), std::string::npos);
  EXPECT_EQ(st->body.substr(st->body.size() - 14), "data: [DONE]\n\n");

  auto a = s.post("/v1/messages", R"({"model":"claude-haiku-4-5","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"hi"}]})",
                  {{"anthropic-version", "2023-06-01"}});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->status, 200);
  EXPECT_EQ(a->body.rfind("event: message_start", 0), 0u);
  EXPECT_NE(a->body.find("event: message_stop"), std::string::npos);

  auto bad = s.post("/v1/chat/completions", R"({"model":"gpt-4o-mini"})");
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(json::parse(bad->body)["error"]["type"], "invalid_request_error");
  auto m = s.get("/metrics");
  ASSERT_TRUE(m.ok());
  EXPECT_NE(m->body.find("ploke_gateway_requests_total{protocol=\"openai\",class=\"2xx\"} 2"), std::string::npos) << m->body;
}

// Each request on a fiber of its event loop, ONE loop: a façade call waiting for its
// upstream suspends its fiber instead of blocking the loop, so 16 slow requests are all in
// flight at once (a blocking loop would hold one at a time and this would never reach 16).
TEST(GatewayHttp, FiberModeKeepsManyCallsInFlightOnOneLoop) {
  testing_support::StackOptions o;
  o.server_threads = 1;
  GatewayStack s(o);
  ASSERT_TRUE(s.start());
  s.fault(0, R"({"faults":[{"kind":"delay","delay_ms":400}]})");
  constexpr int kClients = 16;
  std::atomic<int> ok{0};
  std::atomic<size_t> peak{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&] {
      auto r = s.post("/v1/chat/completions", R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})");
      if (r.ok() && r->status == 200) ++ok;
    });
  }
  for (int i = 0; i < 5000 && peak.load() < kClients; ++i) {
    peak = std::max(peak.load(), s.gateway().in_flight());
    s.wait_ms(1);
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(peak.load(), static_cast<size_t>(kClients));
  EXPECT_EQ(ok.load(), kClients);
}

// A Retry-After backoff inside a fiber (RealClock timer) does not stall the loop: while
// the first request waits out its 429 on the pinned provider, a second one is answered.
TEST(GatewayHttp, FiberBackoffDoesNotStallOtherRequests) {
  testing_support::StackOptions o;
  o.server_threads = 1;
  GatewayStack s(o);
  ASSERT_TRUE(s.start());
  s.fault(0, R"({"faults":[{"kind":"http_error","status":429,"retry_after_ms":700,"trigger":{"nth":1}}]})");
  std::atomic<int> first_status{0};
  std::atomic<bool> first_done{false};
  const TimePoint t0 = s.clock().now();
  std::thread first([&] {
    auto r = s.post("/v1/chat/completions", R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})",
                    {{"x-ploke-provider", "sim-a"}});
    first_status = r.ok() ? r->status : -1;
    first_done = true;
  });
  for (int i = 0; i < 5000 && s.engine(0).request_count() == 0; ++i) s.wait_ms(1);
  ASSERT_EQ(s.engine(0).request_count(), 1u);  // the 429 went out: the first call is backing off
  auto second = s.post("/v1/chat/completions", R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})",
                       {{"x-ploke-provider", "sim-b"}});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->status, 200);
  EXPECT_FALSE(first_done.load());  // answered while the first one still waited
  first.join();
  EXPECT_EQ(first_status.load(), 200);
  EXPECT_GE(s.clock().now() - t0, std::chrono::milliseconds(700));  // it did wait Retry-After
  EXPECT_EQ(s.engine(0).request_count(), 2u);
}

TEST(GatewayHttp, FallbackWhenThePrimaryFails) {
  GatewayStack s;
  ASSERT_TRUE(s.start());
  s.fault(0, R"({"faults":[{"kind":"http_error","status":503,"should_retry":false}]})");
  for (int i = 0; i < 3; ++i) {
    auto r = s.post("/v1/chat/completions", R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})",
                    {{"x-ploke-policy", "pinned"}});
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->status, 200) << r->body;
    auto t = s.get("/__admin/traces/" + std::string(r->headers.get("x-ploke-trace-id").value_or("")));
    EXPECT_EQ(json::parse(t->body)["served_by"], "sim-b/gpt-4o-mini");
  }
  EXPECT_GE(s.engine(0).request_count(), 1u);
  // Both fail → the error in the client's protocol.
  s.fault(1, R"({"faults":[{"kind":"http_error","status":429,"retry_after_ms":5}]})");
  s.fault(0, R"({"faults":[{"kind":"http_error","status":429,"retry_after_ms":5}]})");
  auto e = s.post("/v1/messages", R"({"model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->status, 429);
  EXPECT_EQ(json::parse(e->body)["error"]["type"], "rate_limit_error");
}

TEST(GatewayHttp, ClientDisconnectCancelsTheUpstreamCall) {
  GatewayStack s;
  ASSERT_TRUE(s.start());
  // The upstreams answer slowly (a token every 100 ms: ~2 s per answer); the client reads
  // the head and leaves.
  s.fault(0, R"({"faults":[{"kind":"slow_stream","factor":500}]})");
  s.fault(1, R"({"faults":[{"kind":"slow_stream","factor":500}]})");
  const TimePoint t0 = s.clock().now();
  ASSERT_TRUE(s.post_and_leave("/v1/chat/completions",
                               R"({"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]})"));
  // The call ends (cancelled) long before the stream would have: the gateway is idle again.
  EXPECT_TRUE(s.gateway().wait_idle(std::chrono::seconds(5)));
  EXPECT_LT(s.clock().now() - t0, std::chrono::milliseconds(1000));
  auto t = s.get("/__admin/traces?limit=1");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(json::parse(t->body)["traces"][0]["outcome"], "cancelled") << t->body;
}

TEST(GatewayHttp, GracefulShutdownFinishesInFlightRequests) {
  GatewayStack s;
  ASSERT_TRUE(s.start());
  s.fault(0, R"({"faults":[{"kind":"delay","delay_ms":300}]})");
  s.fault(1, R"({"faults":[{"kind":"delay","delay_ms":300}]})");
  std::atomic<int> status{0};
  std::thread client([&] {
    auto r = s.post("/v1/chat/completions", R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})");
    status = r.ok() ? r->status : -1;
  });
  // Wait until the request is in flight, then drain.
  for (int i = 0; i < 500 && s.gateway().in_flight() == 0; ++i) std::this_thread::yield(), s.wait_ms(2);
  ASSERT_EQ(s.gateway().in_flight(), 1u);
  s.server().stop_accepting();
  s.gateway().begin_drain();
  EXPECT_TRUE(s.gateway().wait_idle(std::chrono::seconds(5)));
  client.join();
  EXPECT_EQ(status.load(), 200);  // finished, not cut
  // New connections are refused now.
  auto late = s.post("/v1/chat/completions", R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})");
  EXPECT_FALSE(late.ok() && late->status == 200);
  s.server().stop();
}

}  // namespace
}  // namespace ploke::gateway
