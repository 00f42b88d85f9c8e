// File: ploke/adapters/sse.h
//
// SseParser: an incremental parser for Server-Sent Events (the WHATWG "event stream"
// format used by OpenAI, Anthropic and OpenRouter streaming responses). Bytes may be fed
// with any chunk boundaries — inside a line, inside a UTF-8 sequence, inside a JSON escape,
// between the CR and LF of a CRLF — and the events produced are the same for every split.
//
// Rules implemented (the WHATWG HTML spec, "Server-sent events"):
//   * lines end with LF, CR or CRLF; a UTF-8 BOM at the very start is skipped;
//   * a line starting with ':' is a comment (e.g. ": OPENROUTER PROCESSING") and ignored;
//   * "field: value" — one optional space after the colon is stripped; a line without a
//     colon is a field with an empty value; fields: event, data, id, retry (others ignored);
//   * several data lines are joined with '\n';
//   * a blank line dispatches the event if at least one data line was seen (an event with
//     only `event:`/`id:` lines is dropped, as in the spec); the event name resets after each
//     dispatch, the last id persists (spec "last event ID").
//   * Bounded: an event (data + name + id, including a pending partial line) larger than
//     Options::max_event_bytes fails with kMalformedResponse naming the stream byte offset;
//     the parser then stays failed.
//
// Performance: lines are located with memchr over the fed chunk; complete lines inside a
// chunk are processed in place (no copy), only a line split across feeds is carried over.
// The event object handed to the callback is reused (its strings keep their capacity), so a
// steady stream allocates nothing per event.
//
// Thread-safety: one parser per stream; not thread-safe.
//
// Example:
//   SseParser parser;
//   Status st = parser.feed(chunk, [&](const SseEvent& e) {
//     if (e.data == "[DONE]") return false;   // stop
//     handle(e.event, e.data);
//     return true;
//   });
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/core/status.h"

namespace ploke::adapters {

/// One dispatched event.
struct SseEvent {
  std::string event;                ///< `event:` name; empty when none was sent
  std::string data;                 ///< data lines joined with '\n'
  std::string id;                   ///< last event id seen so far (persists across events)
  std::optional<uint64_t> retry_ms; ///< `retry:` value if this event carried one
  uint64_t stream_offset = 0;       ///< byte offset in the stream of the event's first line
  friend bool operator==(const SseEvent&, const SseEvent&) = default;
};

class SseParser {
 public:
  struct Options {
    size_t max_event_bytes = size_t{16} << 20;  ///< 16 MiB
  };
  /// Receives each event; the reference is valid only during the call. Return false to
  /// stop parsing: feed() then returns OK and ignores the rest of that chunk and any later
  /// input (stopped() becomes true).
  using Callback = std::function<bool(const SseEvent&)>;

  SseParser() = default;
  explicit SseParser(Options options) : options_(options) {}

  /// Parses `bytes`, invoking `cb` for every event they complete.
  Status feed(std::string_view bytes, const Callback& cb);
  /// Same, appending copies of the events to `out`.
  Status feed(std::string_view bytes, std::vector<SseEvent>& out);
  /// The stream ended. Lenient extension of the spec: an event whose lines are all complete
  /// but which lacks the final blank line is dispatched (servers that close right after
  /// "data: [DONE]\n"); a trailing partial line (no line ending) is dropped. Returns the
  /// sticky error if the parser failed earlier.
  Status finish(const Callback& cb);

  /// Total bytes fed so far (the offset of the next byte).
  uint64_t bytes_fed() const { return offset_; }
  /// True when a partial line or an undispatched event is buffered.
  bool has_pending() const { return !line_.empty() || has_data_ || event_bytes_ > 0; }
  bool stopped() const { return stopped_; }
  bool failed() const { return !error_.ok(); }

 private:
  // Processes one complete line starting at stream offset `line_offset`. Returns false
  // when the callback asked to stop.
  bool on_line(std::string_view line, uint64_t line_offset, const Callback& cb);
  bool dispatch(const Callback& cb);
  void reset_event();
  Status too_big(uint64_t at);

  Options options_;
  SseEvent ev_;                // reused: event name, data, id of the event being built
  std::string line_;           // partial line carried over between feeds
  uint64_t line_start_ = 0;    // stream offset of line_'s first byte
  uint64_t offset_ = 0;        // bytes fed so far
  uint64_t event_start_ = 0;   // stream offset of the current event's first line
  size_t event_bytes_ = 0;     // bytes held for the current event (name + data + id)
  bool in_event_ = false;      // at least one non-blank line seen since the last dispatch
  bool has_data_ = false;
  bool pending_cr_ = false;    // last byte fed was CR: a following LF belongs to it
  bool bom_checked_ = false;
  bool stopped_ = false;
  Status error_;
};

}  // namespace ploke::adapters
