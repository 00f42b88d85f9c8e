// File: ploke/adapters/openai/responses_adapter.h
//
// OpenAiResponsesAdapter (registry name "openai-responses"): the client half of OpenAI's
// Responses API (POST {base}/responses), for providers and models served only there.
//
// Shaping: every message becomes an input item — system, developer, user and assistant
// text as `{"role","content"}` (user images as `input_image` parts), an assistant's tool
// calls as `function_call` items, tool results as `function_call_output` items; tools as
// flat function tools; tool_choice, parallel_tool_calls, `text.format` (the response
// format), temperature, top_p, max_output_tokens, user, stream. `store: false`: the
// provider keeps nothing (the conversation goes in full each time, as with Chat
// Completions). Refused as kInvalidRequest: stop sequences, seed, penalties, logprobs, top_k
// (the API has none of them).
// Parsing: the Response's message text (output_text parts) and function_call items;
// `status: "incomplete"` → FinishReason::kLength, function calls → kToolCalls, else kStop;
// usage input / output / cached / reasoning tokens; a `failed` Response → its error.
// Stream decoding: response.created → kStart; output_text.delta → kTextDelta; a
// function_call output item → kToolCallDelta with its call id and name, its argument
// deltas → fragments (tool index = output index); response.completed / response.incomplete →
// kUsage, kFinish and the end; `error` and response.failed → the mapped Status. Events are
// picked by their `event:` name, so those not used are not parsed.
// Errors, rate-limit headers and the request id header are OpenAI's (errors.h).
//
// Thread-safety: immutable after construction; share freely. Decoders are per stream.
#pragma once

#include <span>
#include <string_view>

#include "ploke/core/adapter.h"

namespace ploke::adapters::openai {

class OpenAiResponsesAdapter final : public ProviderAdapter {
 public:
  std::string_view name() const override { return "openai-responses"; }
  Result<HttpRequest> build_request(const ChatRequest& request, const Endpoint& endpoint) const override;
  Result<ChatResponse> parse_response(const HttpResponse& response, const Endpoint& endpoint) const override;
  Status map_error(const HttpResponse& response, const Endpoint& endpoint) const override;
  std::unique_ptr<StreamDecoder> new_stream_decoder(const Endpoint& endpoint) const override;
  RateLimitObservation observe_rate_limits(const Headers& headers, SystemTime system_now) const override;
  std::span<const std::string_view> request_id_headers() const override;
};

ProviderAdapterPtr make_openai_responses_adapter();

}  // namespace ploke::adapters::openai
