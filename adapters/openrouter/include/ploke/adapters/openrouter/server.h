// File: ploke/adapters/openrouter/server.h
//
// The server half of the OpenRouter package (the gateway's /api/v1 routes, the simulator's
// OpenRouter): OpenRouter speaks OpenAI Chat Completions (ploke/adapters/openai/server.h)
// with its own error bodies, stream error chunk and models list; this header holds only
// what differs.
//
//   parse_openrouter_chat_request()  the OpenAI parser plus OpenRouter's request members
//                                    (`models`, `provider`, `route`, `transforms`):
//                                    openrouter_request_extension()
//   openrouter_chat_dialect()        the stream: always the usage chunk (no "usage":null),
//                                    errors as OpenRouter's error chunk
//   render_openrouter_error()        Status → {"error":{"code":<int status>,"message",
//                                    "metadata":{"error_type"}}} with its HTTP status
//   write_openrouter_error_object()  the `error` object alone (the in-stream error chunk)
//   render_openrouter_models()       GET /api/v1/models: ModelsListResponse
//
// Thread-safety: functions are pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ploke/adapters/inbound.h"
#include "ploke/adapters/openai/server.h"
#include "ploke/core/status.h"

namespace ploke::adapters::openrouter {

using inbound::InboundRequest;
using inbound::Reply;

/// OpenRouter's request members as an OpenAI RequestExtension: each becomes an
/// `openrouter.*` tag in request.meta.tags (OpenRouterPreferences::to_tags(), so an
/// OpenRouter upstream receives it unchanged) and, where the gateway can apply it to its
/// own endpoints, a RoutingHints field (provider.order/only/ignore/allow_fallbacks,
/// `models` → fallback_models). `provider` is read by parse_openrouter_provider()
/// (provider_json.h) in pass-through mode: unknown keys pass through (the upstream
/// decides); wrong types are OpenRouter's 400s (`provider.allow_fallbacks: expected a
/// boolean`).
const openai::RequestExtension& openrouter_request_extension();
/// openai::parse_openai_chat_request() with openrouter_request_extension().
Result<InboundRequest> parse_openrouter_chat_request(std::string_view body,
                                                     openai::ParsePath path = openai::ParsePath::kAuto);

/// OpenRouter's dialect of the stream for openai::OpenAiSseWriter: the usage chunk always
/// ends the stream (as OpenRouter does) and an error is a chunk of the stream (its id, an
/// empty delta with finish_reason "error", a top-level `error` object).
openai::ChatDialect openrouter_chat_dialect();

/// OpenRouter (/api/v1) error reply: {"error":{"code":<int status>,"message",
/// "metadata":{"error_type"}}}; 402 for insufficient credits, 408 for timeouts, 502 for
/// upstream failures, otherwise openai_error_http_status(). Errors that came from an
/// upstream are worded as OpenAI words them (no upstream text, provider names or tags); the
/// caller's own request errors keep their field path.
Reply render_openrouter_error(const Status& st);
int openrouter_error_http_status(const Status& st);
/// The `error` object alone (for the in-stream error chunk).
void write_openrouter_error_object(std::string& out, int code, const Status& st);

/// GET /api/v1/models: OpenRouter's ModelsListResponse (total_count, links, full models).
std::string render_openrouter_models(const std::vector<std::string>& ids, int64_t created);

}  // namespace ploke::adapters::openrouter
