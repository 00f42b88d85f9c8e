// Internal: base64 (RFC 4648, standard alphabet, padded).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ploke::codec::internal {

std::string base64_encode(std::string_view bytes);
/// nullopt when `text` is not valid padded base64 (whitespace is not accepted).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace ploke::codec::internal
