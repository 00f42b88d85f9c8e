#include "ploke/core/clock.h"
#include "ploke/core/transport.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace ploke {
namespace {

using namespace std::chrono_literals;

TEST(SimulatedClockTest, TimeMovesOnlyWhenDriven) {
  SimulatedClock clock;
  const TimePoint t0 = clock.now();
  EXPECT_EQ(clock.now(), t0);
  clock.advance(5s);
  EXPECT_EQ(clock.now() - t0, 5s);
}

TEST(SimulatedClockTest, DueTimersFireInDueOrderTiesBySchedulingOrder) {
  SimulatedClock clock;
  std::vector<int> order;
  clock.schedule_after(2s, [&] { order.push_back(3); });
  clock.schedule_after(1s, [&] { order.push_back(1); });
  clock.schedule_after(1s, [&] { order.push_back(2); });
  clock.schedule_after(3s, [&] { order.push_back(4); });
  EXPECT_EQ(clock.advance(2s), 3u);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(clock.pending_timers(), 1u);
}

TEST(SimulatedClockTest, CallbackSeesItsDueTimeAndMayScheduleMore) {
  SimulatedClock clock;
  const TimePoint t0 = clock.now();
  std::vector<Duration> seen;
  clock.schedule_after(1s, [&] {
    seen.push_back(clock.now() - t0);
    clock.schedule_after(1s, [&] { seen.push_back(clock.now() - t0); });
  });
  clock.advance(10s);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], 1s);
  EXPECT_EQ(seen[1], 2s);
  EXPECT_EQ(clock.now() - t0, 10s);
}

TEST(SimulatedClockTest, CancelledTimerNeverFires) {
  SimulatedClock clock;
  bool fired = false;
  TimerId id = clock.schedule_after(1s, [&] { fired = true; });
  EXPECT_TRUE(clock.cancel(id));
  EXPECT_FALSE(clock.cancel(id));
  clock.advance(2s);
  EXPECT_FALSE(fired);
}

TEST(SimulatedClockTest, RunUntilIdleJumpsToEachTimer) {
  SimulatedClock clock;
  const TimePoint t0 = clock.now();
  int fired = 0;
  clock.schedule_after(1h, [&] { ++fired; });
  clock.schedule_after(2h, [&] { ++fired; });
  EXPECT_EQ(clock.next_wakeup(), t0 + 1h);
  EXPECT_EQ(clock.run_until_idle(), 2u);
  EXPECT_EQ(fired, 2);
  EXPECT_EQ(clock.now() - t0, 2h);
  EXPECT_FALSE(clock.next_wakeup().has_value());
}

TEST(SimulatedClockTest, AdvanceToThePastIsIgnored) {
  SimulatedClock clock;
  const TimePoint t0 = clock.now();
  clock.advance(5s);
  clock.advance_to(t0);
  EXPECT_EQ(clock.now() - t0, 5s);
}

TEST(SimulatedClockTest, SleepUntilDrivesTime) {
  SimulatedClock clock;
  bool fired = false;
  clock.schedule_after(3s, [&] { fired = true; });
  clock.sleep_for(3s);
  EXPECT_TRUE(fired);
}

TEST(SimulatedClockTest, SystemTimeFollowsMonotonicTime) {
  SimulatedClock clock;
  const SystemTime s0 = clock.system_now();
  clock.advance(90s);
  EXPECT_EQ(clock.system_now() - s0, 90s);
}

TEST(RealClockTest, TimerFiresOnTheTimerThread) {
  RealClock clock;
  Completion done;
  clock.schedule_after(1ms, [&] { done.notify(); });
  EXPECT_TRUE(done.wait(clock));
}

TEST(RealClockTest, CancelPreventsFiring) {
  RealClock clock;
  std::atomic<bool> fired{false};
  TimerId id = clock.schedule_after(1h, [&] { fired = true; });
  EXPECT_TRUE(clock.cancel(id));
  EXPECT_FALSE(fired.load());
}

}  // namespace
}  // namespace ploke
