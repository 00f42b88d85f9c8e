// File: ploke/resilience/circuit_breaker.h
//
// CircuitBreaker: one per endpoint. States and transitions (every transition is a
// BreakerEvent with its reason):
//
//   closed ──(failure rate ≥ threshold over the last `window_size` calls, once
//             `minimum_calls` were seen | `consecutive_failures` in a row |
//             slow-call rate ≥ threshold: TTFT over `slow_call_threshold`)──▶ open
//   open ──(open wait elapsed; the wait is base × multiplier^(openings-1), capped)──▶ half-open
//   half-open ──(`half_open_trials` trial calls all succeed)──▶ closed
//   half-open ──(any trial fails or is slow)──▶ open (wait grows: another opening)
//   (with `half_open = false`: open ──(wait elapsed)──▶ closed, a plain cooldown)
//
// Only endpoint-health codes count as failures (counts_as_failure()): overloaded, 5xx,
// timeouts, resets, malformed responses, interrupted streams. Rate limits (the limiter's
// job), caller errors (invalid request, auth, cancelled…) are ignored by the breaker.
// The wait grows with consecutive openings and is reset when a half-open trial closes
// the breaker. Time comes from the injected Clock; the open → half-open move happens
// lazily when the breaker is next asked (its event carries the time it became due).
//
// Thread-safety: not thread-safe; the façade serialises access.
//
// Example:
//   CircuitBreaker b(clock, BreakerConfig{}, "openai/gpt-4o");
//   if (!b.try_acquire()) { /* skip this endpoint */ }
//   ... b.on_success(ttft) / b.on_failure(code) / b.on_ignored()
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/core/status.h"

namespace ploke::resilience {

enum class BreakerState : uint8_t { kClosed, kOpen, kHalfOpen };
std::string_view breaker_state_name(BreakerState s);

struct BreakerConfig {
  size_t window_size = 20;               ///< count-based sliding window of recent calls
  size_t minimum_calls = 10;             ///< no rate-based trip before this many calls
  double failure_rate_threshold = 0.5;   ///< trip when failures / calls ≥ this
  uint32_t consecutive_failures = 5;     ///< trip on this many failures in a row (0 = off)
  Duration slow_call_threshold = std::chrono::seconds(10);  ///< TTFT above this is slow
  double slow_call_rate_threshold = 0.8; ///< trip when slow / calls ≥ this (> 1 = off)
  /// Open waits 2 s, 4 s, then 5 s for every further consecutive opening (was 5 s doubling
  /// to 5 min: after a 2-minute outage traffic came back ~30 s late; bench/behaviour).
  Duration open_base = std::chrono::seconds(2);
  double open_multiplier = 2.0;
  Duration open_max = std::chrono::seconds(5);
  uint32_t half_open_trials = 3;         ///< trial calls let through; all must succeed
  /// false: no half-open state — when the open wait elapses the breaker closes at once
  /// (full traffic, counts start over, the wait does not grow): a fixed cooldown like
  /// LiteLLM's router (bench/behaviour compares the two).
  bool half_open = true;
};

struct BreakerEvent {
  TimePoint at;
  BreakerState from = BreakerState::kClosed;
  BreakerState to = BreakerState::kClosed;
  std::string reason;       ///< e.g. "failure rate 60% >= 50% over 10 calls"
  uint32_t openings = 0;    ///< consecutive openings so far (1 = first)
  Duration open_for{0};     ///< the wait chosen when moving to open
};

/// True for the codes that count against an endpoint's health.
bool counts_as_failure(StatusCode code);

class CircuitBreaker {
 public:
  using Listener = std::function<void(const std::string& name, const BreakerEvent&)>;

  CircuitBreaker(Clock& clock, BreakerConfig config, std::string name);

  /// Asks to send a call. Closed: yes. Open: no, unless the wait elapsed (then half-open).
  /// Half-open: yes while fewer than `half_open_trials` trials are outstanding/finished.
  bool try_acquire();
  /// Would try_acquire() say yes, without taking a half-open trial slot (router filter).
  bool would_allow() const;
  void on_success(std::optional<Duration> ttft);
  void on_failure(StatusCode code);
  /// An acquired call ended in a way the breaker does not judge (rate limited, caller
  /// error, cancelled): gives a half-open trial slot back.
  void on_ignored();
  /// Convenience: dispatches on the code (OK → success, counts_as_failure → failure,
  /// otherwise ignored).
  void on_result(StatusCode code, std::optional<Duration> ttft);

  BreakerState state() const;  ///< reports half-open once the wait elapsed
  /// Time left before half-open (0 unless open).
  Duration remaining_open() const;
  uint32_t openings() const { return openings_; }
  double failure_rate() const;
  double slow_call_rate() const;
  size_t window_calls() const { return window_.size(); }
  const std::vector<BreakerEvent>& events() const { return events_; }  ///< last 64
  const std::string& name() const { return name_; }
  const BreakerConfig& config() const { return cfg_; }
  void set_listener(Listener l) { listener_ = std::move(l); }
  /// Forces a state (operator override, tests); recorded as an event. Forcing kClosed
  /// always starts the counts over, on a breaker already closed too (no event then).
  void force(BreakerState s, std::string reason);

 private:
  struct Outcome { bool failure; bool slow; };
  void record(Outcome o);
  void maybe_half_open();
  void transition(BreakerState to, std::string reason, TimePoint at);
  Duration open_duration() const;

  Clock& clock_;
  BreakerConfig cfg_;
  std::string name_;
  BreakerState state_ = BreakerState::kClosed;
  std::deque<Outcome> window_;
  size_t failures_ = 0, slow_ = 0;
  uint32_t consecutive_ = 0;
  uint32_t openings_ = 0;
  TimePoint open_until_{};
  uint32_t trials_started_ = 0, trials_succeeded_ = 0;
  std::vector<BreakerEvent> events_;
  Listener listener_;
};

}  // namespace ploke::resilience
