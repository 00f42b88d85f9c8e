// File: ploke/adapters/inbound.h
//
// The server side of the wire formats the client-side adapters speak. A gateway
// (gateway/) parses what an OpenAI / Anthropic / OpenRouter client sends into the
// normalized ChatRequest, runs it through the core, and renders the answer (or the error)
// back in the protocol the client spoke, so the client's own SDK sees what it would see from
// the real provider. This header holds the protocol-neutral types every server half shares
// (InboundRequest, RoutingHints, Reply); each protocol's server half is in its package.
//
// OpenAI's server half (parse_openai_chat_request(), render_openai_chat_completion(),
// OpenAiSseWriter, render_openai_error()) is ploke/adapters/openai/server.h; Anthropic's
// (parse_anthropic_messages_request(), render_anthropic_message(), AnthropicSseWriter,
// render_anthropic_error()) is ploke/adapters/anthropic/server.h; OpenRouter's
// ploke/adapters/openrouter/server.h.
//
// Requests: unknown top-level fields are ignored (clients send many optional ones); a
// field of the wrong type or a value the core cannot carry is kInvalidRequest naming the
// field path ("messages[2].content[0].type: unsupported part type 'input_audio'"), which
// render_*_error() turns into the protocol's 400.
//
// Routing wishes a dialect's request extensions express (provider order / only / ignore,
// fallbacks, fallback models: e.g. OpenRouter's, read by ploke/adapters/openrouter/server.h)
// land in RoutingHints, protocol-neutral, so the gateway can apply them to its own
// endpoints; the dialect's package also keeps them as request tags for an upstream of its
// own protocol. ploke's own per-request overrides may come in the body as
// `"ploke": {"provider": "...", "policy": "...", "deadline_ms": N, "priority": "high"}`
// (the gateway also reads x-ploke-* headers).
//
// Error mapping (Status → OpenAI), chosen so the SDKs classify as for the real API (the
// Anthropic mapping: ploke/adapters/anthropic/server.h):
//   code                      OpenAI status/type
//   rate_limited              429 rate_limit_exceeded (+retry-after, retry-after-ms)
//   overloaded                503 server_error (+retry-after)
//   server_error              upstream 5xx or 502 server_error
//   timeout                   504 timeout
//   connection_reset, malformed_response, stream_interrupted
//                             502 server_error
//   auth                      401 invalid_api_key
//   permission                403 permission_denied
//   not_found                 404 model_not_found
//   invalid_request           400 invalid_request_error (param = field path)
//   context_length_exceeded   400 context_length_exceeded
//   content_filter            400 content_filter
//   insufficient_credits      429 insufficient_quota (x-should-retry: false)
//   cancelled                 499 cancelled
//   internal                  500 server_error
// Messages are the Status message (already redacted); never a secret.
//
// Thread-safety: functions are pure; a writer object belongs to one stream.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ploke/core/chat.h"
#include "ploke/core/status.h"

namespace ploke::adapters::inbound {

/// Routing wishes a client expressed in the body (a dialect's extensions, ploke's own).
struct RoutingHints {
  /// Provider preferences: tried first, in this order; only these; never these; whether
  /// providers beyond them may serve (unset: yes).
  std::vector<std::string> provider_order, provider_only, provider_ignore;
  std::optional<bool> allow_fallbacks;
  std::vector<std::string> fallback_models;  ///< tried after the request's model, in order
  std::string sort;                  ///< provider sort: "price" | "latency" | "throughput" (OpenRouter provider.sort)
  std::string pin;                   ///< ploke.provider: endpoint id, provider or provider/model
  std::string policy;                ///< ploke.policy
  std::optional<int64_t> deadline_ms;  ///< ploke.deadline_ms
  std::optional<Priority> priority;    ///< ploke.priority
};

struct InboundRequest {
  ChatRequest request;
  RoutingHints hints;
  bool include_usage = false;  ///< OpenAI stream_options.include_usage
  /// OpenAI `n`: how many choices the client wants (the request itself describes one).
  uint32_t n = 1;
};

/// "low" | "normal" | "high" | "critical" (or 0..3). nullopt when unknown.
std::optional<Priority> parse_priority(std::string_view text);

/// A complete HTTP answer in a protocol's shape.
struct Reply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  ///< besides content-type
  std::string body;
};

/// What a protocol answers with where protocols differ in the Status → HTTP status map;
/// every other code maps the same for all (ok 200, rate_limited 429, timeout 504,
/// connection_reset / malformed_response / stream_interrupted 502, auth 401, permission 403,
/// not_found 404, invalid_request / context_length_exceeded / content_filter 400,
/// cancelled 499, internal 500).
struct ErrorStatusChoices {
  int overloaded = 503;            ///< kOverloaded
  int insufficient_credits = 429;  ///< kInsufficientCredits
  int server_error = 502;          ///< kServerError whose upstream status is not kept
  bool keep_any_5xx = true;        ///< kServerError keeps any upstream 5xx (false: only 502 and 503)
};

/// The HTTP status `st` is answered with in a protocol that makes `choices`.
int error_http_status(const Status& st, const ErrorStatusChoices& choices);

/// Which request parser a server half uses (tests, benches): kAuto takes the single-pass
/// fast path when it can and falls back to the DOM path; kFastOnly fails with kInternal
/// "fast path declined" where kAuto would fall back.
enum class ParsePath { kAuto, kDomOnly, kFastOnly };

/// A tool name both APIs take: 1 to 64 of [a-zA-Z0-9_-] (OpenAI's and Anthropic's pattern).
inline bool tool_name_ok(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  for (const char c : n) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

/// Rough prompt token estimate (characters / 4, at least 1).
uint64_t estimate_prompt_tokens(const ChatRequest& r);

}  // namespace ploke::adapters::inbound