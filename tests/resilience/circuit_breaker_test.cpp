// CircuitBreaker transitions on a SimulatedClock.
#include "ploke/resilience/circuit_breaker.h"

#include <gtest/gtest.h>

namespace ploke::resilience {
namespace {

using namespace std::chrono_literals;

class BreakerTest : public ::testing::Test {
 protected:
  BreakerConfig cfg() {
    BreakerConfig c;
    c.window_size = 10;
    c.minimum_calls = 4;
    c.failure_rate_threshold = 0.5;
    c.consecutive_failures = 3;
    c.slow_call_threshold = 2s;
    c.slow_call_rate_threshold = 0.75;
    c.open_base = 5s;
    c.open_multiplier = 2.0;
    c.open_max = 30s;
    c.half_open_trials = 2;
    return c;
  }
  SimulatedClock clock_;
};

TEST_F(BreakerTest, StaysClosedBelowMinimumCalls) {
  auto c = cfg();
  c.consecutive_failures = 0;
  CircuitBreaker b(clock_, c, "ep");
  b.on_failure(StatusCode::kServerError);
  b.on_failure(StatusCode::kServerError);
  b.on_success(100ms);
  EXPECT_EQ(b.state(), BreakerState::kClosed);  // 67% failures, but only 3 calls < 4
  b.on_failure(StatusCode::kServerError);       // 4 calls, 75% ≥ 50%
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  ASSERT_EQ(b.events().size(), 1u);
  EXPECT_EQ(b.events()[0].from, BreakerState::kClosed);
  EXPECT_EQ(b.events()[0].to, BreakerState::kOpen);
  EXPECT_NE(b.events()[0].reason.find("failure rate 75% >= 50% over 4 calls"), std::string::npos)
      << b.events()[0].reason;
  EXPECT_FALSE(b.try_acquire());
}

TEST_F(BreakerTest, ConsecutiveFailuresTrip) {
  CircuitBreaker b(clock_, cfg(), "ep");
  for (int i = 0; i < 10; ++i) b.on_success(10ms);
  b.on_failure(StatusCode::kTimeout);
  b.on_failure(StatusCode::kConnectionReset);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  b.on_failure(StatusCode::kOverloaded);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_NE(b.events().back().reason.find("3 consecutive failures"), std::string::npos);
}

TEST_F(BreakerTest, SlowCallsTrip) {
  CircuitBreaker b(clock_, cfg(), "ep");
  b.on_success(100ms);
  b.on_success(3s);
  b.on_success(3s);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  b.on_success(5s);  // 3 slow of 4 = 75%
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_NE(b.events().back().reason.find("slow-call rate 75%"), std::string::npos) << b.events().back().reason;
  EXPECT_DOUBLE_EQ(b.slow_call_rate(), 0.75);  // the window is kept until the breaker closes
}

TEST_F(BreakerTest, IgnoredCodesDoNotCount) {
  CircuitBreaker b(clock_, cfg(), "ep");
  for (int i = 0; i < 20; ++i) {
    b.on_failure(StatusCode::kRateLimited);
    b.on_failure(StatusCode::kInvalidRequest);
    b.on_failure(StatusCode::kCancelled);
  }
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  EXPECT_EQ(b.window_calls(), 0u);
}

TEST_F(BreakerTest, HalfOpenAfterWaitThenClosesOnTrials) {
  CircuitBreaker b(clock_, cfg(), "ep");
  for (int i = 0; i < 3; ++i) b.on_failure(StatusCode::kServerError);
  ASSERT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_EQ(b.remaining_open(), 5s);
  clock_.advance(4999ms);
  EXPECT_FALSE(b.try_acquire());
  EXPECT_FALSE(b.would_allow());
  clock_.advance(1ms);
  EXPECT_TRUE(b.would_allow());
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
  // Limited trials: two let through, the third refused.
  EXPECT_TRUE(b.try_acquire());
  EXPECT_TRUE(b.try_acquire());
  EXPECT_FALSE(b.try_acquire());
  EXPECT_FALSE(b.would_allow());
  b.on_success(10ms);
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
  b.on_success(10ms);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  ASSERT_EQ(b.events().size(), 3u);
  EXPECT_EQ(b.events()[1].to, BreakerState::kHalfOpen);
  EXPECT_EQ(b.events()[1].reason, "open wait elapsed");
  EXPECT_EQ(b.events()[2].to, BreakerState::kClosed);
  EXPECT_EQ(b.openings(), 0u);
}

TEST_F(BreakerTest, OpenTimeGrowsWithRepeatedOpeningsAndIsCapped) {
  CircuitBreaker b(clock_, cfg(), "ep");
  for (int i = 0; i < 3; ++i) b.on_failure(StatusCode::kServerError);
  std::vector<Duration> waits;
  waits.push_back(b.events().back().open_for);
  for (int round = 0; round < 4; ++round) {
    clock_.advance(b.remaining_open());
    ASSERT_TRUE(b.try_acquire());
    b.on_failure(StatusCode::kServerError);  // trial fails: reopen, longer
    ASSERT_EQ(b.state(), BreakerState::kOpen);
    EXPECT_EQ(b.events().back().reason.rfind("half-open trial failed", 0), 0u);
    waits.push_back(b.events().back().open_for);
  }
  EXPECT_EQ(waits, (std::vector<Duration>{5s, 10s, 20s, 30s, 30s}));
  EXPECT_EQ(b.openings(), 5u);
  // A successful half-open resets the growth.
  clock_.advance(30s);
  ASSERT_TRUE(b.try_acquire());
  ASSERT_TRUE(b.try_acquire());
  b.on_success(1ms);
  b.on_success(1ms);
  ASSERT_EQ(b.state(), BreakerState::kClosed);
  for (int i = 0; i < 3; ++i) b.on_failure(StatusCode::kServerError);
  EXPECT_EQ(b.events().back().open_for, 5s);
}

TEST_F(BreakerTest, SlowHalfOpenTrialReopens) {
  CircuitBreaker b(clock_, cfg(), "ep");
  for (int i = 0; i < 3; ++i) b.on_failure(StatusCode::kServerError);
  clock_.advance(5s);
  ASSERT_TRUE(b.try_acquire());
  b.on_success(3s);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_NE(b.events().back().reason.find("half-open trial was slow"), std::string::npos);
}

TEST_F(BreakerTest, IgnoredOutcomeReturnsTrialSlot) {
  CircuitBreaker b(clock_, cfg(), "ep");
  for (int i = 0; i < 3; ++i) b.on_failure(StatusCode::kServerError);
  clock_.advance(5s);
  ASSERT_TRUE(b.try_acquire());
  ASSERT_TRUE(b.try_acquire());
  ASSERT_FALSE(b.try_acquire());
  b.on_failure(StatusCode::kRateLimited);  // not judged: slot back
  EXPECT_TRUE(b.try_acquire());
}

TEST_F(BreakerTest, ListenerSeesEveryTransition) {
  CircuitBreaker b(clock_, cfg(), "openai/gpt-4o");
  std::vector<std::string> seen;
  b.set_listener([&](const std::string& name, const BreakerEvent& e) {
    seen.push_back(name + ":" + std::string(breaker_state_name(e.from)) + "->" + std::string(breaker_state_name(e.to)));
  });
  for (int i = 0; i < 3; ++i) b.on_failure(StatusCode::kServerError);
  clock_.advance(5s);
  ASSERT_TRUE(b.try_acquire());
  b.on_success(1ms);
  ASSERT_TRUE(b.try_acquire());
  b.on_success(1ms);
  EXPECT_EQ(seen, (std::vector<std::string>{"openai/gpt-4o:closed->open", "openai/gpt-4o:open->half_open",
                                            "openai/gpt-4o:half_open->closed"}));
  b.force(BreakerState::kOpen, "operator");
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_EQ(seen.size(), 4u);
}

// An operator's reset of a closed breaker clears the failures in its window, so the next
// failure does not trip it (the gateway's POST /__admin/breakers/reset).
TEST_F(BreakerTest, ForcingClosedOnAClosedBreakerStartsTheCountsOver) {
  auto c = cfg();
  c.consecutive_failures = 0;
  CircuitBreaker b(clock_, c, "ep");
  for (int i = 0; i < 3; ++i) b.on_failure(StatusCode::kServerError);  // 3 calls < minimum 4
  ASSERT_EQ(b.state(), BreakerState::kClosed);
  b.force(BreakerState::kClosed, "operator");
  EXPECT_EQ(b.window_calls(), 0u);
  EXPECT_TRUE(b.events().empty());
  b.on_failure(StatusCode::kServerError);  // without the reset: 4 calls, 100 % → open
  EXPECT_EQ(b.state(), BreakerState::kClosed);
}

TEST_F(BreakerTest, SlidingWindowForgetsOldFailures) {
  auto c = cfg();
  c.consecutive_failures = 0;
  CircuitBreaker b(clock_, c, "ep");
  for (int i = 0; i < 4; ++i) b.on_success(1ms);
  for (int i = 0; i < 3; ++i) b.on_failure(StatusCode::kServerError);  // 3/7 = 43%
  ASSERT_EQ(b.state(), BreakerState::kClosed);
  for (int i = 0; i < 10; ++i) b.on_success(1ms);
  EXPECT_EQ(b.window_calls(), 10u);
  EXPECT_DOUBLE_EQ(b.failure_rate(), 0.0);  // the three failures left the window
  for (int i = 0; i < 4; ++i) b.on_failure(StatusCode::kServerError);
  EXPECT_EQ(b.state(), BreakerState::kClosed);  // 40%
  b.on_failure(StatusCode::kServerError);
  EXPECT_EQ(b.state(), BreakerState::kOpen);    // 50%
}

// half_open = false: a fixed cooldown (LiteLLM-style): when the wait elapses the breaker
// closes at once, every call goes through, the counts start over and the wait never grows.
TEST_F(BreakerTest, WithoutHalfOpenTheCooldownClosesAtOnce) {
  auto c = cfg();
  c.half_open = false;
  CircuitBreaker b(clock_, c, "ep");
  for (int i = 0; i < 3; ++i) b.on_failure(StatusCode::kServerError);
  ASSERT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_FALSE(b.try_acquire());
  clock_.advance(5s);
  EXPECT_EQ(b.state(), BreakerState::kClosed);  // not half-open
  EXPECT_TRUE(b.would_allow());
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(b.try_acquire());  // no trial limit
  ASSERT_EQ(b.events().size(), 2u);
  EXPECT_EQ(b.events().back().to, BreakerState::kClosed);
  EXPECT_EQ(b.events().back().reason, "cooldown elapsed (no half-open)");
  // One failure after the cooldown does not reopen it (counts started over)…
  b.on_failure(StatusCode::kServerError);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  b.on_failure(StatusCode::kServerError);
  b.on_failure(StatusCode::kServerError);
  ASSERT_EQ(b.state(), BreakerState::kOpen);
  // …and the second opening waits the same 5 s (the multiplier never applies).
  EXPECT_EQ(b.events().back().open_for, 5s);
  clock_.advance(4999ms);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  clock_.advance(1ms);
  EXPECT_TRUE(b.try_acquire());
  EXPECT_EQ(b.state(), BreakerState::kClosed);
}

}  // namespace
}  // namespace ploke::resilience
