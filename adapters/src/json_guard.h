// File: adapters/src/json_guard.h (private to ploke::adapters)
//
// check_json_input(): ploke::json::check_json_limits (depth and number range, with byte
// offset and field path) for the adapters' sources, which name nlohmann's type `json` inside
// namespace ploke and so cannot include ploke/json/limits.h themselves.
#pragma once

#include <string_view>

#include "ploke/core/status.h"

namespace ploke::adapters::detail {

Status check_json_input(std::string_view text);

}  // namespace ploke::adapters::detail
