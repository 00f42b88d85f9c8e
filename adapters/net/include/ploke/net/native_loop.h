// File: ploke/net/native_loop.h
//
// The libevent event_base under an EventLoop, for a library that attaches a libevent-based
// client to the loop (ploke::redis: hiredis's libevent adapter). Declared with a forward
// declaration so that this header pulls in no libevent header. Loop thread only: libevent
// calls on the base must come from the loop's thread (post() there first).
#pragma once

struct event_base;

namespace ploke::net {
class EventLoop;

event_base* native_event_base(EventLoop& loop);

}  // namespace ploke::net
