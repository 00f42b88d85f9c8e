// CLI11 validators and argument checks shared by the ploke-sim commands (include after
// <CLI/CLI.hpp>).
//
// CLI11 converts "-1" into an unsigned option by wrapping it around (strtoull), and an
// out-of-range decimal into the type's maximum; Uint64Value() rejects both, so every
// unsigned option takes exactly the decimal integers [0, 2^64-1]. A failed check exits 2
// with "--name: message".
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace ploke::cli {

inline CLI::Validator Uint64Value() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        uint64_t v = 0;
        const char* end = s.data() + s.size();
        auto [p, ec] = std::from_chars(s.data(), end, v);
        if (s.empty() || ec != std::errc() || p != end) {
          return "expected an integer in [0, 18446744073709551615], got '" + s + "'";
        }
        return {};
      },
      "UINT64");
}

/// True for an http:// or https:// URL (a provider's base URL).
inline bool is_http_url(std::string_view u) { return u.starts_with("http://") || u.starts_with("https://"); }

}  // namespace ploke::cli
