// File: ploke/fibers/virtual_time.h
//
// VirtualTimeFibers: the virtual-time driver of FiberCore (ploke/fibers/fiber_core.h):
// many synchronous façade calls in flight at once on one OS thread, with a SimulatedClock
// for time. It implements ploke::CooperativeScheduler (ploke/core/cooperative.h), so a
// Completion::wait() on the bound clock inside a task suspends the fiber and
// Completion::notify() (from a timer callback or another task) makes it runnable again.
//
// run(): runnable fibers run in FIFO order; when none is runnable, the clock's next due
// timer fires (virtual time jumps to it). When nothing is runnable and no timer is left,
// the fibers still suspended can never be woken: they are resumed with wait() == false,
// oldest first (exactly what Completion::wait returns on an idle SimulatedClock outside a
// fiber), so callers cancel and finish. One thread, FIFO order and seeded randomness make
// a run deterministic.
//
// Thread-safety: one thread. run() installs the driver as the thread's cooperative
// scheduler for its duration.
//
// Example:
//   SimulatedClock clock;
//   VirtualTimeFibers fibers(clock);
//   fibers.spawn([&] { client.complete(req); });   // or from a clock timer (arrivals)
//   fibers.run();
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>

#include "ploke/core/clock.h"
#include "ploke/core/cooperative.h"
#include "ploke/fibers/fiber_core.h"

namespace ploke::fibers {

class VirtualTimeFibers final : public CooperativeScheduler {
 public:
  explicit VirtualTimeFibers(SimulatedClock& clock, size_t stack_bytes = 256 * 1024)
      : clock_(clock), core_(stack_bytes) {}

  /// Queues a task to start on its own fiber (runnable at once, FIFO). `user` is returned
  /// by current_user() while the task runs (e.g. the request it serves).
  void spawn(std::function<void()> task, void* user = nullptr) {
    core_.schedule(core_.create(std::move(task), user));
  }
  /// The `user` pointer of the running fiber (nullptr outside fibers).
  void* current_user() const { return core_.current_user(); }

  /// Runs until no fiber is left and no timer is pending, or virtual time would pass
  /// `until` (timers due later stay pending; suspended fibers stay suspended). Returns
  /// the number of timers fired.
  uint64_t run(std::optional<TimePoint> until = std::nullopt);

  size_t live() const { return core_.live(); }          ///< spawned and not finished
  uint64_t spawned() const { return core_.created(); }
  /// Waits that were given up (resumed with false) because nothing could wake them.
  uint64_t abandoned_waits() const { return abandoned_; }

  // CooperativeScheduler
  void* current_fiber() override { return core_.current(); }
  bool drives(const Clock& clock) const override { return &clock == &clock_; }
  bool suspend() override { return core_.suspend(); }
  void wake(void* fiber) override { core_.wake(fiber); }

 private:
  SimulatedClock& clock_;
  FiberCore core_;
  uint64_t abandoned_ = 0;
};

}  // namespace ploke::fibers
