// ProviderAdapter::observe_rate_limits for the Anthropic adapter: the protocol's own header parser, normalized into
// RateLimitObservation.
#include "ploke/adapters/anthropic_adapter.h"
#include "ploke/adapters/anthropic_errors.h"
#include "ploke/adapters/retry_after.h"

namespace ploke {
namespace {

void observe_retry_after(const Headers& headers, SystemTime system_now, RateLimitObservation& o) {
  if (auto ra = parse_retry_after(headers, system_now)) o.retry_after = Duration(*ra);
}

std::optional<Duration> until(const std::optional<SystemTime>& reset, SystemTime system_now) {
  if (!reset) return std::nullopt;
  const Duration left = *reset - system_now;
  return left.count() > 0 ? left : Duration(0);
}

}  // namespace

RateLimitObservation AnthropicAdapter::observe_rate_limits(const Headers& headers, SystemTime system_now) const {
  const AnthropicRateLimitInfo rl = parse_anthropic_rate_limit_headers(headers);
  RateLimitObservation o;
  o.limit_requests = rl.requests.limit;
  o.remaining_requests = rl.requests.remaining;
  o.reset_requests = until(rl.requests.reset, system_now);
  o.limit_tokens = rl.tokens.limit;
  o.remaining_tokens = rl.tokens.remaining;
  o.reset_tokens = until(rl.tokens.reset, system_now);
  observe_retry_after(headers, system_now, o);
  return o;
}

}  // namespace ploke
