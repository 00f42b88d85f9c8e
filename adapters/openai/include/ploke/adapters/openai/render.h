// File: ploke/adapters/openai/render.h
//
// The server half's renderer for completions a server makes up itself (the simulator's
// synthetic content): the bytes of a Chat Completions response, its stream chunks, error
// bodies and the response headers (x-request-id, openai-version, x-ratelimit-*), in the
// field order of OpenAI's published OpenAPI spec (CreateChatCompletionResponse,
// CreateChatCompletionStreamResponse, ErrorResponse). The caller supplies the content
// (tokens, tool calls, finish reasons, usage); nothing here draws randomness or reads a
// clock. Strings are escaped by the adapters' one JSON writer (invalid UTF-8 → U+FFFD).
//
// Thread-safety: pure functions over their arguments.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/core/transport.h"

namespace ploke::adapters::openai {

/// One tool call of a choice: `arguments` whole (non-stream), `fragments` its pieces
/// (stream: the first delta carries id, type and name with `arguments: ""`).
struct WireToolCall {
  std::string id;
  std::string name;
  std::string arguments;
  std::vector<std::string> fragments;
};

/// One choice: text tokens (concatenated; one stream chunk each) or tool calls.
struct WireChoice {
  std::vector<std::string> tokens;
  std::vector<WireToolCall> calls;
  std::string finish = "stop";  ///< finish_reason
  uint64_t completion_tokens = 0;
  /// When logprobs were asked: one ChatCompletionTokenLogprob per token
  /// (token_logprob_json()); empty → `"logprobs": null`.
  std::vector<std::string> logprobs;
};

/// The fields every body and chunk of one completion repeats.
struct WireCompletion {
  std::string id;  ///< "chatcmpl-…"
  std::string model;
  int64_t created = 0;  ///< Unix seconds
  std::string system_fingerprint;
  uint64_t prompt_tokens = 0;
  uint64_t completion_tokens = 0;  ///< reasoning tokens included
  uint64_t reasoning_tokens = 0;   ///< `completion_tokens_details.reasoning_tokens`
};

/// A ChatCompletionTokenLogprob: `token`, `logprob`, `bytes`, `top_logprobs` (each
/// alternative's token and logprob; the chosen token first, as the API does).
std::string token_logprob_json(std::string_view token, double logprob,
                               const std::vector<std::pair<std::string, double>>& top);

/// The non-stream `chat.completion` body.
std::string render_completion(const WireCompletion& c, const std::vector<WireChoice>& choices);

/// The `choices[]` elements of one choice's stream chunks: role, one per token (or tool
/// call fragment), then the finish delta.
std::vector<std::string> render_choice_events(const WireChoice& c, size_t index);
/// "data: {…chunk fields…,\"choices\":[" — what precedes each chunk's choices.
std::string chunk_prefix(const WireCompletion& c);
/// What follows a chunk's choices: `]}` or `],"usage":null}` with include_usage, and the
/// blank line.
std::string_view chunk_suffix(bool include_usage);
/// The final usage chunk (`choices: []`) for a stream with include_usage.
std::string usage_chunk(const std::string& prefix, const WireCompletion& c);
/// The stream terminator.
inline constexpr std::string_view kDone = "data: [DONE]\n\n";
/// A stream chunk cut off inside its JSON (a string left open, no closing braces) and
/// ended as a complete SSE event: what a corrupted stream looks like to a client parser.
inline constexpr std::string_view kMalformedChunkEvent =
    "data: {\"id\":\"chatcmpl-malformed\",\"object\":\"chat.completion.chunk\","
    "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"tru\n\n";

/// An error as the API words it.
struct WireError {
  int status = 500;
  std::string message;
  std::string type;
  std::optional<std::string> param;
  std::optional<std::string> code;
};
/// {"error":{"message":…,"type":…,"param":…,"code":…}}
std::string error_body(const WireError& e);
/// The "data: …\n\n" event carrying an in-band error.
std::string sse_error_event(const WireError& e);

/// The rate-limit window a response reports.
struct RateLimitWindow {
  uint64_t limit_requests = 0;
  uint64_t limit_tokens = 0;
  uint64_t remaining_requests = 0;
  uint64_t remaining_tokens = 0;
  Duration reset_requests{0};
  Duration reset_tokens{0};
};
/// content-type, x-request-id, openai-version, openai-organization and
/// x-ratelimit-{limit,remaining,reset}-{requests,tokens}.
Headers response_headers(std::string_view content_type, std::string_view request_id,
                         std::string_view organization, const RateLimitWindow& w);
/// A request-limit 429: x-ratelimit-remaining-requests 0, x-ratelimit-reset-requests `reset`.
void mark_requests_exhausted(Headers& h, Duration reset);
/// A reset as OpenAI writes it: "6ms", "1.5s", "6m0s".
std::string format_reset_duration(Duration d);

}  // namespace ploke::adapters::openai
