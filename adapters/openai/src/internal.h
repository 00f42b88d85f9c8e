// Private helpers shared by the OpenAI adapter's sources (may include nlohmann).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ploke/core/status.h"
#include "ploke/core/adapter.h"
#include "ploke/core/transport.h"

namespace ploke::adapters::openai {

/// The head of a POST to `path` under the endpoint's base URL (trailing slashes dropped):
/// the bearer key when there is one, JSON content type, Accept by `stream`, the endpoint's
/// extra headers. Shared by the Chat Completions and Responses client halves.
HttpRequest openai_post_request(const Endpoint& ep, std::string_view path, bool stream);

/// The fields of an `error` value ({message,type,code,param} or a bare string).
struct ErrorFields {
  std::string message;
  std::string type;
  std::string code;                 ///< string code, or the number as text
  std::string param;
  std::string metadata_error_type;  ///< OpenRouter metadata.error_type
  std::optional<int> numeric_code;  ///< OpenRouter: error.code is the HTTP status
};

ErrorFields extract_error_fields(const nlohmann::json& error);

/// Builds the mapped Status; `fields` null when the body had no parsable error object.
Status make_error_status(int http_status, const ErrorFields* fields, std::string_view raw_body,
                         const Headers& headers, std::string_view provider);

/// kMalformedResponse "<provider> response: <what>" with the provider, HTTP status and a
/// body excerpt (what a malformed 2xx body of any OpenAI route becomes).
Status openai_malformed_body(std::string_view what, const HttpResponse& r, const Endpoint& ep);
/// A 2xx body read as a JSON object (the input limits, the parse, an object at the top);
/// a body carrying an `error` value is that error (mapped like an error response).
Result<nlohmann::json> openai_body_object(const HttpResponse& r, const Endpoint& ep);

/// True when `v` is a "truthy" JSON value (what openai-node tests for `error`).
bool truthy(const nlohmann::json& v);

// Small text helpers shared by the adapters' error mapping (header values, messages).

}  // namespace ploke::adapters::openai
