// File: adapters/openai/src/responses_client.h (package-private)
//
// The Responses client half's readers of a Response object, shared by the non-stream parser
// (responses_client.cpp) and the stream decoder (responses_client_stream.cpp: the Response
// that response.completed / response.incomplete carry).
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>

#include "ploke/core/chat.h"
#include "ploke/core/status.h"

namespace ploke::adapters::openai {

/// A Response's `usage`: input, output, total, cached and reasoning tokens.
Usage responses_usage(const nlohmann::json& usage);
/// A Response as the normalized answer (a `failed` one: its error, kServerError).
Result<ChatResponse> responses_answer(const nlohmann::json& response, const std::string& provider);

}  // namespace ploke::adapters::openai
