// Private to the adapters (common part and protocol packages): small readers for header
// values and JSON fields that every protocol's error mapping uses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "ploke/core/clock.h"

namespace ploke::detail {

std::string_view trim(std::string_view s);                      ///< spaces and tabs
std::optional<uint64_t> parse_u64(std::string_view s);         ///< whole (trimmed) string
std::optional<double> parse_double(std::string_view s);        ///< whole (trimmed) string, finite
std::optional<SystemTime> parse_http_date(std::string_view s); ///< IMF-fixdate
bool icontains(std::string_view hay, std::string_view needle);  ///< ASCII case-insensitive
std::string json_text(const nlohmann::json& v);                 ///< string as is, null → "", else dumped

}  // namespace ploke::detail
