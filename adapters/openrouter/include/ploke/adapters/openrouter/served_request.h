// File: ploke/adapters/openrouter/served_request.h
//
// The server half for a server that makes up its own answers (the simulated OpenRouter):
//
//   read_served_router_request()   OpenRouter's own checks of a chat request (a JSON
//                                  object; `prompt` or `messages`; `provider` by the strict
//                                  parser; `models`), then what routing needs as typed
//                                  values: the candidate model ids, the provider
//                                  preferences, whether tools are wanted, max_tokens, the
//                                  parameters the request uses, the reasoning settings
//   openai_generation_body()       the OpenAI Chat Completions body the OpenAI server half
//                                  validates and answers (OpenRouter's own members dropped,
//                                  the served model, `prompt` as one user message, usage
//                                  always streamed)
//   decorate_openrouter_response() an OpenAI completion or chunk (JSON text) reshaped into
//                                  OpenRouter's: the generation id, `provider`,
//                                  `native_finish_reason`, usage with `cost`, `is_byok`,
//                                  `cost_details`; reasoning text, details and tokens
//   reasoning_chunk()              one streamed piece of reasoning
//   native_finish_reason()         the finish reason the serving provider itself reports
//
// Which models exist, which endpoint serves and what it costs are the caller's business.
// Only the forward declarations of nlohmann: include it from .cpp files that already link
// nlohmann, never from another header.
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/adapters/openrouter/adapter.h"

namespace ploke::adapters::openrouter {

/// The request's reasoning settings (`reasoning` {enabled, effort, max_tokens, exclude}, or
/// the legacy `include_reasoning: true`).
struct ReasoningRequest {
  bool on = false;         ///< enabled, an effort other than "none", max_tokens, or include_reasoning
  bool exclude = false;    ///< `exclude`: reason, but leave the text out of the answer
  std::string effort;      ///< "" when not given
  std::optional<uint64_t> max_tokens;
};

/// What routing reads from a chat request OpenRouter's checks accept.
struct ServedRouterRequest {
  std::vector<std::string> model_ids;  ///< `model` (when a non-empty string), then `models` (each once)
  OpenRouterPreferences provider;      ///< `provider` (strict parser); `models` is not copied here
  bool prompt_only = false;            ///< `prompt` is a string and there are no `messages`
  /// `tools` is a non-empty array, or `tool_choice` is set and not "none".
  bool wants_tools = false;
  /// `max_tokens` or `max_completion_tokens` (the latter when both) when a non-negative integer.
  std::optional<uint64_t> max_tokens;
  /// The request parameters an endpoint must list under `provider.require_parameters`
  /// (supported_parameters names; max_completion_tokens counts as "max_tokens").
  std::vector<std::string> used_parameters;
  ReasoningRequest reasoning;
};

/// `reasoning` / `include_reasoning` of a chat body as OpenRouter reads them: nullopt with
/// `out` filled, or OpenRouter's 400 text for a malformed value (naming the field).
std::optional<std::string> read_openrouter_reasoning(const nlohmann::json& body, ReasoningRequest& out);

/// OpenRouter's 400 message for a request it rejects before routing (null `body`: not
/// JSON), else nullopt with `out` filled. "No models provided" when no id is left.
std::optional<std::string> read_served_router_request(const nlohmann::json* body, ServedRouterRequest& out);

/// Writes into `out` the body the OpenAI server half answers for `body` (a request
/// read_served_router_request() accepted) served by `model`; `stream` is true when the
/// request streams (then `stream_options.include_usage` is set).
void openai_generation_body(const nlohmann::json& body, std::string_view model, bool prompt_only,
                            nlohmann::json& out, bool& stream);

/// The endpoint's side of a decorated response.
struct ResponseDecoration {
  std::string id;             ///< the generation id ("gen-…")
  std::string model;          ///< the served model
  std::string provider_name;  ///< `provider`, and the native finish reasons' dialect
  double prompt_price = 0, completion_price = 0, request_price = 0;  ///< USD per token / request
  /// A whole completion's `openrouter_metadata.router` (a member clients must ignore).
  std::optional<std::string> metadata_router;
  /// Reasoning: its text (empty when excluded or none; a whole completion's message gets it
  /// as `reasoning` and one `reasoning.text` detail) and its tokens (added to the usage's
  /// completion tokens and its `completion_tokens_details.reasoning_tokens`).
  std::string reasoning_text;
  uint64_t reasoning_tokens = 0;
};

/// What a decorated response reported; members absent from a response leave the previous
/// values.
struct ReportedUsage {
  double cost = 0;
  uint64_t prompt_tokens = 0, completion_tokens = 0;
  std::string finish_reason;  ///< the first choice's
};

/// The OpenRouter shape of an OpenAI completion (`chunk` false) or stream chunk (JSON
/// text): id, provider, model, object, created, system_fingerprint, choices (each with
/// native_finish_reason after finish_reason), usage when it is an object (+cost, is_byok,
/// cost_details), then openrouter_metadata (whole completions only).
/// nullopt when `openai_json` is not JSON.
std::optional<std::string> decorate_openrouter_response(std::string_view openai_json, const ResponseDecoration& d,
                                                        bool chunk, ReportedUsage& reported);

/// One streamed piece of reasoning: a chunk (JSON text, no `data: `) whose delta carries
/// `reasoning` and a `reasoning.text` detail, as OpenRouter streams reasoning before the
/// content.
std::string reasoning_chunk(const ResponseDecoration& d, int64_t created, std::string_view piece);

/// The finish reason `provider_name` reports for OpenAI's `reason` (Anthropic and Bedrock:
/// end_turn / tool_use / max_tokens; Google: STOP / MAX_TOKENS; others: `reason`).
std::string native_finish_reason(std::string_view provider_name, const std::string& reason);

/// The SSE comment OpenRouter sends while waiting for the provider.
inline constexpr std::string_view kProcessingComment = ": OPENROUTER PROCESSING\n\n";
/// The response header naming the generation (GET /generation?id=).
inline constexpr std::string_view kGenerationIdHeader = "x-generation-id";

}  // namespace ploke::adapters::openrouter
