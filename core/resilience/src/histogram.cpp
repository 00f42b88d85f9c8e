#include "ploke/resilience/histogram.h"

#include <algorithm>
#include <cmath>

namespace ploke::resilience {

uint64_t LogLinearHistogram::bucket_lower(size_t i) {
  if (i < kSubCount) return i;
  const uint64_t group = i / kSubCount;
  const uint64_t sub = i % kSubCount;
  const int e = static_cast<int>(group) + kSubBits - 1;
  return (kSubCount + sub) << (e - kSubBits);
}

uint64_t LogLinearHistogram::bucket_upper(size_t i) {
  if (i < kSubCount) return i;
  const uint64_t group = i / kSubCount;
  const int e = static_cast<int>(group) + kSubBits - 1;
  return bucket_lower(i) + (uint64_t{1} << (e - kSubBits)) - 1;
}

void LogLinearHistogram::record_n(uint64_t v, uint64_t n) {
  if (n == 0) return;
  counts_[bucket_of(v)] += n;
  count_ += n;
  sum_ += v * n;
  max_ = std::max(max_, v);
  min_ = std::min(min_, v);
}

void LogLinearHistogram::merge(const LogLinearHistogram& other) {
  if (other.count_ == 0) return;
  for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
  min_ = std::min(min_, other.min_);
}

void LogLinearHistogram::clear() { *this = LogLinearHistogram(); }

uint64_t LogLinearHistogram::quantile(double q) const {
  if (count_ == 0) return 0;
  if (q <= 0.0) return min();
  if (q >= 1.0) return max_;
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const uint64_t lo = bucket_lower(i);
      const uint64_t mid = lo + (bucket_upper(i) - lo) / 2;
      return std::clamp(mid, min(), max_);
    }
  }
  return max_;
}

uint64_t LogLinearHistogram::count_at_or_below(uint64_t v) const {
  if (count_ == 0) return 0;
  if (v >= max_) return count_;
  uint64_t total = 0;
  const size_t b = bucket_of(v);
  for (size_t i = 0; i < b; ++i) total += counts_[i];
  // The bucket holding v counts only when v is its upper bound (no interpolation).
  if (bucket_upper(b) == v) total += counts_[b];
  return total;
}

WindowedHistogram::WindowedHistogram(WindowConfig config)
    : slots_(config), ring_(std::max<size_t>(config.slots, 1)), epochs_(std::max<size_t>(config.slots, 1), INT64_MIN) {}

void WindowedHistogram::record(TimePoint now, uint64_t v) {
  const int64_t e = slots_.epoch_of(now);
  const size_t i = slots_.index_of(e);
  if (epochs_[i] != e) {
    ring_[i].clear();
    epochs_[i] = e;
  }
  ring_[i].record(v);
  lifetime_.record(v);
}

LogLinearHistogram WindowedHistogram::snapshot(TimePoint now) const {
  LogLinearHistogram out;
  const int64_t e = slots_.epoch_of(now);
  for (size_t i = 0; i < ring_.size(); ++i) {
    if (epochs_[i] != INT64_MIN && slots_.live(epochs_[i], e)) out.merge(ring_[i]);
  }
  return out;
}

}  // namespace ploke::resilience
