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
#include <cstdio>
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

/// Keeps `old_name` (a renamed flag, e.g. "--pattern") working as a hidden spelling of
/// `current` ("--redact-pattern", cli/README.md "Flag names"): each value given under the old
/// name goes to `current` as if given under the new one, with a one-line warning on stderr.
/// Hidden (CLI11 group ""): not in --help, the completions or the man pages.
inline CLI::Option* deprecated_alias(CLI::App& app, CLI::Option* current, const std::string& old_name) {
  const std::string now = current->get_name();
  CLI::Option* old = app.add_option(
      old_name,
      [current, old_name, now](const CLI::results_t& values) {
        std::fprintf(stderr, "ploke-sim: warning: %s is deprecated, use %s\n", old_name.c_str(), now.c_str());
        for (const std::string& v : values) current->add_result(v);
        return true;
      },
      "Deprecated spelling of " + now);
  old->type_size(1)->expected(1)->trigger_on_parse()->group("");
  return old;
}

/// True for an http:// or https:// URL (a provider's base URL).
inline bool is_http_url(std::string_view u) { return u.starts_with("http://") || u.starts_with("https://"); }

}  // namespace ploke::cli
