// Internal: pieces of the cassette codec shared between codec sources.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ploke/codec/cassette_json.h"
#include "ploke/json/escape.h"

namespace ploke::codec {

/// kInvalidRequest (Ok when `errors` is empty): `errors` rendered by ploke::FieldErrors with
/// `source_name` as the source.
Status field_errors_status(std::string_view source_name, const std::vector<FieldError>& errors);

namespace internal {
/// Appends the shortest round-trip decimal form of `d` (non-finite → 0).
void append_number(std::string* out, double d);
/// A header name as cassettes store it: ASCII lower case (cassettes/README.md).
inline std::string lower_header_name(std::string_view name) {
  std::string s(name);
  for (char& c : s) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return s;
}
/// `h` with every name in lower case (order and values kept).
inline Headers lower_header_names(const Headers& h) {
  Headers out;
  for (const auto& [k, v] : h.items()) out.add(lower_header_name(k), v);
  return out;
}
}  // namespace internal

}  // namespace ploke::codec
