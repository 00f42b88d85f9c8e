// RateLimiter buckets, reservations, reconciliation and header learning, in virtual time.
#include "ploke/resilience/rate_limiter.h"

#include <gtest/gtest.h>

namespace ploke::resilience {
namespace {

using namespace std::chrono_literals;

TEST(RateLimiterTest, RequestsPerMinute) {
  SimulatedClock clock;
  RateLimiter rl(RateLimits{60, 0}, clock.now());
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(rl.acquire(clock.now(), 100).allowed) << i;
  auto d = rl.acquire(clock.now(), 100);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.wait, 1s);  // 60/min refills one per second
  EXPECT_NE(d.reason.find("requests/min"), std::string::npos);
  EXPECT_EQ(rl.throttled_total(), 1u);
  clock.advance(1s);
  EXPECT_TRUE(rl.acquire(clock.now(), 100).allowed);
  EXPECT_FALSE(rl.acquire(clock.now(), 100).allowed);
}

TEST(RateLimiterTest, TokensReservedThenReconciled) {
  SimulatedClock clock;
  RateLimiter rl(RateLimits{0, 6000}, clock.now());
  ASSERT_TRUE(rl.acquire(clock.now(), 4000).allowed);  // estimate 4000
  auto d = rl.check(clock.now(), 4000);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.wait, 20s);  // need 2000 more at 100 tokens/s
  rl.reconcile(clock.now(), 4000, 1000);  // actually used 1000: 3000 back
  EXPECT_DOUBLE_EQ(rl.available_tokens(clock.now()), 5000);
  EXPECT_TRUE(rl.acquire(clock.now(), 4000).allowed);
  rl.reconcile(clock.now(), 4000, 7000);  // used more than estimated: debt
  EXPECT_DOUBLE_EQ(rl.available_tokens(clock.now()), -2000);
  EXPECT_EQ(rl.check(clock.now(), 100).wait, 21s);
}

TEST(RateLimiterTest, CancelGivesTheReservationBack) {
  SimulatedClock clock;
  RateLimiter rl(RateLimits{2, 1000}, clock.now());
  ASSERT_TRUE(rl.acquire(clock.now(), 600).allowed);
  EXPECT_FALSE(rl.check(clock.now(), 600).allowed);
  rl.cancel(clock.now(), 600);
  EXPECT_DOUBLE_EQ(rl.available_requests(clock.now()), 2);
  EXPECT_DOUBLE_EQ(rl.available_tokens(clock.now()), 1000);
}

TEST(RateLimiterTest, OversizedRequestWaitsForFullBucketOnly) {
  SimulatedClock clock;
  RateLimiter rl(RateLimits{0, 1000}, clock.now());
  EXPECT_TRUE(rl.check(clock.now(), 5000).allowed);
}

TEST(RateLimiterTest, UnknownLimitsAreUnlimitedUntilLearned) {
  SimulatedClock clock;
  RateLimiter rl(RateLimits{}, clock.now());
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(rl.acquire(clock.now(), 100000).allowed);
  RateLimitObservation o;
  o.limit_requests = 100;
  o.remaining_requests = 2;
  rl.observe(clock.now(), o);
  EXPECT_EQ(rl.limits().requests_per_minute, 100u);
  EXPECT_TRUE(rl.acquire(clock.now(), 1).allowed);
  EXPECT_TRUE(rl.acquire(clock.now(), 1).allowed);
  EXPECT_FALSE(rl.acquire(clock.now(), 1).allowed);  // slowed down before any 429
}

TEST(RateLimiterTest, RemainingZeroWithResetBlocks) {
  SimulatedClock clock;
  RateLimiter rl(RateLimits{1000, 0}, clock.now());
  RateLimitObservation o;
  o.remaining_requests = 0;
  o.reset_requests = 1500ms;
  rl.observe(clock.now(), o);
  auto d = rl.check(clock.now(), 1);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.wait, 1500ms);
  clock.advance(1500ms);
  EXPECT_TRUE(rl.check(clock.now(), 1).allowed);
}

TEST(RateLimiterTest, RetryAfterBlocks) {
  SimulatedClock clock;
  RateLimiter rl(RateLimits{}, clock.now());
  RateLimitObservation o;
  o.retry_after = 3s;
  rl.observe(clock.now(), o);
  EXPECT_EQ(rl.check(clock.now(), 1).wait, 3s);
  ASSERT_TRUE(rl.blocked_until());
  clock.advance(3s);
  EXPECT_TRUE(rl.acquire(clock.now(), 1).allowed);
}

}  // namespace
}  // namespace ploke::resilience
