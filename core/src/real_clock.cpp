// The only file in ploke-sim that reads the machine's clock or blocks on it
// (enforced by scripts/check-layering.sh).
#include "ploke/core/clock.h"

namespace ploke {

RealClock::RealClock() = default;

RealClock::~RealClock() {
  {
    std::lock_guard<std::mutex> lock(mu_);
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
  {
    std::lock_guard<std::mutex> lock(mu_);
    id = next_id_++;
    timers_.emplace(std::make_pair(when, id), std::move(cb));
    due_by_id_.emplace(id, when);
    if (!thread_.joinable()) thread_ = std::thread([this] { run_timers(); });
  }
  cv_.notify_all();
  return id;
}

bool RealClock::cancel(TimerId id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = due_by_id_.find(id);
  if (it == due_by_id_.end()) return false;
  timers_.erase(std::make_pair(it->second, id));
  due_by_id_.erase(it);
  return true;
}

void RealClock::sleep_until(TimePoint when) {
  std::this_thread::sleep_until(when);
}

void RealClock::run_timers() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (timers_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto first = timers_.begin();
    const TimePoint due = first->first.first;
    if (now() < due) {
      cv_.wait_until(lock, due);
      continue;
    }
    std::function<void()> cb = std::move(first->second);
    due_by_id_.erase(first->first.second);
    timers_.erase(first);
    lock.unlock();
    cb();
    lock.lock();
  }
}

}  // namespace ploke
