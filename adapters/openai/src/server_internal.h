// Internal to the inbound OpenAI codec: the request fast path shared by inbound_openai.cpp.
#pragma once

#include <string_view>

#include "ploke/adapters/openai/server.h"

namespace ploke::adapters::openai::fast {

// One pass over the body with JsonCursor for the shapes clients send every time. Returns
// false on anything unusual (the DOM path then parses the body again and names the problem),
// including a member of `ext` (may be null) that is not null.
bool fast_parse_openai(std::string_view body, const RequestExtension* ext, InboundRequest& in);

}  // namespace ploke::adapters::openai::fast
