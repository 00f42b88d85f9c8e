// File: ploke/adapters/openai/request_summary.h
//
// The server half's request summary for a server that makes up its own answers (the
// simulator): what it needs from a plain Chat Completions request, read in one pass without
// a DOM (ploke/json/cursor.h). "Plain" is the shape most clients send most of the time:
// no tools, tool choice, stream options, response format, logprobs or seed, messages with
// string contents. Anything else — and anything the API's checks (checks.h) would refuse —
// is declined, and the caller parses the body with its DOM path, which applies the checks
// and words the errors.
//
// Thread-safety: a pure function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ploke::adapters::openai {

/// What read_plain_chat_request() reads.
struct PlainChatRequest {
  std::string model;                   ///< non-empty
  bool stream = false;                 ///< `stream` (null or absent: false)
  size_t n = 1;                        ///< `n`, 1–128 (null or absent: 1)
  std::optional<uint64_t> max_tokens;  ///< `max_completion_tokens` when set, else `max_tokens`
  uint64_t prompt_chars = 0;           ///< the messages' string contents, decoded bytes summed
};

/// True when `body` is a plain request the API's checks accept, with `out` filled: a JSON
/// object with a non-empty string `model`, a non-empty `messages` array of objects with a
/// `role` of user, system, assistant or developer, a string `content` (or none) and no
/// `tool_calls`; `stream` boolean or null; `n` an integer 1–128 or null; `max_tokens` and
/// `max_completion_tokens` integers ≥ 1 or null; `temperature` 0–2 and `top_p` 0–1 or null;
/// none of `tools`, `tool_choice`, `stream_options`, `response_format`, `logprobs`,
/// `top_logprobs`, `seed`, `parallel_tool_calls`; no known key twice; keys without escapes.
/// Other members are skipped (validated). False for anything else (`out` then unspecified).
/// Whether the model exists is the caller's business.
bool read_plain_chat_request(std::string_view body, PlainChatRequest& out);

}  // namespace ploke::adapters::openai
