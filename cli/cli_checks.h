// CLI11 validators shared by the ploke-sim commands (include after <CLI/CLI.hpp>).
//
// CLI11 converts "-1" into an unsigned option by wrapping it around (strtoull), and an
// out-of-range decimal into the type's maximum; Uint64Value() rejects both, so every
// unsigned option takes exactly the decimal integers [0, 2^64-1]. A failed check exits 2
// with "--name: message".
#pragma once

#include <charconv>
#include <cstdint>
#include <string>

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

}  // namespace ploke::cli
