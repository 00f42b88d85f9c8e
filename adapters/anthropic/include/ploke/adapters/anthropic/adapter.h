// File: ploke/adapters/anthropic/adapter.h
//
// AnthropicAdapter: the client half of the Anthropic Messages wire protocol (POST
// {base}/v1/messages) — request shaping, non-stream parsing, error mapping (see
// ploke/adapters/anthropic/errors.h) and a decoder for the SSE event sequence. Registry
// name "anthropic". The server half is ploke/adapters/anthropic/server.h.
//
// Endpoint::base_url may be given with or without the version segment:
// "https://api.anthropic.com" (what the SDKs use) → path "/v1/messages";
// "https://api.anthropic.com/v1" → path "/messages". Either way the request goes to
// …/v1/messages.
//
// Shaping choices:
//   * Headers: `x-api-key` (only when the endpoint has a key), `anthropic-version`
//     (Options::version, default 2023-06-01), content-type, accept. Endpoint::extra_headers
//     override them (e.g. `anthropic-beta`).
//   * System and developer messages are hoisted, in order, into the top-level `system`
//     (a string for one, an array of text blocks for several).
//   * Tool results (Role::kTool) become `tool_result` blocks in a user turn; consecutive
//     turns of the same role are merged into one (the API needs user/assistant to
//     alternate, and all results of a tool_use turn in the next user turn).
//   * Assistant tool calls become `tool_use` blocks whose `input` is the call's argument
//     JSON (it must be a JSON object; empty → {}; anything else → kInvalidRequest naming
//     `messages[i].tool_calls[j].arguments`).
//   * Images: data: URLs → base64 `source`; http(s) URLs → `{"type":"url"}` source.
//     Empty text parts are dropped (the API rejects empty text blocks).
//   * `max_tokens` is required by the API: max_output_tokens, else
//     Options::default_max_tokens (4096).
//   * Tools → {name, description, input_schema} (empty parameters → {"type":"object"}).
//     tool_choice auto/required/function/none → {"type":"auto"|"any"|"tool"|"none"};
//     parallel_tool_calls:false → `disable_parallel_tool_use: true`.
//   * stop → `stop_sequences`, user → `metadata.user_id`, top_k is sent. frequency/
//     presence penalties and seed have no Anthropic field and are not sent. A JSON
//     response_format (object or schema) cannot be expressed → kInvalidRequest.
// Parsing: text blocks are concatenated into content, tool_use blocks become tool calls
// (arguments = input as JSON text), other blocks (thinking, …) are skipped. stop_reason:
// end_turn/stop_sequence → kStop, max_tokens/model_context_window_exceeded → kLength,
// tool_use → kToolCalls, refusal → kContentFilter, others → kOther. Usage: prompt_tokens =
// input_tokens + cache_read_input_tokens + cache_creation_input_tokens (the whole prompt,
// as OpenAI counts it), cached_prompt_tokens = cache reads, cache_write_tokens = cache
// creation, completion_tokens = output_tokens. request_id from the `request-id` header.
// Malformed bodies become kMalformedResponse naming the byte offset or field path.
// Stream decoding: kStart (message_start: id, model), kTextDelta (text_delta),
// kToolCallDelta (content_block_start tool_use: id + name; input_json_delta: fragments;
// tool_index counts tool_use blocks from 0), kFinish once (message_delta stop_reason),
// kUsage after each message_delta (input and cache counts from message_start merged with
// the cumulative output_tokens). ping and unknown events are ignored; `message_stop`
// terminates; an `error` event returns the mapped Status (overloaded_error → kOverloaded,
// …). A body that ends without message_stop makes finish() return kConnectionReset.
//
// Thread-safety: immutable after construction; share freely. Decoders are per stream.
//
// Example:
//   auto adapter = make_anthropic_adapter();
//   Endpoint ep{"anthropic", "https://api.anthropic.com", Secret(key), {}};
//   Result<HttpRequest> http = adapter->build_request(request, ep);
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "ploke/core/adapter.h"

namespace ploke::adapters::anthropic {

/// Request body members a cassette matcher ignores (`metadata.user_id` and the like).
inline constexpr std::string_view kCassetteIgnoreFields[] = {"metadata"};

class AnthropicAdapter final : public ProviderAdapter {
 public:
  struct Options {
    std::string name = "anthropic";      ///< registry name reported by name()
    std::string version = "2023-06-01";  ///< the anthropic-version header
    uint32_t default_max_tokens = 4096;  ///< max_tokens when the request sets none
  };

  AnthropicAdapter() = default;
  explicit AnthropicAdapter(Options options) : options_(std::move(options)) {}

  // ProviderAdapter
  std::string_view name() const override { return options_.name; }
  Result<HttpRequest> build_request(const ChatRequest& request, const Endpoint& endpoint) const override;
  Result<ChatResponse> parse_response(const HttpResponse& response, const Endpoint& endpoint) const override;
  Status map_error(const HttpResponse& response, const Endpoint& endpoint) const override;
  std::unique_ptr<StreamDecoder> new_stream_decoder(const Endpoint& endpoint) const override;
  RateLimitObservation observe_rate_limits(const Headers& headers, SystemTime system_now) const override;
  /// {"request-id"}.
  std::span<const std::string_view> request_id_headers() const override;

 private:
  Options options_;
};

/// The "anthropic" adapter.
ProviderAdapterPtr make_anthropic_adapter();

}  // namespace ploke::adapters::anthropic
