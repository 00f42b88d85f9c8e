#pragma once
// Internal to the simulator's Anthropic routes (anthropic_wire.cpp): the model catalog and
// the plain-request check (read_plain_message, anthropic_wire.h).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "anthropic_wire.h"

namespace ploke::simulator::detail::anthropic {

/// A built-in Claude model or one of SimOptions::models.
bool model_known(std::string_view model, const SimOptions& opts);
/// GET /v1/models: one page (the SDK's PageResponse<ModelInfo>), every ModelInfo key present.
std::string models_list_body(const SimOptions& opts);
/// GET /v1/models/{id}: the ModelInfo, or nullopt when unknown.
std::optional<std::string> model_body(std::string_view id, const SimOptions& opts);
/// The input-token estimate for a prompt of `prompt_chars` bytes (/ 4, at least 1).
uint64_t input_tokens(uint64_t prompt_chars);
/// One vocabulary word; `n` words as tokens (" word", capitalised first, "." when `full_stop`).
std::string_view word(Random& rng);
std::vector<std::string> make_tokens(uint64_t n, bool full_stop, Random& rng);

}  // namespace ploke::simulator::detail::anthropic
