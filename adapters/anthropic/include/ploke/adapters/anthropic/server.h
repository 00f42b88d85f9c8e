// File: ploke/adapters/anthropic/server.h
//
// The server half of Anthropic Messages (the gateway's inbound side): request parsing into
// the normalized InboundRequest (ploke/adapters/inbound.h), response bodies, SSE events,
// error bodies with their HTTP status and headers, model lists, count_tokens. The bytes a
// server that makes up its own answers writes (the simulator) are ploke/adapters/anthropic/
// render.h; both share one writer for usage, error bodies and ModelInfo.
//
// Requests: the API's own checks first (checks.h: its wording, its field paths), then
// parsing; unknown top-level fields are ignored; a value the core cannot carry is
// kInvalidRequest naming the field path. tool_result blocks become tool messages placed
// before the turn's other content; an assistant turn's thinking / redacted_thinking blocks
// become Message::reasoning_blocks (signatures kept) and `thinking` the request's
// ReasoningOptions (cache_control is not carried); `output_config.format`
// becomes a json_schema response_format; ploke's `"ploke": {provider, policy, deadline_ms,
// priority}` goes to RoutingHints.
//
// Error mapping (Status → HTTP status / error.type), chosen so the SDK classifies as for
// the real API:
//   rate_limited 429 rate_limit_error (+retry-after, retry-after-ms) · overloaded 529
//   overloaded_error · server_error 500 api_error (an upstream 502/503 kept) · timeout 504
//   timeout_error · connection_reset, malformed_response, stream_interrupted 502 api_error ·
//   auth 401 authentication_error · permission 403 permission_error · not_found 404
//   not_found_error · invalid_request, context_length_exceeded, content_filter 400
//   invalid_request_error · insufficient_credits 402 billing_error (x-should-retry: false) ·
//   cancelled 499 · internal 500 api_error.
// error.message is the Messages API's wording for the type, never upstream text, provider
// names or internal tags; the gateway's own request and not-found errors (no provider, no
// upstream status) keep their text, which names the field.
//
// Thread-safety: functions are pure; a writer object belongs to one stream.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/adapters/inbound.h"
#include "ploke/core/chat.h"
#include "ploke/core/status.h"

namespace ploke::adapters::anthropic {

using inbound::InboundRequest;
using inbound::Reply;

/// The request header that selects the protocol on routes two protocols share
/// (GET /v1/models) and that the API requires on every request.
inline constexpr std::string_view kVersionHeader = "anthropic-version";
/// The response header carrying the request id.
inline constexpr std::string_view kRequestIdHeader = "request-id";

using inbound::ParsePath;

/// Parses a POST /v1/messages body. A plain text conversation (request_summary.h's
/// "plain", with no member but model, max_tokens, system, stream and messages, and no
/// message member but role and content) is read in one pass without a DOM; anything else
/// by the nlohmann DOM path, which applies the API's checks and names the problem. Both
/// paths read the same request.
Result<InboundRequest> parse_anthropic_messages_request(std::string_view body, ParsePath path = ParsePath::kAuto);
/// The same for POST /v1/messages/count_tokens (max_tokens not required).
Result<InboundRequest> parse_anthropic_count_tokens_request(std::string_view body);

/// Non-stream Messages body; ids are Anthropic-native (anthropic_message_id() of the
/// response id, or of `fallback_id` when empty; anthropic_tool_use_id() of each tool call's).
std::string render_anthropic_message(const ChatResponse& r, std::string_view fallback_id);
/// "msg_" / "toolu_" + 24 base62 characters derived from an upstream id (kept as is when it
/// is already native: the prefix, then letters and digits): deterministic, so every event of
/// a stream agrees. AnthropicSseWriter applies anthropic_message_id() to its `id`.
std::string anthropic_message_id(std::string_view upstream_id);
std::string anthropic_tool_use_id(std::string_view upstream_id);
/// The id of a message the server names itself: "msg_" + `local_id` (the gateway's trace
/// id; already native when `local_id` is letters and digits).
std::string local_message_id(std::string_view local_id);

/// Anthropic error reply (the table above); `request_id` goes into the body's request_id
/// (null when empty).
Reply render_anthropic_error(const Status& st, std::string_view request_id = {});

/// GET /v1/models (one page of ModelInfo) and GET /v1/models/{id}, for model ids the server
/// knows nothing more about (capabilities, limits, dates null; lifecycle "active").
std::string render_anthropic_models(const std::vector<std::string>& ids);
std::string render_anthropic_model(const std::string& id);

/// POST /v1/messages/count_tokens: {"input_tokens":N}.
std::string render_anthropic_count_tokens(uint64_t input_tokens);

/// Turns the façade's stream events into Anthropic Messages SSE events (message_start,
/// ping, content_block_start/delta/stop, message_delta, message_stop). Usage:
///   AnthropicSseWriter w(id, model, estimate_prompt_tokens(request), request_id);
///   out += w.event(e);  … for each StreamEvent
///   out += w.finish(final_response);   // closes the open block, message_delta, message_stop
///   or out += w.error(status);         // `event: error` (the stream then ends)
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
  std::string reasoning_event(const StreamEvent& e);
  std::string id_, model_;
  uint64_t input_tokens_;
  std::string request_id_;
  bool started_ = false;
  bool finished_ = false;
  int block_index_ = -1;       // current open block (-1 = none)
  bool block_open_ = false;
  bool block_is_text_ = false;
  bool block_is_thinking_ = false;
  int64_t block_tool_ = -1;    // wire tool index of the open tool_use block
  std::optional<Usage> usage_;
  FinishReason finish_ = FinishReason::kUnknown;
};

}  // namespace ploke::adapters::anthropic
