// File: ploke/adapters/anthropic/errors.h
//
// Anthropic Messages error mapping and rate-limit header parsing (the client half). Pure
// functions of their inputs: no clock, no I/O.
//
// Error body: {"type":"error","error":{"type":…,"message":…},"request_id":"req_…"}.
// Mapping (HTTP status + error.type + headers → StatusCode):
//   400 invalid_request_error → kInvalidRequest, except a message saying the prompt is too
//     long ("prompt is too long", "exceed context limit", "context window") →
//     kContextLengthExceeded · 413 request_too_large → kInvalidRequest
//   401 authentication_error → kAuth · 403 permission_error → kPermission
//   402 billing_error → kInsufficientCredits · 404 not_found_error → kNotFound
//   429 rate_limit_error → kRateLimited (error.details.error_code
//     "enforced_spend_limit_reached" → kInsufficientCredits)
//   408 → kTimeout (phase kNone) · 409 → kServerError (retryable)
//   529 overloaded_error, 503, or type overloaded_error on any ≥ 500 → kOverloaded
//   other ≥ 500 (500 api_error, 504 timeout_error) → kServerError
// `http_status` 0 is an in-band error (the `event: error` of a stream, or a 2xx body whose
// type is "error"): the code then comes from error.type alone, the same table, with
// api_error / unknown types → kServerError and timeout_error → kTimeout.
// Headers: `retry-after-ms` then `retry-after` (parse_retry_after(),
// ploke/adapters/retry_after.h), `x-should-retry`. The request id (`request-id` header, else the body's
// `request_id`) is appended to the message. The Status carries provider, http_status and a
// redacted body excerpt.
//
// Thread-safety: pure functions.
//
// Example:
//   AnthropicRateLimitInfo rl = parse_anthropic_rate_limit_headers(resp.headers);
//   if (rl.requests_remaining == 0 && rl.requests_reset) wait_until(*rl.requests_reset);
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "ploke/core/clock.h"
#include "ploke/core/status.h"
#include "ploke/core/transport.h"

namespace ploke::adapters::anthropic {

/// One `anthropic-ratelimit-<family>-{limit,remaining,reset}` triple. Unset fields were
/// absent or unparsable. `reset` is an absolute time (RFC 3339 on the wire).
struct AnthropicLimit {
  std::optional<uint64_t> limit;
  std::optional<uint64_t> remaining;
  std::optional<SystemTime> reset;
  bool empty() const { return !limit && !remaining && !reset; }
  friend bool operator==(const AnthropicLimit&, const AnthropicLimit&) = default;
};

/// The anthropic-ratelimit-* families (requests, tokens, input-tokens, output-tokens).
struct AnthropicRateLimitInfo {
  AnthropicLimit requests;
  AnthropicLimit tokens;
  AnthropicLimit input_tokens;
  AnthropicLimit output_tokens;
  bool empty() const { return requests.empty() && tokens.empty() && input_tokens.empty() && output_tokens.empty(); }
  friend bool operator==(const AnthropicRateLimitInfo&, const AnthropicRateLimitInfo&) = default;
};

AnthropicRateLimitInfo parse_anthropic_rate_limit_headers(const Headers& headers);

/// Parses an RFC 3339 timestamp: "2025-08-21T12:40:59Z", with optional fractional seconds
/// and a "Z" or ±hh:mm offset. nullopt when malformed or outside the years 1970..2200
/// (SystemTime's nanoseconds cannot hold much more).
std::optional<SystemTime> parse_rfc3339(std::string_view text);

/// Maps an Anthropic error (see the table above). Never fails: a body that is not the
/// Anthropic error shape keeps the status-based code (and OpenAI-shaped bodies from
/// proxies are understood too).
Status map_anthropic_error(int http_status, std::string_view body, const Headers& headers,
                           std::string_view provider);

}  // namespace ploke::adapters::anthropic
