// SseParser implementation. See ploke/adapters/sse.h for the rules.
#include "ploke/adapters/sse.h"

#include <cstring>
#include <string>

namespace ploke::adapters {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

const char* find_byte(const char* p, const char* end, char c) {
  const void* hit = std::memchr(p, c, static_cast<size_t>(end - p));
  return hit == nullptr ? end : static_cast<const char*>(hit);
}

}  // namespace

Status SseParser::too_big(uint64_t at) {
  error_ = MalformedResponseError("SSE event exceeds " + std::to_string(options_.max_event_bytes) +
                                  " bytes at stream byte " + std::to_string(at));
  return error_;
}

Status SseParser::feed(std::string_view bytes, std::vector<SseEvent>& out) {
  return feed(bytes, [&out](const SseEvent& e) {
    out.push_back(e);
    return true;
  });
}

Status SseParser::feed(std::string_view bytes, const Callback& cb) {
  if (!error_.ok()) return error_;
  const uint64_t base = offset_;
  offset_ += bytes.size();
  if (stopped_ || bytes.empty()) return Status::Ok();

  const char* const begin = bytes.data();
  const char* p = begin;
  const char* const end = begin + bytes.size();
  if (pending_cr_) {
    pending_cr_ = false;
    if (*p == '\n') ++p;  // the LF of a CRLF split across feeds
  }
  // Cached position of the next CR (end when none): most streams have no CR at all, so
  // this is one memchr per chunk instead of one per line.
  const char* next_cr = find_byte(p, end, '\r');
  while (p < end) {
    if (next_cr < p) next_cr = find_byte(p, end, '\r');
    const char* eol = find_byte(p, next_cr, '\n');
    size_t term = 1;
    if (eol == next_cr) {
      if (next_cr == end) {
        // No line ending in the rest of the chunk: carry the partial line over.
        if (line_.empty()) line_start_ = base + static_cast<uint64_t>(p - begin);
        const size_t add = static_cast<size_t>(end - p);
        if (line_.size() + add + event_bytes_ > options_.max_event_bytes) {
          return too_big(in_event_ ? event_start_ : line_start_);
        }
        line_.append(p, add);
        return Status::Ok();
      }
      // A CR line ending; CRLF counts once, and a CR at the chunk's end may be followed
      // by the LF in the next feed.
      if (eol + 1 < end) {
        if (eol[1] == '\n') term = 2;
      } else {
        pending_cr_ = true;
      }
    }
    std::string_view line;
    uint64_t line_offset = 0;
    if (!line_.empty()) {
      line_.append(p, static_cast<size_t>(eol - p));
      line = line_;
      line_offset = line_start_;
    } else {
      line = std::string_view(p, static_cast<size_t>(eol - p));
      line_offset = base + static_cast<uint64_t>(p - begin);
    }
    const bool cont = on_line(line, line_offset, cb);
    line_.clear();
    p = eol + term;
    if (!error_.ok()) return error_;
    if (!cont) {
      stopped_ = true;
      pending_cr_ = false;
      return Status::Ok();
    }
  }
  return Status::Ok();
}

bool SseParser::on_line(std::string_view line, uint64_t line_offset, const Callback& cb) {
  if (line_offset == 0 && line.substr(0, kBom.size()) == kBom) line.remove_prefix(kBom.size());
  if (line.empty()) return dispatch(cb);
  if (!in_event_) {
    in_event_ = true;
    event_start_ = line_offset;
  }
  if (line.front() == ':') return true;  // comment
  std::string_view field = line;
  std::string_view value;
  if (const size_t colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    event_bytes_ += value.size() + 1;
    if (event_bytes_ > options_.max_event_bytes) {
      (void)too_big(event_start_);
      return false;
    }
    if (has_data_) ev_.data.push_back('\n');
    ev_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    event_bytes_ += value.size();
    if (event_bytes_ > options_.max_event_bytes) {
      (void)too_big(event_start_);
      return false;
    }
    ev_.event.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) ev_.id.assign(value);
  } else if (field == "retry") {
    uint64_t v = 0;
    bool digits = !value.empty() && value.size() <= 18;
    for (char c : value) {
      if (c < '0' || c > '9') { digits = false; break; }
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    if (digits) ev_.retry_ms = v;
  }
  return true;
}

bool SseParser::dispatch(const Callback& cb) {
  bool cont = true;
  if (has_data_) {
    ev_.stream_offset = event_start_;
    cont = cb(ev_);
  }
  reset_event();
  return cont;
}

void SseParser::reset_event() {
  ev_.event.clear();
  ev_.data.clear();
  ev_.retry_ms.reset();
  has_data_ = false;
  in_event_ = false;
  event_bytes_ = 0;
}

Status SseParser::finish(const Callback& cb) {
  if (!error_.ok()) return error_;
  line_.clear();
  pending_cr_ = false;
  if (stopped_) return Status::Ok();
  if (!dispatch(cb)) stopped_ = true;
  return Status::Ok();
}

}  // namespace ploke::adapters
