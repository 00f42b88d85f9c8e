#include "ploke/core/clock.h"

namespace ploke {

SimulatedClock::SimulatedClock(TimePoint start, SystemTime start_system)
    : now_(start), start_(start), start_system_(start_system) {}

TimePoint SimulatedClock::now() const {
  std::lock_guard<std::mutex> lock(mu_);
  return now_;
}

SystemTime SimulatedClock::system_now() const {
  std::lock_guard<std::mutex> lock(mu_);
  return start_system_ + (now_ - start_);
}

TimerId SimulatedClock::schedule_at(TimePoint when, std::function<void()> cb) {
  std::lock_guard<std::mutex> lock(mu_);
  const TimerId id = next_id_++;
  timers_.emplace(std::make_pair(when, id), std::move(cb));
  due_by_id_.emplace(id, when);
  return id;
}

bool SimulatedClock::cancel(TimerId id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = due_by_id_.find(id);
  if (it == due_by_id_.end()) return false;
  timers_.erase(std::make_pair(it->second, id));
  due_by_id_.erase(it);
  return true;
}

bool SimulatedClock::fire_one_due(TimePoint limit) {
  std::function<void()> cb;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (timers_.empty()) return false;
    auto first = timers_.begin();
    if (first->first.first > limit) return false;
    // Time never moves backwards: a timer scheduled in the past fires "now".
    if (first->first.first > now_) now_ = first->first.first;
    cb = std::move(first->second);
    due_by_id_.erase(first->first.second);
    timers_.erase(first);
  }
  cb();  // without the lock: callbacks may schedule or cancel
  return true;
}

size_t SimulatedClock::advance_to(TimePoint t) {
  size_t fired = 0;
  while (fire_one_due(t)) ++fired;
  std::lock_guard<std::mutex> lock(mu_);
  if (t > now_) now_ = t;
  return fired;
}

size_t SimulatedClock::run_until_idle(size_t max_timers) {
  size_t fired = 0;
  while (fired < max_timers && fire_one_due(TimePoint::max())) ++fired;
  return fired;
}

std::optional<TimePoint> SimulatedClock::next_wakeup() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first.first;
}

size_t SimulatedClock::pending_timers() const {
  std::lock_guard<std::mutex> lock(mu_);
  return timers_.size();
}

}  // namespace ploke
