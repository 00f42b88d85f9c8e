// File: ploke/net/event_loop.h
//
// EventLoop: one of an HttpServer's event-loop threads, for code that must run on it
// without blocking it: the loop-bound HTTP client (LoopHttpClient, ploke/net/loop_client.h)
// and fiber schedulers (the gateway runs each façade call on a fiber of the loop that
// received the request, so a proxied request never changes threads).
//
//   * EventLoop::current() is the loop of the calling thread: set on a server's loop
//     thread (inside handlers, Responder callbacks, timers and posted work), nullptr
//     elsewhere.
//   * post(fn): from any thread; fn runs on the loop thread, in call order (an eventfd
//     wake-up). defer(fn): from the loop thread only; fn runs after the current callback
//     returns, in the same loop iteration, without a system call.
//   * Locals: objects a library keeps per loop (a connection pool, a fiber scheduler),
//     keyed by an address the library owns. They are destroyed when the server stops,
//     after every connection was closed and its cancel callbacks ran, newest first, with
//     current() still naming this loop and closing() true; loop-thread only otherwise.
//   * The libevent event_base: inside ploke_net through loop_internal.h; outside, only for
//     attaching a libevent-based client, through ploke/net/native_loop.h.
//
// Thread-safety: post() and on_loop_thread() from any thread; everything else on the
// loop thread.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "ploke/core/clock.h"

namespace ploke::net {

class EventLoop {
 public:
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  /// The loop running on this thread, or nullptr.
  static EventLoop* current();

  /// Queues fn to run on the loop thread. False when the loop has stopped (fn dropped).
  bool post(std::function<void()> fn);
  /// A copyable way to post() that stays safe after the loop (and this object) is gone:
  /// it then returns false. For wake-ups from timer threads.
  std::function<bool(std::function<void()>)> poster() const;
  /// Loop thread only: fn runs once the current callback returns (no syscall). While the
  /// loop is closing, deferred work runs at the end of the closing step.
  void defer(std::function<void()> fn);
  bool on_loop_thread() const;
  /// True while the server is stopping and the loop's locals are being destroyed.
  bool closing() const;

  Clock& clock() const;
  size_t index() const;

  /// Per-loop objects (see the file comment). get_local returns nullptr when unset.
  void* get_local(const void* key) const;
  void set_local(const void* key, std::shared_ptr<void> value);

  struct Impl;
  explicit EventLoop(Impl* impl) : impl_(impl) {}
  Impl* impl() const { return impl_; }

 private:
  Impl* impl_;
};

}  // namespace ploke::net
