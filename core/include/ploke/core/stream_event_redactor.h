// File: ploke/core/stream_event_redactor.h
//
// StreamEventRedactor: redaction by value over a normalized event stream. A secret split
// across text deltas (or tool-argument fragments) is not contiguous in the rendered bytes
// (each delta sits in its own JSON event), so a byte-level redactor cannot see it. This one
// runs a StreamRedactor (registered values only) over the text, over the reasoning (its
// held tail goes out before the next text or tool delta) and over each tool call's
// arguments, holding back a tail that could still grow into a registered value, and flushes
// what it holds before any other event (finish, usage, error) and at flush(). A text
// delta's logprobs and its text go out together once nothing is held back (a chunk's
// tokens spell its text); tokens are redacted by value, and a registered value spelled
// across tokens collapses into one entry.
//
// With no secret registered it passes every event through unchanged.
//
// Example:
//   StreamEventRedactor r;
//   client.stream(req, [&](const StreamEvent& e) { for (auto& x : r.apply(e)) render(x); });
//   for (auto& x : r.flush()) render(x);
#pragma once

#include <map>
#include <vector>

#include "ploke/core/chat.h"
#include "ploke/core/secret_registry.h"

namespace ploke {

class StreamEventRedactor {
 public:
  /// The events to forward for `e` (possibly none while a tail is held back).
  std::vector<StreamEvent> apply(const StreamEvent& e);
  /// The held-back tails as final deltas (end of stream, before finish/error rendering).
  std::vector<StreamEvent> flush();
  /// True when part of the stream is held back (it has been delivered by the upstream).
  bool holding() const;

 private:
  StreamEvent text_delta(std::string text);
  std::vector<TokenLogprob> take_logprobs();
  /// The held-back reasoning tail as a final reasoning delta (appended to `out`).
  void flush_reasoning(std::vector<StreamEvent>& out);
  StreamRedactor text_{StreamRedactor::Mode::kValuesOnly};
  std::vector<TokenLogprob> logprobs_;  // of text held back
  std::string released_;                // text let through, waiting with its logprobs
  std::map<uint32_t, StreamRedactor> tools_;
  StreamRedactor reasoning_{StreamRedactor::Mode::kValuesOnly};
};

}  // namespace ploke
