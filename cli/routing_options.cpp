// config.toml's [routing] onto resilience::LlmClientOptions (see routing_options.h).
#include "routing_options.h"

namespace ploke::cli {

resilience::LlmClientOptions llm_client_options(const config::RoutingConfig& r, resilience::LlmClientOptions o) {
  using std::chrono::milliseconds;
  auto u32 = [](int64_t v) { return static_cast<uint32_t>(v); };
  if (!r.policy.empty()) o.router.default_policy = r.policy;
  if (r.max_chain) o.router.max_chain = static_cast<size_t>(*r.max_chain);
  if (r.stream_continuation) o.stream_continuation = *r.stream_continuation;
  if (r.max_rate_limit_wait_ms) o.max_rate_limit_wait = milliseconds(*r.max_rate_limit_wait_ms);
  if (r.breaker_window) o.breaker.window_size = static_cast<size_t>(*r.breaker_window);
  if (r.breaker_minimum_calls) o.breaker.minimum_calls = static_cast<size_t>(*r.breaker_minimum_calls);
  if (r.breaker_failure_rate) o.breaker.failure_rate_threshold = *r.breaker_failure_rate;
  if (r.breaker_consecutive_failures) o.breaker.consecutive_failures = u32(*r.breaker_consecutive_failures);
  if (r.breaker_slow_call_ms) o.breaker.slow_call_threshold = milliseconds(*r.breaker_slow_call_ms);
  if (r.breaker_slow_call_rate) o.breaker.slow_call_rate_threshold = *r.breaker_slow_call_rate;
  if (r.breaker_open_ms) o.breaker.open_base = milliseconds(*r.breaker_open_ms);
  if (r.breaker_open_max_ms) o.breaker.open_max = milliseconds(*r.breaker_open_max_ms);
  if (r.breaker_half_open_trials) o.breaker.half_open_trials = u32(*r.breaker_half_open_trials);
  if (r.retry_per_endpoint) o.retry.max_retries_per_endpoint = u32(*r.retry_per_endpoint);
  if (r.retry_max_attempts) o.retry.max_total_attempts = u32(*r.retry_max_attempts);
  if (r.retry_max_retry_after_ms) o.retry.max_retry_after = milliseconds(*r.retry_max_retry_after_ms);
  if (r.backoff_base_ms) o.backoff.base = milliseconds(*r.backoff_base_ms);
  if (r.backoff_cap_ms) o.backoff.cap = milliseconds(*r.backoff_cap_ms);
  if (r.backoff_jitter == "full") o.backoff.jitter = resilience::JitterMode::kFull;
  else if (r.backoff_jitter == "decorrelated") o.backoff.jitter = resilience::JitterMode::kDecorrelated;
  else if (r.backoff_jitter == "none") o.backoff.jitter = resilience::JitterMode::kNone;
  if (r.retry_budget_ratio) o.budget.ratio = *r.retry_budget_ratio;
  if (r.max_in_flight) o.admission.max_in_flight = u32(*r.max_in_flight);
  if (r.interactive_capacity) o.admission.lane_capacity[0] = u32(*r.interactive_capacity);
  if (r.normal_capacity) o.admission.lane_capacity[1] = u32(*r.normal_capacity);
  if (r.bulk_capacity) o.admission.lane_capacity[2] = u32(*r.bulk_capacity);
  if (r.short_prompt_chars) o.lanes.short_prompt_chars = static_cast<uint64_t>(*r.short_prompt_chars);
  if (r.short_output_tokens) o.lanes.short_output_tokens = u32(*r.short_output_tokens);
  if (r.long_output_tokens) o.lanes.long_output_tokens = u32(*r.long_output_tokens);
  return o;
}

}  // namespace ploke::cli
