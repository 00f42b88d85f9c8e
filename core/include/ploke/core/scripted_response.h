// File: ploke/core/scripted_response.h
//
// ScriptedResponse: a response described as data — status, headers, body chunks each
// with its offset from the request start, and how the exchange ends. The simulator
// engine produces these, cassettes store them, and two players consume them:
// InProcessTransport plays one on a Clock (no sockets) and the simulator's HTTP front
// plays one on real sockets. One description, two players: faults look the same to the
// client code either way.
//
// Thread-safety: plain value.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/core/transport.h"

namespace ploke {

struct TimedChunk {
  Duration at{0};     ///< offset from request start; non-decreasing across chunks
  std::string bytes;
};

enum class Ending : uint8_t {
  kComplete,      ///< the body ends normally after the last chunk
  kReset,         ///< after head_at/chunks, the connection is reset (RST); no terminator
  kCloseNoReply,  ///< the connection closes at head_at without a single byte ("empty reply")
  kHang,          ///< after the chunks, nothing more is ever sent (client must time out)
};
std::string_view ending_name(Ending e);

struct ScriptedResponse {
  Duration head_at{0};          ///< when status + headers are sent
  bool send_head = true;        ///< false with kReset = reset before any byte
  int status = 200;
  Headers headers;
  std::vector<TimedChunk> chunks;
  Ending ending = Ending::kComplete;
  bool streaming = false;       ///< sent chunked (SSE) rather than with Content-Length

  /// Concatenated chunk bytes.
  std::string body() const;
  /// A complete non-streaming response with one chunk at `at`.
  static ScriptedResponse Simple(int status, Headers headers, std::string body, Duration at = Duration{0});
};

}  // namespace ploke
