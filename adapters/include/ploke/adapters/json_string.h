// File: ploke/adapters/json_string.h
//
// The adapters' one JSON string writer, for code outside the adapters that renders JSON
// text by hand (the simulator): `s` as a JSON string literal with its quotes, escaped as
// nlohmann's dump() does, invalid UTF-8 replaced by U+FFFD, so the output is always valid
// JSON. The same function the protocol packages write their bodies with.
//
// Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>

namespace ploke::adapters {

void append_json_string(std::string& out, std::string_view s);

}  // namespace ploke::adapters
