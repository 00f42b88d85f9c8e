// Internal to ploke_net: the EventLoop's implementation (libevent), shared by the server
// (which owns the loops) and the loop-bound client (which registers its sockets on them).
#pragma once

#include <event2/event.h>
#include <event2/event_struct.h>

#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "ploke/net/event_loop.h"

namespace ploke::net {
namespace srv {
struct LoopShared;
}

struct EventLoop::Impl {
  Impl(event_base* b, std::shared_ptr<srv::LoopShared> s, Clock& c, size_t i);
  ~Impl();
  void attach();          // registers the defer event (after the base exists)
  void run_deferred();
  void close();           // server stop: deferred work, then locals newest first
  void release_events();  // before event_base_free

  event_base* base;
  std::shared_ptr<srv::LoopShared> shared;
  Clock& clock;
  size_t index;
  event defer_ev{};
  bool attached = false;
  bool closing = false;
  std::vector<std::function<void()>> deferred;
  std::vector<std::pair<const void*, std::shared_ptr<void>>> locals;
};

namespace detail {
/// Sets EventLoop::current() for this thread; returns the previous value.
EventLoop* set_current_loop(EventLoop* loop);
event_base* base_of(EventLoop& loop);
/// A thread-safe way to post to `loop` that stays valid (returns false) after the loop is gone.
std::function<bool(std::function<void()>)> poster(EventLoop& loop);
}  // namespace detail

}  // namespace ploke::net
