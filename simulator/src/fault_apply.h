// File: simulator/src/fault_apply.h (internal)
//
// Fault application: one code path for every protocol (OpenAI, OpenRouter, Anthropic) and
// for synthetic and replayed responses. A response comes from a producer (synthetic
// generation, or a cassette). Faults that replace the response (http_error, reset,
// empty_reply, hang before the head) are answered without calling it; the others are
// overlaid on what it produced, then the fault's delay is added. Stream overlays work on
// SSE events, not on chunks: a recorded stream keeps its recorded read boundaries (several
// events per chunk, or an event split over two), and "after 5 events" must mean the same
// thing there as on a synthetic stream (one event per chunk, where both coincide). The
// last event (the stream's terminator: `[DONE]`, `message_stop`) is never kept by a cap.
//
// The bytes a fault writes are the protocol's: it passes them as FaultShapes.
//
// Thread-safety: free functions over their arguments.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "ploke/core/clock.h"
#include "ploke/core/scripted_response.h"
#include "ploke/simulator/fault_plan.h"

namespace ploke::simulator::detail {

/// A protocol's bytes for the faults that write some, for one request.
class FaultShapes {
 public:
  virtual ~FaultShapes() = default;
  /// kHttpError: the error response for `f` (the caller adds the fault's delay).
  virtual ScriptedResponse http_error(const Fault& f) const = 0;
  /// kMalformedJson on a stream: an event whose JSON is cut short.
  virtual std::string_view malformed_event() const = 0;
  /// kMidStreamError: the error for `f` with HTTP status `status`, as an SSE event (on a
  /// stream, after `events_before` events of it) and as a whole body (answered with 200).
  virtual std::string error_event(const Fault& f, int status, size_t events_before) const = 0;
  virtual std::string error_body(const Fault& f, int status) const = 0;
};

/// Moves the head and every chunk `by` later (nothing when `by` <= 0).
void shift(ScriptedResponse& r, Duration by);

/// Multiplies every offset (head and chunks) by `factor` (slow_stream on a replayed
/// response; synthetic generation applies the factor itself).
void stretch(ScriptedResponse& r, double factor);

/// The response of a fault that replaces the answer outright, or nullopt when the fault is
/// an overlay (or a stream hang after some events).
std::optional<ScriptedResponse> replacing_fault_response(const Fault& f, const FaultShapes& shapes, bool stream);

/// Overlays an overlay fault on a produced response, then adds the fault's delay.
void overlay_fault(ScriptedResponse& r, const Fault& f, const FaultShapes& shapes);

/// Answers a request under fault `f` (may be null) with `produce(slow_factor)` as the
/// fault-free response (slow_factor: a slow_stream fault's factor, else 1).
template <class Produce>
ScriptedResponse respond_with_faults(const Fault* f, bool stream, const FaultShapes& shapes, Produce&& produce) {
  if (f != nullptr) {
    if (auto r = replacing_fault_response(*f, shapes, stream)) return std::move(*r);
  }
  const double slow = (f != nullptr && f->kind == FaultKind::kSlowStream) ? f->factor : 1.0;
  ScriptedResponse r = std::forward<Produce>(produce)(slow);
  if (f != nullptr) overlay_fault(r, *f, shapes);
  return r;
}

}  // namespace ploke::simulator::detail
