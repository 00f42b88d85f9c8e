// File: ploke/codec/scripted.h
//
// Turning a recorded response into a ScriptedResponse that either player (the simulator's
// HTTP front on sockets, InProcessTransport on a Clock) can play, with a timing mode:
//   Timing::Recorded()   — every chunk at its recorded offset, headers at first_byte_ms;
//   Timing::None()       — everything at offset 0 (as fast as the player can write);
//   Timing::Factor(N)    — offsets divided by N: "x2" plays twice as fast (half the delays),
//                          "x0.5" twice as slow (double the delays). N must be > 0.
// Chunk boundaries and bytes are preserved exactly (one TimedChunk per recorded chunk,
// including empty ones). A non-streamed body is one chunk at elapsed_ms (when the recording
// had it complete). Framing headers (content-length, transfer-encoding, connection,
// keep-alive) are dropped: the player frames the body itself, and redaction may have
// changed its length. The recorded ending (e.g. kReset for a stream the upstream cut) is
// kept, so fault plans can be layered on top of a faithful replay.
//
// Thread-safety: pure functions on values.
//
// Example:
//   PLOKE_ASSIGN_OR_RETURN(Timing t, Timing::Parse("x2"));
//   ScriptedResponse s = to_scripted(hit.interaction->response, t);
#pragma once

#include <string>
#include <string_view>

#include "ploke/codec/cassette.h"
#include "ploke/core/scripted_response.h"
#include "ploke/core/status.h"

namespace ploke::codec {

struct Timing {
  enum class Mode : uint8_t { kRecorded, kNone, kFactor };
  Mode mode = Mode::kRecorded;
  double factor = 1.0;  ///< kFactor only: speed-up (> 0)

  static Timing Recorded() { return {}; }
  static Timing None() { return {Mode::kNone, 1.0}; }
  static Timing Factor(double speedup) { return {Mode::kFactor, speedup}; }
  /// "recorded" | "none" | "xN" (N a positive decimal, e.g. "x2", "x0.5"). kInvalidRequest otherwise.
  static Result<Timing> Parse(std::string_view text);
  /// The recorded offset `ms` under this timing.
  Duration scale(double ms) const;
  std::string to_string() const;  ///< "recorded", "none", "x2"
};

ScriptedResponse to_scripted(const RecordedResponse& response, Timing timing);

}  // namespace ploke::codec
