#include "ploke/core/clock.h"

namespace ploke {

TimerId TimerQueue::add(TimePoint when, std::function<void()> cb) {
  const TimerId id = next_id_++;
  timers_.emplace(std::make_pair(when, id), std::move(cb));
  due_by_id_.emplace(id, when);
  return id;
}

bool TimerQueue::cancel(TimerId id) {
  auto it = due_by_id_.find(id);
  if (it == due_by_id_.end()) return false;
  timers_.erase(std::make_pair(it->second, id));
  due_by_id_.erase(it);
  return true;
}

std::optional<std::pair<TimePoint, std::function<void()>>> TimerQueue::pop_due(TimePoint limit) {
  if (timers_.empty()) return std::nullopt;
  auto first = timers_.begin();
  if (first->first.first > limit) return std::nullopt;
  std::pair<TimePoint, std::function<void()>> out{first->first.first, std::move(first->second)};
  due_by_id_.erase(first->first.second);
  timers_.erase(first);
  return out;
}

std::optional<TimePoint> TimerQueue::next_due() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first.first;
}

}  // namespace ploke
