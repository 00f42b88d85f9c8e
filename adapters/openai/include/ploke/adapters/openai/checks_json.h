#pragma once
// check_openai_chat_request() on an already parsed body, for the server sides that hold an
// nlohmann DOM of the request anyway (the simulator's and the gateway's slow paths). Only
// the forward declarations of nlohmann: include it from .cpp files that already link
// nlohmann, never from another header.
#include <nlohmann/json_fwd.hpp>

#include "ploke/adapters/openai/checks.h"

namespace ploke::adapters::openai::checks {

std::optional<RequestProblem> check_parsed(const nlohmann::json& body);


/// The same range and type checks for a legacy Completions body (`POST /v1/completions`,
/// CreateCompletionRequest): temperature 0–2, top_p 0–1, n 1–128, max_tokens ≥ 0,
/// logprobs 0–5, best_of 0–20, `echo` a boolean, `suffix` a string (null passes).
std::optional<RequestProblem> check_completion_parsed(const nlohmann::json& body);

}  // namespace ploke::adapters::openai::checks
