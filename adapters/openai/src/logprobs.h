// File: adapters/openai/src/logprobs.h (private to ploke::adapters_openai)
//
// A choice's `logprobs` object ({"content": [ChatCompletionTokenLogprob…], "refusal": …})
// in both directions: read from a parsed (nlohmann) body or stream chunk by the client
// half, written by the server half. Bytes are 0–255 integers or null.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ploke/core/chat.h"

namespace ploke::adapters::openai::logprobs {

/// Reads `choice.logprobs.content` (absent or null: nothing) onto the end of `out`.
/// `path` is the choice's path ("choices[0]"). False with `problem` = "path: what".
bool read_choice(const nlohmann::json& choice, const std::string& path, std::vector<TokenLogprob>& out,
                 std::string& problem);

/// `{"content":[…],"refusal":null}` for `lps`; "null" when `lps` is empty.
void append_object(std::string& o, const std::vector<TokenLogprob>& lps);

}  // namespace ploke::adapters::openai::logprobs
