// File: ploke/fibers/fiber_core.h
//
// FiberCore: the one fiber implementation (Boost.Context, pooled fixed-size stacks) under
// both drivers of ploke::CooperativeScheduler (ploke/core/cooperative.h):
//   * VirtualTimeFibers (ploke/fibers/virtual_time.h): a SimulatedClock drives time; used
//     by the scenario runner in virtual time;
//   * LoopFibers (ploke/net/loop_fibers.h): fibers on an event loop, woken by the loop's
//     callbacks; used by the gateway and by the scenario runner in real time.
//
// The core owns the fibers and two queues; a driver decides when runnable fibers run and
// when suspended ones are given up on:
//   create(task, user)  a new fiber; it starts on its first resume.
//   schedule(f)         queues a new fiber as runnable (FIFO).
//   resume(f)           runs `f` on this thread until it suspends or ends (loop side only).
//   suspend()           inside a fiber: back to the loop until wake(f) / give_up_oldest().
//   wake(f)             a suspended fiber becomes runnable, its suspend() returns true.
//   give_up_oldest()    the oldest suspended fiber becomes runnable, its suspend() returns
//                       false (nothing is left that could wake it).
//   run_runnable()      resumes runnable fibers in FIFO order until none is left.
// A finished fiber is freed at once. The destructor frees what is left: a fiber never
// started is dropped, a suspended one is unwound by Boost (forced_unwind).
//
// Boost stays private: this header does not include Boost.
//
// Thread-safety: one thread; a FiberCore and its fibers live on the thread that uses it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

namespace ploke::fibers {

class FiberCore {
 public:
  /// `stack_bytes`: per-fiber stack (pooled and reused).
  explicit FiberCore(size_t stack_bytes = 256 * 1024);
  ~FiberCore();
  FiberCore(const FiberCore&) = delete;
  FiberCore& operator=(const FiberCore&) = delete;

  /// Creates a fiber for `task` (not queued: resume() it, or schedule() it). `user` is
  /// what current_user() returns while it runs. Returns its handle.
  void* create(std::function<void()> task, void* user = nullptr);
  /// Queues a fiber from create() as runnable (FIFO).
  void schedule(void* fresh);
  /// Runs `fiber` (new, or taken off the runnable queue) until it suspends or ends; from
  /// outside any fiber.
  void resume(void* fiber);
  /// Resumes runnable fibers, FIFO, until the queue is empty. Returns how many ran.
  size_t run_runnable();
  /// Takes the next runnable fiber off the queue (nullptr when none).
  void* pop_runnable();

  /// Inside a fiber: suspends it until wake() (true) or give_up_oldest() (false).
  bool suspend();
  /// Makes a suspended `fiber` runnable (its suspend() returns true). Returns false when
  /// `fiber` is null or not suspended (nothing changes).
  bool wake(void* fiber);
  /// Makes the oldest suspended fiber runnable with suspend() returning false. Returns
  /// false when no fiber is suspended.
  bool give_up_oldest();

  void* current() const;        ///< the running fiber (nullptr outside fibers)
  void* current_user() const;   ///< its `user` pointer (nullptr outside fibers)
  bool has_runnable() const;
  bool has_suspended() const;
  size_t live() const { return live_; }        ///< created and not finished
  uint64_t created() const { return created_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  size_t live_ = 0;
  uint64_t created_ = 0;
};

}  // namespace ploke::fibers
