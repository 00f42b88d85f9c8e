#include "ploke/resilience/rate_limiter.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace ploke::resilience {

namespace {

constexpr double kMinuteNs = 60e9;

std::optional<uint64_t> parse_u64(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> parse_double(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (s.empty() || s.size() > 40) return std::nullopt;
  std::string tmp(s);
  char* end = nullptr;
  const double v = std::strtod(tmp.c_str(), &end);
  if (end != tmp.c_str() + tmp.size() || !std::isfinite(v) || v < 0) return std::nullopt;
  return v;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// "2024-05-01T12:00:30Z", "…30.5Z", "…30+02:00" → time since the epoch.
std::optional<Duration> parse_rfc3339(std::string_view s) {
  int y, mo, d, h, mi;
  double sec;
  char rest[16] = {0};
  std::string tmp(s.substr(0, 64));
  if (std::sscanf(tmp.c_str(), "%4d-%2d-%2dT%2d:%2d:%lf%15s", &y, &mo, &d, &h, &mi, &sec, rest) < 6) return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec < 0 || sec >= 61) return std::nullopt;
  int64_t offset_s = 0;
  std::string_view r(rest);
  if (!r.empty() && r != "Z" && r != "z") {
    int oh = 0, om = 0;
    if (r.size() != 6 || (r[0] != '+' && r[0] != '-') || std::sscanf(rest + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
    offset_s = (oh * 3600 + om * 60) * (r[0] == '-' ? -1 : 1);
  }
  const int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  const double total = static_cast<double>(days * 86400 + h * 3600 + mi * 60 - offset_s) + sec;
  return Duration(static_cast<Duration::rep>(total * 1e9));
}

}  // namespace

std::optional<Duration> parse_reset_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (auto bare = parse_double(text)) return Duration(static_cast<Duration::rep>(*bare * 1e9));
  double total_ns = 0;
  size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && ((text[j] >= '0' && text[j] <= '9') || text[j] == '.')) ++j;
    if (j == i) return std::nullopt;
    auto num = parse_double(text.substr(i, j - i));
    if (!num) return std::nullopt;
    size_t k = j;
    while (k < text.size() && !((text[k] >= '0' && text[k] <= '9') || text[k] == '.')) ++k;
    const std::string_view unit = text.substr(j, k - j);
    double mult;
    if (unit == "h") mult = 3600e9;
    else if (unit == "m") mult = 60e9;
    else if (unit == "s") mult = 1e9;
    else if (unit == "ms") mult = 1e6;
    else if (unit == "us" || unit == "\xC2\xB5s") mult = 1e3;
    else if (unit == "ns") mult = 1;
    else return std::nullopt;
    total_ns += *num * mult;
    any = true;
    i = k;
  }
  if (!any) return std::nullopt;
  return Duration(static_cast<Duration::rep>(total_ns));
}

RateLimitObservation parse_rate_limit_headers(const Headers& h, SystemTime system_now) {
  RateLimitObservation o;
  auto u64 = [&](std::string_view name) -> std::optional<uint64_t> {
    auto v = h.get(name);
    return v ? parse_u64(*v) : std::nullopt;
  };
  o.limit_requests = u64("x-ratelimit-limit-requests");
  o.remaining_requests = u64("x-ratelimit-remaining-requests");
  o.limit_tokens = u64("x-ratelimit-limit-tokens");
  o.remaining_tokens = u64("x-ratelimit-remaining-tokens");
  if (auto v = h.get("x-ratelimit-reset-requests")) o.reset_requests = parse_reset_duration(*v);
  if (auto v = h.get("x-ratelimit-reset-tokens")) o.reset_tokens = parse_reset_duration(*v);
  auto anthropic_reset = [&](std::string_view name) -> std::optional<Duration> {
    auto v = h.get(name);
    if (!v) return std::nullopt;
    auto at = parse_rfc3339(*v);
    if (!at) return std::nullopt;
    const Duration left = *at - system_now.time_since_epoch();
    return left.count() > 0 ? left : Duration(0);
  };
  if (!o.limit_requests) o.limit_requests = u64("anthropic-ratelimit-requests-limit");
  if (!o.remaining_requests) o.remaining_requests = u64("anthropic-ratelimit-requests-remaining");
  if (!o.limit_tokens) o.limit_tokens = u64("anthropic-ratelimit-tokens-limit");
  if (!o.remaining_tokens) o.remaining_tokens = u64("anthropic-ratelimit-tokens-remaining");
  if (!o.reset_requests) o.reset_requests = anthropic_reset("anthropic-ratelimit-requests-reset");
  if (!o.reset_tokens) o.reset_tokens = anthropic_reset("anthropic-ratelimit-tokens-reset");
  if (auto v = h.get("retry-after-ms")) {
    if (auto ms = parse_double(*v)) o.retry_after = Duration(static_cast<Duration::rep>(*ms * 1e6));
  }
  if (!o.retry_after) {
    if (auto v = h.get("retry-after")) {
      if (auto s = parse_double(*v)) o.retry_after = Duration(static_cast<Duration::rep>(*s * 1e9));
    }
  }
  return o;
}

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
