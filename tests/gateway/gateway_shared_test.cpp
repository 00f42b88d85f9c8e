// Three gateway instances in process, each with its own façade, SharedState (leases of
// 200 ms, the gateway's default) and RedisStore (on its own server's loop), against one simulated provider that answers 429 past N
// requests, and a real redis-server started by the test: together they send at most N
// attempts (no provider 429), refuse the rest with their own 429, and /metrics shows the
// shared state; a breaker opened on one instance stops the others within 100 ms. Then
// Redis is killed: requests still complete (local share, counted).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "ploke/adapters/http_transport.h"
#include "ploke/adapters/openai/adapter.h"
#include "ploke/gateway/gateway.h"
#include "ploke/gateway/server.h"
#include "ploke/redis/redis_store.h"
#include "ploke/resilience/shared_state.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan_json.h"
#include "ploke/simulator/http_server.h"
#include "redis/redis_server.h"

namespace ploke::gateway {
namespace {

using namespace std::chrono_literals;
constexpr uint64_t kLimit = 12;

struct Instance {
  std::unique_ptr<redis::RedisStore> store;
  std::unique_ptr<resilience::SharedState> state;
  std::unique_ptr<resilience::LlmClient> client;
  std::unique_ptr<Gateway> gateway;
  std::unique_ptr<GatewayServer> server;
};

class GatewaySharedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::RedisServer::available()) GTEST_SKIP() << "redis-server not installed (scripts/install-deps.sh)";
    ASSERT_TRUE(redis_.start());
    simulator::SimOptions so;
    so.seed = 5;
    so.latency.time_to_first_token = 0ms;
    so.latency.tokens_per_second = 5000;
    so.rate_limits.limit_requests = kLimit;  // what its headers advertise…
    auto plan = simulator::parse_fault_plan(  // …and what it enforces: 429 past N requests
        R"({"faults":[{"kind":"http_error","status":429,"retry_after_ms":1000,"trigger":{"nth":13,"every":1}}]})", "t");
    ASSERT_TRUE(plan.ok()) << plan.status().to_string();
    so.faults = *plan;
    engine_ = std::move(simulator::SimEngine::Create(so, clock_).value());
    sim_ = std::move(simulator::SimServer::Start(*engine_, clock_, simulator::ServerOptions{}).value());
    for (int i = 0; i < 3; ++i) start_instance("gw-" + std::to_string(i));
  }
  void TearDown() override {
    for (auto& in : instances_) {
      if (in.server) in.server->stop();
    }
    instances_.clear();
    if (sim_) sim_->stop();
  }

  void start_instance(const std::string& id) {
    Instance in;
    redis::RedisOptions ro;
    ro.address = redis::parse_redis_url(redis_.url()).value();
    ro.command_timeout = 500ms;  // loaded 2-core CI machines
    ro.reconnect_min = 10ms;
    in.store = std::make_unique<redis::RedisStore>(ro);
    in.state = std::make_unique<resilience::SharedState>(
        clock_, *in.store, resilience::SharedStateOptions{.instance_id = id, .heartbeat_ttl = 300ms, .lease = 200ms});  // the gateway's default lease
    resilience::LlmClientOptions lo;
    lo.provider_limits["sim-a"] = resilience::RateLimits{kLimit, 0};
    lo.retry.max_total_attempts = 1;  // one attempt per request: attempts = requests that reached the provider
    lo.max_rate_limit_wait = Duration{0};  // over the limit: the gateway's 429 at once, no wait for the limiter
    lo.shared = in.state.get();
    in.client = std::make_unique<resilience::LlmClient>(clock_, lo);
    resilience::EndpointConfig c;
    c.candidate.id = "sim-a/gpt-4o-mini";
    c.candidate.provider = "sim-a";
    c.candidate.model = "gpt-4o-mini";
    c.candidate.key_id = "k";
    c.candidate.caps = Capabilities{true, true, true, true, true, 0};
    c.adapter = adapter_.get();
    c.endpoint.provider = "sim-a";
    c.endpoint.base_url = sim_->url() + "/v1";
    c.transport = &upstream_;
    c.call_options.total_timeout = 10s;
    ASSERT_TRUE(in.client->add_endpoint(std::move(c)).ok());
    GatewayOptions go;
    go.shared = in.state.get();
    in.gateway = std::make_unique<Gateway>(*in.client, clock_, std::vector<EndpointInfo>{{"sim-a/gpt-4o-mini", "sim-a", "gpt-4o-mini", false, "127.0.0.1"}}, go);
    ServerOptions so;
    so.threads = 1;
    in.server = std::move(GatewayServer::Start(*in.gateway, so).value());
    in.store->start(in.server->loop(0));
    ASSERT_TRUE(testing::eventually([&] { return in.store->connected(); }));
    in.state->start_heartbeat(100ms);  // as `gateway --redis` does: live count, recovery
    instances_.push_back(std::move(in));
  }

  int post_chat(size_t instance) {
    HttpRequest r;
    r.method = "POST";
    r.base_url = instances_[instance].server->url();
    r.path = "/v1/chat/completions";
    r.body = R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})";
    r.headers.add("content-type", "application/json");
    CallOptions co;
    co.total_timeout = 30s;
    auto resp = send_and_wait(client_http_, clock_, r, co);
    return resp.ok() ? resp->status : -1;
  }
  double attempts(const std::string& outcome) {
    double n = 0;
    for (auto& in : instances_) n += in.client->metric(resilience::MetricId::kAttempts, {"sim-a/gpt-4o-mini", outcome});
    return n;
  }
  std::string metrics(size_t instance) {
    HttpRequest r;
    r.method = "GET";
    r.base_url = instances_[instance].server->url();
    r.path = "/metrics";
    auto resp = send_and_wait(client_http_, clock_, r, CallOptions{});
    return resp.ok() ? resp->body : "";
  }

  testing::RedisServer redis_;
  RealClock clock_;
  ProviderAdapterPtr adapter_ = adapters::openai::make_openai_adapter();
  adapters::HttpTransport upstream_{clock_};
  adapters::HttpTransport client_http_{clock_};
  std::unique_ptr<simulator::SimEngine> engine_;
  std::unique_ptr<simulator::SimServer> sim_;
  std::vector<Instance> instances_;
};

TEST_F(GatewaySharedTest, ThreeInstancesSendAtMostTheProvidersLimitAndNoProvider429) {
  std::atomic<int> ok{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (size_t i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; n < 10; ++n) {
        const int status = post_chat(i);
        (status == 200 ? ok : status == 429 ? refused : other)++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_LE(ok.load(), static_cast<int>(kLimit));  // each instance alone would have sent 10
  EXPECT_GE(ok.load(), 3);
  // Credit an instance still held in a lease when its requests stopped goes back when the
  // lease expires (200 ms); then the others admit it: exactly the limit in all.
  size_t next = 0;
  EXPECT_TRUE(testing::eventually([&] {
    (post_chat(next++ % 3) == 200 ? ok : refused)++;
    return ok.load() >= static_cast<int>(kLimit);
  }, 5s));
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(post_chat(i), 429);
  EXPECT_EQ(ok.load(), static_cast<int>(kLimit));
  EXPECT_EQ(attempts("ok"), static_cast<double>(kLimit));
  EXPECT_EQ(attempts("rate_limited"), 0.0);  // the provider never had to say 429
  const std::string m = metrics(0);
  EXPECT_NE(m.find("ploke_shared_store_up 1\n"), std::string::npos) << m;
  EXPECT_NE(m.find("ploke_shared_fallback_total{kind=\"rate_limit_local\"} 0\n"), std::string::npos);
}

TEST_F(GatewaySharedTest, BreakerOpenedOnOneInstanceStopsTheOthersWithin100ms) {
  auto plan = simulator::parse_fault_plan(R"({"faults":[{"kind":"http_error","status":500}]})", "t");
  ASSERT_TRUE(plan.ok());
  ASSERT_TRUE(engine_->set_faults(*plan).ok());
  const auto open = [&](size_t i) {
    for (const auto& h : instances_[i].client->health())
      if (h.endpoint_id == "sim-a/gpt-4o-mini") return h.breaker == resilience::BreakerState::kOpen;
    return false;
  };
  while (!open(0)) ASSERT_EQ(post_chat(0), 500);  // 5 failures in a row open it
  const auto t0 = std::chrono::steady_clock::now();
  const auto sent = [&](size_t i) {
    return instances_[i].client->metric(resilience::MetricId::kAttempts, {"sim-a/gpt-4o-mini", "server_error"});
  };
  for (size_t i = 1; i < 3; ++i) {
    // Each request routes after the others' decisions arrived: poll with requests.
    ASSERT_TRUE(testing::eventually([&] { return post_chat(i) != 0 && open(i); }, 2s));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 100ms);
    EXPECT_LE(sent(i), 1.0);  // at most a request that raced the message
  }
  const double before = sent(1) + sent(2);
  for (size_t i = 1; i < 3; ++i) EXPECT_NE(post_chat(i), 200);
  EXPECT_EQ(sent(1) + sent(2), before);  // nothing more reached the provider
}

TEST_F(GatewaySharedTest, RedisKilledRequestsStillCompleteOnTheLocalShareAndAreCounted) {
  redis_.kill();
  const auto t0 = std::chrono::steady_clock::now();
  int ok = 0;
  for (size_t i = 0; i < 3; ++i) ok += post_chat(i) == 200;
  EXPECT_EQ(ok, 3);  // 12 / 3 live instances each: room for all
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  const std::string m = metrics(1);
  EXPECT_NE(m.find("ploke_shared_store_up 0\n"), std::string::npos) << m;
  EXPECT_NE(m.find("ploke_shared_fallback_total{kind=\"rate_limit_local\"} 1\n"), std::string::npos) << m;
  ASSERT_TRUE(redis_.start());
  ASSERT_TRUE(testing::eventually([&] { return instances_[1].store->connected(); }));
  // The heartbeats find it again (requests skip the store for degraded_retry after a failure).
  EXPECT_TRUE(testing::eventually([&] { return metrics(1).find("ploke_shared_store_up 1\n") != std::string::npos; }));
  EXPECT_EQ(post_chat(1), 200);
}

// Load on all three instances while Redis is slowed (DEBUG SLEEP, longer than the command
// timeout) and then killed: every request is answered (200, or the gateway's own 429 / the
// provider's past N), none waits much past the 500 ms command timeout, and the fallback
// decisions are counted. (Past the limit most requests are refused by each instance's own
// limiter before the shared admission; those that reach it are the ones timed here.)
TEST_F(GatewaySharedTest, UnderLoadSlowedThenKilledRedisNothingHangsOrIsLost) {
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0}, unexpected{0};
  std::atomic<int64_t> slowest_ms{0};
  std::vector<std::thread> load;
  for (size_t i = 0; i < 3; ++i) {
    load.emplace_back([&, i] {
      while (!stop.load()) {
        const auto t0 = std::chrono::steady_clock::now();
        const int status = post_chat(i);
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
        if (ms > slowest_ms.load()) slowest_ms.store(ms);
        (status == 200 || status == 429 ? answered : unexpected)++;
      }
    });
  }
  ASSERT_TRUE(testing::eventually([&] { return answered.load() >= 30; }));
  redis_.command({"DEBUG", "SLEEP", "1.5"});  // returns when Redis wakes up: the load ran through the sleep
  const int after_sleep = answered.load();
  redis_.kill();
  const bool more = testing::eventually([&] { return answered.load() >= after_sleep + 30; });
  stop = true;
  for (auto& t : load) t.join();
  ASSERT_TRUE(more) << "requests stopped being answered once Redis was gone";
  EXPECT_EQ(unexpected.load(), 0);
  EXPECT_LT(slowest_ms.load(), 1400) << "a request waited for Redis past the 500 ms timeout (sleep 1.5 s)";
  double local = 0;
  for (size_t i = 0; i < 3; ++i) {
    const std::string m = metrics(i);
    const size_t at = m.find("ploke_shared_fallback_total{kind=\"rate_limit_local\"} ");
    ASSERT_NE(at, std::string::npos);
    local += std::stod(m.substr(at + 53));
  }
  EXPECT_GT(local, 0);  // the failure policy decided while Redis slept or was gone
}

}  // namespace
}  // namespace ploke::gateway
