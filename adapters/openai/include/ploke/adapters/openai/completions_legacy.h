// File: ploke/adapters/openai/completions_legacy.h
//
// The server half of OpenAI's legacy `POST /v1/completions` for a server that makes up its
// own text (the simulator): the request read and validated as the API does
// (CreateCompletionRequest: `model`, `prompt` a string, an array of strings, a token array
// or an array of token arrays, `max_tokens` (default 16, ≥ 0), `n`, `stream`,
// `stream_options.include_usage`, `echo`, `suffix`, `seed`; the ranges of
// checks::check_completion_parsed()), the 404s that tell chat and completion models apart,
// and the bytes: the `text_completion` body (CreateCompletionResponse), its stream chunks
// (the same object, `finish_reason` null until the last chunk of a choice), the usage
// chunk and `[DONE]` (render.h's kDone). The caller supplies the text as render.h's
// WireChoice tokens; `logprobs` is range-checked and answered with `"logprobs": null`.
//
// Only the forward declarations of nlohmann: include it from .cpp files that already link
// nlohmann, never from another header.
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/adapters/openai/render.h"

namespace ploke::adapters::openai {

/// One prompt: a text, or token ids (then `text` is empty).
struct CompletionPrompt {
  std::string text;
  uint64_t token_count = 0;  ///< the ids' count for a token prompt, else 0
  bool is_tokens = false;
};

/// What a server that makes up text reads from a validated request.
struct ServedCompletionRequest {
  std::string model;
  std::vector<CompletionPrompt> prompts;  ///< each gets `n` choices (index prompt × n + j)
  bool stream = false;
  bool include_usage = false;  ///< `stream_options.include_usage`
  bool echo = false;           ///< the prompt text starts each choice's text
  uint64_t max_tokens = 16;    ///< the API's default; 0 generates nothing
  size_t n = 1;
  std::optional<int64_t> seed;
};

/// The API's 400 for a malformed request (null `body`: not JSON), else nullopt with `out`
/// filled. In order: JSON object, `model`, `prompt` (required; null is the API's default
/// prompt `<|endoftext|>`), `stream` a boolean, the ranges and types of
/// checks::check_completion_parsed().
std::optional<WireError> read_served_completion_request(const nlohmann::json* body, ServedCompletionRequest& out);

/// 404 "This is a chat model and not supported in the v1/completions endpoint. Did you mean
/// to use v1/chat/completions?" (param `model`).
WireError chat_model_on_completions();
/// 404 "This is not a chat model and thus not supported in the v1/chat/completions
/// endpoint. Did you mean to use v1/completions?" (param `model`).
WireError not_a_chat_model();

/// "cmpl-" + `local`: a legacy completion's id.
std::string text_completion_id(std::string_view local);

/// The non-stream `text_completion` body: `id`, `object`, `created`, `model`, `choices`
/// (`text`, `index`, `logprobs: null`, `finish_reason`), `usage` (prompt, completion and
/// total tokens). `c.system_fingerprint` is not written. `echo` is empty or holds one
/// text per choice, written before the choice's tokens.
std::string render_text_completion(const WireCompletion& c, const std::vector<WireChoice>& choices,
                                   const std::vector<std::string>& echo);

/// The `choices[]` elements of one choice's stream chunks: the echoed prompt (when `echo`
/// is not empty), one per token (`finish_reason` null), then `"text": ""` with the
/// finish reason.
std::vector<std::string> render_text_choice_events(const WireChoice& c, size_t index, std::string_view echo);
/// "data: {…chunk fields…,\"choices\":[": what precedes each chunk's choices (close it
/// with render.h's chunk_suffix()).
std::string text_chunk_prefix(const WireCompletion& c);
/// The final usage chunk (`choices: []`) of a stream with include_usage.
std::string text_usage_chunk(const std::string& prefix, const WireCompletion& c);
/// A legacy chunk cut off inside its JSON, ended as a complete SSE event.
inline constexpr std::string_view kMalformedTextChunkEvent =
    "data: {\"id\":\"cmpl-malformed\",\"object\":\"text_completion\",\"choices\":[{\"text\":\"tru\n\n";

}  // namespace ploke::adapters::openai
