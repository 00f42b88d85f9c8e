// File: ploke/adapters/openai/responses_served.h
//
// The Responses API's request reader for a server that makes up its own answers (the
// simulator): read_served_responses_request() validates a create body as the API does and
// gives what the Chat Completions planner reads (a ServedChatRequest) plus the Responses-only
// values; the errors for the store checks the caller makes. Takes an nlohmann DOM: in-tree
// only, not installed (only the forward declarations here; include it from .cpp files that
// link nlohmann).
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/adapters/openai/responses.h"
#include "ploke/adapters/openai/served_request.h"

namespace ploke::adapters::openai {

/// What a generator reads from a validated create request.
struct ServedResponsesRequest {
  /// model, stream, max_tokens (= max_output_tokens), prompt_chars (input and instructions
  /// text, function-call arguments and outputs), last_message_is_tool (the last input item
  /// is a function_call_output), tools (function tools; other tool types as `custom`: offered,
  /// never called), tool_choice, forced function, parallel_tool_calls, response_schema
  /// (`text.format` json_schema / json_object).
  ServedChatRequest chat;
  std::optional<std::string> previous_response_id;
  bool store = true;
  std::vector<std::string> call_ids;    ///< `call_id` of every function_call input item
  std::vector<std::string> output_ids;  ///< `call_id` of every function_call_output input item
  std::optional<std::string> reasoning_effort;   ///< `reasoning.effort` when given
  std::optional<std::string> reasoning_summary;  ///< `reasoning.summary` when given
  bool encrypted_reasoning = false;              ///< `include` has "reasoning.encrypted_content"
  ResponseEcho echo;
};

/// The API's 400 for a malformed create body (null `body`: not JSON), else nullopt with
/// `out` filled. Whether the model exists, and `previous_response_id` and the call ids
/// against stored responses, are the caller's business (the errors below word them).
std::optional<WireError> read_served_responses_request(const nlohmann::json* body, ServedResponsesRequest& out);

/// 400 unsupported_parameter: `reasoning.effort` for a model that does not reason.
WireError reasoning_unsupported();
/// 400 previous_response_not_found: "Previous response with id '…' not found."
WireError previous_response_not_found(std::string_view id);
/// 400: a function_call_output whose call_id no function call in the context made.
WireError unknown_call_output(std::string_view call_id);
/// 400: a function call of the previous response that the input does not answer.
WireError unanswered_call(std::string_view call_id);
/// 404 for `GET /v1/responses/{id}` of an id the server does not hold.
WireError response_not_found(std::string_view id);

}  // namespace ploke::adapters::openai
