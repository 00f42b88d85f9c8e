// File: ploke/adapters/anthropic/render.h
//
// The server half's renderer for messages a server makes up itself (the simulator's
// synthetic content): the bytes of a Message, its SSE event sequence, error bodies, ModelInfo
// pages and the response headers (request-id, anthropic-organization-id,
// anthropic-ratelimit-*), with every key the @anthropic-ai/sdk types require (nullable ones
// as null). The caller supplies the content (tokens, tool uses, stop reason, counts);
// nothing here draws randomness or reads a clock. Strings are escaped by the adapters' one
// JSON writer (invalid UTF-8 → U+FFFD). The gateway's writer (server.h) shares the usage,
// content-block, error-body and ModelInfo writers, so both write the same bytes for the same
// values.
//
// Thread-safety: pure functions over their arguments.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/core/transport.h"

namespace ploke::adapters::anthropic {

enum class StopReason : uint8_t { kEndTurn, kMaxTokens, kStopSequence, kToolUse };

/// One tool_use block: `input` is the input object as compact JSON text (written as is);
/// `fragments` its input_json_delta pieces when streamed.
struct WireToolUse {
  std::string id;
  std::string name;
  std::string input;
  std::vector<std::string> fragments;
};

/// The extended-thinking block that opens a message: `thinking` (the tokens concatenated;
/// one thinking_delta each when streamed, then one signature_delta) with its opaque
/// `signature`; or, `redacted`, a redacted_thinking block carrying `data`.
struct WireThinking {
  std::vector<std::string> tokens;
  std::string signature;
  bool redacted = false;
  std::string data;  ///< redacted: the encrypted payload
};

/// One assistant message: the thinking block (when set), a text block (the tokens
/// concatenated; one text_delta each when streamed; no block when empty), then the tool_use
/// blocks.
struct WireMessage {
  std::string id;  ///< "msg_…"
  std::string model;
  std::optional<WireThinking> thinking;
  std::vector<std::string> tokens;
  std::vector<WireToolUse> tool_uses;
  StopReason stop_reason = StopReason::kEndTurn;
  std::optional<std::string> stop_sequence;  ///< the sequence that stopped it (kStopSequence)
  uint64_t input_tokens = 0;   ///< the prompt tokens after the last cache breakpoint
  uint64_t output_tokens = 0;  ///< thinking included
  uint64_t cache_read_tokens = 0;      ///< usage.cache_read_input_tokens
  uint64_t cache_write_tokens = 0;     ///< usage.cache_creation_input_tokens (both TTLs)
  uint64_t cache_write_1h_tokens = 0;  ///< the part of cache_write_tokens written with ttl "1h"
};

/// The non-stream Message body.
std::string render_message(const WireMessage& m);

/// One SSE event ("event: NAME\ndata: {…}\n\n"); `paced` marks the deltas that carry a
/// token or an input fragment (a server paces those; the others go with their neighbour).
struct WireEvent {
  std::string bytes;
  bool paced = false;
};
/// The streamed message: message_start, per block content_block_start (ping after the first
/// one; a thinking block opens with empty thinking and signature and closes its deltas with
/// one signature_delta; a tool_use block opens with an empty input_json_delta), its deltas,
/// content_block_stop; message_delta (cumulative usage), message_stop.
std::vector<WireEvent> render_message_events(const WireMessage& m);

/// A content_block_delta event whose JSON is cut inside a string (malformed data).
std::string_view truncated_delta_event();

/// An error as the API words it; `detail_code` (when set) goes to error.details.error_code.
struct WireError {
  std::string type;
  std::string message;
  std::string detail_code;
};
/// The error.type the API sends with an HTTP status (400 invalid_request_error, 401
/// authentication_error, 402 billing_error, 403 permission_error, 404 not_found_error, 408
/// and 504 timeout_error, 413 request_too_large, 429 rate_limit_error, 529 overloaded_error,
/// other ≥ 500 api_error, other 4xx invalid_request_error).
std::string_view error_type_for_status(int status);
/// {"type":"error","error":{"type","message"[,"details":{"error_code"}]},"request_id"}
/// (request_id null when empty).
std::string error_body(const WireError& e, std::string_view request_id);
/// The `event: error` carrying error_body().
std::string sse_error_event(const WireError& e, std::string_view request_id);

/// POST /v1/messages/count_tokens's body is render_anthropic_count_tokens() (server.h).

/// One ModelInfo; `line` null when unset.
struct WireModel {
  std::string id;
  std::string display_name;
  std::string created_at;  ///< RFC 3339
  std::optional<std::string> line;
};
std::string render_model_info(const WireModel& m);
/// GET /v1/models: one page (data, has_more false, first_id, last_id).
std::string render_models_page(const std::vector<WireModel>& models);

/// One `anthropic-ratelimit-<family>-{limit,remaining,reset}` triple; `reset` in Unix
/// seconds (written as RFC 3339).
struct RateLimitFamily {
  uint64_t limit = 0;
  uint64_t remaining = 0;
  int64_t reset = 0;
};
struct RateLimitWindow {
  RateLimitFamily requests, tokens, input_tokens, output_tokens;
};
/// content-type, request-id, anthropic-organization-id and the four anthropic-ratelimit-*
/// families (requests, tokens, input-tokens, output-tokens).
Headers response_headers(std::string_view content_type, std::string_view request_id,
                         std::string_view organization_id, const RateLimitWindow& w);

/// "2026-11-24T04:33:53Z" for Unix seconds (the inverse of parse_rfc3339(), errors.h).
std::string format_rfc3339(int64_t unix_seconds);

}  // namespace ploke::adapters::anthropic
