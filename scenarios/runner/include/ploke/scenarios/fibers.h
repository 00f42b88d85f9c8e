// File: ploke/scenarios/fibers.h
//
// FiberScheduler: many synchronous façade calls in flight at once, in virtual time, on
// one OS thread. Each spawned task runs on its own Boost.Context fiber (pooled fixed-size
// stacks); it implements ploke::CooperativeScheduler (ploke/core/cooperative.h), so a
// Completion::wait() on the bound SimulatedClock inside a task suspends the fiber and
// Completion::notify() (from a timer callback or another task) makes it runnable again.
//
// run(): runnable fibers run in FIFO order; when none is runnable, the clock's next due
// timer fires (virtual time jumps to it). When nothing is runnable and no timer is left,
// the fibers still suspended can never be woken: they are resumed with wait() == false,
// oldest first (exactly what Completion::wait returns on an idle SimulatedClock outside a
// fiber), so callers cancel and finish. One thread, FIFO order and seeded randomness make
// a run deterministic.
//
// Boost stays private: this header does not include Boost.
//
// Thread-safety: one thread. run() installs the scheduler as the thread's cooperative
// scheduler for its duration.
//
// Example:
//   SimulatedClock clock;
//   FiberScheduler fibers(clock);
//   fibers.spawn([&] { client.complete(req); });   // or from a clock timer (arrivals)
//   fibers.run();
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "ploke/core/clock.h"
#include "ploke/core/cooperative.h"

namespace ploke::scenarios {

class FiberScheduler final : public CooperativeScheduler {
 public:
  /// `stack_bytes`: per-fiber stack (pooled and reused).
  explicit FiberScheduler(SimulatedClock& clock, size_t stack_bytes = 256 * 1024);
  ~FiberScheduler() override;
  FiberScheduler(const FiberScheduler&) = delete;
  FiberScheduler& operator=(const FiberScheduler&) = delete;

  /// Queues a task to start on its own fiber (runnable at once, FIFO). `user` is returned
  /// by current_user() while the task runs (e.g. the request it serves).
  void spawn(std::function<void()> task, void* user = nullptr);
  /// The `user` pointer of the running fiber (nullptr outside fibers).
  void* current_user() const;

  /// Runs until no fiber is left and no timer is pending, or virtual time would pass
  /// `until` (timers due later stay pending; suspended fibers stay suspended). Returns
  /// the number of timers fired.
  uint64_t run(std::optional<TimePoint> until = std::nullopt);

  /// Fibers spawned and not finished.
  size_t live() const { return live_; }
  uint64_t spawned() const { return spawned_; }
  /// Waits that were given up (resumed with false) because nothing could wake them.
  uint64_t abandoned_waits() const { return abandoned_; }

  // CooperativeScheduler
  void* current_fiber() override;
  bool drives(const Clock& clock) const override { return &clock == &clock_; }
  bool suspend() override;
  void wake(void* fiber) override;

 private:
  struct Impl;
  SimulatedClock& clock_;
  std::unique_ptr<Impl> impl_;
  size_t live_ = 0;
  uint64_t spawned_ = 0, abandoned_ = 0;
};

}  // namespace ploke::scenarios
