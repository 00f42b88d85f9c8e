// File: simulator/src/light_scanner.h (internal)
//
// LightScanner: a strict single-pass reader for the plain subset of JSON that the
// engine's DOM-free fast paths accept (scan_chat_light() in openai_wire.cpp,
// anthropic::scan_message_light() in anthropic_wire.cpp). Strings must be printable ASCII
// without escapes; every method returns false on anything outside the subset (including
// what would be valid JSON), and the caller then falls back to the nlohmann DOM path,
// which produces the exact errors.
//
// Thread-safety: a plain value over the caller's bytes.
#pragma once

#include <cstdint>
#include <string_view>

namespace ploke::sim::detail {

struct LightScanner {
  const char* p;
  const char* end;

  void ws() {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) ++p;
  }
  bool lit(char c) {
    ws();
    if (p < end && *p == c) { ++p; return true; }
    return false;
  }
  bool peek(char c) {
    ws();
    return p < end && *p == c;
  }
  // A string of printable ASCII without escapes.
  bool str(std::string_view& out) {
    if (!lit('"')) return false;
    const char* s = p;
    while (p < end) {
      const auto c = static_cast<unsigned char>(*p);
      if (c == '"') { out = std::string_view(s, static_cast<size_t>(p - s)); ++p; return true; }
      if (c == '\\' || c < 0x20 || c >= 0x80) return false;
      ++p;
    }
    return false;
  }
  bool word(std::string_view w) {
    ws();
    if (static_cast<size_t>(end - p) < w.size() || std::string_view(p, w.size()) != w) return false;
    p += w.size();
    return true;
  }
  // A JSON number; `is_int` when it has no fraction or exponent, then `v` holds it (≤ 18 digits).
  bool number(bool& is_int, int64_t& v) {
    ws();
    const char* s = p;
    bool neg = false;
    if (p < end && *p == '-') { neg = true; ++p; }
    if (p >= end || *p < '0' || *p > '9') return false;
    if (*p == '0') ++p;
    else while (p < end && *p >= '0' && *p <= '9') ++p;
    const char* int_end = p;
    is_int = true;
    if (p < end && *p == '.') {
      is_int = false;
      ++p;
      if (p >= end || *p < '0' || *p > '9') return false;
      while (p < end && *p >= '0' && *p <= '9') ++p;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
      is_int = false;
      ++p;
      if (p < end && (*p == '+' || *p == '-')) ++p;
      if (p >= end || *p < '0' || *p > '9') return false;
      while (p < end && *p >= '0' && *p <= '9') ++p;
    }
    if (is_int) {
      const char* d = s + (neg ? 1 : 0);
      if (int_end - d > 18) return false;
      v = 0;
      for (; d < int_end; ++d) v = v * 10 + (*d - '0');
      if (neg) v = -v;
    }
    return true;
  }
  // Any value of the subset, skipped.
  bool skip(int depth = 0) {
    if (depth > 64) return false;
    ws();
    if (p >= end) return false;
    std::string_view sv;
    switch (*p) {
      case '"': return str(sv);
      case 't': return word("true");
      case 'f': return word("false");
      case 'n': return word("null");
      case '[':
        ++p;
        if (lit(']')) return true;
        do { if (!skip(depth + 1)) return false; } while (lit(','));
        return lit(']');
      case '{':
        ++p;
        if (lit('}')) return true;
        do {
          if (!str(sv) || !lit(':') || !skip(depth + 1)) return false;
        } while (lit(','));
        return lit('}');
      default: {
        bool is_int = false;
        int64_t v = 0;
        return number(is_int, v);
      }
    }
  }
};


}  // namespace ploke::sim::detail
