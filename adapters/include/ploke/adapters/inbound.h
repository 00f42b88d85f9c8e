// File: ploke/adapters/inbound.h
//
// The server side of the wire formats the client-side adapters speak. A gateway
// (cli/gateway/) parses what an OpenAI / Anthropic / OpenRouter client sends into the
// normalized ChatRequest, runs it through the core, and renders the answer (or the error)
// back in the protocol the client spoke, so the client's own SDK sees what it would see from
// the real provider. This header holds the protocol-neutral types every server half shares
// (InboundRequest, RoutingHints, Reply) and the server halves not yet in a package:
//
//   parse_anthropic_messages_request()  POST /v1/messages body   → InboundRequest
//   render_anthropic_message()          ChatResponse → JSON
//   AnthropicSseWriter                  StreamEvents → message_start … message_stop
//   render_anthropic_error()            Status → HTTP status, headers, body
//
// OpenAI's server half (parse_openai_chat_request(), render_openai_chat_completion(),
// OpenAiSseWriter, render_openai_error()) is ploke/adapters/openai/server.h, OpenRouter's
// ploke/adapters/openrouter/server.h.
//
// Requests: unknown top-level fields are ignored (clients send many optional ones); a
// field of the wrong type or a value the core cannot carry is kInvalidRequest naming the
// field path ("messages[2].content[0].type: unsupported part type 'input_audio'"), which
// render_*_error() turns into the protocol's 400.
//
// Routing wishes a dialect's request extensions express (provider order / only / ignore,
// fallbacks, fallback models: e.g. OpenRouter's, read by ploke/adapters/openrouter/server.h)
// land in RoutingHints, protocol-neutral, so the gateway can apply them to its own
// endpoints; the dialect's package also keeps them as request tags for an upstream of its
// own protocol. ploke's own per-request overrides may come in the body as
// `"ploke": {"provider": "...", "policy": "...", "deadline_ms": N, "priority": "high"}`
// (the gateway also reads x-ploke-* headers).
//
// Error mapping (Status → protocol), chosen so the SDKs classify as for the real API:
//   code                      OpenAI status/type                 Anthropic status/type
//   rate_limited              429 rate_limit_exceeded (+retry-after, retry-after-ms)
//                                                                429 rate_limit_error
//   overloaded                503 server_error (+retry-after)    529 overloaded_error
//   server_error              upstream 5xx or 502 server_error   500 api_error (502/503 kept)
//   timeout                   504 timeout                        504 timeout_error
//   connection_reset, malformed_response, stream_interrupted
//                             502 server_error                   502 api_error
//   auth                      401 invalid_api_key                401 authentication_error
//   permission                403 permission_denied              403 permission_error
//   not_found                 404 model_not_found                404 not_found_error
//   invalid_request           400 invalid_request_error (param = field path)
//                                                                400 invalid_request_error
//   context_length_exceeded   400 context_length_exceeded        400 invalid_request_error
//   content_filter            400 content_filter                 400 invalid_request_error
//   insufficient_credits      429 insufficient_quota (x-should-retry: false)
//                                                                402 billing_error
//   cancelled                 499 cancelled                      499 cancelled
//   internal                  500 server_error                   500 api_error
// Messages are the Status message (already redacted); never a secret.
//
// Thread-safety: functions are pure; a writer object belongs to one stream.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ploke/core/chat.h"
#include "ploke/core/status.h"

namespace ploke::inbound {

/// Routing wishes a client expressed in the body (a dialect's extensions, ploke's own).
struct RoutingHints {
  /// Provider preferences: tried first, in this order; only these; never these; whether
  /// providers beyond them may serve (unset: yes).
  std::vector<std::string> provider_order, provider_only, provider_ignore;
  std::optional<bool> allow_fallbacks;
  std::vector<std::string> fallback_models;  ///< tried after the request's model, in order
  std::string pin;                   ///< ploke.provider: endpoint id, provider or provider/model
  std::string policy;                ///< ploke.policy
  std::optional<int64_t> deadline_ms;  ///< ploke.deadline_ms
  std::optional<Priority> priority;    ///< ploke.priority
};

struct InboundRequest {
  ChatRequest request;
  RoutingHints hints;
  bool include_usage = false;  ///< OpenAI stream_options.include_usage
};

/// Parses an Anthropic Messages request body.
Result<InboundRequest> parse_anthropic_messages_request(std::string_view body);
/// The same for POST /v1/messages/count_tokens (max_tokens not required).
Result<InboundRequest> parse_anthropic_count_tokens_request(std::string_view body);

/// "low" | "normal" | "high" | "critical" (or 0..3). nullopt when unknown.
std::optional<Priority> parse_priority(std::string_view text);

/// A complete HTTP answer in a protocol's shape.
struct Reply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  ///< besides content-type
  std::string body;
};

/// Non-stream Messages body; ids are Anthropic-native (anthropic_message_id() of the
/// response id, or of `fallback_id` when empty; anthropic_tool_use_id() of each tool call's).
std::string render_anthropic_message(const ChatResponse& r, std::string_view fallback_id);
/// "msg_" / "toolu_" + 24 base62 characters derived from an upstream id (kept as is when it
/// is already native: the prefix, then letters and digits): deterministic, so every event of
/// a stream agrees. AnthropicSseWriter applies anthropic_message_id() to its `id`.
std::string anthropic_message_id(std::string_view upstream_id);
std::string anthropic_tool_use_id(std::string_view upstream_id);

/// Anthropic error reply; `request_id` goes into the body's request_id (null when empty).
/// error.message is the Messages API's wording, never upstream text (see the .cpp).
Reply render_anthropic_error(const Status& st, std::string_view request_id = {});
int anthropic_error_http_status(const Status& st);

std::string render_anthropic_models(const std::vector<std::string>& ids);
/// GET /v1/models/{id} with anthropic-version: one Anthropic ModelInfo.
std::string render_anthropic_model(const std::string& id);


/// Turns the façade's stream events into Anthropic Messages SSE events (message_start,
/// content_block_start/delta/stop, ping, message_delta, message_stop).
class AnthropicSseWriter {
 public:
  /// `id` becomes anthropic_message_id(id); `request_id` goes into `event: error` bodies
  /// (null when empty).
  AnthropicSseWriter(std::string id, std::string model, uint64_t input_tokens_estimate,
                     std::string request_id = {});
  std::string event(const StreamEvent& e);
  std::string finish(const ChatResponse& final_response);
  std::string error(const Status& st);

 private:
  std::string start_if_needed();
  std::string close_block();
  std::string id_, model_;
  uint64_t input_tokens_;
  std::string request_id_;
  bool started_ = false;
  bool finished_ = false;
  int block_index_ = -1;       // current open block (-1 = none)
  bool block_open_ = false;
  bool block_is_text_ = false;
  int64_t block_tool_ = -1;    // wire tool index of the open tool_use block
  std::optional<Usage> usage_;
  FinishReason finish_ = FinishReason::kUnknown;
};

/// Rough prompt token estimate (characters / 4, at least 1) for message_start.
uint64_t estimate_prompt_tokens(const ChatRequest& r);

}  // namespace ploke::inbound