// File: ploke/codec/recording.h
//
// InteractionBuilder: assembles one recorded Interaction from a live exchange as the
// recorder sees it — the request, then the response head, body pieces as they arrive, and
// the end — with every time given as an offset from the request start (the caller reads
// its Clock; this class never does). finish() classifies the body, applies redaction and
// returns the interaction ready to append to a Cassette.
//
// A response is recorded as streamed (exact chunks with offsets) when its content-type is
// text/event-stream; otherwise its pieces are joined into one body (encoding chosen by
// make_recorded_body()). An exchange that never produced a response head (connection
// failure) is not recordable: finish() requires on_head().
//
// Thread-safety: none; one builder per exchange, used from one thread at a time.
//
// Example (recorder):
//   InteractionBuilder b(request, "0007", format_rfc3339_utc(clock.system_now()));
//   b.on_head(clock.now() - start, status, headers);
//   b.on_body(clock.now() - start, bytes);          // for each piece, as forwarded
//   cassette.interactions.push_back(std::move(b).finish(clock.now() - start, Ending::kComplete, rules));
#pragma once

#include <string>
#include <string_view>

#include "ploke/codec/cassette.h"
#include "ploke/codec/redact.h"
#include "ploke/core/clock.h"
#include "ploke/core/transport.h"

namespace ploke::codec {

class InteractionBuilder {
 public:
  InteractionBuilder(const HttpRequest& request, std::string id, std::string recorded_at);

  /// Status line and headers arrived `at` after the request start.
  void on_head(Duration at, int status, const Headers& headers);
  /// A body piece arrived (pieces are kept exactly as given).
  void on_body(Duration at, std::string_view bytes);
  bool has_head() const { return has_head_; }

  /// The finished, redacted interaction. `ending`: kComplete, or kReset when the upstream
  /// cut the response. REQUIRES: on_head() was called.
  Interaction finish(Duration at, Ending ending, const RedactionRules& rules) &&;

 private:
  Interaction interaction_;
  std::string body_;  ///< non-streamed pieces, joined
  bool has_head_ = false;
};

}  // namespace ploke::codec
