// File: simulator/src/anthropic_wire.h (internal)
//
// The Anthropic Messages protocol of the simulator: routes POST /v1/messages (non-stream and
// the full SSE event sequence), POST /v1/messages/count_tokens, GET /v1/models and
// /v1/models/{id} in Anthropic's shape (when the request carries the version header,
// adapters::anthropic::kVersionHeader); request validation with the API's 400 messages (the
// package's checks); and every fault kind in Anthropic's shape. The simulator makes up the
// content (tokens, tool uses, stop reason, counts, rate-limit numbers) and its faults; the
// bytes (bodies, events, error bodies, headers) are rendered by the Anthropic package's
// server half (ploke/adapters/anthropic/render.h).
//
// The engine (engine.cpp) only dispatches: it selects the fault, forks the request's
// Random and builds the RequestContext as for OpenAI routes, then calls respond().
// Synthetic streams are produced one SSE event per chunk, so `after_events` counts
// events exactly (the opening event is event 1; the final one is never kept by a cap).
//
// Thread-safety: free functions over their arguments.
#pragma once

#include <string>
#include <string_view>

#include "anthropic_cache.h"
#include "openai_wire.h"
#include "ploke/adapters/anthropic/request_summary.h"
#include "ploke/adapters/anthropic/server.h"
#include "ploke/core/random.h"
#include "ploke/core/scripted_response.h"
#include "ploke/core/transport.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan.h"

namespace ploke::simulator::detail::anthropic {

inline constexpr std::string_view kMessagesPath = "/v1/messages";
inline constexpr std::string_view kCountTokensPath = "/v1/messages/count_tokens";

/// True when the request is answered in Anthropic's protocol: any /v1/messages… path, and
/// GET /v1/models[/{id}] when the request carries the version header.
bool is_route(std::string_view path, bool is_get, const Headers& headers);

/// True for the inference route (POST /v1/messages): what faults match by default.
inline bool is_inference(std::string_view path, bool is_post) { return is_post && path == kMessagesPath; }

/// A plain Messages request (a text conversation: no tools, tool choice, stop sequences,
/// sampling fields or output format), read without a DOM by the Anthropic package's server
/// half (ploke/adapters/anthropic/request_summary.h).
using PlainMessage = adapters::anthropic::PlainMessagesRequest;

/// True when the package reads the POST /v1/messages `body` as a plain request the API's
/// checks accept and its model is known (model_known()): then validation would accept the
/// request and `out` holds everything the generator reads from it. False for anything else
/// (the caller then parses with nlohmann, which produces the exact errors). The caller
/// still checks the version header.
bool read_plain_message(std::string_view body, const SimOptions& opts, PlainMessage& out);

/// The engine's state an Anthropic answer reads and updates: the prompt cache, at `now`.
struct AnthropicState {
  PromptCache& cache;
  TimePoint now;
};

/// Answers a request on an Anthropic route under fault `f` (null: none). `body` is the
/// parsed JSON body (null when absent or invalid); `plain` (may be null) is a POST
/// /v1/messages request read_plain_message() accepted, answered without a DOM with the
/// same bytes and the same random draws; `model` and `stream` are what the engine read
/// for fault matching. Never throws: an internal error becomes Anthropic's 500.
ScriptedResponse respond(const Fault* f, const HttpRequest& request, const std::string& path, bool is_post,
                         bool is_get, const Json* body, const PlainMessage* plain, const RequestContext& ctx,
                         const SimOptions& opts, Random& rng, std::string_view model, bool stream,
                         const AnthropicState& state);

}  // namespace ploke::simulator::detail::anthropic
