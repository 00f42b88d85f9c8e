#include "ploke/resilience/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace ploke::resilience {

namespace {

constexpr double kMinuteNs = 60e9;

}  // namespace

void RateLimiter::Bucket::refill(TimePoint now) {
  if (limit == 0) return;
  if (now > updated) {
    const double dt = static_cast<double>((now - updated).count());
    level = std::min(static_cast<double>(limit), level + dt * static_cast<double>(limit) / kMinuteNs);
  }
  updated = std::max(updated, now);
}

Duration RateLimiter::Bucket::time_to(double need) const {
  if (limit == 0 || level >= need) return Duration(0);
  const double ns = (need - level) * kMinuteNs / static_cast<double>(limit);
  return Duration(static_cast<Duration::rep>(std::ceil(ns)));
}

RateLimiter::RateLimiter(RateLimits limits, TimePoint now) : limits_(limits) {
  requests_.limit = limits.requests_per_minute;
  requests_.level = static_cast<double>(limits.requests_per_minute);
  requests_.updated = now;
  tokens_.limit = limits.tokens_per_minute;
  tokens_.level = static_cast<double>(limits.tokens_per_minute);
  tokens_.updated = now;
}

RateDecision RateLimiter::check(TimePoint now, uint64_t estimated_tokens) {
  RateDecision d;
  if (blocked_until_ && now < *blocked_until_) {
    d.allowed = false;
    d.wait = *blocked_until_ - now;
    d.reason = "blocked by the provider (retry-after / reset)";
    return d;
  }
  requests_.refill(now);
  tokens_.refill(now);
  if (requests_.limit > 0 && requests_.level < 1.0) {
    d.allowed = false;
    d.wait = requests_.time_to(1.0);
    d.reason = "requests/min: " + std::to_string(requests_.limit) + " used up";
    return d;
  }
  if (tokens_.limit > 0) {
    // A request bigger than the whole budget waits for a full bucket, not forever.
    const double need = std::min(static_cast<double>(estimated_tokens), static_cast<double>(tokens_.limit));
    if (tokens_.level < need) {
      d.allowed = false;
      d.wait = tokens_.time_to(need);
      d.reason = "tokens/min: need " + std::to_string(estimated_tokens) + ", have " +
                 std::to_string(static_cast<int64_t>(std::floor(tokens_.level)));
      return d;
    }
  }
  return d;
}

RateDecision RateLimiter::acquire(TimePoint now, uint64_t estimated_tokens) {
  RateDecision d = check(now, estimated_tokens);
  if (!d.allowed) {
    ++throttled_;
    return d;
  }
  if (requests_.limit > 0) requests_.level -= 1.0;
  if (tokens_.limit > 0) tokens_.level -= static_cast<double>(estimated_tokens);
  return d;
}

void RateLimiter::reconcile(TimePoint now, uint64_t estimated_tokens, uint64_t actual_tokens) {
  if (tokens_.limit == 0) return;
  tokens_.refill(now);
  tokens_.level += static_cast<double>(estimated_tokens) - static_cast<double>(actual_tokens);
  tokens_.level = std::min(tokens_.level, static_cast<double>(tokens_.limit));
}

void RateLimiter::cancel(TimePoint now, uint64_t estimated_tokens) {
  if (requests_.limit > 0) {
    requests_.refill(now);
    requests_.level = std::min(requests_.level + 1.0, static_cast<double>(requests_.limit));
  }
  reconcile(now, estimated_tokens, 0);
}

void RateLimiter::observe(TimePoint now, const RateLimitObservation& o) {
  requests_.refill(now);
  tokens_.refill(now);
  auto learn = [&](Bucket& b, const std::optional<uint64_t>& limit, const std::optional<uint64_t>& remaining,
                   const std::optional<Duration>& reset) {
    if (limit && *limit > 0 && *limit != b.limit) {
      if (b.limit == 0) b.level = static_cast<double>(*limit);
      b.limit = *limit;
      b.level = std::min(b.level, static_cast<double>(*limit));
    }
    if (remaining && b.limit > 0) b.level = std::min(b.level, static_cast<double>(*remaining));
    if (remaining && *remaining == 0 && reset) {
      const TimePoint until = now + *reset;
      if (!blocked_until_ || *blocked_until_ < until) blocked_until_ = until;
    }
  };
  learn(requests_, o.limit_requests, o.remaining_requests, o.reset_requests);
  learn(tokens_, o.limit_tokens, o.remaining_tokens, o.reset_tokens);
  limits_.requests_per_minute = requests_.limit;
  limits_.tokens_per_minute = tokens_.limit;
  if (o.retry_after) {
    const TimePoint until = now + *o.retry_after;
    if (!blocked_until_ || *blocked_until_ < until) blocked_until_ = until;
  }
}

double RateLimiter::available_requests(TimePoint now) {
  requests_.refill(now);
  return requests_.limit ? requests_.level : INFINITY;
}

double RateLimiter::available_tokens(TimePoint now) {
  tokens_.refill(now);
  return tokens_.limit ? tokens_.level : INFINITY;
}

}  // namespace ploke::resilience
