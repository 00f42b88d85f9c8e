// File: ploke/adapters/openai/errors.h
//
// OpenAI-protocol error mapping and response-header parsing, shared by the OpenAI-compatible
// adapters ("openai", "custom") and usable by policies (the rate limiter reads
// RateLimitInfo). Everything here is a pure function of its inputs: no clock, no I/O.
//
// Mapping (HTTP status + `{"error":{message,type,param,code}}` body + headers → StatusCode):
//   429 → kRateLimited, except code/type `insufficient_quota` → kInsufficientCredits
//   401 → kAuth · 403 → kPermission · 404 → kNotFound · 402 → kInsufficientCredits
//   400/422 (and other 4xx) → kInvalidRequest, except code `context_length_exceeded` →
//     kContextLengthExceeded and content-filter codes (content_filter,
//     content_policy_violation, moderation_blocked, …) → kContentFilter
//   408 → kTimeout (phase kNone: the server gave up) · 409 → kServerError (retryable)
//   503, 529, type `overloaded_error` or a message containing "overloaded" (any ≥ 500) →
//     kOverloaded · other ≥ 500 → kServerError · 1xx/3xx/unknown → kServerError
// Headers: `retry-after-ms` (float ms) wins over `retry-after` (float seconds, or an
// HTTP-date — only converted when the caller passes `now`; map_error() has no clock, so
// an HTTP-date retry-after is then left unset). `x-should-retry: true|false` sets
// Status::should_retry(). The Status carries provider, http_status and a redacted body
// excerpt.
//
// Thread-safety: pure functions.
//
// Example:
//   RateLimitInfo rl = parse_openai_rate_limit_headers(resp.headers);
//   if (rl.remaining_requests == 0 && rl.reset_requests) wait(*rl.reset_requests);
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ploke/adapters/retry_after.h"
#include "ploke/core/clock.h"
#include "ploke/core/status.h"
#include "ploke/core/transport.h"

namespace ploke::adapters::openai {

/// OpenAI `x-ratelimit-*` headers. Unset fields were absent or unparsable.
struct RateLimitInfo {
  std::optional<uint64_t> limit_requests;
  std::optional<uint64_t> limit_tokens;
  std::optional<uint64_t> remaining_requests;
  std::optional<uint64_t> remaining_tokens;
  std::optional<Duration> reset_requests;  ///< time until the request window resets
  std::optional<Duration> reset_tokens;    ///< time until the token window resets
  bool empty() const {
    return !limit_requests && !limit_tokens && !remaining_requests && !remaining_tokens &&
           !reset_requests && !reset_tokens;
  }
  friend bool operator==(const RateLimitInfo&, const RateLimitInfo&) = default;
};

/// Parses x-ratelimit-{limit,remaining,reset}-{requests,tokens}.
RateLimitInfo parse_openai_rate_limit_headers(const Headers& headers);

/// Parses a Go-style duration as OpenAI sends it: "12ms", "1s", "6m0s", "1h2m3.5s",
/// "0.5s", "250us"/"250µs", "10ns". A bare number is seconds. Returns nullopt when
/// malformed or negative.
std::optional<Duration> parse_go_duration(std::string_view text);

// parse_retry_after(): ploke/adapters/retry_after.h (shared by every protocol).

/// Maps an error response of an OpenAI-compatible API onto a Status (see the table
/// above). `http_status` 0 means "in-band error" (a stream chunk or a 2xx body carrying
/// `error`): the code then comes from a numeric `error.code`, else from error.type/code,
/// else kServerError. Never fails; a non-JSON body keeps the status-based code.
Status map_openai_error(int http_status, std::string_view body, const Headers& headers,
                        std::string_view provider);

}  // namespace ploke::adapters::openai
