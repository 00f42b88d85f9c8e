// File: ploke/json/cursor.h
//
// JsonCursor: the one single-pass pull reader over JSON text, for the fast paths that
// benchmarks show pay (the protocol packages' request, response and stream parsing, and
// the request summaries the simulator reads). Allocation-free except where a caller asks
// for a decoded string. It validates as it goes (grammar, string escapes, UTF-8 through
// utf8.h) and applies the same limits as check_json_limits(): values nested deeper than
// kMaxDepth and numbers a double cannot hold (number_overflows()) are refused. It reports
// no details: on any surprise it fails, and the caller falls back to its DOM path, which
// runs check_json_limits() and names the problem.
//
// Thread-safety: a plain value over the caller's bytes (which must outlive it).
#pragma once

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ploke/json/limits.h"
#include "ploke/json/utf8.h"

namespace ploke::json {

class JsonCursor {
 public:
  /// skip_value() fails on a value whose arrays and objects nest deeper than this many
  /// levels (the caller's DOM path, with check_json_limits()' 256, then decides).
  static constexpr int kMaxDepth = 64;

  explicit JsonCursor(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

  bool failed() const { return failed_; }
  /// The next unread byte (after peek(): the start of the next value).
  const char* position() const { return p_; }
  bool fail() { failed_ = true; return false; }
  void ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool at_end() { ws(); return p_ == end_; }
  char peek() { ws(); return p_ < end_ ? *p_ : '\0'; }
  bool consume(char c) {
    if (peek() != c) return fail();
    ++p_;
    return true;
  }
  bool consume_null() {
    if (peek() == 'n' && end_ - p_ >= 4 && std::string_view(p_, 4) == "null") { p_ += 4; return true; }
    return false;
  }

  /// Object iteration: `bool first = true; while (c.next_member(first, key)) {...}`.
  /// Keys with escapes or non-ASCII bytes are not supported (fail) — no wire key we read
  /// has them.
  bool next_member(bool& first, std::string_view& key) {
    if (failed_) return false;
    if (first) {
      if (!consume('{')) return false;
      if (peek() == '}') { ++p_; return false; }
      first = false;
    } else {
      const char c = peek();
      if (c == '}') { ++p_; return false; }
      if (c != ',') return fail();
      ++p_;
    }
    if (peek() != '"') return fail();
    ++p_;
    const char* k = p_;
    // ASCII keys only; anything else makes the caller take the full path.
    skip_plain();
    if (p_ >= end_ || *p_ != '"') return fail();
    key = std::string_view(k, static_cast<size_t>(p_ - k));
    ++p_;
    return consume(':');
  }
  /// Array iteration: `bool first = true; while (c.next_element(first)) {...}`.
  bool next_element(bool& first) {
    if (failed_) return false;
    if (first) {
      if (!consume('[')) return false;
      if (peek() == ']') { ++p_; return false; }
      first = false;
      return true;
    }
    const char c = peek();
    if (c == ']') { ++p_; return false; }
    if (c != ',') return fail();
    ++p_;
    return true;
  }

  /// Reads a string value, unescaping into `out` (replaced).
  bool read_string(std::string& out) {
    out.clear();
    if (peek() != '"') return fail();
    ++p_;
    while (true) {
      const char* run = p_;
      skip_plain();
      out.append(run, static_cast<size_t>(p_ - run));
      if (p_ >= end_) return fail();
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') { ++p_; return true; }
      if (c < 0x20) return fail();
      if (c >= 0x80) {
        const char* s = p_;
        if (!skip_utf8()) return fail();
        out.append(s, static_cast<size_t>(p_ - s));
        continue;
      }
      if (!unescape(out)) return fail();
    }
  }
  /// Validates a string value and gives its decoded length in bytes, without copying it.
  bool read_string_size(uint64_t& bytes) {
    if (peek() != '"') return fail();
    return skip_string(&bytes);
  }
  /// String or null (null → empty).
  bool read_string_or_null(std::string& out) {
    if (consume_null()) { out.clear(); return true; }
    return read_string(out);
  }
  /// A non-negative integer written without fraction/exponent.
  bool read_u64(uint64_t& v) {
    ws();
    const char* s = p_;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    if (p_ == s || (p_ - s > 1 && *s == '0')) return fail();
    if (p_ < end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return fail();
    auto [ptr, ec] = std::from_chars(s, p_, v);
    if (ec != std::errc() || ptr != p_) return fail();
    return true;
  }
  bool read_double(double& v) {
    ws();
    const char* s = p_;
    if (!skip_number()) return false;
    auto [ptr, ec] = std::from_chars(s, p_, v);
    if (ec == std::errc::result_out_of_range && ptr == p_) {
      // Underflow (skip_number refused overflow): 0 or the nearest subnormal, as strtod
      // and the DOM reader give.
      v = std::strtod(std::string(s, p_).c_str(), nullptr);
      return true;
    }
    if (ec != std::errc() || ptr != p_) return fail();
    return true;
  }
  /// An integer written without fraction or exponent that fits int64 (`2.0` and `1e3`
  /// fail: callers with a DOM fallback let the DOM decide those).
  bool read_integer(int64_t& v) {
    ws();
    const char* s = p_;
    if (!skip_number()) return false;
    for (const char* q = s; q != p_; ++q) {
      if (*q == '.' || *q == 'e' || *q == 'E') return fail();
    }
    auto [ptr, ec] = std::from_chars(s, p_, v);
    if (ec != std::errc() || ptr != p_) return fail();
    return true;
  }
  /// Records bit `bit` (0..63) in `seen`; fails when it was already set (a repeated key).
  bool once(uint64_t& seen, int bit) {
    const uint64_t mask = uint64_t{1} << bit;
    if ((seen & mask) != 0) return fail();
    seen |= mask;
    return true;
  }
  /// Any number; `text` is its JSON text (validated, not converted).
  bool read_number_text(std::string_view& text) {
    ws();
    const char* s = p_;
    if (!skip_number()) return false;
    text = std::string_view(s, static_cast<size_t>(p_ - s));
    return true;
  }
  bool read_bool(bool& v) {
    const char c = peek();
    if (c == 't') { v = true; return literal("true"); }
    if (c == 'f') { v = false; return literal("false"); }
    return fail();
  }
  /// Skips (and validates) any value.
  bool skip_value(int depth = 0) {
    const char c = peek();
    if ((c == '{' || c == '[') && depth >= kMaxDepth) return fail();  // this container is level depth + 1
    switch (c) {
      case '{': {
        bool first = true;
        std::string_view key;
        while (next_member(first, key)) {
          if (!skip_value(depth + 1)) return false;
        }
        return !failed_;
      }
      case '[': {
        bool first = true;
        while (next_element(first)) {
          if (!skip_value(depth + 1)) return false;
        }
        return !failed_;
      }
      case '"': return skip_string();
      case 't': return literal("true");
      case 'f': return literal("false");
      case 'n': return literal("null");
      default: return skip_number();
    }
  }
  char next_kind() { return peek(); }

 private:
  bool literal(std::string_view lit) {
    if (end_ - p_ < static_cast<ptrdiff_t>(lit.size()) || std::string_view(p_, lit.size()) != lit) return fail();
    p_ += lit.size();
    return true;
  }
  bool skip_number() {
    ws();
    const char* s = p_;
    if (p_ < end_ && *p_ == '-') ++p_;
    const char* d = p_;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    if (p_ == d || (p_ - d > 1 && *d == '0')) return fail();
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      const char* f = p_;
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
      if (p_ == f) return fail();
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      const char* e = p_;
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
      if (p_ == e) return fail();
    }
    // The same rule as check_json_limits: a number a double cannot hold is refused, so
    // this fast path and the DOM path agree.
    if (number_overflows(std::string_view(s, static_cast<size_t>(p_ - s)))) return fail();
    return p_ > s;
  }
  // p_ at the opening quote (checked by the caller). `bytes` (optional) gets the decoded
  // length.
  bool skip_string(uint64_t* bytes = nullptr) {
    const char* start = ++p_;
    uint64_t escaped_delta = 0;  // raw minus decoded bytes of the escapes
    while (true) {
      skip_plain();
      if (p_ >= end_) return fail();
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        if (bytes) *bytes = static_cast<uint64_t>(p_ - start) - escaped_delta;
        ++p_;
        return true;
      }
      if (c < 0x20) return fail();
      if (c >= 0x80) {
        if (!skip_utf8()) return fail();
        continue;
      }
      std::string sink;  // a backslash: at most 4 decoded bytes, no allocation
      const char* e = p_;
      if (!unescape(sink)) return fail();
      escaped_delta += static_cast<uint64_t>(p_ - e) - sink.size();
    }
  }
  // Steps over plain string bytes (none of ", \, controls, >= 0x80): eight per step.
  void skip_plain() {
    p_ += next_string_special(reinterpret_cast<const unsigned char*>(p_), 0, static_cast<size_t>(end_ - p_));
  }
  // Validates one UTF-8 multi-byte sequence at p_ (ploke/json/utf8.h) and steps over it.
  bool skip_utf8() {
    const int n = scan_utf8(reinterpret_cast<const unsigned char*>(p_), static_cast<size_t>(end_ - p_));
    if (n < 0) return false;
    p_ += n;
    return true;
  }
  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  bool read_hex4(uint32_t& v) {
    if (end_ - p_ < 4) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = hex(p_[i]);
      if (h < 0) return false;
      v = (v << 4) | static_cast<uint32_t>(h);
    }
    p_ += 4;
    return true;
  }
  // p_ at a backslash.
  bool unescape(std::string& out) {
    ++p_;
    if (p_ >= end_) return false;
    const char e = *p_++;
    switch (e) {
      case '"': out.push_back('"'); return true;
      case '\\': out.push_back('\\'); return true;
      case '/': out.push_back('/'); return true;
      case 'b': out.push_back('\b'); return true;
      case 'f': out.push_back('\f'); return true;
      case 'n': out.push_back('\n'); return true;
      case 'r': out.push_back('\r'); return true;
      case 't': out.push_back('\t'); return true;
      case 'u': break;
      default: return false;
    }
    uint32_t cp = 0;
    if (!read_hex4(cp)) return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // lone low surrogate
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      uint32_t lo = 0;
      if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
      p_ += 2;
      if (!read_hex4(lo) || lo < 0xDC00 || lo > 0xDFFF) return false;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    append_utf8(out, cp);
    return true;
  }

  const char* p_;
  const char* end_;
  bool failed_ = false;
};

}  // namespace ploke::json
