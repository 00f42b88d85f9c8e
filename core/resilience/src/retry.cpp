#include "ploke/resilience/retry.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ploke::resilience {

std::string_view jitter_mode_name(JitterMode m) {
  switch (m) {
    case JitterMode::kNone: return "none";
    case JitterMode::kFull: return "full";
    case JitterMode::kDecorrelated: return "decorrelated";
  }
  return "unknown";
}

std::string_view retry_action_name(RetryAction a) {
  switch (a) {
    case RetryAction::kRetrySame: return "retry";
    case RetryAction::kFallOver: return "fall_over";
    case RetryAction::kFail: return "fail";
  }
  return "unknown";
}

Duration Backoff::next() {
  const double base = static_cast<double>(cfg_.base.count());
  const double cap = static_cast<double>(cfg_.cap.count());
  double ns = 0;
  switch (cfg_.jitter) {
    case JitterMode::kNone:
      ns = std::min(cap, base * std::pow(2.0, attempt_));
      break;
    case JitterMode::kFull:
      ns = random_.uniform01() * std::min(cap, base * std::pow(2.0, attempt_));
      break;
    case JitterMode::kDecorrelated: {
      const double prev = previous_.count() > 0 ? static_cast<double>(previous_.count()) : base;
      const double hi = std::max(base, prev * 3.0);
      ns = std::min(cap, base + random_.uniform01() * (hi - base));
      break;
    }
  }
  ++attempt_;
  previous_ = Duration(static_cast<Duration::rep>(ns));
  return previous_;
}

RetryBudget::RetryBudget(RetryBudgetConfig config)
    : cfg_(config), slots_(config.window), epochs_(std::max<size_t>(config.window.slots, 1), INT64_MIN),
      requests_(epochs_.size(), 0), retries_(epochs_.size(), 0) {}

void RetryBudget::bump(std::vector<uint64_t>& ring, TimePoint now) {
  const int64_t e = slots_.epoch_of(now);
  const size_t i = slots_.index_of(e);
  if (epochs_[i] != e) {
    epochs_[i] = e;
    requests_[i] = 0;
    retries_[i] = 0;
  }
  ++ring[i];
}

uint64_t RetryBudget::sum(const std::vector<uint64_t>& ring, TimePoint now) const {
  const int64_t e = slots_.epoch_of(now);
  uint64_t total = 0;
  for (size_t i = 0; i < ring.size(); ++i) {
    if (epochs_[i] != INT64_MIN && slots_.live(epochs_[i], e)) total += ring[i];
  }
  return total;
}

void RetryBudget::on_request(TimePoint now) { bump(requests_, now); }

uint64_t RetryBudget::requests_in_window(TimePoint now) const { return sum(requests_, now); }
uint64_t RetryBudget::retries_in_window(TimePoint now) const { return sum(retries_, now); }

double RetryBudget::allowed_in_window(TimePoint now) const {
  return static_cast<double>(cfg_.min_retries) + cfg_.ratio * static_cast<double>(requests_in_window(now));
}

bool RetryBudget::try_spend(TimePoint now) {
  if (static_cast<double>(retries_in_window(now)) + 1.0 > allowed_in_window(now)) {
    ++denied_;
    return false;
  }
  bump(retries_, now);
  return true;
}

std::array<std::optional<uint32_t>, static_cast<size_t>(StatusCode::kInternal) + 1> RetryConfig::default_per_code() {
  std::array<std::optional<uint32_t>, static_cast<size_t>(StatusCode::kInternal) + 1> a{};
  a[static_cast<size_t>(StatusCode::kMalformedResponse)] = 1;
  a[static_cast<size_t>(StatusCode::kRateLimited)] = 2;
  a[static_cast<size_t>(StatusCode::kTimeout)] = 1;
  return a;
}

uint32_t RetryConfig::max_retries_for(StatusCode code) const {
  const auto& o = per_code[static_cast<size_t>(code)];
  return o ? *o : max_retries_per_endpoint;
}

namespace {

std::string fmt_dur(Duration d) {
  char buf[48];
  const double ms = to_ms(d);
  if (ms < 1000) std::snprintf(buf, sizeof buf, "%.0fms", ms);
  else std::snprintf(buf, sizeof buf, "%.3gs", ms / 1000.0);
  return buf;
}

}  // namespace

RetryDecision decide_retry(const Status& error, const AttemptContext& ctx, const RetryConfig& config,
                           Backoff& backoff, RetryBudget& budget, TimePoint now) {
  RetryDecision d;
  const std::string code(status_code_name(error.code()));
  auto fail = [&](std::string why) {
    d.action = RetryAction::kFail;
    d.delay = Duration(0);
    d.reason = "give up: " + std::move(why);
    return d;
  };
  auto fall_over = [&](std::string why) {
    if (!ctx.more_candidates) return fail(why + "; no other candidate");
    if (ctx.total_attempts >= config.max_total_attempts) {
      return fail(why + "; attempt limit " + std::to_string(config.max_total_attempts) + " reached");
    }
    if (ctx.deadline && now + config.min_attempt_time > *ctx.deadline) {
      return fail(why + "; deadline leaves no time for another attempt");
    }
    d.action = RetryAction::kFallOver;
    d.delay = Duration(0);
    d.reason = "fall over: " + std::move(why);
    return d;
  };

  RetryClass rc = retry_class(error.code());
  if (rc == RetryClass::kRetry && error.should_retry() == false) {
    return fall_over(code + " and the provider said not to retry");
  }
  switch (rc) {
    case RetryClass::kNone: return fail("not an error");
    case RetryClass::kFatal: return fail(code + " is not retryable");
    case RetryClass::kFallOver: return fall_over(code + " cannot be served by this endpoint");
    case RetryClass::kRetry: break;
  }
  if (ctx.total_attempts >= config.max_total_attempts) {
    return fail("attempt limit " + std::to_string(config.max_total_attempts) + " reached");
  }
  const uint32_t max_here = config.max_retries_for(error.code());
  if (ctx.retries_on_endpoint >= max_here) {
    return fall_over(code + ": " + std::to_string(max_here) + " retries on this endpoint used");
  }
  Duration delay;
  if (auto ra = error.retry_after()) {
    const Duration ra_ns = std::max(Duration(*ra), Duration(0));
    if (ra_ns > config.max_retry_after) {
      return fall_over("retry-after " + fmt_dur(ra_ns) + " exceeds the " + fmt_dur(config.max_retry_after) +
                       " limit");
    }
    delay = ra_ns;
    d.from_retry_after = true;
  } else {
    delay = backoff.next();
  }
  if (ctx.deadline && now + delay + config.min_attempt_time > *ctx.deadline) {
    const Duration left = *ctx.deadline > now ? *ctx.deadline - now : Duration(0);
    return fall_over(std::string(d.from_retry_after ? "retry-after " : "backoff ") + fmt_dur(delay) +
                     " does not fit the " + fmt_dur(left) + " left before the deadline");
  }
  if (!budget.try_spend(now)) return fall_over(code + ": retry budget exhausted");
  d.action = RetryAction::kRetrySame;
  d.delay = delay;
  d.reason = code + ": retry in " + fmt_dur(delay) + (d.from_retry_after ? " (retry-after)" : " (backoff)");
  return d;
}

}  // namespace ploke::resilience
