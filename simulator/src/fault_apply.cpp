// Fault application, shared by every protocol. See fault_apply.h.
#include "fault_apply.h"

#include <algorithm>
#include <chrono>
#include <vector>

namespace ploke::simulator::detail {
namespace {

// Offsets in `body` just past each SSE event's terminating blank line. A block holding only
// comment lines (": keep-alive") dispatches no event and is not counted. Line ends: \r\n, \n, \r.
std::vector<size_t> sse_event_ends(std::string_view body) {
  std::vector<size_t> ends;
  bool has_field = false;  // the current block has a non-comment line
  size_t line_start = 0;
  size_t i = 0;
  while (i < body.size()) {
    const char c = body[i];
    if (c != '\n' && c != '\r') {
      ++i;
      continue;
    }
    size_t next = i + 1;
    if (c == '\r' && next < body.size() && body[next] == '\n') ++next;
    if (i == line_start) {
      if (has_field) ends.push_back(next);
      has_field = false;
    } else if (body[line_start] != ':') {
      has_field = true;
    }
    i = line_start = next;
  }
  return ends;
}

// Keeps the first `keep` events of a streamed response: chunks after the boundary are
// dropped and a chunk holding it is truncated there (its time is kept). Returns when the
// first dropped byte was due — where an injected event goes — or head_at if none.
// REQUIRES: keep <= ends.size(), ends from sse_event_ends(r.body()).
Duration keep_sse_events(ScriptedResponse& r, size_t keep, const std::vector<size_t>& ends) {
  const size_t cut = keep == 0 ? 0 : ends[keep - 1];
  size_t start = 0;
  for (size_t i = 0; i < r.chunks.size(); ++i) {
    const size_t end = start + r.chunks[i].bytes.size();
    if (end > cut) {
      const Duration at = r.chunks[i].at;
      r.chunks[i].bytes.resize(cut - start);
      r.chunks.resize(cut > start ? i + 1 : i);
      return at;
    }
    start = end;
  }
  return r.head_at;
}

}  // namespace

void shift(ScriptedResponse& r, Duration by) {
  if (by <= Duration{0}) return;
  r.head_at += by;
  for (auto& c : r.chunks) c.at += by;
}

void stretch(ScriptedResponse& r, double factor) {
  if (factor == 1.0) return;
  auto scale = [factor](Duration d) { return std::chrono::duration_cast<Duration>(d * factor); };
  r.head_at = scale(r.head_at);
  for (auto& c : r.chunks) c.at = scale(c.at);
}

std::optional<ScriptedResponse> replacing_fault_response(const Fault& f, const FaultShapes& shapes, bool stream) {
  ScriptedResponse r;
  switch (f.kind) {
    case FaultKind::kHttpError:
      r = shapes.http_error(f);
      shift(r, f.delay);
      return r;
    case FaultKind::kReset:
    case FaultKind::kEmptyReply:
      r.send_head = false;
      r.status = 0;
      r.ending = f.kind == FaultKind::kReset ? Ending::kReset : Ending::kCloseNoReply;
      r.head_at = f.delay;
      return r;
    case FaultKind::kHang:
      if (stream && f.after_events > 0) return std::nullopt;
      r.send_head = false;
      r.status = 0;
      r.ending = Ending::kHang;
      return r;
    default:
      return std::nullopt;
  }
}

void overlay_fault(ScriptedResponse& r, const Fault& f, const FaultShapes& shapes) {
  const bool cuts = f.kind == FaultKind::kHang || f.kind == FaultKind::kMalformedJson ||
                    f.kind == FaultKind::kStreamCut || f.kind == FaultKind::kMidStreamError;
  const int error_status = f.status >= 400 ? f.status : 500;  // kMidStreamError
  if (cuts && r.streaming) {
    const std::vector<size_t> ends = sse_event_ends(r.body());
    const size_t events = ends.empty() ? 0 : ends.size() - 1;  // never the last one (the terminator)
    const size_t kept = std::min<size_t>(f.after_events, events);
    const Duration cut_at = keep_sse_events(r, kept, ends);
    switch (f.kind) {
      case FaultKind::kHang:  // N events, then silence
        r.ending = Ending::kHang;
        break;
      case FaultKind::kMalformedJson:
        r.chunks.push_back(TimedChunk{cut_at, std::string(shapes.malformed_event())});
        break;
      case FaultKind::kStreamCut:
        r.ending = Ending::kReset;
        break;
      default:  // kMidStreamError: the error event, then the body ends
        r.chunks.push_back(TimedChunk{cut_at, shapes.error_event(f, error_status, kept)});
        r.ending = Ending::kComplete;
        break;
    }
  } else if (cuts && f.kind != FaultKind::kHang) {
    const Duration body_at = r.chunks.empty() ? r.head_at : r.chunks.front().at;
    const std::string b = r.body();
    if (f.kind == FaultKind::kMalformedJson) {
      r.status = 200;
      r.chunks.assign(1, TimedChunk{body_at, b.substr(0, b.size() / 2)});
    } else if (f.kind == FaultKind::kStreamCut) {
      r.headers.set("content-length", std::to_string(b.size()));
      r.chunks.assign(1, TimedChunk{body_at, b.substr(0, b.size() / 2)});
      r.ending = Ending::kReset;
    } else {  // kMidStreamError: a 200 whose body is the error
      r.status = 200;
      r.chunks.assign(1, TimedChunk{body_at, shapes.error_body(f, error_status)});
      r.ending = Ending::kComplete;
    }
  }
  // kDelay (every kind); kSlowStream was applied by the producer.
  shift(r, f.delay);
}

}  // namespace ploke::simulator::detail
