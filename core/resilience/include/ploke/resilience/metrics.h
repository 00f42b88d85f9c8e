// File: ploke/resilience/metrics.h
//
// The façade's metrics, declared in ONE list (PLOKE_RESILIENCE_METRICS below: id, name,
// type, help, label names) and rendered in the Prometheus text exposition format 0.0.4
// by render_prometheus(). Serving it over HTTP (/metrics) is the CLI's job.
//
// Histograms keep a LogLinearHistogram of microseconds per label set and are exposed with
// fixed `le` buckets in seconds (5 ms … 60 s, +Inf); a bucket count is exact at the
// log-linear histogram's bucket bounds and otherwise conservative (values in the log
// bucket that straddles `le` are counted in the next `le`).
//
// Thread-safety: not thread-safe; LlmClient serialises access.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/resilience/histogram.h"

namespace ploke::resilience {

// X(id, name, type, help, labels)
#define PLOKE_RESILIENCE_METRICS(X)                                                                                  \
  X(kRequests, "ploke_llm_requests_total", kCounter, "Facade calls by final outcome (StatusCode name).", "outcome")  \
  X(kAttempts, "ploke_llm_attempts_total", kCounter, "Attempts by endpoint and outcome.", "endpoint,outcome")        \
  X(kRetries, "ploke_llm_retries_total", kCounter, "Retries of the same endpoint.", "endpoint")                      \
  X(kFallovers, "ploke_llm_fallovers_total", kCounter, "Fall-overs away from an endpoint.", "endpoint")              \
  X(kRetryBudgetDenied, "ploke_llm_retry_budget_denied_total", kCounter, "Retries refused by the retry budget.", "") \
  X(kThrottled, "ploke_llm_throttled_total", kCounter,                                                               \
    "Endpoints skipped or waited for because a client-side rate limiter refused.", "endpoint")                       \
  X(kRateLimitWaitSeconds, "ploke_llm_rate_limit_wait_seconds_total", kCounter,                                      \
    "Time spent waiting for client-side rate limiters.", "")                                                         \
  X(kAdmissionRejected, "ploke_llm_admission_rejected_total", kCounter, "Requests rejected: queue lane full.",       \
    "lane")                                                                                                          \
  X(kQueueDepth, "ploke_llm_queue_depth", kGauge, "Requests waiting for admission.", "lane")                         \
  X(kInFlight, "ploke_llm_in_flight", kGauge, "Requests holding an admission slot.", "")                             \
  X(kQueueWait, "ploke_llm_queue_wait_seconds", kHistogram, "Time spent waiting for admission.", "lane")             \
  X(kBreakerState, "ploke_llm_breaker_state", kGauge, "Circuit breaker state: 0 closed, 1 open, 2 half-open.",      \
    "endpoint")                                                                                                      \
  X(kBreakerOpenRemaining, "ploke_llm_breaker_open_remaining_seconds", kGauge,                                      \
    "Seconds until an open breaker goes half-open.", "endpoint")                                                     \
  X(kBreakerTransitions, "ploke_llm_breaker_transitions_total", kCounter, "Circuit breaker transitions.",            \
    "endpoint,to")                                                                                                   \
  X(kTtft, "ploke_llm_ttft_seconds", kHistogram, "Time to first token of successful streamed attempts.",             \
    "endpoint")                                                                                                      \
  X(kAttemptDuration, "ploke_llm_attempt_duration_seconds", kHistogram, "Duration of successful attempts.",          \
    "endpoint")                                                                                                      \
  X(kRequestDuration, "ploke_llm_request_duration_seconds", kHistogram, "Facade call duration, all attempts.", "")   \
  X(kTokens, "ploke_llm_tokens_total", kCounter, "Tokens used, by endpoint and kind (prompt, completion).",          \
    "endpoint,kind")                                                                                                 \
  X(kCostUsd, "ploke_llm_cost_usd_total", kCounter, "Estimated spend in USD from catalog prices.", "endpoint") \
  X(kProbes, "ploke_llm_probes_total", kCounter,                                                                     \
    "Active health probes by endpoint and outcome (skipped_budget, skipped_breaker, or a StatusCode name).",        \
    "endpoint,outcome")                                                                                              \
  X(kBudgetWarnings, "ploke_llm_budget_warnings_total", kCounter,                                                    \
    "Attempts made while a spending budget warned (over 80% or a warn budget exceeded).", "provider")              \
  X(kBudgetBlocked, "ploke_llm_budget_blocked_total", kCounter,                                                      \
    "Attempts refused because a stop budget would be exceeded.", "provider")                                         \
  X(kUsageSinkErrors, "ploke_llm_usage_sink_errors_total", kCounter,                                                 \
    "Attempts the usage sink (ledger) failed to record.", "")

enum class MetricType : uint8_t { kCounter, kGauge, kHistogram };

enum class MetricId : uint8_t {
#define PLOKE_METRIC_ENUM_(id, name, type, help, labels) id,
  PLOKE_RESILIENCE_METRICS(PLOKE_METRIC_ENUM_)
#undef PLOKE_METRIC_ENUM_
  kCount
};

struct MetricDef {
  std::string_view name;
  MetricType type;
  std::string_view help;
  std::string_view labels;  ///< comma-separated label names, "" for none
};

/// The declared list, indexed by MetricId.
const std::array<MetricDef, static_cast<size_t>(MetricId::kCount)>& metric_defs();

class MetricsRegistry {
 public:
  /// Adds to a counter (or gauge). `label_values` are in the order the list declares.
  void add(MetricId id, std::initializer_list<std::string_view> label_values, double v = 1.0);
  void set(MetricId id, std::initializer_list<std::string_view> label_values, double v);
  void observe(MetricId id, std::initializer_list<std::string_view> label_values, Duration d);
  double value(MetricId id, std::initializer_list<std::string_view> label_values) const;
  uint64_t histogram_count(MetricId id, std::initializer_list<std::string_view> label_values) const;
  /// Drops every sample of a gauge (before re-setting the live ones).
  void clear_gauge(MetricId id);
  /// Prometheus text format 0.0.4, metrics in list order, samples sorted by labels.
  std::string render_prometheus() const;

 private:
  using Key = std::pair<uint8_t, std::string>;
  static std::string label_key(std::initializer_list<std::string_view> values);
  std::map<Key, double> values_;
  std::map<Key, LogLinearHistogram> histograms_;
};

/// Escapes a Prometheus label value (backslash, double quote, newline).
std::string escape_label_value(std::string_view v);

}  // namespace ploke::resilience
