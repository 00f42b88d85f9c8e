// File: simulator/src/anthropic_wire.h (internal)
//
// The Anthropic Messages protocol of the simulator (protocols.md §2.2): routes
// POST /v1/messages (non-stream and the full SSE event sequence), POST
// /v1/messages/count_tokens, GET /v1/models and /v1/models/{id} in Anthropic's shape (when
// the request carries `anthropic-version`); request validation with the API's 400
// invalid_request_error messages; and every fault kind rendered in Anthropic's shape
// (error bodies {"type":"error","error":{…},"request_id":…}, `event: error` mid-stream,
// request-id and anthropic-ratelimit-* headers).
//
// The engine (engine.cpp) only dispatches: it selects the fault, forks the request's
// Random and builds the RequestContext as for OpenAI routes, then calls respond().
// Synthetic streams are produced one SSE event per chunk, so `after_events` counts
// events exactly (message_start is event 1; the final message_stop is never kept by a cap).
//
// Thread-safety: free functions over their arguments.
#pragma once

#include <string>
#include <string_view>

#include "openai_wire.h"
#include "ploke/core/fault_plan.h"
#include "ploke/core/random.h"
#include "ploke/core/scripted_response.h"
#include "ploke/core/transport.h"
#include "ploke/simulator/engine.h"

namespace ploke::sim::detail::anthropic {

inline constexpr std::string_view kMessagesPath = "/v1/messages";
inline constexpr std::string_view kCountTokensPath = "/v1/messages/count_tokens";

/// True when the request is answered in Anthropic's protocol: any /v1/messages… path, and
/// GET /v1/models[/{id}] when the request carries an `anthropic-version` header.
bool is_route(std::string_view path, bool is_get, const Headers& headers);

/// True for the inference route (POST /v1/messages): what faults match by default.
inline bool is_inference(std::string_view path, bool is_post) { return is_post && path == kMessagesPath; }

/// Answers a request on an Anthropic route under fault `f` (null: none). `body` is the
/// parsed JSON body (null when absent or invalid); `model` and `stream` are what the
/// engine read from it for fault matching. Never throws: an internal error becomes
/// Anthropic's 500 api_error.
ScriptedResponse respond(const Fault* f, const HttpRequest& request, const std::string& path, bool is_post,
                         bool is_get, const Json* body, const RequestContext& ctx, const SimOptions& opts,
                         Random& rng, std::string_view model, bool stream);

}  // namespace ploke::sim::detail::anthropic
