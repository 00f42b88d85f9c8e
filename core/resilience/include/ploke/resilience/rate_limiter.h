// File: ploke/resilience/rate_limiter.h
//
// RateLimiter: client-side requests/min and tokens/min for one scope (a provider, or one
// API key of a provider), so the client slows down before the provider answers 429.
//
// Model: two token buckets (requests, tokens) that refill continuously at limit/60 s up
// to `limit` (a full minute's burst). Admission reserves one request and an *estimated*
// number of tokens; reconcile() later corrects the token bucket by (actual − estimate)
// (the bucket may go negative: debt, repaid by refill). Unknown limits (0) are unlimited.
//
// Learning from the provider: observe() takes what the response headers said, as the
// endpoint's adapter normalized them (ProviderAdapter::observe_rate_limits,
// ploke/core/rate_limit.h):
//   - limit_*     → the bucket's capacity and refill rate (the provider knows best);
//   - remaining_* → the bucket level is lowered to it (never raised: our own in-flight
//                   reservations are not yet counted by the provider);
//   - remaining_* = 0 with reset_* → blocked until now + reset;
//   - retry_after (a 429) → blocked until now + retry_after.
//
// Thread-safety: not thread-safe; the façade serialises access.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ploke/core/clock.h"
#include "ploke/core/rate_limit.h"

namespace ploke::resilience {


struct RateLimits {
  uint64_t requests_per_minute = 0;  ///< 0 = unlimited (until learned)
  uint64_t tokens_per_minute = 0;    ///< 0 = unlimited (until learned)
};

/// The result of asking for admission.
struct RateDecision {
  bool allowed = true;
  Duration wait{0};     ///< when refused: how long until it would be allowed
  std::string reason;   ///< when refused: "tokens/min: need 1200, have 300"
};

class RateLimiter {
 public:
  RateLimiter(RateLimits limits, TimePoint now);

  /// Would a request with `estimated_tokens` be admitted now (no side effect)?
  RateDecision check(TimePoint now, uint64_t estimated_tokens);
  /// Admits and reserves (1 request, `estimated_tokens` tokens), or refuses.
  RateDecision acquire(TimePoint now, uint64_t estimated_tokens);
  /// Corrects a reservation with the tokens actually used (0 for a failed attempt that
  /// the provider did not bill).
  void reconcile(TimePoint now, uint64_t estimated_tokens, uint64_t actual_tokens);
  /// Undoes an acquire() whose request was never sent (gives the request and tokens back).
  void cancel(TimePoint now, uint64_t estimated_tokens);
  void observe(TimePoint now, const RateLimitObservation& o);

  RateLimits limits() const { return limits_; }
  double available_requests(TimePoint now);
  double available_tokens(TimePoint now);
  std::optional<TimePoint> blocked_until() const { return blocked_until_; }
  uint64_t throttled_total() const { return throttled_; }

 private:
  struct Bucket {
    double level = 0;
    uint64_t limit = 0;  // per minute; 0 = unlimited
    TimePoint updated{};
    void refill(TimePoint now);
    Duration time_to(double need) const;  // from `level` to `need` at limit/60 s
  };

  RateLimits limits_;
  Bucket requests_, tokens_;
  std::optional<TimePoint> blocked_until_;
  uint64_t throttled_ = 0;
};

}  // namespace ploke::resilience
