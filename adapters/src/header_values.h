// Private to the adapters (common part and protocol packages): small readers for header
// values and JSON fields that every protocol's error mapping uses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "ploke/core/clock.h"

namespace ploke::adapters::detail {

std::string_view trim(std::string_view s);                      ///< spaces and tabs
std::optional<uint64_t> parse_u64(std::string_view s);         ///< whole (trimmed) string
std::optional<double> parse_double(std::string_view s);        ///< whole (trimmed) string, finite
std::optional<SystemTime> parse_http_date(std::string_view s); ///< IMF-fixdate
bool icontains(std::string_view hay, std::string_view needle);  ///< ASCII case-insensitive
std::string json_text(const nlohmann::json& v);                 ///< string as is, null → "", else dumped

/// The start of every protocol's reading of an error object: a string `error` is the
/// message, any other non-object its JSON text; an object's `message` and `type` are read
/// with json_text(). True when `error` is an object (the caller reads its own fields next).
bool read_error_message_and_type(const nlohmann::json& error, std::string& message, std::string& type);

}  // namespace ploke::adapters::detail
