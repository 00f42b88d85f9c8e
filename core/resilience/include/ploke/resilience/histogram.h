// File: ploke/resilience/histogram.h
//
// LogLinearHistogram: a fixed-size histogram of non-negative integers with log-linear
// buckets (HdrHistogram's layout with 4 sub-bucket bits): values 0..15 have one bucket
// each, and every power-of-two range [2^e, 2^(e+1)) above is split into 16 equal
// buckets, so any reported quantile is within 1/16 (6.25 %) of the true value. Values
// above kMaxValue are clamped into the last bucket. record() is a few instructions
// (count leading zeros, two shifts, three adds): no allocation, no branch on the data
// beyond the clamp.
//
// WindowedHistogram: a ring of LogLinearHistograms, one per time slot (default 6 slots of
// 10 s = the last minute). record(now, v) lands in the slot of `now`; snapshot(now) merges
// the slots still inside the window. Time comes from the caller (an injected Clock).
//
// Units are the caller's: latencies are recorded in microseconds by EndpointStats.
//
// Thread-safety: not thread-safe; the owner (EndpointStats, LlmClient) serialises access.
//
// Example:
//   LogLinearHistogram h;
//   h.record(1200); h.record(800);
//   uint64_t p95 = h.quantile(0.95);
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <vector>

#include "ploke/core/clock.h"

namespace ploke::resilience {

class LogLinearHistogram {
 public:
  static constexpr int kSubBits = 4;
  static constexpr uint64_t kSubCount = 1u << kSubBits;  // 16
  static constexpr int kMaxExp = 40;                        // values < 2^41
  static constexpr uint64_t kMaxValue = (uint64_t{1} << (kMaxExp + 1)) - 1;
  static constexpr size_t kBuckets = static_cast<size_t>((kMaxExp - kSubBits + 1) * kSubCount + kSubCount);

  /// Bucket index of `v` (clamped to kMaxValue).
  static size_t bucket_of(uint64_t v) {
    if (v > kMaxValue) v = kMaxValue;
    if (v < kSubCount) return static_cast<size_t>(v);
    const int e = 63 - std::countl_zero(v);  // v in [2^e, 2^(e+1))
    const int shift = e - kSubBits;
    return static_cast<size_t>((e - kSubBits + 1) * static_cast<int>(kSubCount)) +
           static_cast<size_t>((v >> shift) & (kSubCount - 1));
  }
  /// Smallest value that falls in bucket `i`.
  static uint64_t bucket_lower(size_t i);
  /// Largest value that falls in bucket `i`.
  static uint64_t bucket_upper(size_t i);

  void record(uint64_t v) {
    ++counts_[bucket_of(v)];
    ++count_;
    sum_ += v;
    if (v > max_) max_ = v;
    if (v < min_) min_ = v;
  }
  void record_n(uint64_t v, uint64_t n);
  /// Adds every count of `other` (histograms are mergeable across slots/endpoints).
  void merge(const LogLinearHistogram& other);
  void clear();

  uint64_t count() const { return count_; }
  uint64_t sum() const { return sum_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }
  /// The value at quantile q in [0,1]: the midpoint of the bucket holding the rank
  /// ceil(q * count), clamped to [min, max]. 0 when empty.
  uint64_t quantile(double q) const;
  /// How many recorded values are ≤ `v` (exact at bucket upper bounds; used for
  /// Prometheus `le` buckets).
  uint64_t count_at_or_below(uint64_t v) const;

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

struct WindowConfig {
  Duration slot = std::chrono::seconds(10);
  size_t slots = 6;  ///< window = slot × slots
};

/// Slot bookkeeping shared by the windowed structures: which ring slot a time maps to
/// and whether a slot's data is still inside the window.
class SlotClock {
 public:
  explicit SlotClock(WindowConfig c) : cfg_(c) {}
  int64_t epoch_of(TimePoint t) const { return t.time_since_epoch().count() / cfg_.slot.count(); }
  size_t index_of(int64_t epoch) const { return static_cast<size_t>(epoch % static_cast<int64_t>(cfg_.slots)); }
  bool live(int64_t slot_epoch, int64_t now_epoch) const {
    return slot_epoch > now_epoch - static_cast<int64_t>(cfg_.slots) && slot_epoch <= now_epoch;
  }
  const WindowConfig& config() const { return cfg_; }

 private:
  WindowConfig cfg_;
};

class WindowedHistogram {
 public:
  explicit WindowedHistogram(WindowConfig config = {});
  void record(TimePoint now, uint64_t v);
  /// Merge of the slots inside the window ending at `now`.
  LogLinearHistogram snapshot(TimePoint now) const;
  /// Everything ever recorded (for Prometheus, whose histograms are cumulative).
  const LogLinearHistogram& lifetime() const { return lifetime_; }

 private:
  SlotClock slots_;
  std::vector<LogLinearHistogram> ring_;
  std::vector<int64_t> epochs_;
  LogLinearHistogram lifetime_;
};

}  // namespace ploke::resilience
