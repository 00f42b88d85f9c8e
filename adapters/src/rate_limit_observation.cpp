// ProviderAdapter::observe_rate_limits for the OpenRouter adapter: OpenRouter sends the OpenAI
// x-ratelimit-* headers, read by the OpenAI adapter it composes.
#include "ploke/adapters/openrouter_adapter.h"

namespace ploke {

RateLimitObservation OpenRouterAdapter::observe_rate_limits(const Headers& headers, SystemTime system_now) const {
  return inner_.observe_rate_limits(headers, system_now);
}

}  // namespace ploke
