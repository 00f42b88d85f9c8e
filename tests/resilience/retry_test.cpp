// Backoff, retry budget and retry decisions on a SimulatedClock with a seeded Random.
#include "ploke/resilience/retry.h"

#include <gtest/gtest.h>

namespace ploke::resilience {
namespace {

using namespace std::chrono_literals;

TEST(BackoffTest, NoJitterDoublesUpToCap) {
  Random r(1);
  Backoff b(BackoffConfig{100ms, 1s, JitterMode::kNone}, r);
  std::vector<Duration> got;
  for (int i = 0; i < 6; ++i) got.push_back(b.next());
  EXPECT_EQ(got, (std::vector<Duration>{100ms, 200ms, 400ms, 800ms, 1s, 1s}));
  b.reset();
  EXPECT_EQ(b.next(), 100ms);
}

TEST(BackoffTest, FullJitterStaysUnderTheExponentialCeiling) {
  Random r(7);
  Backoff b(BackoffConfig{100ms, 2s, JitterMode::kFull}, r);
  Duration sum{0};
  for (int i = 0; i < 8; ++i) {
    const Duration d = b.next();
    const Duration ceiling = std::min<Duration>(Duration(100ms) * (1 << i), 2s);
    EXPECT_GE(d, 0ns);
    EXPECT_LE(d, ceiling) << i;
    sum += d;
  }
  EXPECT_GT(sum, 0ns);
}

TEST(BackoffTest, DecorrelatedJitterBetweenBaseAndThreeTimesPrevious) {
  Random r(11);
  Backoff b(BackoffConfig{100ms, 5s, JitterMode::kDecorrelated}, r);
  Duration prev = 100ms;
  for (int i = 0; i < 20; ++i) {
    const Duration d = b.next();
    EXPECT_GE(d, 100ms);
    EXPECT_LE(d, std::min<Duration>(prev * 3, 5s));
    prev = d;
  }
}

TEST(BackoffTest, SameSeedSameSequence) {
  Random r1(5), r2(5);
  Backoff a(BackoffConfig{}, r1), b(BackoffConfig{}, r2);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.next(), b.next());
}

TEST(RetryBudgetTest, CapsRetriesToAShareOfRequests) {
  SimulatedClock clock;
  RetryBudget budget(RetryBudgetConfig{0.2, 3, WindowConfig{1s, 10}});
  for (int i = 0; i < 100; ++i) budget.on_request(clock.now());
  int granted = 0;
  for (int i = 0; i < 100; ++i) granted += budget.try_spend(clock.now());
  EXPECT_EQ(granted, 23);  // 3 + 20% of 100
  EXPECT_EQ(budget.denied_total(), 77u);
  clock.advance(11s);  // window slid: budget back to the floor
  EXPECT_TRUE(budget.try_spend(clock.now()));
  EXPECT_EQ(budget.requests_in_window(clock.now()), 0u);
}

class DecideTest : public ::testing::Test {
 protected:
  RetryDecision decide(const Status& st, AttemptContext ctx = {}) {
    if (ctx.total_attempts == 0) ctx.total_attempts = 1;
    return decide_retry(st, ctx, cfg_, backoff_, budget_, clock_.now());
  }
  SimulatedClock clock_;
  Random random_{3};
  RetryConfig cfg_;
  Backoff backoff_{BackoffConfig{100ms, 2s, JitterMode::kNone}, random_};
  RetryBudget budget_{RetryBudgetConfig{0.2, 100, WindowConfig{1s, 10}}};
};

TEST_F(DecideTest, RetryableCodesRetryWithBackoff) {
  auto d = decide(ServerError("boom"));
  EXPECT_EQ(d.action, RetryAction::kRetrySame);
  EXPECT_EQ(d.delay, 100ms);
  EXPECT_FALSE(d.from_retry_after);
  EXPECT_NE(d.reason.find("retry in 100ms (backoff)"), std::string::npos) << d.reason;
  d = decide(ServerError("boom"), AttemptContext{1, 2, std::nullopt, true});
  EXPECT_EQ(d.delay, 200ms);
}

TEST_F(DecideTest, RetryAfterIsHonoured) {
  auto d = decide(RateLimitedError("slow down").with_retry_after(1500ms));
  EXPECT_EQ(d.action, RetryAction::kRetrySame);
  EXPECT_EQ(d.delay, 1500ms);
  EXPECT_TRUE(d.from_retry_after);
  EXPECT_EQ(backoff_.attempts(), 0u);  // backoff untouched
}

TEST_F(DecideTest, LongRetryAfterFallsOverNow) {
  auto d = decide(RateLimitedError("slow down").with_retry_after(60s));
  EXPECT_EQ(d.action, RetryAction::kFallOver);
  EXPECT_EQ(d.delay, 0ns);
  EXPECT_NE(d.reason.find("retry-after 60s exceeds"), std::string::npos) << d.reason;
}

TEST_F(DecideTest, RetryAfterPastTheDeadlineFallsOverNow) {
  AttemptContext ctx;
  ctx.deadline = clock_.now() + 2s;
  auto d = decide(RateLimitedError("x").with_retry_after(5s), ctx);
  EXPECT_EQ(d.action, RetryAction::kFallOver);
  EXPECT_NE(d.reason.find("does not fit the 2s left before the deadline"), std::string::npos) << d.reason;
  ctx.more_candidates = false;
  d = decide(RateLimitedError("x").with_retry_after(5s), ctx);
  EXPECT_EQ(d.action, RetryAction::kFail);
}

TEST_F(DecideTest, NeverSleepsPastTheDeadline) {
  AttemptContext ctx;
  ctx.deadline = clock_.now() + 120ms;  // backoff 100 ms + 50 ms minimum attempt > 120 ms
  auto d = decide(ServerError("x"), ctx);
  EXPECT_NE(d.action, RetryAction::kRetrySame);
  ctx.deadline = clock_.now() + 10ms;   // not even time for another attempt
  d = decide(ServerError("x"), ctx);
  EXPECT_EQ(d.action, RetryAction::kFail);
  EXPECT_NE(d.reason.find("deadline"), std::string::npos);
}

TEST_F(DecideTest, PerCodeLimitsThenFallOver) {
  auto d = decide(MalformedResponseError("x"), AttemptContext{1, 2, std::nullopt, true});
  EXPECT_EQ(d.action, RetryAction::kFallOver);  // malformed: 1 retry
  d = decide(ServerError("x"), AttemptContext{2, 3, std::nullopt, true});
  EXPECT_EQ(d.action, RetryAction::kFallOver);  // default: 2 retries
  d = decide(ServerError("x"), AttemptContext{2, 3, std::nullopt, false});
  EXPECT_EQ(d.action, RetryAction::kFail);
  d = decide(ServerError("x"), AttemptContext{0, 6, std::nullopt, true});
  EXPECT_EQ(d.action, RetryAction::kFail);      // total attempt limit
}

TEST_F(DecideTest, ClassesMapToActions) {
  EXPECT_EQ(decide(InvalidRequestError("x")).action, RetryAction::kFail);
  EXPECT_EQ(decide(CancelledError("x")).action, RetryAction::kFail);
  EXPECT_EQ(decide(StreamInterruptedError("x", Delivered{3, 10, 0})).action, RetryAction::kFail);
  EXPECT_EQ(decide(NotFoundError("x")).action, RetryAction::kFallOver);
  EXPECT_EQ(decide(ContextLengthExceededError("x")).action, RetryAction::kFallOver);
  EXPECT_EQ(decide(AuthError("x")).action, RetryAction::kFallOver);
  EXPECT_EQ(decide(OverloadedError("x")).action, RetryAction::kRetrySame);
  EXPECT_EQ(decide(TimeoutError(TimeoutPhase::kFirstByte, "x")).action, RetryAction::kRetrySame);
}

TEST_F(DecideTest, ShouldRetryFalseFallsOver) {
  auto d = decide(ServerError("x").with_should_retry(false));
  EXPECT_EQ(d.action, RetryAction::kFallOver);
  EXPECT_NE(d.reason.find("the provider said not to retry"), std::string::npos) << d.reason;
}

TEST_F(DecideTest, BudgetExhaustedFallsOver) {
  RetryBudget tiny(RetryBudgetConfig{0.0, 1, WindowConfig{1s, 10}});
  auto d = decide_retry(ServerError("x"), AttemptContext{0, 1, std::nullopt, true}, cfg_, backoff_, tiny,
                        clock_.now());
  EXPECT_EQ(d.action, RetryAction::kRetrySame);
  d = decide_retry(ServerError("x"), AttemptContext{0, 1, std::nullopt, true}, cfg_, backoff_, tiny, clock_.now());
  EXPECT_EQ(d.action, RetryAction::kFallOver);
  EXPECT_NE(d.reason.find("retry budget exhausted"), std::string::npos);
}

}  // namespace
}  // namespace ploke::resilience
