// File: ploke/adapters/openai/server.h
//
// The server half of OpenAI Chat Completions (the gateway's inbound side): request parsing
// into the normalized InboundRequest (ploke/adapters/inbound.h), response bodies, SSE
// chunks, error bodies and their status mapping (table in ploke/adapters/inbound.h), model
// lists. Other providers that speak the same route with differences (dialects) plug in
// through two hooks filled by their own package: RequestExtension (top-level request
// members the dialect adds) and ChatDialect (how its stream differs). This package knows
// no dialect's field names.
//
// Thread-safety: functions are pure; a writer object belongs to one stream.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ploke/adapters/inbound.h"
#include "ploke/core/chat.h"
#include "ploke/core/status.h"

namespace ploke::adapters::openai {

using inbound::InboundRequest;
using inbound::Reply;
using inbound::RoutingHints;
using inbound::parse_priority;
using inbound::estimate_prompt_tokens;

/// Top-level members a dialect adds to the request body. The OpenAI parser does not read
/// them: a body carrying one of `keys` (not null) takes the DOM path, which hands the ones
/// present to `read` after the standard fields and before ploke's own `"ploke"` member, as
/// (key, the member's JSON text) in `keys` order. `read` fills `in` (request.meta.tags,
/// hints); an error Status is the request's 400 (its message names the field path).
/// Without an extension these members are unknown fields and ignored.
struct RequestExtension {
  std::vector<std::string_view> keys;  ///< string literals (outlive the extension)
  std::function<Status(const std::vector<std::pair<std::string_view, std::string>>& members, InboundRequest& in)> read;
};

/// Parses a Chat Completions request body (plus a dialect's members when `ext` is set).
/// A single pass without a DOM handles the usual shapes; anything unusual (bad input,
/// escaped keys, the dialect's members, the "ploke" member, integral floats) is parsed
/// again by the nlohmann DOM path, which names the problem. Tool parameters and JSON
/// schemas keep the client's key order on the fast path (compacted); the DOM path sorts keys.
Result<InboundRequest> parse_openai_chat_request(std::string_view body);
using inbound::ParsePath;
Result<InboundRequest> parse_openai_chat_request(std::string_view body, ParsePath path);
Result<InboundRequest> parse_openai_chat_request(std::string_view body, const RequestExtension* ext,
                                                 ParsePath path = ParsePath::kAuto);

/// The id of a completion the server names itself: "chatcmpl-" + `local_id` (the gateway's
/// trace id).
std::string completion_id(std::string_view local_id);

/// Non-stream Chat Completions body. `created` in Unix seconds; an empty response id gets
/// completion_id(`fallback_id`). `r.logprobs` (when not empty) becomes
/// `choices[0].logprobs.content`.
std::string render_openai_chat_completion(const ChatResponse& r, int64_t created, std::string_view fallback_id);
/// The same with n choices: `choices[k]` becomes choice index k (message, logprobs,
/// finish reason); id, model and provider come from the first; `usage` is the body's (the
/// caller sums the choices').
std::string render_openai_chat_completion(std::span<const ChatResponse> choices, const std::optional<Usage>& usage,
                                          int64_t created, std::string_view fallback_id);

/// OpenAI error reply for `st` (see the table above).
Reply render_openai_error(const Status& st);
/// Only the HTTP status render_*_error() would use.
int openai_error_http_status(const Status& st);

/// What an OpenAI-shaped client reads in error.message for an error that did not start in
/// the caller's own request checks: OpenAI's wording for the status code (a 429 names its
/// retry-after), never upstream text, provider names or internal tags.
std::string openai_client_error_message(const Status& st);

/// GET /v1/models (OpenAI shape) and the Anthropic shape, for the given model ids.
std::string render_openai_models(const std::vector<std::string>& ids, int64_t created);
/// GET /v1/models/{id}: one OpenAI Model object.
std::string render_openai_model(std::string_view id, int64_t created);

/// Turns the façade's stream events into Chat Completions SSE chunks. Usage:
///   OpenAiSseWriter w(id, model, created, include_usage);
///   out += w.event(e);  … for each StreamEvent
///   out += w.finish(final_response);   // finish chunk if none yet, usage chunk, [DONE]
///   or out += w.error(status);         // in-stream error chunk (no [DONE])
/// Several choices (OpenAI `n`): begin_choice(k) before choice k's events (its chunks carry
/// index k and their own role delta), finish_choice(response k) after them; finish() once
/// at the end with the summed usage. A text delta's logprobs become the chunk's
/// `logprobs.content`.
/// A dialect (ChatDialect, filled by the dialect's package) may always end with the usage
/// chunk and send errors as a chunk of its own shape.
struct ChatDialect {
  /// The usage chunk is always sent (include_usage or not) and no chunk carries
  /// `"usage":null`. False: OpenAI's rule (both only with include_usage).
  bool always_usage = false;
  /// Writes the in-stream error chunk after the chunk prefix (`data: {"id":…,"object":
  /// "chat.completion.chunk","created":…,"model":…,"choices":[`), through the closing
  /// "}\n\n". Null: OpenAI's error event (`data: {"error":{…}}`).
  void (*write_error_chunk)(std::string& out, const Status& st) = nullptr;
  /// Writes a message's or delta's reasoning members (`,"name":…` pairs) for the answer's
  /// reasoning text. Null: the reasoning is not sent (OpenAI's Chat Completions carry none).
  void (*write_reasoning)(std::string& out, std::string_view text) = nullptr;
};
/// render_openai_chat_completion() in a dialect's shape (its reasoning members on each
/// message that has reasoning).
std::string render_openai_chat_completion(std::span<const ChatResponse> choices, const std::optional<Usage>& usage,
                                          int64_t created, std::string_view fallback_id, const ChatDialect& dialect);
class OpenAiSseWriter {
 public:
  OpenAiSseWriter(std::string id, std::string model, int64_t created, bool include_usage,
                  ChatDialect dialect = {});
  /// SSE bytes for one event ("" for events that map to nothing, e.g. kStart/kUsage).
  std::string event(const StreamEvent& e);
  /// The chunks that follow carry choice `index` (0 until called).
  void begin_choice(uint32_t index);
  /// The current choice's finish chunk unless one went out ("" then).
  std::string finish_choice(const ChatResponse& r);
  std::string finish(const ChatResponse& final_response);
  std::string error(const Status& st);
  bool started() const { return sent_role_; }

 private:
  const std::string& chunk_prefix() const;
  void open_choice(std::string& o) const;
  std::string text_chunk(const StreamEvent& e, const char* tail);
  std::string tool_chunk(const StreamEvent& e, const char* tail);
  std::string reasoning_chunk(const StreamEvent& e, const char* tail);
  std::string finish_chunk(FinishReason reason, const char* tail);
  std::string id_, model_;
  std::string prefix_;  // "data: {\"id\":…,\"choices\":[" (built once)
  int64_t created_;
  bool include_usage_;
  ChatDialect dialect_;
  uint32_t index_ = 0;  // the current choice
  bool sent_role_ = false;
  bool sent_finish_ = false;
  std::optional<Usage> usage_;
  std::vector<uint32_t> seen_tools_;  // wire indexes whose first fragment was sent
};

}  // namespace ploke::adapters::openai
