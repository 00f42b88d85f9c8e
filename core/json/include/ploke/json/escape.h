// File: ploke/json/escape.h
//
// The one JSON string writer of ploke-sim: every hand-written JSON text in the tree (the
// adapters' JsonWriter, the cassette writer, request traces, the simulator's wire renderer,
// the HTTP server's error bodies, the CLI's reports) escapes strings through here, so they
// all produce valid JSON under one rule:
//   * `"` and `\` are escaped; bytes below 0x20 become \b \f \n \r \t or \u00xx (lower-case
//     hex); DEL and valid UTF-8 pass through unchanged.
//   * Invalid UTF-8 is replaced, never passed through: each maximal subpart of an ill-formed
//     sequence becomes one U+FFFD, written as its UTF-8 bytes EF BF BD (the Unicode
//     "substitution of maximal subparts" practice, as the WHATWG decoder, Rust's
//     from_utf8_lossy and nlohmann's error_handler_t::replace do). A maximal subpart is
//     the longest prefix of a well-formed sequence (so a truncated "\xE2\x82" is one U+FFFD);
//     a byte that cannot start one (C0, C1, F5..FF, a stray continuation) is one U+FFFD by
//     itself. Overlong forms, surrogates (ED A0..BF) and code points above U+10FFFF are
//     ill-formed.
// The output is byte-identical to nlohmann::json(s).dump(-1, ' ', false,
// nlohmann::json::error_handler_t::replace) for every input (json_test checks it).
//
// Speed: eight bytes are scanned per step (a word test for ", \, < 0x20 and >= 0x80) and
// runs of plain bytes are appended in one go; bench/json (BM_Escape*) measures it.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ploke::json {

/// Appends the escaped contents of `s` (no quotes) to `out`.
void append_escaped(std::string& out, std::string_view s);

/// Appends `s` as a quoted JSON string to `out`.
void append_quoted(std::string& out, std::string_view s);

/// `s` as a quoted JSON string.
std::string quote(std::string_view s);

/// Length of the well-formed UTF-8 sequence starting at s[i] (s[i] >= 0x80), or 0 when it
/// is ill-formed (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
size_t utf8_sequence(std::string_view s, size_t i);

/// True when `s` is well-formed UTF-8.
bool is_valid_utf8(std::string_view s);

}  // namespace ploke::json
