#include "ploke/core/clock.h"
#include "ploke/core/transport.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
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

// A TimerQueue and its reference model (a std::map ordered by due time then scheduling
// order) driven by the same seeded operations; each step checks they agree.
struct TimerQueueVsModel {
  TimerQueue q;
  std::map<std::pair<TimePoint, uint64_t>, int> model;     // (due, order) -> label
  std::map<TimerId, std::pair<TimePoint, uint64_t>> live;  // id -> model key
  std::vector<TimerId> dead;                                // fired or cancelled ids
  std::vector<int> fired_q, fired_model;
  uint64_t order = 0;
  int label = 0;
  uint64_t x = 88172645463325252ull;  // xorshift64: deterministic, no unseeded RNG
  TimePoint now{};

  uint64_t next() {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  }

  // Mostly near timers, some far ones (deadlines that get cancelled), many ties.
  void add() {
    const auto delay = (next() % 10 == 0) ? Duration(std::chrono::seconds(30 + next() % 30))
                                          : Duration(std::chrono::milliseconds(next() % 50));
    const int l = label++;
    const TimerId id = q.add(now + delay, [this, l] { fired_q.push_back(l); });
    ASSERT_NE(id, 0u);
    ASSERT_EQ(live.count(id), 0u);
    const auto key = std::make_pair(now + delay, order++);
    model.emplace(key, l);
    live.emplace(id, key);
  }

  void cancel_live() {
    auto it = live.begin();
    std::advance(it, static_cast<long>(next() % live.size()));
    const TimerId id = it->first;
    model.erase(it->second);
    live.erase(it);
    EXPECT_TRUE(q.cancel(id));
    EXPECT_FALSE(q.cancel(id));  // twice: no
    dead.push_back(id);
  }

  void cancel_gone() {
    if (!dead.empty()) {
      EXPECT_FALSE(q.cancel(dead[next() % dead.size()]));  // fired/cancelled: no
    }
    EXPECT_FALSE(q.cancel(0));
    EXPECT_FALSE(q.cancel(0xFFFF'FFFF'0000'0000ull | 5));
  }

  // The model's first timer fired: its id is dead now.
  void fire_model_front() {
    fired_model.push_back(model.begin()->second);
    for (auto it = live.begin(); it != live.end(); ++it) {
      if (it->second == model.begin()->first) {
        dead.push_back(it->first);
        live.erase(it);
        break;
      }
    }
    model.erase(model.begin());
  }

  void advance() {
    now += Duration(std::chrono::milliseconds(next() % 20));
    while (auto due = q.pop_due(now)) {
      ASSERT_FALSE(model.empty());
      EXPECT_EQ(due->first, model.begin()->first.first);
      fire_model_front();
      due->second();
    }
    EXPECT_TRUE(model.empty() || model.begin()->first.first > now);
  }

  void step() {
    const uint64_t r = next() % 100;
    if (r < 45) add();
    else if (r < 70 && !live.empty()) cancel_live();
    else if (r < 75) cancel_gone();
    else advance();
  }

  void check_agree() {
    ASSERT_EQ(q.size(), model.size());
    ASSERT_EQ(q.empty(), model.empty());
    const std::optional<TimePoint> want =
        model.empty() ? std::nullopt : std::optional<TimePoint>(model.begin()->first.first);
    ASSERT_EQ(q.next_due(), want);
  }
};

// TimerQueue against a reference model under a seeded mix of adds, cancels (live, fired,
// cancelled and unknown ids) and pops: same fire order, same cancel answers, same size and
// next due time throughout, including after many cancelled long timers (stale heap
// entries, compaction).
TEST(TimerQueueTest, MatchesAReferenceModelUnderRandomOperations) {
  TimerQueueVsModel m;
  for (int step = 0; step < 20000 && !::testing::Test::HasFatalFailure(); ++step) {
    m.step();
    m.check_agree();
  }
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  while (auto due = m.q.pop_due(TimePoint::max())) {
    m.fired_model.push_back(m.model.begin()->second);
    m.model.erase(m.model.begin());
    due->second();
  }
  EXPECT_TRUE(m.q.empty());
  EXPECT_EQ(m.fired_q, m.fired_model);
  EXPECT_GT(m.fired_q.size(), 3000u);
}

TEST(TimerQueueTest, CancelDestroysTheCallbackAtOnce) {
  TimerQueue q;
  auto token = std::make_shared<int>(1);
  const TimerId id = q.add(TimePoint(std::chrono::hours(1)), [token] {});
  EXPECT_EQ(token.use_count(), 2);
  EXPECT_TRUE(q.cancel(id));
  EXPECT_EQ(token.use_count(), 1);
  EXPECT_FALSE(q.next_due().has_value());
  EXPECT_FALSE(q.pop_due(TimePoint::max()).has_value());
}

}  // namespace
}  // namespace ploke
