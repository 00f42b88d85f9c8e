// ploke::fibers: the fiber core (order, wake, give-up, user pointers, destruction with
// fibers left) and its virtual-time driver (waits interleave in virtual time, notify from
// another fiber, abandoned waits, transport calls overlapping).
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/core/in_process_transport.h"
#include "ploke/core/transport.h"
#include "ploke/fibers/fiber_core.h"
#include "ploke/fibers/virtual_time.h"

namespace ploke {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// ---------------------------------------------------------------- FiberCore

TEST(FiberCore, RunnableFibersRunInFifoOrderAndFinishedOnesAreFreed) {
  fibers::FiberCore core;
  std::vector<int> order;
  for (int i = 0; i < 5; ++i) core.schedule(core.create([&order, i] { order.push_back(i); }));
  EXPECT_EQ(core.live(), 5u);
  EXPECT_EQ(core.run_runnable(), 5u);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(core.live(), 0u);
  EXPECT_EQ(core.created(), 5u);
  EXPECT_FALSE(core.has_runnable());
}

TEST(FiberCore, SuspendUntilWakeAndGiveUpOldestFirst) {
  fibers::FiberCore core;
  std::vector<std::string> log;
  void* a = core.create([&] { log.push_back(core.suspend() ? "a woken" : "a given up"); });
  void* b = core.create([&] { log.push_back(core.suspend() ? "b woken" : "b given up"); });
  void* c = core.create([&] { log.push_back(core.suspend() ? "c woken" : "c given up"); });
  core.resume(a);
  core.resume(b);
  core.resume(c);
  EXPECT_TRUE(core.has_suspended());
  EXPECT_TRUE(core.wake(b));
  EXPECT_FALSE(core.wake(b)) << "a fiber already runnable is not woken twice";
  EXPECT_FALSE(core.wake(nullptr));
  EXPECT_TRUE(core.give_up_oldest());  // a (oldest), queued after b
  core.run_runnable();
  EXPECT_EQ(log, (std::vector<std::string>{"b woken", "a given up"}));
  EXPECT_TRUE(core.give_up_oldest());
  core.run_runnable();
  EXPECT_FALSE(core.give_up_oldest());
  EXPECT_EQ(log.back(), "c given up");
  EXPECT_EQ(core.live(), 0u);
}

TEST(FiberCore, CurrentAndUserOnlyInsideTheirFiber) {
  fibers::FiberCore core;
  int tag = 7;
  void* seen_user = nullptr;
  void* seen_fiber = nullptr;
  void* f = core.create([&] { seen_user = core.current_user(); seen_fiber = core.current(); }, &tag);
  EXPECT_EQ(core.current(), nullptr);
  core.resume(f);
  EXPECT_EQ(seen_user, &tag);
  EXPECT_EQ(seen_fiber, f);
  EXPECT_EQ(core.current_user(), nullptr);
}

TEST(FiberCore, DestructionUnwindsSuspendedFibersAndDropsUnstartedOnes) {
  bool unwound = false, started = false;
  {
    fibers::FiberCore core;
    struct Guard {
      bool& flag;
      ~Guard() { flag = true; }
    };
    core.resume(core.create([&] {
      Guard g{unwound};
      core.suspend();
    }));
    core.schedule(core.create([&] { started = true; }));
    EXPECT_FALSE(unwound);
  }
  EXPECT_TRUE(unwound) << "the suspended fiber's stack was unwound";
  EXPECT_FALSE(started);
}

// ---------------------------------------------------------------- VirtualTimeFibers


TEST(VirtualTimeFibers, ManyWaitsInterleaveInVirtualTime) {
  SimulatedClock clock;
  const TimePoint t0 = clock.now();
  fibers::VirtualTimeFibers fibers(clock);
  std::vector<std::pair<int, Duration>> finished;
  for (int i = 0; i < 100; ++i) {
    fibers.spawn([&, i] {
      Completion c;
      // fiber i waits (100 - i) ms: all are suspended at once, the last spawned ends first
      clock.schedule_after(milliseconds(100 - i), [&c] { c.notify(); });
      EXPECT_TRUE(c.wait(clock));
      finished.emplace_back(i, clock.now() - t0);
    });
  }
  fibers.run();
  ASSERT_EQ(finished.size(), 100u);
  EXPECT_EQ(finished.front().first, 99);
  EXPECT_EQ(finished.front().second, milliseconds(1));
  EXPECT_EQ(finished.back().first, 0);
  EXPECT_EQ(finished.back().second, milliseconds(100));
  EXPECT_EQ(clock.now() - t0, milliseconds(100));  // all 100 waits overlapped
  EXPECT_EQ(fibers.live(), 0u);
}

TEST(VirtualTimeFibers, NotifyFromAnotherFiberAndAbandonedWait) {
  SimulatedClock clock;
  fibers::VirtualTimeFibers fibers(clock);
  Completion handoff, never;
  std::vector<std::string> order;
  fibers.spawn([&] {
    order.push_back("a waits");
    EXPECT_TRUE(handoff.wait(clock));
    order.push_back("a woke");
  });
  fibers.spawn([&] {
    order.push_back("b notifies");
    handoff.notify();
    order.push_back("b waits forever");
    EXPECT_FALSE(never.wait(clock));  // nothing can wake it: given up, like an idle clock
    order.push_back("b gave up");
  });
  fibers.run();
  EXPECT_EQ(order, (std::vector<std::string>{"a waits", "b notifies", "b waits forever", "a woke", "b gave up"}));
  EXPECT_EQ(fibers.abandoned_waits(), 1u);
}

TEST(VirtualTimeFibers, BlockingCallOutsideAFiberStillDrivesTheClock) {
  SimulatedClock clock;
  fibers::VirtualTimeFibers fibers(clock);  // exists but not running: no effect outside its fibers
  InProcessTransport t(clock, [](const HttpRequest&) {
    return ScriptedResponse::Simple(200, Headers{}, "hello", milliseconds(30));
  });
  HttpRequest req;
  req.base_url = "http://x";
  const TimePoint t0 = clock.now();
  auto r = send_and_wait(t, clock, req, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "hello");
  EXPECT_EQ(clock.now() - t0, milliseconds(30));
}

TEST(VirtualTimeFibers, TransportCallsInFibersOverlap) {
  SimulatedClock clock;
  fibers::VirtualTimeFibers fibers(clock);
  InProcessTransport t(clock, [](const HttpRequest&) {
    return ScriptedResponse::Simple(200, Headers{}, "ok", seconds(1));
  });
  const TimePoint t0 = clock.now();
  int done = 0;
  for (int i = 0; i < 50; ++i) {
    fibers.spawn([&] {
      HttpRequest req;
      req.base_url = "http://x";
      auto r = send_and_wait(t, clock, req, {});
      EXPECT_TRUE(r.ok());
      ++done;
    });
  }
  fibers.run();
  EXPECT_EQ(done, 50);
  EXPECT_EQ(clock.now() - t0, seconds(1));  // 50 one-second calls in one virtual second
}

}  // namespace
}  // namespace ploke
