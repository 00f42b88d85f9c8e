#include "ploke/resilience/circuit_breaker.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ploke::resilience {

std::string_view breaker_state_name(BreakerState s) {
  switch (s) {
    case BreakerState::kClosed: return "closed";
    case BreakerState::kOpen: return "open";
    case BreakerState::kHalfOpen: return "half_open";
  }
  return "unknown";
}

bool counts_as_failure(StatusCode code) {
  switch (code) {
    case StatusCode::kOverloaded:
    case StatusCode::kServerError:
    case StatusCode::kTimeout:
    case StatusCode::kConnectionReset:
    case StatusCode::kMalformedResponse:
    case StatusCode::kStreamInterrupted:
      return true;
    default:
      return false;
  }
}

namespace {
std::string pct(double r) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f%%", r * 100.0);
  return buf;
}
std::string dur(Duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3gs", std::chrono::duration<double>(d).count());
  return buf;
}
}  // namespace

CircuitBreaker::CircuitBreaker(Clock& clock, BreakerConfig config, std::string name)
    : clock_(clock), cfg_(config), name_(std::move(name)) {}

Duration CircuitBreaker::open_duration() const {
  const double factor = std::pow(cfg_.open_multiplier, static_cast<double>(openings_ > 0 ? openings_ - 1 : 0));
  const double ns = static_cast<double>(cfg_.open_base.count()) * factor;
  if (ns >= static_cast<double>(cfg_.open_max.count())) return cfg_.open_max;
  return Duration(static_cast<Duration::rep>(ns));
}

void CircuitBreaker::transition(BreakerState to, std::string reason, TimePoint at) {
  BreakerEvent e;
  e.at = at;
  e.from = state_;
  e.to = to;
  e.reason = std::move(reason);
  state_ = to;
  switch (to) {
    case BreakerState::kOpen:
      ++openings_;
      e.open_for = open_duration();
      open_until_ = at + e.open_for;
      e.reason += "; open for " + dur(e.open_for);
      break;
    case BreakerState::kHalfOpen:
      trials_started_ = trials_succeeded_ = 0;
      break;
    case BreakerState::kClosed:
      openings_ = 0;
      window_.clear();
      failures_ = slow_ = 0;
      consecutive_ = 0;
      break;
  }
  e.openings = openings_;
  if (events_.size() >= 64) events_.erase(events_.begin());
  events_.push_back(e);
  if (listener_) listener_(name_, events_.back());
}

void CircuitBreaker::maybe_half_open() {
  if (state_ == BreakerState::kOpen && clock_.now() >= open_until_) {
    if (cfg_.half_open) {
      transition(BreakerState::kHalfOpen, "open wait elapsed", open_until_);
    } else {
      transition(BreakerState::kClosed, "cooldown elapsed (no half-open)", open_until_);
    }
  }
}

bool CircuitBreaker::try_acquire() {
  maybe_half_open();
  switch (state_) {
    case BreakerState::kClosed: return true;
    case BreakerState::kOpen: return false;
    case BreakerState::kHalfOpen:
      if (trials_started_ >= cfg_.half_open_trials) return false;
      ++trials_started_;
      return true;
  }
  return false;
}

bool CircuitBreaker::would_allow() const {
  switch (state_) {
    case BreakerState::kClosed: return true;
    case BreakerState::kOpen: return clock_.now() >= open_until_;
    case BreakerState::kHalfOpen: return trials_started_ < cfg_.half_open_trials;
  }
  return false;
}

BreakerState CircuitBreaker::state() const {
  if (state_ == BreakerState::kOpen && clock_.now() >= open_until_) {
    return cfg_.half_open ? BreakerState::kHalfOpen : BreakerState::kClosed;
  }
  return state_;
}

Duration CircuitBreaker::remaining_open() const {
  if (state_ != BreakerState::kOpen) return Duration(0);
  const Duration left = open_until_ - clock_.now();
  return left.count() > 0 ? left : Duration(0);
}

double CircuitBreaker::failure_rate() const {
  return window_.empty() ? 0.0 : static_cast<double>(failures_) / static_cast<double>(window_.size());
}

double CircuitBreaker::slow_call_rate() const {
  return window_.empty() ? 0.0 : static_cast<double>(slow_) / static_cast<double>(window_.size());
}

void CircuitBreaker::record(Outcome o) {
  const TimePoint now = clock_.now();
  maybe_half_open();
  if (state_ == BreakerState::kOpen) return;  // a straggler that started before opening
  if (state_ == BreakerState::kHalfOpen) {
    if (o.failure || o.slow) {
      transition(BreakerState::kOpen, o.failure ? "half-open trial failed" : "half-open trial was slow", now);
      return;
    }
    if (++trials_succeeded_ >= cfg_.half_open_trials) {
      transition(BreakerState::kClosed,
                 std::to_string(trials_succeeded_) + " half-open trial(s) succeeded", now);
    }
    return;
  }
  window_.push_back(o);
  failures_ += o.failure;
  slow_ += o.slow;
  if (window_.size() > std::max<size_t>(cfg_.window_size, 1)) {
    failures_ -= window_.front().failure;
    slow_ -= window_.front().slow;
    window_.pop_front();
  }
  consecutive_ = o.failure ? consecutive_ + 1 : 0;
  if (cfg_.consecutive_failures > 0 && consecutive_ >= cfg_.consecutive_failures) {
    transition(BreakerState::kOpen, std::to_string(consecutive_) + " consecutive failures", now);
    return;
  }
  if (window_.size() < cfg_.minimum_calls) return;
  const std::string over = " over " + std::to_string(window_.size()) + " calls";
  if (failure_rate() >= cfg_.failure_rate_threshold) {
    transition(BreakerState::kOpen,
               "failure rate " + pct(failure_rate()) + " >= " + pct(cfg_.failure_rate_threshold) + over, now);
  } else if (slow_call_rate() >= cfg_.slow_call_rate_threshold) {
    transition(BreakerState::kOpen,
               "slow-call rate " + pct(slow_call_rate()) + " >= " + pct(cfg_.slow_call_rate_threshold) +
                   " (ttft > " + dur(cfg_.slow_call_threshold) + ")" + over,
               now);
  }
}

void CircuitBreaker::on_success(std::optional<Duration> ttft) {
  record(Outcome{false, ttft && *ttft > cfg_.slow_call_threshold});
}

void CircuitBreaker::on_failure(StatusCode code) {
  if (!counts_as_failure(code)) {
    on_ignored();
    return;
  }
  record(Outcome{true, false});
}

void CircuitBreaker::on_ignored() {
  if (state_ == BreakerState::kHalfOpen && trials_started_ > trials_succeeded_) --trials_started_;
}

void CircuitBreaker::on_result(StatusCode code, std::optional<Duration> ttft) {
  if (code == StatusCode::kOk) on_success(ttft);
  else on_failure(code);
}

void CircuitBreaker::force(BreakerState s, std::string reason) {
  if (s == state_ && s == BreakerState::kClosed) {
    // An operator's reset of a closed breaker still starts its counts over: failures
    // already in the window would otherwise trip it on the next one.
    window_.clear();
    failures_ = slow_ = 0;
    consecutive_ = 0;
    return;
  }
  if (s == state_) return;
  transition(s, "forced: " + reason, clock_.now());
}

}  // namespace ploke::resilience
