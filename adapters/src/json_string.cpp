// See ploke/adapters/json_string.h.
#include "ploke/adapters/json_string.h"

#include "json_writer.h"

namespace ploke::adapters {

void append_json_string(std::string& out, std::string_view s) { json_text::append_string(out, s); }

}  // namespace ploke::adapters
