// Internal to the OpenAI server half: the request fast path shared by the inbound parser,
// and the served request's validation (server_validate.cpp) used by its reader.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "ploke/adapters/openai/render.h"

#include "ploke/adapters/openai/server.h"

namespace ploke::adapters::openai::fast {

// One pass over the body with JsonCursor for the shapes clients send every time. Returns
// false on anything unusual (the DOM path then parses the body again and names the problem),
// including a member of `ext` (may be null) that is not null.
bool fast_parse_openai(std::string_view body, const RequestExtension* ext, InboundRequest& in);

}  // namespace ploke::adapters::openai::fast

namespace ploke::adapters::openai {

// The API's 400 for the first problem of a Chat Completions body (null: not JSON), else
// nullopt. Everything read_served_chat_request() checks.
std::optional<WireError> validate_served_chat_request(const nlohmann::json* body);

// The checks every POST route of the API starts with: a JSON object body ("We could not
// parse the JSON body…"), then a non-empty string `model` ("you must provide a model
// parameter"), each the API's 400.
std::optional<WireError> check_body_and_model(const nlohmann::json* body);

// True when `obj` has `key` set to true (absent, null or another type: false).
bool json_flag(const nlohmann::json& obj, const char* key);

// A 400 invalid_request_error with the API's message, param and code.
WireError invalid_request(std::string message, std::optional<std::string> param = std::nullopt,
                          std::optional<std::string> code = std::nullopt);
// The API's 400 for a body that is not a JSON object (every route's words).
WireError unparsable_body();

// The error render_openai_error() writes for `st` (status, OpenAI's client wording, type,
// param, code), for the protocols' in-stream error events.
WireError openai_wire_error(const Status& st);

}  // namespace ploke::adapters::openai
