// File: ploke/resilience/retry.h
//
// Retry policy: what to do after a failed attempt — retry the same endpoint after a
// delay, fall over to the next candidate now, or give up — decided from the Status
// code's RetryClass (ploke/core/status.h), the provider's hints, the retry budget and
// the caller's deadline.
//
// Backoff (jittered exponential, seeded Random; `base` 250 ms, `cap` 20 s by default):
//   - full jitter:         sleep = uniform[0, min(cap, base × 2^n)]            (n = retry #)
//   - decorrelated jitter: sleep = min(cap, uniform[base, 3 × previous sleep])  (default)
//   - none:                sleep = min(cap, base × 2^n)
// Both jittered forms come from the AWS Architecture Blog "Exponential Backoff And
// Jitter"; decorrelated keeps a floor of `base`, full jitter spreads best under storms.
//
// Retry-After: a provider's retry_after() replaces the backoff (never shortened). When it
// is longer than `max_retry_after` (default 30 s) or than the time left before the
// deadline, the decision is "fall over now": another endpoint may answer at once.
//
// Retry budget (Finagle/Envoy style): retries of the same endpoint are allowed only while
//   retries in the window < min_retries + ratio × requests in the window
// (defaults: ratio 0.2, min 10, window 10 s in 10 slots), so a storm of failing requests
// adds at most ~20 % load on top. Fall-overs to another endpoint are bounded by the
// candidate chain, not by the budget.
//
// Deadline-aware: a retry is never scheduled if now + delay + min_attempt_time would pass
// the deadline; then the decision is fall over (if the deadline still leaves time for an
// attempt) or fail with kTimeout.
//
// Thread-safety: not thread-safe; the façade serialises access.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/core/random.h"
#include "ploke/core/status.h"
#include "ploke/resilience/histogram.h"

namespace ploke::resilience {

enum class JitterMode : uint8_t { kNone, kFull, kDecorrelated };
std::string_view jitter_mode_name(JitterMode m);

struct BackoffConfig {
  Duration base = std::chrono::milliseconds(250);
  Duration cap = std::chrono::seconds(20);
  JitterMode jitter = JitterMode::kDecorrelated;
};

/// The delay sequence of one request's retries.
class Backoff {
 public:
  Backoff(BackoffConfig config, Random& random) : cfg_(config), random_(random) {}
  /// The next delay; advances the sequence.
  Duration next();
  void reset() { attempt_ = 0; previous_ = Duration(0); }
  uint32_t attempts() const { return attempt_; }

 private:
  BackoffConfig cfg_;
  Random& random_;
  uint32_t attempt_ = 0;
  Duration previous_{0};
};

struct RetryBudgetConfig {
  double ratio = 0.2;        ///< retries may add this share of recent requests
  uint32_t min_retries = 10; ///< always allowed per window (low-traffic floor)
  WindowConfig window{std::chrono::seconds(1), 10};
};

/// Limits retries to a share of recent requests.
class RetryBudget {
 public:
  explicit RetryBudget(RetryBudgetConfig config = {});
  /// A new request (first attempt) entered.
  void on_request(TimePoint now);
  /// Takes a retry from the budget; false when the budget is spent.
  bool try_spend(TimePoint now);
  uint64_t requests_in_window(TimePoint now) const;
  uint64_t retries_in_window(TimePoint now) const;
  double allowed_in_window(TimePoint now) const;
  uint64_t denied_total() const { return denied_; }

 private:
  uint64_t sum(const std::vector<uint64_t>& ring, TimePoint now) const;
  void bump(std::vector<uint64_t>& ring, TimePoint now);

  RetryBudgetConfig cfg_;
  SlotClock slots_;
  std::vector<int64_t> epochs_;
  std::vector<uint64_t> requests_, retries_;
  uint64_t denied_ = 0;
};

struct RetryConfig {
  /// Retries of the same endpoint per request, by default (so ≤ 1 + this attempts there).
  uint32_t max_retries_per_endpoint = 2;
  /// Per-code overrides of max_retries_per_endpoint (index = StatusCode). Defaults:
  /// kMalformedResponse 1, kRateLimited 2, kTimeout 1 (a timed-out call may have been slow
  /// on purpose: fall over soon).
  std::array<std::optional<uint32_t>, static_cast<size_t>(StatusCode::kInternal) + 1> per_code = default_per_code();
  /// Total attempts across all endpoints for one request.
  uint32_t max_total_attempts = 6;
  /// Longest Retry-After honoured by waiting; longer → fall over now.
  Duration max_retry_after = std::chrono::seconds(30);
  /// Time an attempt needs at least; no retry is scheduled that leaves less before the
  /// deadline.
  Duration min_attempt_time = std::chrono::milliseconds(50);

  static std::array<std::optional<uint32_t>, static_cast<size_t>(StatusCode::kInternal) + 1> default_per_code();
  uint32_t max_retries_for(StatusCode code) const;
};

enum class RetryAction : uint8_t { kRetrySame, kFallOver, kFail };
std::string_view retry_action_name(RetryAction a);

struct RetryDecision {
  RetryAction action = RetryAction::kFail;
  Duration delay{0};        ///< kRetrySame: wait this long first
  bool from_retry_after = false;
  std::string reason;       ///< human-readable: "retry in 250ms (backoff)", "fall over: …"
};

/// What the decision needs to know about the request so far.
struct AttemptContext {
  uint32_t retries_on_endpoint = 0;  ///< retries already made on this endpoint
  uint32_t total_attempts = 0;       ///< attempts made so far (all endpoints), incl. this one
  std::optional<TimePoint> deadline;
  bool more_candidates = true;       ///< another endpoint is left to fall over to
};

/// Decides after a failed attempt. Spends from `budget` when it returns kRetrySame.
RetryDecision decide_retry(const Status& error, const AttemptContext& ctx, const RetryConfig& config,
                           Backoff& backoff, RetryBudget& budget, TimePoint now);

}  // namespace ploke::resilience
