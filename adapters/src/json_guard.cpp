// check_json_input(): see json_guard.h.
#include "json_guard.h"

#include "ploke/json/limits.h"

namespace ploke::adapters::detail {

Status check_json_input(std::string_view text) { return json::check_json_limits(text); }

}  // namespace ploke::adapters::detail
