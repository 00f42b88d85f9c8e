// File: ploke/net/loop_fibers.h
//
// LoopFibers: the event-loop driver of the one fiber core (ploke/fibers/fiber_core.h), a
// CooperativeScheduler (ploke/core/cooperative.h) whose fibers run on one EventLoop
// (ploke/net/event_loop.h). Used by the gateway (each request on a fiber of the loop that
// parsed it) and by the scenario runner's real-time driver (each workload call on a fiber
// of one loop). Library ploke::net_fibers (it adds Boost.Context through ploke::fibers).
//
// A synchronous call (LlmClient) runs on a fiber: Completion::wait() on the scheduler's
// clock suspends it; LoopHttpClient (HttpTransport with on_event_loop) completes on the
// same loop and wakes it; a RealClock timer (backoff, admission deadline) wakes it from
// the timer thread through EventLoop::post(). Nothing blocks the loop, and a call never
// changes threads.
//
//   * spawn(task, user): runs the task at once on a new fiber (pooled stacks) until it
//     first suspends or ends; loop thread only. current_user() is `user` inside it.
//   * wake(fiber): on the loop thread, the fiber is resumed from a deferred callback (never
//     inside the waker's frame); from another thread, through post().
//   * Loop stop: the scheduler is a loop local (of()), made before the calls that use the
//     loop's client, so it is destroyed after their calls were cancelled: it runs what is
//     runnable, then resumes each still-suspended fiber with wait() == false (oldest
//     first) until every fiber has ended.
//
// Thread-safety: loop thread only, except wake().
#pragma once

#include <cstddef>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "ploke/core/clock.h"
#include "ploke/core/cooperative.h"
#include "ploke/fibers/fiber_core.h"
#include "ploke/net/event_loop.h"

namespace ploke::net {

class LoopFibers final : public CooperativeScheduler {
 public:
  LoopFibers(net::EventLoop& loop, Clock& clock, size_t stack_bytes = 256 * 1024);
  ~LoopFibers() override;
  LoopFibers(const LoopFibers&) = delete;
  LoopFibers& operator=(const LoopFibers&) = delete;

  /// The scheduler of `loop` for `clock` (made on first use; keyed by `key`).
  static LoopFibers& of(net::EventLoop& loop, Clock& clock, const void* key);

  /// Runs `task` on a new fiber whose current_user() is `user`.
  void spawn(std::function<void()> task, void* user = nullptr);
  /// The running fiber's `user` (nullptr outside this scheduler's fibers).
  void* current_user() const { return core_.current_user(); }
  /// Fibers started and not finished.
  size_t live() const { return core_.live(); }

  // CooperativeScheduler
  void* current_fiber() override { return core_.current(); }
  bool drives(const Clock& clock) const override { return &clock == &clock_; }
  bool suspend() override { return core_.suspend(); }
  void wake(void* fiber) override;

 private:
  void resume(void* fiber);
  void run_runnable();

  net::EventLoop& loop_;
  Clock& clock_;
  fibers::FiberCore core_;
  std::function<bool(std::function<void()>)> post_;  // valid after the loop is gone
  bool drain_scheduled_ = false;
  // Shared with wakes from other threads: false once the scheduler is gone.
  std::shared_ptr<std::atomic<bool>> alive_ = std::make_shared<std::atomic<bool>>(true);
};

}  // namespace ploke::net
