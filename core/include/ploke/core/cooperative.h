// File: ploke/core/cooperative.h
//
// CooperativeScheduler: the hook that lets many synchronous calls (LlmClient::complete(),
// ChatClient::stream(), …) be in flight at once in virtual time, each on its own fiber of
// one OS thread. ploke::core only declares the interface; the implementation (one
// Boost.Context fiber core with a virtual-time and an event-loop driver, ploke/fibers/)
// lives above core, so core stays free of third-party dependencies.
//
// How it plugs in: Completion::wait(clock), when called inside a fiber of the scheduler
// that is current on this thread and bound to that same `clock`, suspends the fiber
// instead of driving the clock; Completion::notify() makes the fiber runnable again. The
// scheduler's loop (not core) runs runnable fibers in FIFO order and, when none is
// runnable, fires the clock's next due timer. Outside a fiber (no scheduler installed, or
// called from the scheduler's own loop), Completion::wait behaves exactly as before.
//
// Thread-safety: the current scheduler is thread-local; a scheduler and its fibers live
// on one thread.
#pragma once

namespace ploke {

class Clock;

class CooperativeScheduler {
 public:
  virtual ~CooperativeScheduler() = default;
  /// Opaque handle of the fiber running now; nullptr when not inside one of this
  /// scheduler's fibers (e.g. in its loop, firing timers).
  virtual void* current_fiber() = 0;
  /// True when waits on `clock` are this scheduler's business.
  virtual bool drives(const Clock& clock) const = 0;
  /// Suspends the current fiber until wake(fiber) is called. Returns true when woken by
  /// wake(), false when the scheduler gave up on it (nothing left that could wake it: the
  /// simulated clock ran out of timers — the fiber equivalent of Completion::wait() false).
  virtual bool suspend() = 0;
  /// Makes `fiber` runnable (FIFO). Callable from fibers and from timer callbacks.
  virtual void wake(void* fiber) = 0;
};

/// The scheduler installed on this thread (nullptr when none).
CooperativeScheduler* current_cooperative_scheduler();
/// Installs `s` on this thread (nullptr removes); returns the previous one.
CooperativeScheduler* set_current_cooperative_scheduler(CooperativeScheduler* s);

}  // namespace ploke
