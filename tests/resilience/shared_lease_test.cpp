// Leases (local quota blocks) of SharedState over a MemoryStore, in virtual time: credit
// admitted without store calls, unused credit given back at expiry, sizes shrinking near
// exhaustion, several instances within the limit plus the documented margin, token
// corrections, the failure policy.
#include <gtest/gtest.h>

#include <algorithm>

#include "ploke/resilience/shared_state.h"
#include "test_store.h"

namespace ploke::resilience {
namespace {

using namespace std::chrono_literals;
using testing::req;
using testing::rpm;
using testing::TestStore;
using testing::tpm;

constexpr Duration kLease = 200ms;

SharedStateOptions leased(std::string id) {
  SharedStateOptions o;
  o.instance_id = std::move(id);
  o.lease = kLease;
  return o;
}

/// How many more requests (of `tokens` each) `limits` admits now, asked of the store itself.
int room(MemoryStore& store, const std::vector<SharedLimit>& limits, uint64_t tokens = 0) {
  int n = 0;
  while (n < 100000 && store.admit_now(req(limits, tokens)).allowed) ++n;
  return n;
}

TEST(MemoryStoreLeaseTest, GrantsTheWantedBlockCappedByTheFairShareAndRefusesWithoutRoom) {
  SimulatedClock clock;
  MemoryStore store(clock);
  Lease l = store.lease_now({{rpm(100), tpm(10000)}, 30, 500, 100, 2});
  ASSERT_TRUE(l.granted);
  EXPECT_EQ(l.requests, 25u);  // 100 left ÷ (2 × 2 instances)
  EXPECT_EQ(l.tokens, 500u);   // wanted 500 < 10000 ÷ 4
  l = store.lease_now({{rpm(100)}, 80, 0, 0, 1});
  EXPECT_EQ(l.requests, 37u);  // 75 left ÷ 2
  for (uint64_t want : {19, 9, 5, 2, 1, 1}) EXPECT_EQ(store.lease_now({{rpm(100)}, 80, 0, 0, 1}).requests, want);
  EXPECT_EQ(store.lease_now({{rpm(100)}, 80, 0, 0, 1}).requests, 1u);  // near exhaustion: the need only
  Lease no = store.lease_now({{rpm(100), tpm(10000)}, 1, 0, 0, 1});
  ASSERT_FALSE(no.granted);
  EXPECT_NE(no.reason.find("requests/min p:rpm"), std::string::npos) << no.reason;
  EXPECT_GT(no.retry_after, 59s);
}

TEST(SharedLeaseTest, CreditIsAdmittedLocallyWithoutStoreCalls) {
  SimulatedClock clock;
  TestStore store(clock);
  SharedState a(clock, store, leased("a"));
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(a.admit(req({rpm(100000)})).allowed) << i;
    clock.advance(1ms);
  }
  EXPECT_EQ(store.calls["admit"], 0);
  EXPECT_LT(store.calls["lease"], 20);  // the block grows to the rate: 1.5 × 200 requests per 200 ms
  EXPECT_GT(store.granted.back().requests, 100u);
  // Without leases: one store call per request.
  SharedState b(clock, store, {.instance_id = "b"});
  for (int i = 0; i < 10; ++i) b.admit(req({rpm(100000)}));
  EXPECT_EQ(store.calls["admit"], 10);
}

TEST(SharedLeaseTest, UnusedCreditGoesBackAtExpiry) {
  SimulatedClock clock;
  TestStore store(clock);
  SharedState a(clock, store, leased("a"));
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(a.admit(req({rpm(100)})).allowed);
    clock.advance(1ms);
  }
  const uint64_t held = a.lease_credit({rpm(100)}).first;
  ASSERT_GT(held, 0u);
  EXPECT_EQ(static_cast<uint64_t>(room(store.mem, {rpm(100)})), 80 - held);  // the held credit is counted
  // room() used up the rest: start again with a fresh window.
  clock.advance(61s);
  for (int i = 0; i < 20; ++i) a.admit(req({rpm(100)}));
  ASSERT_GT(a.lease_credit({rpm(100)}).first, 0u);
  clock.advance(kLease);
  a.heartbeat();  // the first heartbeat (or admission) after expiry gives the credit back
  EXPECT_EQ(a.lease_credit({rpm(100)}).first, 0u);
  EXPECT_EQ(room(store.mem, {rpm(100)}), 80);
}

TEST(SharedLeaseTest, LeasesShrinkToOneNearExhaustionAndTheLimitIsExact) {
  SimulatedClock clock;
  TestStore store(clock);
  SharedState a(clock, store, leased("a")), b(clock, store, leased("b"));
  a.heartbeat(), b.heartbeat();
  int admitted = 0;
  for (int i = 0; i < 400; ++i) {
    admitted += a.admit(req({rpm(300)})).allowed;
    admitted += b.admit(req({rpm(300)})).allowed;
    clock.advance(1ms);
  }
  a.return_leases(), b.return_leases();
  EXPECT_EQ(admitted, 300);
  ASSERT_GE(store.granted.size(), 4u);
  EXPECT_GT(std::max_element(store.granted.begin(), store.granted.end(),
                             [](const Lease& x, const Lease& y) { return x.requests < y.requests; })
                ->requests,
            10u);
  EXPECT_EQ(store.granted.back().requests, 1u);
  EXPECT_EQ(room(store.mem, {rpm(300)}), 0);  // nothing handed out twice, nothing lost
}

/// Three instances offered 15 req/s against 600/min for 10 windows: every 60 s interval
/// stays within the limit plus the margin (1.5 × lease lifetime of the group's traffic).
/// Leases of 1 s here (5 requests per instance each): at 200 ms each instance's lease
/// would hold one request, and the margin would not be exercised.
TEST(SharedLeaseTest, ThreeInstancesStayWithinTheLimitPlusTheMarginOverTenWindows) {
  SimulatedClock clock;
  TestStore store(clock);
  std::vector<std::unique_ptr<SharedState>> group;
  for (int i = 0; i < 3; ++i) {
    SharedStateOptions o = leased("i" + std::to_string(i));
    o.lease = 1s;
    group.push_back(std::make_unique<SharedState>(clock, store, o));
  }
  std::vector<TimePoint> sent;
  const int ticks = 600 * 15;  // one request every 1/15 s, round robin
  int early_calls = 0;  // store calls in the first 30 s, before the window fills
  for (int t = 0; t < ticks; ++t) {
    if (t == 450) early_calls = store.calls["lease"];
    if (t % 15 == 0)
      for (auto& s : group) s->heartbeat();
    if (group[static_cast<size_t>(t % 3)]->admit(req({rpm(600)})).allowed) sent.push_back(clock.now());
    clock.advance(std::chrono::microseconds(66667));
  }
  const size_t margin = 23;  // ⌈1.5 × 1 s × 15 req/s⌉
  size_t lo = 0, worst = 0;
  for (size_t hi = 0; hi < sent.size(); ++hi) {
    while (sent[hi] - sent[lo] >= 60s) ++lo;
    worst = std::max(worst, hi - lo + 1);
  }
  EXPECT_LE(worst, 600 + margin);
  EXPECT_GE(sent.size(), 5940u);  // within 1 % of 10 × N
  EXPECT_LE(sent.size(), 6000u + margin);
  EXPECT_LT(early_calls, 450 / 3);  // far fewer store calls than requests while there is room
  // (near exhaustion every lease is one request, and every refusal asks the store)
}

TEST(SharedLeaseTest, TokenCorrectionsGoIntoTheLeaseOrTheStore) {
  SimulatedClock clock;
  TestStore store(clock);
  SharedState a(clock, store, leased("a"));
  const std::vector<SharedLimit> limits{rpm(1000), tpm(10000)};
  Admission x = a.admit(req(limits, 300));  // a lease of 2 requests, 450 tokens (1.5 × the rate)
  ASSERT_TRUE(x.allowed);
  Admission y = a.admit(req(limits, 100));  // from the lease, whose renewal is taken ahead of time
  ASSERT_TRUE(y.allowed);
  ASSERT_EQ(store.calls["lease"], 2);
  a.reconcile(x.reservation, 100);  // 200 unused: back into the live lease, no store call
  a.reconcile(y.reservation, 100);  // unchanged: nothing to send
  Admission z = a.admit(req(limits, 400));  // from the renewed lease
  ASSERT_TRUE(z.allowed);
  EXPECT_EQ(store.calls["lease"], 2);
  EXPECT_EQ(store.calls["reconcile"], 0);
  clock.advance(kLease);
  a.reconcile(z.reservation, 1000);  // the lease expired: the store corrects
  EXPECT_EQ(store.calls["reconcile"], 1);
  a.return_leases();
  // Counted now: exactly what was used (100 + 100 + 1000 tokens, 3 requests).
  EXPECT_EQ(room(store.mem, {tpm(10000)}, 100), 88);
  EXPECT_EQ(room(store.mem, {rpm(1000)}), 997);
}

TEST(SharedLeaseTest, AFailedLeaseCallFallsBackToTheLocalShare) {
  SimulatedClock clock;
  TestStore store(clock);
  SharedState a(clock, store, leased("a"));
  store.down = true;
  Admission x = a.admit(req({rpm(10)}));
  EXPECT_TRUE(x.allowed);
  EXPECT_TRUE(x.reservation.local);
  EXPECT_EQ(a.counters().rate_limit_local, 1u);
  EXPECT_TRUE(a.degraded());
  store.down = false;
  clock.advance(1s);  // past degraded_retry
  Admission y = a.admit(req({rpm(10)}));
  EXPECT_TRUE(y.allowed);
  EXPECT_FALSE(y.reservation.local);
  EXPECT_FALSE(a.degraded());
}

}  // namespace
}  // namespace ploke::resilience
