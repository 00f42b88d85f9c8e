// RedisStore against a real redis-server started by each test (Unix socket in a temp dir,
// or a free loopback port): atomic limits across three clients, shared spend, breakers
// published to another client, the failure policy when Redis is killed or slowed, the
// script reloaded after SCRIPT FLUSH, leases (sized, counted, given back; fewer calls).
#include <gtest/gtest.h>

#include <thread>

#include "ploke/net/event_loop.h"
#include "ploke/net/http_server.h"
#include "ploke/redis/redis_store.h"
#include "ploke/resilience/shared_state.h"
#include "redis_server.h"

namespace ploke::redis {
namespace {

using namespace std::chrono_literals;
using resilience::AdmitRequest;
using resilience::LimitKind;
using resilience::SharedLimit;
using resilience::SharedState;
using testing::eventually;
using testing::RedisServer;

/// One event loop (a 1-thread HttpServer) and `n` RedisStores on it.
struct Clients {
  Clients(const std::string& url, size_t n, Duration timeout = 50ms) {
    server = std::move(net::HttpServer::Start({.threads = 1}, clock, [](net::Request&, net::Responder r) {
                         r.respond(404, "text/plain", "");
                       }).value());
    RedisOptions o;
    o.address = parse_redis_url(url).value();
    o.command_timeout = timeout;
    o.reconnect_min = 10ms;
    o.reconnect_max = 100ms;
    for (size_t i = 0; i < n; ++i) stores.push_back(std::make_unique<RedisStore>(server->loop(0), o));
  }
  ~Clients() {
    stores.clear();
    server->stop();
  }
  bool connected() {
    return eventually([&] {
      for (auto& s : stores)
        if (!s->connected()) return false;
      return true;
    });
  }
  RealClock clock;
  std::unique_ptr<net::HttpServer> server;
  std::vector<std::unique_ptr<RedisStore>> stores;
};

AdmitRequest rpm_request(uint64_t n, std::string slot = "s") {
  return AdmitRequest{{SharedLimit{"p:rpm", LimitKind::kRequests, n, 60s}}, 0, std::move(slot), 1min};
}

Result<resilience::Admission> admit(Clock& clock, RedisStore& s, const AdmitRequest& r) {
  return resilience::wait_store<resilience::Admission>(clock, [&](auto cb) { s.admit(r, cb); });
}

class RedisStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!RedisServer::available()) GTEST_SKIP() << "redis-server not installed (scripts/install-deps.sh)";
    ASSERT_TRUE(redis.start());
  }
  RedisServer redis;
};

TEST(RedisUrlTest, ParsesAndRedacts) {
  auto a = parse_redis_url("redis://:FAKE-pass-123@127.0.0.1:6390/2");
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 6390);
  EXPECT_EQ(a->db, 2);
  EXPECT_EQ(a->password.reveal(), "FAKE-pass-123");
  EXPECT_EQ(redacted_url(*a), "redis://:***@127.0.0.1:6390/2");
  auto u = parse_redis_url("unix:/tmp/r.sock?db=1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->unix_path, "/tmp/r.sock");
  EXPECT_EQ(u->db, 1);
  EXPECT_EQ(redacted_url(*u), "unix:/tmp/r.sock?db=1");
  EXPECT_EQ(parse_redis_url("unix:///tmp/r.sock")->unix_path, "/tmp/r.sock");
  EXPECT_FALSE(parse_redis_url("http://x").ok());
  EXPECT_FALSE(parse_redis_url("redis://h:99999").ok());
  EXPECT_FALSE(parse_redis_url("unix:relative.sock").ok());
  auto bad = parse_redis_url("redis://u:FAKE-secret-9@h:0");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().find("FAKE-secret-9"), std::string::npos);
}

TEST_F(RedisStoreTest, OneLimitIsAtomicAcrossThreeClients) {
  Clients c(redis.url(), 3, 2s);
  ASSERT_TRUE(c.connected());
  std::atomic<int> admitted{0}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        auto r = admit(c.clock, *c.stores[static_cast<size_t>(t)], rpm_request(50));
        if (!r.ok()) ++errors;
        else if (r->allowed) ++admitted;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(admitted.load(), 50);
  auto refused = admit(c.clock, *c.stores[0], rpm_request(50));
  ASSERT_TRUE(refused.ok());
  EXPECT_FALSE(refused->allowed);
  EXPECT_GT(refused->retry_after, 55s);
  EXPECT_NE(refused->reason.find("requests/min p:rpm: 50 + 1 > 50"), std::string::npos) << refused->reason;
}

TEST_F(RedisStoreTest, TokensAndSlotsAllOrNoneThenReconciled) {
  Clients c(redis.url(), 2, 2s);
  ASSERT_TRUE(c.connected());
  const SharedLimit rpm{"q:rpm", LimitKind::kRequests, 10, 60s}, tpm{"q:tpm", LimitKind::kTokens, 1000, 60s},
      conc{"q:conc", LimitKind::kConcurrent, 1, 60s};
  auto a = admit(c.clock, *c.stores[0], AdmitRequest{{rpm, tpm, conc}, 800, "a", 1min});
  ASSERT_TRUE(a.ok() && a->allowed);
  auto b = admit(c.clock, *c.stores[1], AdmitRequest{{rpm, tpm}, 300, "b", 1min});
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->allowed);  // tokens
  auto d = admit(c.clock, *c.stores[1], AdmitRequest{{rpm, conc}, 0, "d", 1min});
  EXPECT_FALSE(d->allowed);  // the in-flight slot
  EXPECT_NE(d->reason.find("concurrent"), std::string::npos);
  ASSERT_TRUE((resilience::wait_store<bool>(c.clock, [&](auto cb) { c.stores[0]->reconcile(a->reservation, 100, cb); }).ok()));
  auto e = admit(c.clock, *c.stores[1], AdmitRequest{{rpm, tpm, conc}, 850, "e", 1min});
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->allowed) << e->reason;
  // Refused requests reserved nothing: 2 of the 10 requests are used (a, e), 8 are left.
  int more = 0;
  for (int i = 0; i < 10; ++i) more += admit(c.clock, *c.stores[0], AdmitRequest{{rpm}, 0, "x", 1min})->allowed;
  EXPECT_EQ(more, 8);
}

TEST_F(RedisStoreTest, SpendIsSharedAndBreakersReachTheOtherClients) {
  Clients c(redis.url(), 3, 2s);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE((resilience::wait_store<double>(c.clock, [&](auto cb) { c.stores[0]->add_spend("provider:p", 0.25, cb); }).ok()));
  auto total = resilience::wait_store<double>(c.clock, [&](auto cb) { c.stores[1]->add_spend("provider:p", 0.5, cb); });
  ASSERT_TRUE(total.ok());
  EXPECT_DOUBLE_EQ(*total, 0.75);
  auto spend = resilience::wait_store<std::vector<double>>(
      c.clock, [&](auto cb) { c.stores[2]->get_spend({"provider:p", "provider:none"}, cb); });
  ASSERT_TRUE(spend.ok());
  EXPECT_EQ(*spend, (std::vector<double>{0.75, 0}));

  std::atomic<int> seen{0};
  c.stores[1]->subscribe_breakers([&](const resilience::BreakerShare& b) {
    if (b.endpoint == "openai/gpt" && b.open && b.origin == "inst-a") ++seen;
  });
  const auto t0 = std::chrono::steady_clock::now();
  c.stores[0]->publish_breaker({"openai/gpt", true, 2s, "inst-a"}, 10s, [](Result<bool>) {});
  ASSERT_TRUE(eventually([&] { return seen.load() == 1; }, 2s));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 100ms);
  auto read = resilience::wait_store<std::vector<std::optional<resilience::BreakerShare>>>(
      c.clock, [&](auto cb) { c.stores[2]->read_breakers({"openai/gpt", "x"}, cb); });
  ASSERT_TRUE(read.ok());
  ASSERT_TRUE((*read)[0].has_value());
  EXPECT_EQ((*read)[0]->open_for, 2s);
  EXPECT_FALSE((*read)[1].has_value());
  int trials = 0;
  for (size_t i = 0; i < c.stores.size(); ++i) {
    const std::string who = "i" + std::to_string(i);
    trials += *resilience::wait_store<bool>(c.clock, [&](auto cb) { c.stores[i]->claim_trial("openai/gpt", who, 10s, cb); });
  }
  EXPECT_EQ(trials, 1);  // one half-open trial across the group…
  EXPECT_TRUE(*resilience::wait_store<bool>(  // …which its holder keeps
      c.clock, [&](auto cb) { c.stores[2]->claim_trial("openai/gpt", "i0", 10s, cb); }));
  auto live = resilience::wait_store<uint32_t>(c.clock, [&](auto cb) { c.stores[0]->heartbeat("a", 3s, cb); });
  live = resilience::wait_store<uint32_t>(c.clock, [&](auto cb) { c.stores[1]->heartbeat("b", 3s, cb); });
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(*live, 2u);
}

TEST_F(RedisStoreTest, KilledRedisFallsBackToTheLocalShareAndSharingResumesAfterRestart) {
  Clients c(redis.url(), 1, 200ms);
  ASSERT_TRUE(c.connected());
  SharedState state(c.clock, *c.stores[0], {.instance_id = "a"});
  std::vector<std::string> log;
  Mutex mu;
  state.set_log([&](bool, const std::string& m) {
    MutexLock lock(mu);
    log.push_back(m);
  });
  ASSERT_TRUE(state.admit(rpm_request(100)).allowed);
  EXPECT_FALSE(state.admit(rpm_request(100)).reservation.local);
  redis.kill();
  const auto t0 = std::chrono::steady_clock::now();
  int local = 0;
  for (int i = 0; i < 20; ++i) {
    auto a = state.admit(rpm_request(100));
    EXPECT_TRUE(a.allowed);
    local += a.reservation.local;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);  // none waited past the 200 ms timeout
  EXPECT_GE(local, 19);  // the first may still have found the connection open
  EXPECT_TRUE(state.degraded());
  EXPECT_FALSE(state.spend({"provider:p"}).ok());  // hard budgets refuse
  EXPECT_GE(state.counters().rate_limit_local, 19u);
  EXPECT_EQ(state.counters().budget_refused, 1u);

  ASSERT_TRUE(redis.start());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(eventually([&] { return !state.admit(rpm_request(100)).reservation.local; }));
  EXPECT_FALSE(state.degraded());
  EXPECT_EQ(state.counters().transitions, 2u);
  MutexLock lock(mu);
  ASSERT_EQ(log.size(), 2u);  // once per transition
  EXPECT_NE(log[0].find("unavailable"), std::string::npos);
  EXPECT_NE(log[1].find("available again"), std::string::npos);
}

TEST_F(RedisStoreTest, SlowRedisTimesOutWithinTheCommandTimeout) {
  Clients c(redis.url(), 1, 50ms);
  ASSERT_TRUE(c.connected());
  SharedState state(c.clock, *c.stores[0], {.instance_id = "a"});
  ASSERT_TRUE(state.admit(rpm_request(100)).allowed);
  std::thread sleeper([&] { redis.command({"DEBUG", "SLEEP", "0.6"}); });
  ASSERT_TRUE(eventually([&] {  // Redis is asleep once a command no longer answers at once
    auto r = admit(c.clock, *c.stores[0], rpm_request(100));
    return !r.ok() && r.status().code() == StatusCode::kTimeout;
  }));
  const auto t0 = std::chrono::steady_clock::now();
  auto a = state.admit(rpm_request(100));
  const auto took = std::chrono::steady_clock::now() - t0;
  sleeper.join();
  EXPECT_TRUE(a.allowed);
  EXPECT_TRUE(a.reservation.local);
  EXPECT_LT(took, 150ms);  // the 50 ms timeout, not the 600 ms sleep
  EXPECT_GE(c.stores[0]->stats().timeouts, 2u);
  ASSERT_TRUE(eventually([&] { return !state.admit(rpm_request(100)).reservation.local; }));
}

TEST_F(RedisStoreTest, SlotsLeaveTheWindowAndTheRunningTotalStaysExact) {
  Clients c(redis.url(), 1, 2s);
  ASSERT_TRUE(c.connected());
  const AdmitRequest r{{SharedLimit{"w:rpm", LimitKind::kRequests, 2, 1s}}, 0, "s", 1min};
  ASSERT_TRUE(admit(c.clock, *c.stores[0], r)->allowed);
  ASSERT_TRUE(admit(c.clock, *c.stores[0], r)->allowed);
  auto refused = admit(c.clock, *c.stores[0], r);
  EXPECT_FALSE(refused->allowed);
  EXPECT_LE(refused->retry_after, 2s);
  ASSERT_TRUE(eventually([&] { return admit(c.clock, *c.stores[0], r)->allowed; }, 5s));  // slots left
  // The running total ('t') is the sum of the slots still in the hash.
  const std::string all = redis.command({"HGETALL", "ploke:v1:rl:w:rpm"});
  std::vector<std::string> f;
  for (size_t p = 0; p < all.size();) {
    const size_t e = all.find("\r\n", p);
    const std::string line = all.substr(p, e == std::string::npos ? std::string::npos : e - p);
    if (!line.empty() && line[0] != '*' && line[0] != '$') f.push_back(line);
    if (e == std::string::npos) break;
    p = e + 2;
  }
  ASSERT_EQ(f.size() % 2, 0u) << all;
  long sum = 0, total = -1;
  for (size_t i = 0; i < f.size(); i += 2) {
    if (f[i] == "t") total = std::stol(f[i + 1]);
    else if (f[i] != "lo") sum += std::stol(f[i + 1]);
  }
  EXPECT_EQ(total, sum) << all;
  EXPECT_GE(total, 1);
}

TEST_F(RedisStoreTest, ScriptIsReloadedAfterScriptFlush) {
  Clients c(redis.url(), 1, 2s);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(admit(c.clock, *c.stores[0], rpm_request(10))->allowed);
  EXPECT_EQ(redis.command({"SCRIPT", "FLUSH"}), "+OK");
  auto a = admit(c.clock, *c.stores[0], rpm_request(10));
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_TRUE(a->allowed);
  EXPECT_EQ(c.stores[0]->stats().noscript, 1u);
}

TEST_F(RedisStoreTest, OneConnectionPerLoopAndACallOnALoopStaysOnIt) {
  RealClock clock;
  auto server = std::move(net::HttpServer::Start({.threads = 2}, clock, [](net::Request&, net::Responder r) {
                            r.respond(404, "text/plain", "");
                          }).value());
  RedisOptions o;
  o.address = parse_redis_url(redis.url()).value();
  o.command_timeout = 2s;
  RedisStore store(o);
  store.start({&server->loop(0), &server->loop(1)});
  ASSERT_TRUE(eventually([&] { return store.connected(); }));
  EXPECT_EQ(store.stats().connects, 3u);  // two command connections, one subscriber
  std::atomic<int> on_loop1{0}, done{0};
  net::EventLoop* loop1 = &server->loop(1);
  loop1->post([&] {
    store.admit(rpm_request(5), [&, loop1](Result<resilience::Admission> a) {
      if (a.ok() && a->allowed && net::EventLoop::current() == loop1) ++on_loop1;
      ++done;
    });
  });
  ASSERT_TRUE(eventually([&] { return done.load() == 1; }));
  EXPECT_EQ(on_loop1.load(), 1);
  auto off_loop = admit(clock, store, rpm_request(5));  // from this thread: via loop 0
  ASSERT_TRUE(off_loop.ok());
  EXPECT_TRUE(off_loop->allowed);
  server->stop();
}

Result<resilience::Lease> take_lease(Clock& clock, RedisStore& s, const resilience::LeaseRequest& r) {
  return resilience::wait_store<resilience::Lease>(clock, [&](auto cb) { s.lease(r, cb); });
}

TEST_F(RedisStoreTest, LeaseIsCappedByTheFairShareCountedAndGivenBack) {
  Clients c(redis.url(), 1, 2s);
  ASSERT_TRUE(c.connected());
  const SharedLimit rpm{"l:rpm", LimitKind::kRequests, 100, 60s}, tpm{"l:tpm", LimitKind::kTokens, 10000, 60s};
  auto l = take_lease(c.clock, *c.stores[0], {{rpm, tpm}, 30, 500, 100, 2});
  ASSERT_TRUE(l.ok()) << l.status().to_string();
  ASSERT_TRUE(l->granted);
  EXPECT_EQ(l->requests, 25u);  // 100 left ÷ (2 × 2 instances)
  EXPECT_EQ(l->tokens, 500u);
  // 20 requests and 400 tokens unused go back to the slot they were counted in.
  resilience::Reservation back{{rpm, tpm}, 400, l->slot, "", false, 20};
  ASSERT_TRUE((resilience::wait_store<bool>(c.clock, [&](auto cb) { c.stores[0]->reconcile(back, 0, cb); }).ok()));
  EXPECT_EQ(redis.command({"HGET", "ploke:v1:rl:l:rpm", "t"}), "$1\r\n5");
  EXPECT_EQ(redis.command({"HGET", "ploke:v1:rl:l:tpm", "t"}), "$3\r\n100");
  auto big = take_lease(c.clock, *c.stores[0], {{rpm}, 1000, 0, 0, 1});
  ASSERT_TRUE(big.ok() && big->granted);
  EXPECT_EQ(big->requests, 47u);  // 95 left ÷ 2
  std::vector<uint64_t> sizes;  // halving to the need near exhaustion, then refused
  for (int i = 0; i < 20; ++i) {
    auto next = take_lease(c.clock, *c.stores[0], {{rpm}, 1000, 0, 0, 1});
    if (!next.ok() || !next->granted) break;
    sizes.push_back(next->requests);
  }
  EXPECT_EQ(sizes, (std::vector<uint64_t>{24, 12, 6, 3, 1, 1, 1}));
  auto none = take_lease(c.clock, *c.stores[0], {{rpm}, 1000, 0, 0, 1});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->granted);
  EXPECT_NE(none->reason.find("requests/min l:rpm: 100 + 1 > 100"), std::string::npos) << none->reason;
  // A block too large for Lua's default number format (1e+17) is still counted as an integer.
  const SharedLimit huge{"l:huge", LimitKind::kTokens, 0, 60s};
  auto h = take_lease(c.clock, *c.stores[0], {{huge}, 1, 100000000000000000, 1, 1});
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  EXPECT_TRUE(h->granted);
  EXPECT_EQ(redis.command({"HGET", "ploke:v1:rl:l:huge", "t"}), "$18\r\n100000000000000000");
}

/// SharedStates with leases: far fewer script calls than admissions, and three instances
/// sharing one limit hand out exactly the limit (the unused credit given back).
TEST_F(RedisStoreTest, LeasesCutScriptCallsAndThreeInstancesKeepTheLimit) {
  Clients c(redis.url(), 3, 2s);
  ASSERT_TRUE(c.connected());
  const auto leased = [](std::string id) {
    resilience::SharedStateOptions o;
    o.instance_id = std::move(id);
    o.lease = 200ms;
    return o;
  };
  SharedState one(c.clock, *c.stores[0], leased("one"));
  const uint64_t before = c.stores[0]->stats().commands;
  const AdmitRequest wide{{SharedLimit{"wide:rpm", LimitKind::kRequests, 1000000, 60s}}, 0, "w", 1min};
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(one.admit(wide).allowed) << i;
  const uint64_t used = c.stores[0]->stats().commands - before;
  EXPECT_LT(used, 40u);  // the lease grows to the rate: about a dozen lease calls
  EXPECT_GE(used, 1u);

  std::vector<std::unique_ptr<SharedState>> group;
  for (size_t i = 0; i < 3; ++i) group.push_back(std::make_unique<SharedState>(c.clock, *c.stores[i], leased("g" + std::to_string(i))));
  for (auto& s : group) s->heartbeat();
  std::atomic<int> admitted{0}, local{0};
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        auto a = group[t]->admit(rpm_request(50));
        admitted += a.allowed;
        local += a.reservation.local;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(local.load(), 0);
  EXPECT_LE(admitted.load(), 50);
  for (auto& s : group) s->return_leases();
  ASSERT_TRUE(eventually([&] {  // the give-backs are batched reconciles: soon applied
    return redis.command({"HGET", "ploke:v1:rl:p:rpm", "t"}) == "$2\r\n" + std::to_string(admitted.load());
  }));
  EXPECT_GE(admitted.load(), 40);  // near exhaustion leases shrink to one: little left unused
}

TEST(RedisStoreTcpTest, LoopbackTcpAndKeysAreVersioned) {
  if (!RedisServer::available()) GTEST_SKIP() << "redis-server not installed";
  RedisServer redis(/*tcp=*/true);
  ASSERT_TRUE(redis.start());
  Clients c(redis.url(), 1, 2s);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(admit(c.clock, *c.stores[0], rpm_request(10))->allowed);
  EXPECT_EQ(redis.command({"EXISTS", "ploke:v1:rl:p:rpm"}), ":1");
}

}  // namespace
}  // namespace ploke::redis
