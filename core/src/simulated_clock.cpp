#include "ploke/core/clock.h"
#include "ploke/core/thread_annotations.h"

namespace ploke {

SimulatedClock::SimulatedClock(TimePoint start, SystemTime start_system)
    : now_(start), start_(start), start_system_(start_system) {}

TimePoint SimulatedClock::now() const {
  MutexLock lock(mu_);
  return now_;
}

SystemTime SimulatedClock::system_now() const {
  MutexLock lock(mu_);
  return start_system_ + (now_ - start_);
}

TimerId SimulatedClock::schedule_at(TimePoint when, std::function<void()> cb) {
  MutexLock lock(mu_);
  return timers_.add(when, std::move(cb));
}

bool SimulatedClock::cancel(TimerId id) {
  MutexLock lock(mu_);
  return timers_.cancel(id);
}

bool SimulatedClock::fire_one_due(TimePoint limit) {
  std::optional<std::pair<TimePoint, std::function<void()>>> due;
  {
    MutexLock lock(mu_);
    due = timers_.pop_due(limit);
    if (!due) return false;
    // Time never moves backwards: a timer scheduled in the past fires "now".
    if (due->first > now_) now_ = due->first;
  }
  due->second();  // without the lock: callbacks may schedule or cancel
  return true;
}

size_t SimulatedClock::advance_to(TimePoint t) {
  size_t fired = 0;
  while (fire_one_due(t)) ++fired;
  MutexLock lock(mu_);
  if (t > now_) now_ = t;
  return fired;
}

size_t SimulatedClock::run_until_idle(size_t max_timers) {
  size_t fired = 0;
  while (fired < max_timers && fire_one_due(TimePoint::max())) ++fired;
  return fired;
}

std::optional<TimePoint> SimulatedClock::next_wakeup() const {
  MutexLock lock(mu_);
  return timers_.next_due();
}

size_t SimulatedClock::pending_timers() const {
  MutexLock lock(mu_);
  return timers_.size();
}

}  // namespace ploke
