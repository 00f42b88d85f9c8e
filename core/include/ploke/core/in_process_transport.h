// File: ploke/core/in_process_transport.h
//
// InProcessTransport: a Transport without sockets. Each request goes to a handler that
// returns a ScriptedResponse; the transport schedules its head, chunks and ending as
// timers on the injected Clock and enforces CallOptions' per-phase timeouts the same way.
// With a SimulatedClock nothing happens until the clock is driven, so many concurrent
// calls interleave deterministically in virtual time.
//
// Thread-safety: start() may be called from any thread; callbacks run on the thread that
// fires the Clock's timers.
//
// Example:
//   SimulatedClock clock;
//   InProcessTransport t(clock, [&](const HttpRequest& r) { return engine.handle(r); });
//   auto resp = send_and_wait(t, clock, req, {});
#pragma once

#include <functional>

#include "ploke/core/scripted_response.h"
#include "ploke/core/transport.h"

namespace ploke {

class InProcessTransport final : public Transport {
 public:
  using Handler = std::function<ScriptedResponse(const HttpRequest&)>;
  InProcessTransport(Clock& clock, Handler handler);

  // Transport
  CallPtr start(const HttpRequest& request, const CallOptions& options,
                ResponseHandler& handler) override;

 private:
  Clock& clock_;
  Handler handler_;
};

}  // namespace ploke
