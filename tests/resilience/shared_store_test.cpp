// MemoryStore (windows, atomic multi-limit admission, reconcile, in-flight slots, spend,
// breakers, trials, heartbeat) and SharedState's failure policy, in virtual time.
#include <gtest/gtest.h>

#include "ploke/resilience/shared_state.h"
#include "ploke/resilience/shared_store.h"
#include "test_store.h"

namespace ploke::resilience {
namespace {

using namespace std::chrono_literals;

using testing::conc;
using testing::req;
using testing::rpm;
using testing::tpm;

TEST(MemoryStoreTest, RequestWindowRefusesThenReopens) {
  SimulatedClock clock;
  MemoryStore store(clock);
  clock.advance(1000s);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store.admit_now(req({rpm(3)})).allowed) << i;
  clock.advance(10s);
  Admission a = store.admit_now(req({rpm(3)}));
  EXPECT_FALSE(a.allowed);
  EXPECT_EQ(a.retry_after, 50100ms);  // the first slot (1000.0 s, 100 ms wide) leaves at 1060.1 s
  EXPECT_NE(a.reason.find("requests/min p:rpm: 3 + 1 > 3"), std::string::npos) << a.reason;
  clock.advance(50s);
  EXPECT_FALSE(store.admit_now(req({rpm(3)})).allowed);
  clock.advance(1s);
  EXPECT_TRUE(store.admit_now(req({rpm(3)})).allowed);
}

TEST(MemoryStoreTest, AllLimitsOrNone) {
  SimulatedClock clock;
  MemoryStore store(clock);
  ASSERT_TRUE(store.admit_now(req({rpm(10), tpm(1000)}, 900)).allowed);
  Admission a = store.admit_now(req({rpm(10), tpm(1000)}, 200));
  EXPECT_FALSE(a.allowed);
  EXPECT_NE(a.reason.find("tokens/min"), std::string::npos);
  // The refused request reserved nothing on rpm: 9 more requests of 100 tokens fit… once.
  for (int i = 0; i < 9; ++i) {
    Admission b = store.admit_now(req({rpm(10)}, 0));
    ASSERT_TRUE(b.allowed) << i;
  }
  EXPECT_FALSE(store.admit_now(req({rpm(10)})).allowed);
}

TEST(MemoryStoreTest, TokensReservedThenReconciled) {
  SimulatedClock clock;
  MemoryStore store(clock);
  Admission a = store.admit_now(req({tpm(1000)}, 800));
  ASSERT_TRUE(a.allowed);
  EXPECT_FALSE(store.admit_now(req({tpm(1000)}, 300)).allowed);
  store.reconcile_now(a.reservation, 100);  // used 100 of the 800 reserved
  EXPECT_TRUE(store.admit_now(req({tpm(1000)}, 850)).allowed);
  EXPECT_FALSE(store.admit_now(req({tpm(1000)}, 100)).allowed);
}

TEST(MemoryStoreTest, InFlightSlotsAreReleasedOrExpire) {
  SimulatedClock clock;
  MemoryStore store(clock);
  Admission a = store.admit_now(AdmitRequest{{conc(1)}, 0, "a", 30s});
  ASSERT_TRUE(a.allowed);
  Admission b = store.admit_now(AdmitRequest{{conc(1)}, 0, "b", 30s});
  EXPECT_FALSE(b.allowed);
  EXPECT_EQ(b.retry_after, 30s);
  store.reconcile_now(a.reservation, 0);
  Admission c = store.admit_now(AdmitRequest{{conc(1)}, 0, "c", 30s});
  ASSERT_TRUE(c.allowed);  // released
  clock.advance(30s);      // "c" never released (a crashed instance): its slot expires
  EXPECT_TRUE(store.admit_now(AdmitRequest{{conc(1)}, 0, "d", 30s}).allowed);
}

TEST(MemoryStoreTest, SpendBreakersTrialsAndHeartbeat) {
  SimulatedClock clock;
  MemoryStore store(clock);
  store.add_spend("provider:openai", 1.5, [](Result<double>) {});
  Result<double> total = wait_store<double>(clock, [&](auto cb) { store.add_spend("provider:openai", 2, cb); });
  ASSERT_TRUE(total.ok());
  EXPECT_DOUBLE_EQ(*total, 3.5);
  auto spend = wait_store<std::vector<double>>(clock, [&](auto cb) { store.get_spend({"provider:openai", "x"}, cb); });
  ASSERT_TRUE(spend.ok());
  EXPECT_EQ(*spend, (std::vector<double>{3.5, 0}));

  std::vector<BreakerShare> seen;
  store.subscribe_breakers([&](const BreakerShare& b) { seen.push_back(b); });
  store.publish_breaker({"openai/gpt", true, 2s, "a"}, 5s, [](Result<bool>) {});
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(seen[0].open);
  auto read = wait_store<std::vector<std::optional<BreakerShare>>>(
      clock, [&](auto cb) { store.read_breakers({"openai/gpt", "other"}, cb); });
  ASSERT_TRUE(read.ok());
  ASSERT_TRUE((*read)[0].has_value());
  EXPECT_EQ((*read)[0]->origin, "a");
  EXPECT_FALSE((*read)[1].has_value());
  clock.advance(5s);  // TTL
  read = wait_store<std::vector<std::optional<BreakerShare>>>(clock, [&](auto cb) { store.read_breakers({"openai/gpt"}, cb); });
  EXPECT_FALSE((*read)[0].has_value());

  auto claim = [&](const char* who) {
    return *wait_store<bool>(clock, [&](auto cb) { store.claim_trial("openai/gpt", who, 10s, cb); });
  };
  EXPECT_TRUE(claim("a"));
  EXPECT_FALSE(claim("b"));
  EXPECT_TRUE(claim("a"));  // the holder keeps it until it expires
  clock.advance(10s);
  EXPECT_TRUE(claim("b"));

  auto beat = [&](const char* who) {
    return *wait_store<uint32_t>(clock, [&](auto cb) { store.heartbeat(who, 3s, cb); });
  };
  EXPECT_EQ(beat("a"), 1u);
  EXPECT_EQ(beat("b"), 2u);
  clock.advance(2s);
  EXPECT_EQ(beat("a"), 2u);
  clock.advance(2s);  // b not heard of for 4 s
  EXPECT_EQ(beat("a"), 1u);
}

TEST(MemoryStoreTest, BreakerShareEncoding) {
  auto b = decode_breaker_share("e", encode_breaker_share({"e", true, 2500ms, "inst|a"}));
  ASSERT_TRUE(b.has_value());
  EXPECT_TRUE(b->open);
  EXPECT_EQ(b->open_for, 2500ms);
  EXPECT_EQ(b->origin, "inst|a");
  EXPECT_FALSE(decode_breaker_share("e", "2|1|x").has_value());
  EXPECT_FALSE(decode_breaker_share("e", "1|x|a").has_value());
}

using FlakyStore = testing::TestStore;

TEST(SharedStateTest, LimitsAreSharedAcrossInstances) {
  SimulatedClock clock;
  MemoryStore store(clock);
  SharedState a(clock, store, {.instance_id = "a"}), b(clock, store, {.instance_id = "b"});
  int admitted = 0;
  for (int i = 0; i < 10; ++i) {
    admitted += a.admit(req({rpm(6)})).allowed;
    admitted += b.admit(req({rpm(6)})).allowed;
  }
  EXPECT_EQ(admitted, 6);
}

TEST(SharedStateTest, UnreachableStoreFallsBackToTheLocalShareAndLogsOncePerTransition) {
  SimulatedClock clock;
  FlakyStore store(clock);
  SharedState a(clock, store, {.instance_id = "a"}), b(clock, store, {.instance_id = "b"}),
      c(clock, store, {.instance_id = "c"});
  std::vector<std::string> log;
  a.set_log([&](bool degraded, const std::string& m) { log.push_back((degraded ? "down: " : "up: ") + m); });
  a.heartbeat(), b.heartbeat();
  EXPECT_EQ(c.heartbeat(), 3u);
  EXPECT_EQ(a.heartbeat(), 3u);
  store.down = true;
  int admitted = 0;
  for (int i = 0; i < 10; ++i) admitted += a.admit(req({rpm(30)})).allowed;
  EXPECT_EQ(admitted, 10);  // 30 / 3 live instances
  Admission refused = a.admit(req({rpm(30)}));
  EXPECT_FALSE(refused.allowed);
  EXPECT_NE(refused.reason.find("local share"), std::string::npos);
  EXPECT_TRUE(a.degraded());
  EXPECT_EQ(a.counters().rate_limit_local, 11u);
  EXPECT_EQ(a.counters().store_errors, 1u);  // one failed call: the other 10 did not wait for the store
  EXPECT_EQ(a.counters().transitions, 1u);
  ASSERT_EQ(log.size(), 1u);  // logged once, not per decision
  EXPECT_NE(log[0].find("down: shared store unavailable"), std::string::npos) << log[0];
  EXPECT_EQ(a.heartbeat(), 3u);  // the last known count while degraded (heartbeats still try)

  store.down = false;
  EXPECT_TRUE(a.admit(req({rpm(30)})).reservation.local);  // within degraded_retry: not tried yet
  clock.advance(1s);
  Admission back = a.admit(req({rpm(30)}));
  EXPECT_TRUE(back.allowed);
  EXPECT_FALSE(back.reservation.local);  // shared again
  EXPECT_FALSE(a.degraded());
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1].rfind("up: ", 0), 0u);
}

TEST(SharedStateTest, HardBudgetsRefuseWhileDegradedAndSpendIsResent) {
  SimulatedClock clock;
  FlakyStore store(clock);
  SharedState a(clock, store, {.instance_id = "a"}), b(clock, store, {.instance_id = "b"});
  a.add_spend("provider:p", 1);
  ASSERT_TRUE(b.spend({"provider:p"}).ok());
  EXPECT_DOUBLE_EQ((*b.spend({"provider:p"}))[0], 1);
  store.down = true;
  a.add_spend("provider:p", 2);  // kept
  Result<std::vector<double>> s = a.spend({"provider:p"});
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(a.counters().budget_refused, 1u);
  store.down = false;
  clock.advance(1s);  // past degraded_retry
  EXPECT_DOUBLE_EQ((*a.spend({"provider:p"}))[0], 3);  // the unsent 2 counts locally
  a.add_spend("provider:p", 0.5);                      // and is sent with the next add
  EXPECT_DOUBLE_EQ((*b.spend({"provider:p"}))[0], 3.5);
}

TEST(SharedStateTest, BreakersPublishedToOthersStayLocalWhileDegradedAndAreReReadAfter) {
  SimulatedClock clock;
  FlakyStore store(clock);
  SharedState a(clock, store, {.instance_id = "a"}), b(clock, store, {.instance_id = "b"});
  std::vector<BreakerShare> at_a, at_b;
  a.set_breaker_listener([&](const BreakerShare& s) { at_a.push_back(s); });
  b.set_breaker_listener([&](const BreakerShare& s) { at_b.push_back(s); });
  a.watch_breakers({"ep"});
  b.watch_breakers({"ep"});
  a.publish_breaker("ep", true, 2s, 10s);
  EXPECT_TRUE(at_a.empty());  // its own publish is filtered out
  ASSERT_EQ(at_b.size(), 1u);
  EXPECT_EQ(at_b[0].origin, "a");
  EXPECT_TRUE(b.claim_trial("ep"));
  EXPECT_FALSE(a.claim_trial("ep"));  // one trial across the group

  store.down = true;
  EXPECT_TRUE(b.claim_trial("ep"));  // degraded: local decision
  b.publish_breaker("ep", false, 0s, 10s);
  EXPECT_TRUE(at_a.empty());
  EXPECT_EQ(b.counters().breaker_local, 2u);
  store.down = false;
  store.mem.publish_breaker({"ep", true, 3s, "c"}, 10s, [](Result<bool>) {});  // "c" while b was away
  at_b.clear();
  b.heartbeat();  // first success after degraded: re-reads the watched states
  ASSERT_EQ(at_b.size(), 1u);
  EXPECT_EQ(at_b[0].origin, "c");
}

TEST(SharedStateTest, RefusePolicyAndHeartbeatTimerAndMetrics) {
  SimulatedClock clock;
  FlakyStore store(clock);
  SharedState a(clock, store, {.instance_id = "a", .refuse_rate_limits_when_degraded = true});
  SharedState b(clock, store, {.instance_id = "b"});
  a.start_heartbeat(1s);
  b.start_heartbeat(1s);
  clock.advance(2s);  // a's second beat sees b's first
  EXPECT_EQ(a.live_instances(), 2u);
  b.stop_heartbeat();
  clock.advance(4s);  // b's last beat expired
  EXPECT_EQ(a.live_instances(), 1u);
  a.stop_heartbeat();
  EXPECT_FALSE(clock.next_wakeup().has_value());  // no timer left behind
  store.down = true;
  Admission r = a.admit(req({rpm(30)}));
  EXPECT_FALSE(r.allowed);
  EXPECT_NE(r.reason.find("policy: refuse"), std::string::npos);
  const std::string m = render_shared_metrics(a);
  EXPECT_NE(m.find("ploke_shared_fallback_total{kind=\"rate_limit_refused\"} 1\n"), std::string::npos) << m;
  EXPECT_NE(m.find("ploke_shared_store_up 0\n"), std::string::npos);
  EXPECT_NE(m.find("ploke_shared_live_instances 1\n"), std::string::npos);
}

}  // namespace
}  // namespace ploke::resilience
