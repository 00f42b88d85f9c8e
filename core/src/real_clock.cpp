// The only file in ploke-sim that reads the machine's clock or blocks on it
// (enforced by scripts/check-layering.sh).
#include "ploke/core/clock.h"
#include "ploke/core/thread_annotations.h"

namespace ploke {

RealClock::RealClock() = default;

RealClock::~RealClock() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

TimePoint RealClock::now() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
}

SystemTime RealClock::system_now() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
}

TimerId RealClock::schedule_at(TimePoint when, std::function<void()> cb) {
  TimerId id;
  bool earliest = false;
  {
    MutexLock lock(mu_);
    const std::optional<TimePoint> before = timers_.next_due();
    id = timers_.add(when, std::move(cb));
    if (!thread_.joinable()) thread_ = std::thread([this] { run_timers(); });
    // The timer thread sleeps until the earliest due time: only a new earliest timer
    // needs to wake it (a cancelled one just makes it wake early and sleep again). This
    // keeps the common schedule-then-cancel of timeouts free of thread wake-ups.
    earliest = !before || when < *before;
  }
  if (earliest) cv_.notify_all();
  return id;
}

bool RealClock::cancel(TimerId id) {
  MutexLock lock(mu_);
  return timers_.cancel(id);
}

void RealClock::sleep_until(TimePoint when) {
  std::this_thread::sleep_until(when);
}

void RealClock::run_timers() {
  MutexLock lock(mu_);
  while (!stopping_) {
    const std::optional<TimePoint> next = timers_.next_due();
    if (!next) {
      lock.wait(cv_);
      continue;
    }
    auto due = timers_.pop_due(now());
    if (!due) {
      lock.wait_until(cv_, *next);
      continue;
    }
    lock.unlock();
    due->second();
    lock.lock();
  }
}

}  // namespace ploke
