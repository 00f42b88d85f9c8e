// File: ploke/json/utf8.h
//
// The one UTF-8 decoder and encoder of ploke's JSON code: the string escaper (escape.cpp),
// JsonCursor (cursor.h) and the codec's fast DOM parser all check and write UTF-8 here.
// Well-formed means RFC 3629: no overlong forms, no surrogates (ED A0..BF), nothing above
// U+10FFFF. Header-only so the readers' inner loops inline it.
//
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace ploke::json {

namespace utf8_detail {
// A lead byte: the length of the sequence it starts (0: cannot start one) and the range its
// second byte must fall in (which rules out overlongs, surrogates, > U+10FFFF). A byte that
// cannot lead has lo > hi, so the range test fails.
struct Lead {
  uint8_t len;
  uint8_t lo;
  uint8_t hi;
};

inline constexpr std::array<Lead, 256> kLeads = [] {
  std::array<Lead, 256> t{};
  for (auto& l : t) l = Lead{0, 0xFF, 0x00};
  for (int c = 0xC2; c <= 0xDF; ++c) t[c] = {2, 0x80, 0xBF};
  for (int c = 0xE1; c <= 0xEF; ++c) t[c] = {3, 0x80, 0xBF};
  t[0xE0] = {3, 0xA0, 0xBF};
  t[0xED] = {3, 0x80, 0x9F};
  for (int c = 0xF1; c <= 0xF3; ++c) t[c] = {4, 0x80, 0xBF};
  t[0xF0] = {4, 0x90, 0xBF};
  t[0xF4] = {4, 0x80, 0x8F};
  return t;
}();
}  // namespace utf8_detail

/// The sequence at p[0] (a byte >= 0x80, `left` >= 1 bytes available): its length when
/// well-formed, else minus the length of its maximal subpart (at least 1 byte).
inline int scan_utf8(const unsigned char* p, size_t left) {
  const utf8_detail::Lead l = utf8_detail::kLeads[p[0]];
  if (left < 2 || p[1] < l.lo || p[1] > l.hi) return -1;
  if (l.len == 2) return 2;
  if (left < 3 || (p[2] & 0xC0) != 0x80) return -2;
  if (l.len == 3) return 3;
  if (left < 4 || (p[3] & 0xC0) != 0x80) return -3;
  return 4;
}

/// Bytes a JSON string's reader or writer must look at: `"`, `\`, controls (< 0x20) and
/// everything >= 0x80.
inline constexpr std::array<bool, 256> kStringSpecial = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) t[c] = c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
  return t;
}();

namespace utf8_detail {
/// High bit set in every byte lane of `w` that kStringSpecial marks. Lanes above the first
/// flagged one may be false positives (borrows); the lowest flagged lane is exact.
inline uint64_t special_lanes(uint64_t w) {
  constexpr uint64_t k01 = 0x0101010101010101ULL;
  constexpr uint64_t k80 = 0x8080808080808080ULL;
  const uint64_t control = (w - k01 * 0x20) & ~w;
  const uint64_t q = w ^ (k01 * '"');
  const uint64_t b = w ^ (k01 * '\\');
  return (control | ((q - k01) & ~q) | ((b - k01) & ~b) | w) & k80;
}
}  // namespace utf8_detail

/// Index of the first byte at or after `i` that kStringSpecial marks, or `n`: the one scan
/// over plain string bytes, eight bytes per step (the escaper and JsonCursor use it).
inline size_t next_string_special(const unsigned char* p, size_t i, size_t n) {
  // Dense text (CJK, code full of escapes) has a special byte next more often than not.
  if (i < n && kStringSpecial[p[i]]) return i;
  if constexpr (std::endian::native == std::endian::little) {
    for (; i + 8 <= n; i += 8) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if (const uint64_t m = utf8_detail::special_lanes(w); m != 0) {
        return i + (static_cast<size_t>(std::countr_zero(m)) >> 3);
      }
    }
  }
  while (i < n && !kStringSpecial[p[i]]) ++i;
  return i;
}

/// Appends code point `cp` (<= U+10FFFF) as UTF-8.
inline void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    const char b[2] = {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
    out.append(b, 2);
  } else if (cp < 0x10000) {
    const char b[3] = {static_cast<char>(0xE0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
                       static_cast<char>(0x80 | (cp & 0x3F))};
    out.append(b, 3);
  } else {
    const char b[4] = {static_cast<char>(0xF0 | (cp >> 18)), static_cast<char>(0x80 | ((cp >> 12) & 0x3F)),
                       static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), static_cast<char>(0x80 | (cp & 0x3F))};
    out.append(b, 4);
  }
}

}  // namespace ploke::json
