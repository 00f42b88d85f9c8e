#include "ploke/codec/scripted.h"

#include <charconv>
#include <cmath>

namespace ploke::codec {

Result<Timing> Timing::Parse(std::string_view text) {
  if (text == "recorded") return Recorded();
  if (text == "none") return None();
  if (text.size() >= 2 && (text[0] == 'x' || text[0] == 'X')) {
    double f = 0;
    const char* b = text.data() + 1;
    const char* e = text.data() + text.size();
    auto res = std::from_chars(b, e, f);
    if (res.ec == std::errc() && res.ptr == e && std::isfinite(f) && f > 0 && f <= 1e6) return Factor(f);
  }
  return Status(StatusCode::kInvalidRequest,
                "timing \"" + std::string(text) + "\": expected recorded, none or xN with 0 < N <= 1000000 (x2 = twice as fast)");
}

Duration Timing::scale(double ms) const {
  if (!std::isfinite(ms) || ms <= 0) return Duration{0};
  switch (mode) {
    case Mode::kRecorded: break;
    case Mode::kNone: return Duration{0};
    case Mode::kFactor: ms /= factor; break;
  }
  return Duration{static_cast<int64_t>(std::llround(ms * 1e6))};
}

std::string Timing::to_string() const {
  switch (mode) {
    case Mode::kRecorded: return "recorded";
    case Mode::kNone: return "none";
    case Mode::kFactor: {
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof(buf), factor);
      return "x" + std::string(buf, r.ptr);
    }
  }
  return "recorded";
}

namespace {
bool is_framing_header(std::string_view name) {
  return iequals(name, "content-length") || iequals(name, "transfer-encoding") || iequals(name, "connection") ||
         iequals(name, "keep-alive");
}
}  // namespace

ScriptedResponse to_scripted(const RecordedResponse& r, Timing timing) {
  ScriptedResponse s;
  s.status = r.status;
  for (const auto& [k, v] : r.headers.items()) {
    if (!is_framing_header(k)) s.headers.add(k, v);
  }
  s.head_at = timing.scale(r.first_byte_ms);
  s.ending = r.ending;
  s.streaming = r.streamed;
  if (r.ending == Ending::kCloseNoReply) {
    s.send_head = false;
    return s;
  }
  if (r.streamed) {
    s.chunks.reserve(r.chunks.size());
    Duration prev = s.head_at;
    for (const auto& c : r.chunks) {
      // Offsets are non-decreasing and never before the head (rounding cannot reorder).
      Duration at = std::max(timing.scale(c.offset_ms), prev);
      s.chunks.push_back(TimedChunk{at, c.data});
      prev = at;
    }
  } else if (!r.body.bytes.empty()) {
    s.chunks.push_back(TimedChunk{std::max(timing.scale(r.elapsed_ms), s.head_at), r.body.bytes});
  }
  return s;
}

}  // namespace ploke::codec
