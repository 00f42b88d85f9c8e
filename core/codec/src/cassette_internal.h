// Internal: pieces of the cassette codec shared between codec sources.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ploke/codec/cassette_json.h"

namespace ploke::codec {

/// "src: 2 errors: a.b: msg; c: msg" (at most 20 listed), or "src: <msg>" for a syntax error.
std::string format_field_errors(std::string_view source_name, const std::vector<FieldError>& errors);

namespace internal {
/// Appends `s` as a JSON string literal (nlohmann-compatible escaping; invalid UTF-8 replaced).
void append_json_string(std::string* out, std::string_view s);
/// Appends the shortest round-trip decimal form of `d` (non-finite → 0).
void append_number(std::string* out, double d);
}  // namespace internal

}  // namespace ploke::codec
