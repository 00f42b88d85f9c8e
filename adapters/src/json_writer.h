// JsonWriter: a minimal streaming JSON text writer for the hot paths (request shaping in
// openai_request.cpp, the inbound codecs' responses and SSE chunks). Writing text directly
// is ~5-10x cheaper than building an nlohmann DOM and dump()ing it, and keeps field order
// as written (the DOM sorts keys). Private to adapters.
//
// Strings are escaped by ploke::json::append_escaped (ploke/json/escape.h: the same bytes as
// nlohmann's dump() with error_handler_t::replace; invalid UTF-8 becomes U+FFFD). Non-finite
// numbers become null.
//
// Thread-safety: a plain value over the caller's string.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "ploke/json/escape.h"

namespace ploke::adapters::json_text {

/// Appends the escaped contents of a JSON string (no quotes): ploke::json's one escaper.
inline void append_escaped_body(std::string& o, std::string_view s) { ploke::json::append_escaped(o, s); }

/// Appends `s` as a quoted JSON string.
inline void append_string(std::string& o, std::string_view s) { ploke::json::append_quoted(o, s); }

inline void append_int(std::string& o, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  o.append(buf, static_cast<size_t>(r.ptr - buf));
}

inline void append_uint(std::string& o, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  o.append(buf, static_cast<size_t>(r.ptr - buf));
}

/// Shortest round-trip form; non-finite → null.
inline void append_double(std::string& o, double v) {
  if (!std::isfinite(v)) {
    o += "null";
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  o.append(buf, static_cast<size_t>(r.ptr - buf));
}

/// Appends JSON text `s` without its insignificant whitespace (the text must be valid JSON;
/// strings are copied as they are).
inline void append_compact(std::string& o, std::string_view s) {
  bool in_string = false;
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      o.append(s.data() + run, i - run);
      run = i + 1;
    }
  }
  o.append(s.data() + run, s.size() - run);
}

/// Minimal streaming JSON writer: tracks only "is a comma needed before the next item".
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : o_(out) {}
  JsonWriter& key(std::string_view k) {
    sep();
    append_string(o_, k);
    o_.push_back(':');
    after_key_ = true;
    return *this;
  }
  void begin_object() { sep(); o_.push_back('{'); first_ = true; }
  void end_object() { o_.push_back('}'); first_ = false; }
  void begin_array() { sep(); o_.push_back('['); first_ = true; }
  void end_array() { o_.push_back(']'); first_ = false; }
  void str(std::string_view s) { sep(); append_string(o_, s); }
  /// A string, or null when empty.
  void str_or_null(std::string_view s) {
    if (s.empty()) null();
    else str(s);
  }
  void raw(std::string_view s) { sep(); o_.append(s); }
  void null() { raw("null"); }
  void boolean(bool b) { raw(b ? "true" : "false"); }
  void integer(int64_t v) { sep(); append_int(o_, v); }
  void uinteger(uint64_t v) { sep(); append_uint(o_, v); }
  void number(double v) { sep(); append_double(o_, v); }
  std::string& out() { return o_; }

 private:
  void sep() {
    if (after_key_) { after_key_ = false; return; }
    if (!first_) o_.push_back(',');
    first_ = false;
  }
  std::string& o_;
  bool first_ = true;
  bool after_key_ = false;
};

}  // namespace ploke::adapters::json_text
