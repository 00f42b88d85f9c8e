#pragma once
// Request checks the Anthropic Messages API applies before it generates anything, in one
// place for every server side of the protocol (the simulator's /v1/messages and
// /v1/messages/count_tokens, and the gateway's inbound parser): required fields
// (model, max_tokens ≥ 1 unless counting tokens, messages), ranges (temperature 0–1,
// top_p 0–1, top_k ≥ 0), the role and content-block type enums, content of the wrong type,
// role order, tool_use / tool_result pairing, tools and tool_choice. Each problem comes
// back as the API's 400 `invalid_request_error` message, which starts with the field's path
// ("messages.0.content.1.type: …").
//
// Not checked here (the callers do): JSON syntax, the anthropic-version header, unknown
// models. Only the forward declarations of nlohmann: include it from .cpp files that
// already link nlohmann, never from another header (in-tree only; not installed).
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace ploke::adapters::anthropic {

/// The API's message for the first problem of a Messages request body (`count_tokens`:
/// the count_tokens route, where max_tokens is not a field); nullopt when it passes.
std::optional<std::string> check_anthropic_request(const nlohmann::json& body, bool count_tokens);

}  // namespace ploke::adapters::anthropic
