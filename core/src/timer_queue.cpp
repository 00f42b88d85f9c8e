#include <algorithm>

#include "ploke/core/clock.h"

namespace ploke {

// TimerId layout: generation in the high 32 bits, slot + 1 in the low 32 (never 0).
namespace {
constexpr TimerId make_id(uint32_t slot, uint32_t gen) {
  return (static_cast<TimerId>(gen) << 32) | (static_cast<TimerId>(slot) + 1);
}
}  // namespace

TimerId TimerQueue::add(TimePoint when, std::function<void()> cb) {
  uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  s.cb = std::move(cb);
  s.seq = next_seq_++;
  heap_.push_back(Entry{when, s.seq, slot});
  std::push_heap(heap_.begin(), heap_.end(), later);
  ++live_;
  return make_id(slot, s.gen);
}

void TimerQueue::release(uint32_t slot) {
  Slot& s = slots_[slot];
  s.cb = nullptr;
  s.seq = 0;
  ++s.gen;
  free_.push_back(slot);
  --live_;
}

bool TimerQueue::cancel(TimerId id) {
  const TimerId low = id & 0xFFFFFFFFu;
  if (low == 0 || low > slots_.size()) return false;
  const auto slot = static_cast<uint32_t>(low - 1);
  const auto gen = static_cast<uint32_t>(id >> 32);
  if (slots_[slot].seq == 0 || slots_[slot].gen != gen) return false;
  release(slot);
  // Stale entries leave the heap when they reach the top; rebuild it when they dominate
  // (many long timers cancelled early) so its size stays proportional to live timers.
  if (heap_.size() > 1024 && heap_.size() > 4 * live_) {
    std::erase_if(heap_, [this](const Entry& e) { return stale(e); });
    std::make_heap(heap_.begin(), heap_.end(), later);
  }
  return true;
}

void TimerQueue::drop_stale_top() const {
  while (!heap_.empty() && stale(heap_.front())) {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    heap_.pop_back();
  }
}

std::optional<std::pair<TimePoint, std::function<void()>>> TimerQueue::pop_due(TimePoint limit) {
  drop_stale_top();
  if (heap_.empty() || heap_.front().when > limit) return std::nullopt;
  const Entry top = heap_.front();
  std::pop_heap(heap_.begin(), heap_.end(), later);
  heap_.pop_back();
  std::pair<TimePoint, std::function<void()>> out{top.when, std::move(slots_[top.slot].cb)};
  release(top.slot);
  return out;
}

std::optional<TimePoint> TimerQueue::next_due() const {
  drop_stale_top();
  if (heap_.empty()) return std::nullopt;
  return heap_.front().when;
}

}  // namespace ploke
