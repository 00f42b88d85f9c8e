// File: ploke/core/clock.h
//
// Clock: the only way core, adapters and simulator logic learn the time, wait, or
// schedule a timer. Two implementations:
//   - RealClock: steady_clock/system_clock plus one timer thread. Used by the CLI.
//   - SimulatedClock: does not tick on its own. Time moves only through advance()/
//     advance_to()/run_until_idle(); due timers fire in due-time order, ties broken by
//     scheduling order (a monotonically increasing id), on the thread that advances.
//
// Only real_clock.cpp reads the machine's clock (checked by scripts/check-layering.sh).
//
// Thread-safety: both implementations are safe to call from any thread. Timer callbacks
// run without the clock's lock held, so they may schedule or cancel timers.
//
// Example (tests):
//   SimulatedClock clock;
//   bool fired = false;
//   clock.schedule_after(30s, [&] { fired = true; });
//   clock.advance(30s);   // fired == true
#pragma once
#include "ploke/core/thread_annotations.h"

#include <chrono>
#include <string>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace ploke {

using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;
using SystemTime = std::chrono::time_point<std::chrono::system_clock, Duration>;
using TimerId = uint64_t;

/// Pending timers ordered by (due time, scheduling order): the bookkeeping both clocks
/// share. A binary min-heap of (due, sequence, slot) over a slot table holding the
/// callbacks: add/pop are O(log n) without a node allocation per timer (the scenario
/// runner adds, cancels and fires several timers per request). cancel() frees the slot
/// and destroys the callback at once; the heap entry goes stale (its sequence no longer
/// matches the slot's) and is dropped when it reaches the top, or by a compaction when
/// stale entries outnumber live ones. A TimerId names (slot, generation), so an id that
/// already fired or was cancelled never cancels a later timer; it is never 0.
/// Not thread-safe: the owning clock guards it with its mutex.
class TimerQueue {
 public:
  TimerId add(TimePoint when, std::function<void()> cb);
  bool cancel(TimerId id);
  /// Removes and returns the earliest timer if it is due at or before `limit`.
  std::optional<std::pair<TimePoint, std::function<void()>>> pop_due(TimePoint limit);
  std::optional<TimePoint> next_due() const;
  size_t size() const { return live_; }
  bool empty() const { return live_ == 0; }

 private:
  struct Entry {
    TimePoint when;
    uint64_t seq;   ///< scheduling order: ties on `when` fire in this order
    uint32_t slot;
  };
  struct Slot {
    std::function<void()> cb;
    uint64_t seq = 0;   ///< the live timer's sequence; 0 = free
    uint32_t gen = 0;   ///< bumped on every release, part of the TimerId
  };
  static bool later(const Entry& a, const Entry& b) {
    return a.when != b.when ? a.when > b.when : a.seq > b.seq;
  }
  bool stale(const Entry& e) const { return slots_[e.slot].seq != e.seq; }
  void release(uint32_t slot);
  void drop_stale_top() const;

  mutable std::vector<Entry> heap_;  ///< min-heap by (when, seq); may hold stale entries
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  size_t live_ = 0;
  uint64_t next_seq_ = 1;
};

class Clock {
 public:
  virtual ~Clock() = default;
  Clock() = default;
  Clock(const Clock&) = delete;
  Clock& operator=(const Clock&) = delete;

  /// Monotonic time, for intervals and deadlines.
  virtual TimePoint now() const = 0;
  /// Wall-clock time, for display, ids and RFC 3339 headers only.
  virtual SystemTime system_now() const = 0;
  /// Runs `cb` once at or after `when`. Returns an id for cancel(). Never runs `cb` inline.
  virtual TimerId schedule_at(TimePoint when, std::function<void()> cb) = 0;
  /// Cancels a pending timer. Returns false if it already ran or never existed.
  virtual bool cancel(TimerId id) = 0;
  /// Blocks until `when` (RealClock) or moves simulated time to `when`, firing due timers
  /// (SimulatedClock: the sleeper drives time; meant for single-threaded simulation).
  virtual void sleep_until(TimePoint when) = 0;
  /// True for clocks whose time moves only when driven.
  virtual bool is_simulated() const = 0;

  TimerId schedule_after(Duration d, std::function<void()> cb) {
    return schedule_at(now() + d, std::move(cb));
  }
  void sleep_for(Duration d) { sleep_until(now() + d); }
};

/// The machine's clock. One timer thread, started lazily on the first schedule_at().
class RealClock final : public Clock {
 public:
  RealClock();
  ~RealClock() override;

  // Clock
  TimePoint now() const override;
  SystemTime system_now() const override;
  TimerId schedule_at(TimePoint when, std::function<void()> cb) override;
  bool cancel(TimerId id) override;
  void sleep_until(TimePoint when) override;
  bool is_simulated() const override { return false; }

 private:
  void run_timers();

  Mutex mu_;
  std::condition_variable cv_;
  TimerQueue timers_ PLOKE_GUARDED_BY(mu_);
  bool stopping_ PLOKE_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

/// Virtual time. Starts at `start` (default: an arbitrary fixed epoch, 1e9 s) so that
/// runs are byte-identical. system_now() is start_system + (now() - start).
class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(TimePoint start = TimePoint(std::chrono::seconds(1'000'000'000)),
                          SystemTime start_system = SystemTime(std::chrono::seconds(1'735'689'600)));

  // Clock
  TimePoint now() const override;
  SystemTime system_now() const override;
  TimerId schedule_at(TimePoint when, std::function<void()> cb) override;
  bool cancel(TimerId id) override;
  void sleep_until(TimePoint when) override { advance_to(when); }
  bool is_simulated() const override { return true; }

  /// Moves time forward by `d`, firing every timer due by then. Returns how many fired.
  size_t advance(Duration d) { return advance_to(now() + d); }
  /// Moves time to `t` (ignored if in the past), firing due timers in order; a timer
  /// scheduled by a callback for a time ≤ t also fires in this call.
  size_t advance_to(TimePoint t);
  /// Fires timers one at a time, jumping time to each, until none is pending or
  /// `max_timers` have fired. Returns how many fired.
  size_t run_until_idle(size_t max_timers = 10'000'000);
  /// Due time of the earliest pending timer, if any.
  std::optional<TimePoint> next_wakeup() const;
  size_t pending_timers() const;

 private:
  bool fire_one_due(TimePoint limit);

  mutable Mutex mu_;
  TimePoint now_ PLOKE_GUARDED_BY(mu_);
  const TimePoint start_;
  const SystemTime start_system_;
  TimerQueue timers_ PLOKE_GUARDED_BY(mu_);
};

/// Milliseconds as a double, for reports.
inline double to_ms(Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

/// UTC "YYYY-MM-DDTHH:MM:SSZ" (whole seconds), e.g. for timestamps in reports and caches.
std::string iso8601_utc(SystemTime t);

}  // namespace ploke
