#pragma once
// Request checks the OpenAI Chat Completions API applies before it generates anything, in
// one place for every server side of the protocol (the simulator's /v1/chat/completions and
// the gateway's inbound parser): ranges (temperature 0–2, top_p 0–1, n ≥ 1, max_tokens /
// max_completion_tokens ≥ 1, top_logprobs 0–20), the role and content-part type enums, content of the wrong
// type, tool messages without tool_call_id, `tools` (an array; each a function tool with
// `function.name` and `function.parameters` an object, or a custom tool with `custom.name`;
// a name is 1 to 64 of [a-zA-Z0-9_-]). Each problem comes back as OpenAI words it:
// the 400 `invalid_request_error` message, its `param` path and its `code`.
//
// Not checked here (the callers do): JSON syntax, missing model/messages, tool/tool_call
// pairing, tool_choice, unknown models.
#include <optional>
#include <string>
#include <string_view>

namespace ploke::adapters::openai {

struct RequestProblem {
  std::string message;
  std::string param;  ///< "" = null
  std::string code;   ///< "" = null
};

/// Checks a Chat Completions request body. A body that is not a JSON object passes (the
/// caller's parser reports it).
std::optional<RequestProblem> check_openai_chat_request(std::string_view body);

}  // namespace ploke::adapters::openai
