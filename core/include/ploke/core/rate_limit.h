// File: ploke/core/rate_limit.h
//
// RateLimitObservation: what one response's headers say about the caller's rate limits,
// normalized across wire protocols. A ProviderAdapter produces it
// (ProviderAdapter::observe_rate_limits: OpenAI x-ratelimit-*, Anthropic
// anthropic-ratelimit-*, retry-after-ms / retry-after); the resilience layer's limiters
// learn from it without knowing any header name.
#pragma once

#include <cstdint>
#include <optional>

#include "ploke/core/clock.h"

namespace ploke {

struct RateLimitObservation {
  std::optional<uint64_t> limit_requests, remaining_requests;
  std::optional<uint64_t> limit_tokens, remaining_tokens;
  std::optional<Duration> reset_requests, reset_tokens;  ///< time until the window resets
  std::optional<Duration> retry_after;
  bool empty() const {
    return !limit_requests && !remaining_requests && !limit_tokens && !remaining_tokens && !reset_requests &&
           !reset_tokens && !retry_after;
  }
};

}  // namespace ploke
