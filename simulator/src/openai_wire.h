// File: simulator/src/openai_wire.h (internal)
//
// The simulator's OpenAI Chat Completions: synthetic content (tokens, tool calls, logprobs,
// usage, pacing) from a typed request. The OpenAI package's server half reads and validates
// the request (ploke/adapters/openai/served_request.h, request_summary.h) and renders the
// bytes — bodies, stream chunks, error bodies, headers (ploke/adapters/openai/render.h).
//
// Thread-safety: free functions over their arguments.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/adapters/json_string.h"
#include "ploke/adapters/openai/render.h"
#include "ploke/adapters/openai/request_summary.h"
#include "ploke/adapters/openai/served_request.h"
#include "ploke/core/random.h"
#include "ploke/core/scripted_response.h"
#include "ploke/json/escape.h"
#include "ploke/simulator/engine.h"

namespace ploke::simulator::detail {

using Json = nlohmann::json;

/// A deterministic value matching a JSON Schema (enum, type, properties/required, items;
/// depth ≤ 3): the arguments of a synthetic tool call. `word` picks the protocol's words.
Json fake_json_value(const Json& schema, Random& rng, std::string_view (*word)(Random&), int depth = 0);

/// `s` cut at random places into at most `max_pieces` non-empty pieces (streamed tool-call
/// argument fragments).
std::vector<std::string> split_fragments(const std::string& s, uint32_t max_pieces, Random& rng);

/// A reasoning model's reasoning tokens for `effort` (OpenAI's values): 32–256 drawn from
/// `rng` and scaled (minimal ⅛, low ½, medium or unknown 1, high 2, xhigh 3, max 4), within
/// what `max_tokens` leaves after `used`; "none": 0 without a draw.
uint64_t reasoning_token_draw(std::string_view effort, Random& rng, std::optional<uint64_t> max_tokens, uint64_t used);

/// Appends `s` as a JSON string literal (with quotes): ploke::json's one escaper.
inline void append_json_string(std::string& out, std::string_view s) { ploke::json::append_quoted(out, s); }

/// An error in OpenAI's shape, and its body (the OpenAI package's server half).
using ErrorSpec = adapters::openai::WireError;
using adapters::openai::error_body;
using adapters::openai::sse_error_event;

/// Per-request values every response needs.
struct RequestContext {
  uint64_t seq = 0;
  std::string request_id;   ///< "req_…"
  int64_t created = 0;      ///< unix seconds from clock.system_now()
};

/// content-type, x-request-id, openai-version, x-ratelimit-*.
Headers base_headers(std::string_view content_type, const RequestContext& ctx, const SimOptions& opts,
                     uint64_t remaining_requests, uint64_t used_tokens, Duration reset_requests);

/// An application/json error response at offset 0.
ScriptedResponse error_response(const ErrorSpec& e, const RequestContext& ctx, const SimOptions& opts);

/// A synthetic chat completion (or the validation error answering the request).
struct ChatResult {
  ScriptedResponse response;
  bool is_error = false;
  bool stream = false;
  /// Stream only: index in response.chunks of the first chunk after the choice events
  /// (the usage chunk or [DONE]).
  size_t tail_begin = 0;
  /// Stream only: the time step between events (used to place injected events).
  Duration gap{0};
  std::string model;
};

/// Reads and validates the parsed body with the OpenAI package's server half
/// (ploke/adapters/openai/served_request.h), answers an unknown model with its 404, and
/// produces the completion from the typed request. `body` is null when the request body
/// was not valid JSON. `slow_factor` multiplies ttft and the token gap.
ChatResult generate_chat(const Json* body, const SimOptions& opts, const RequestContext& ctx,
                         Random& rng, double slow_factor);

/// One word of the synthetic vocabulary (text, reasoning, JSON string values).
std::string_view synthetic_word(Random& rng);

/// Whether `model` is a chat model of opts.models.
bool known_chat_model(const SimOptions& opts, const std::string& model);

/// The content of a validated request's `req.n` choices (text, tool calls, structured
/// output, logprobs), their completion tokens summed into `completion`: the one content
/// planner of the OpenAI routes (Chat Completions, Responses).
std::vector<adapters::openai::WireChoice> plan_choices(const adapters::openai::ServedChatRequest& req,
                                                       const SimOptions& opts, Random& rng, uint64_t& completion);

/// A plain chat request (no tools, stream options, response format, logprobs or seed), read
/// without a DOM by the OpenAI package's server half (ploke/adapters/openai/request_summary.h).
using PlainChat = adapters::openai::PlainChatRequest;

/// True when the package reads `body` as a plain request the API's checks accept and its
/// model is one of opts.models: then generate_chat() would accept the request and `out`
/// holds everything it would read. False for anything else (the caller parses with nlohmann
/// and generate_chat(), which produces the exact errors).
bool read_plain_chat(std::string_view body, const SimOptions& opts, PlainChat& out);

/// generate_chat() for a request read_plain_chat() accepted (same bytes, same RNG use).
ChatResult generate_chat_plain(const PlainChat& req, const SimOptions& opts, const RequestContext& ctx,
                               Random& rng, double slow_factor);

/// The model `id` among opts.models, or null.
const ModelInfo* find_model(const SimOptions& opts, std::string_view id);

/// Pacing from opts.latency: the first token at `ttft`, then one token every `gap` (both 0
/// with LatencyModel::fast), each multiplied by `slow_factor` (> 0; else 1).
struct Pacing {
  Duration ttft{0};
  Duration gap{0};
};
Pacing pacing(const SimOptions& opts, double slow_factor);

/// The chat generator's text (no tools): `n` choices of opts.length tokens, capped at
/// `max_tokens` (finish "length"); their completion tokens are added to `completion`. A
/// request `seed` makes the text a function of the server's seed and that seed, as on chat.
std::vector<adapters::openai::WireChoice> plan_text_choices(const SimOptions& opts, Random& rng, size_t n,
                                                            std::optional<uint64_t> max_tokens,
                                                            std::optional<int64_t> seed, uint64_t& completion);

/// POST /v1/completions (legacy): the request read and checked by the OpenAI package
/// (ploke/adapters/openai/completions_legacy.h), the text from plan_text_choices() for
/// each prompt, paced like chat; `body` is null when the body was not JSON.
ScriptedResponse generate_text_completion(const Json* body, const SimOptions& opts, const RequestContext& ctx,
                                          Random& rng, double slow_factor);

/// POST /v1/embeddings: the request read and checked by the OpenAI package
/// (ploke/adapters/openai/embeddings.h), a unit vector per input that depends only on the
/// server's seed, the model and the input (see simulator/README.md), the body rendered by
/// the package. The response arrives at ttft (× slow_factor).
ScriptedResponse generate_embeddings(const Json* body, const SimOptions& opts, const RequestContext& ctx,
                                     double slow_factor);

}  // namespace ploke::simulator::detail
