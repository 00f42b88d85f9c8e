// File: ploke/adapters/anthropic/request_summary.h
//
// The server half's request summary for a server that makes up its own answers (the
// simulator): what it needs from a plain POST /v1/messages body, read in one pass without
// a DOM (ploke/json/cursor.h). "Plain" is a text conversation: no tools, tool choice, stop
// sequences, sampling fields or output format, string contents. Anything else — and
// anything the API's checks (checks_json.h) would refuse — is declined, and the caller
// parses the body with its DOM path, which applies the checks and words the errors.
//
// Thread-safety: a pure function.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ploke::adapters::anthropic {

/// What read_plain_messages_request() reads.
struct PlainMessagesRequest {
  std::string model;
  uint64_t max_tokens = 0;  ///< ≥ 1
  bool stream = false;      ///< `stream` (null or absent: false)
  uint64_t text_chars = 0;  ///< the `system` string plus every message's content, decoded bytes
};

/// True when `body` is a plain Messages request the API's checks accept, with `out` filled:
/// a JSON object with a string `model`, an integer `max_tokens` ≥ 1, a non-empty `messages`
/// array of objects with a `role` alternating user / assistant from a user turn and a
/// non-empty string `content`; `system` a string or null; `stream` boolean or null; none of
/// `tools`, `tool_choice`, `stop_sequences`, `temperature`, `top_p`, `top_k`,
/// `output_config`, `thinking`, `cache_control`; no known key twice; keys without escapes. Other members are skipped
/// (validated). False for anything else (`out` then unspecified). Whether the model exists
/// and the version header are the caller's business.
bool read_plain_messages_request(std::string_view body, PlainMessagesRequest& out);

/// The texts of a plain request, for a server that forwards it (the gateway).
struct PlainMessagesText {
  std::optional<std::string> system;  ///< the `system` string (absent or null: none)
  std::vector<std::string> turns;     ///< each message's content; roles alternate from user
};
/// read_plain_messages_request() that also decodes the texts into `text`, and is stricter:
/// it declines any top-level member but model, max_tokens, system, stream and messages,
/// and any message member but role and content (the DOM path reads those).
bool read_plain_messages_request(std::string_view body, PlainMessagesRequest& out, PlainMessagesText& text);

}  // namespace ploke::adapters::anthropic
