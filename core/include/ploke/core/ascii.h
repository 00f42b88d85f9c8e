// File: ploke/core/ascii.h
//
// ASCII case folding for protocol text (header names, content types, key names): the
// "C"-locale rule, byte by byte, with no locale or library call. Bytes outside 'A'..'Z'
// are kept as they are, so UTF-8 passes through unchanged.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace ploke {

/// 'A'..'Z' to 'a'..'z'; every other byte unchanged.
constexpr char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c; }

/// `s` with ascii_lower() applied to every byte.
inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

/// True when `a` and `b` are equal after ascii_lower().
constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i] && ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

}  // namespace ploke
