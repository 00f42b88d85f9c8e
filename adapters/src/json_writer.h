// JsonWriter: a minimal streaming JSON text writer for the hot paths (request shaping in
// openai_request.cpp, the inbound codecs' responses and SSE chunks). Writing text directly
// is ~5-10x cheaper than building an nlohmann DOM and dump()ing it, and keeps field order
// as written (the DOM sorts keys). Private to adapters.
//
// Strings are escaped exactly as nlohmann::json::dump() does (", \, \b \f \n \r \t short
// forms, other bytes below 0x20 as \u00xx, non-ASCII UTF-8 passed through), except that an
// invalid UTF-8 sequence becomes U+FFFD (dump() would throw). Non-finite numbers become null.
//
// Thread-safety: a plain value over the caller's string.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace ploke::json_text {

/// Length of the valid UTF-8 sequence starting at s[i] (a byte >= 0x80), 0 when invalid
/// (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF).
inline size_t utf8_sequence(std::string_view s, size_t i) {
  const auto* u = reinterpret_cast<const unsigned char*>(s.data()) + i;
  const size_t left = s.size() - i;
  auto cont = [&](size_t k) { return k < left && (u[k] & 0xC0) == 0x80; };
  if (u[0] >= 0xC2 && u[0] <= 0xDF) return cont(1) ? 2 : 0;
  if (u[0] >= 0xE0 && u[0] <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (u[0] == 0xE0 && u[1] < 0xA0) return 0;
    if (u[0] == 0xED && u[1] > 0x9F) return 0;
    return 3;
  }
  if (u[0] >= 0xF0 && u[0] <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (u[0] == 0xF0 && u[1] < 0x90) return 0;
    if (u[0] == 0xF4 && u[1] > 0x8F) return 0;
    return 4;
  }
  return 0;
}

/// Appends the escaped contents of a JSON string (no quotes). Runs of plain bytes are
/// appended in one go.
inline void append_escaped_body(std::string& o, std::string_view s) {
  size_t run = 0;  // start of the current run of bytes that need no escaping
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const size_t n = utf8_sequence(s, i);
      if (n != 0) {
        i += n;
        continue;
      }
      o.append(s.data() + run, i - run);
      o += "\\ufffd";
      run = ++i;
      continue;
    }
    o.append(s.data() + run, i - run);
    run = ++i;
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\r': o += "\\r"; break;
      case '\t': o += "\\t"; break;
      case '\b': o += "\\b"; break;
      case '\f': o += "\\f"; break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        o += "\\u00";
        o.push_back(kHex[c >> 4]);
        o.push_back(kHex[c & 0xF]);
      }
    }
  }
  o.append(s.data() + run, s.size() - run);
}

/// Appends `s` as a quoted JSON string.
inline void append_string(std::string& o, std::string_view s) {
  o.push_back('"');
  append_escaped_body(o, s);
  o.push_back('"');
}

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

}  // namespace ploke::json_text
