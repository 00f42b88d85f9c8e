#pragma once
// check_openai_chat_request() on an already parsed body, for the server sides that hold an
// nlohmann DOM of the request anyway (the simulator's and the gateway's slow paths). Only
// the forward declarations of nlohmann: include it from .cpp files that already link
// nlohmann, never from another header.
#include <nlohmann/json_fwd.hpp>

#include "ploke/adapters/openai/checks.h"

namespace ploke::adapters::openai::checks {

std::optional<RequestProblem> check_parsed(const nlohmann::json& body);

}  // namespace ploke::adapters::openai::checks
