// File: ploke/resilience/endpoint_stats.h
//
// EndpointStats: passive health statistics of one endpoint (provider + model + URL),
// fed with the outcome of every attempt the façade makes through it:
//   - latency histograms over a sliding window (default the last 60 s in 6 slots): time
//     to first token (TTFT), total time, and output tokens per second;
//   - outcome counts per StatusCode over the same window (error rates by code and by
//     RetryClass);
//   - a provider score in [0, 1] combining a smoothed success rate and p95 latency.
//
// Score (documented default; see README "Health"): success rate is smoothed with a prior
// of `prior_calls` calls at `prior_success_rate` (9 of 10 by default, so an endpoint with
// no data scores like a decent one and still gets traffic), then
//   score = smoothed_success_rate × latency_ref / (latency_ref + p95_total)
// with latency_ref = 2 s: a 2 s p95 halves the score, 200 ms costs 9 %.
//
// Thread-safety: not thread-safe; the façade serialises access.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "ploke/core/clock.h"
#include "ploke/core/status.h"
#include "ploke/resilience/histogram.h"

namespace ploke::resilience {

inline constexpr size_t kNumStatusCodes = static_cast<size_t>(StatusCode::kInternal) + 1;

/// Outcome counts per StatusCode over a sliding time window.
class WindowedCounts {
 public:
  using Counts = std::array<uint64_t, kNumStatusCodes>;
  explicit WindowedCounts(WindowConfig config = {});
  void add(TimePoint now, StatusCode code);
  Counts snapshot(TimePoint now) const;
  const Counts& lifetime() const { return lifetime_; }

 private:
  SlotClock slots_;
  std::vector<Counts> ring_;
  std::vector<int64_t> epochs_;
  Counts lifetime_{};
};

struct StatsConfig {
  WindowConfig window;
  double prior_calls = 10.0;
  double prior_success_rate = 0.9;
  Duration latency_ref = std::chrono::seconds(2);
};

/// Percentiles of one metric, in milliseconds (tokens/s for throughput).
struct Percentiles {
  uint64_t count = 0;
  double p50 = 0, p95 = 0, p99 = 0, mean = 0, max = 0;
};

/// What `provider health` shows for one endpoint.
struct HealthSnapshot {
  uint64_t calls = 0;       ///< attempts in the window
  uint64_t successes = 0;
  /// successes / (successes + retryable + fall-over errors): caller-side errors
  /// (invalid request, cancelled) do not count against the endpoint. 1.0 with no calls.
  double success_rate = 1.0;
  double smoothed_success_rate = 1.0;  ///< with the prior
  double error_rate = 0.0;             ///< 1 - success_rate
  double retryable_error_rate = 0.0;   ///< RetryClass::kRetry codes / calls
  double fallover_error_rate = 0.0;    ///< RetryClass::kFallOver codes / calls
  double fatal_error_rate = 0.0;       ///< RetryClass::kFatal codes / calls
  WindowedCounts::Counts by_code{};    ///< outcomes per StatusCode (index = code)
  Percentiles ttft_ms, total_ms, tokens_per_s;
  double score = 0.0;
};

class EndpointStats {
 public:
  explicit EndpointStats(StatsConfig config = {});

  /// A successful attempt. `ttft` is unset for non-streamed calls (then total is used for
  /// TTFT too: the first token arrived with the whole body).
  void record_success(TimePoint now, std::optional<Duration> ttft, Duration total, uint64_t output_tokens);
  /// A failed attempt (any non-OK code; kCancelled is counted but not as an error class).
  void record_failure(TimePoint now, StatusCode code, Duration total);

  HealthSnapshot snapshot(TimePoint now) const;
  /// The score alone (cheaper than snapshot(): no percentile other than p95 total).
  double score(TimePoint now) const;

  const WindowedHistogram& ttft_us() const { return ttft_us_; }
  const WindowedHistogram& total_us() const { return total_us_; }
  const WindowedCounts& outcomes() const { return outcomes_; }
  uint64_t output_tokens_total() const { return tokens_total_; }

 private:
  StatsConfig cfg_;
  WindowedHistogram ttft_us_;
  WindowedHistogram total_us_;
  WindowedHistogram milli_tokens_per_s_;
  WindowedCounts outcomes_;
  uint64_t tokens_total_ = 0;
};

/// Microseconds of `d` (negative → 0), for histogram recording.
inline uint64_t to_us(Duration d) {
  const int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return us > 0 ? static_cast<uint64_t>(us) : 0;
}

}  // namespace ploke::resilience
