// LogLinearHistogram, WindowedHistogram, WindowedCounts and EndpointStats on a
// SimulatedClock.
#include "ploke/resilience/histogram.h"

#include <gtest/gtest.h>

#include <cmath>

#include "ploke/resilience/endpoint_stats.h"

namespace ploke::resilience {
namespace {

using namespace std::chrono_literals;

TEST(LogLinearHistogramTest, BucketsAreContiguousAndBounded) {
  for (size_t i = 0; i + 1 < LogLinearHistogram::kBuckets; ++i) {
    ASSERT_EQ(LogLinearHistogram::bucket_upper(i) + 1, LogLinearHistogram::bucket_lower(i + 1)) << i;
    ASSERT_EQ(LogLinearHistogram::bucket_of(LogLinearHistogram::bucket_lower(i)), i);
    ASSERT_EQ(LogLinearHistogram::bucket_of(LogLinearHistogram::bucket_upper(i)), i);
  }
  EXPECT_EQ(LogLinearHistogram::bucket_upper(LogLinearHistogram::kBuckets - 1), LogLinearHistogram::kMaxValue);
  EXPECT_EQ(LogLinearHistogram::bucket_of(UINT64_MAX), LogLinearHistogram::kBuckets - 1);
  // Relative width of every bucket above the exact range is at most 1/16.
  for (size_t i = 16; i < LogLinearHistogram::kBuckets; ++i) {
    const double lo = static_cast<double>(LogLinearHistogram::bucket_lower(i));
    const double w = static_cast<double>(LogLinearHistogram::bucket_upper(i)) - lo + 1;
    ASSERT_LE(w / lo, 1.0 / 16 + 1e-12) << i;
  }
}

TEST(LogLinearHistogramTest, QuantilesWithinBucketError) {
  LogLinearHistogram h;
  for (uint64_t v = 1; v <= 10000; ++v) h.record(v);
  EXPECT_EQ(h.count(), 10000u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 10000u);
  EXPECT_DOUBLE_EQ(h.mean(), 5000.5);
  for (double q : {0.5, 0.95, 0.99}) {
    const double want = q * 10000;
    const double got = static_cast<double>(h.quantile(q));
    EXPECT_NEAR(got, want, want * 0.0625) << q;
  }
  EXPECT_EQ(h.quantile(0.0), 1u);
  EXPECT_EQ(h.quantile(1.0), 10000u);
}

TEST(LogLinearHistogramTest, SmallValuesAreExact) {
  LogLinearHistogram h;
  h.record(3);
  h.record(3);
  h.record(7);
  EXPECT_EQ(h.quantile(0.5), 3u);
  EXPECT_EQ(h.quantile(0.99), 7u);
  EXPECT_EQ(h.count_at_or_below(3), 2u);
  EXPECT_EQ(h.count_at_or_below(6), 2u);
  EXPECT_EQ(h.count_at_or_below(7), 3u);
}

TEST(LogLinearHistogramTest, MergeAddsCounts) {
  LogLinearHistogram a, b;
  for (int i = 0; i < 100; ++i) a.record(100);
  for (int i = 0; i < 100; ++i) b.record(10000);
  a.merge(b);
  EXPECT_EQ(a.count(), 200u);
  EXPECT_EQ(a.min(), 100u);
  EXPECT_EQ(a.max(), 10000u);
  EXPECT_NEAR(static_cast<double>(a.quantile(0.25)), 100, 7);
  EXPECT_NEAR(static_cast<double>(a.quantile(0.75)), 10000, 625);
  LogLinearHistogram empty;
  a.merge(empty);
  EXPECT_EQ(a.count(), 200u);
  EXPECT_EQ(empty.quantile(0.5), 0u);
}

TEST(LogLinearHistogramTest, HugeValuesClampIntoLastBucket) {
  LogLinearHistogram h;
  h.record(UINT64_MAX / 2);
  EXPECT_EQ(h.count(), 1u);
  EXPECT_EQ(h.count_at_or_below(LogLinearHistogram::kMaxValue), 1u);  // clamped into the last bucket
  EXPECT_EQ(h.count_at_or_below(LogLinearHistogram::kMaxValue - LogLinearHistogram::kMaxValue / 32), 0u);
}

TEST(WindowedHistogramTest, OldSlotsLeaveTheWindow) {
  SimulatedClock clock;
  WindowedHistogram w(WindowConfig{10s, 6});
  w.record(clock.now(), 1000);
  clock.advance(30s);
  w.record(clock.now(), 5000);
  EXPECT_EQ(w.snapshot(clock.now()).count(), 2u);
  clock.advance(35s);  // first sample is 65 s old: out; second 35 s: in
  auto s = w.snapshot(clock.now());
  EXPECT_EQ(s.count(), 1u);
  EXPECT_EQ(s.min(), 5000u);
  clock.advance(60s);
  EXPECT_EQ(w.snapshot(clock.now()).count(), 0u);
  EXPECT_EQ(w.lifetime().count(), 2u);
  // A slot reused after a full turn of the ring starts empty.
  w.record(clock.now(), 42);
  EXPECT_EQ(w.snapshot(clock.now()).count(), 1u);
}

TEST(WindowedCountsTest, CountsByCodeSlide) {
  SimulatedClock clock;
  WindowedCounts c(WindowConfig{1s, 5});
  c.add(clock.now(), StatusCode::kOk);
  c.add(clock.now(), StatusCode::kRateLimited);
  clock.advance(3s);
  c.add(clock.now(), StatusCode::kRateLimited);
  auto s = c.snapshot(clock.now());
  EXPECT_EQ(s[static_cast<size_t>(StatusCode::kOk)], 1u);
  EXPECT_EQ(s[static_cast<size_t>(StatusCode::kRateLimited)], 2u);
  clock.advance(3s);
  s = c.snapshot(clock.now());
  EXPECT_EQ(s[static_cast<size_t>(StatusCode::kOk)], 0u);
  EXPECT_EQ(s[static_cast<size_t>(StatusCode::kRateLimited)], 1u);
}

TEST(EndpointStatsTest, PercentilesRatesAndScore) {
  SimulatedClock clock;
  EndpointStats st;
  for (int i = 0; i < 90; ++i) st.record_success(clock.now(), 100ms, 1s, 100);
  for (int i = 0; i < 10; ++i) st.record_success(clock.now(), 900ms, 3s, 100);
  for (int i = 0; i < 20; ++i) st.record_failure(clock.now(), StatusCode::kServerError, 50ms);
  for (int i = 0; i < 5; ++i) st.record_failure(clock.now(), StatusCode::kInvalidRequest, 5ms);
  HealthSnapshot h = st.snapshot(clock.now());
  EXPECT_EQ(h.calls, 125u);
  EXPECT_EQ(h.successes, 100u);
  EXPECT_NEAR(h.success_rate, 100.0 / 120.0, 1e-9);  // invalid requests are not judged
  EXPECT_NEAR(h.retryable_error_rate, 20.0 / 125.0, 1e-9);
  EXPECT_NEAR(h.fatal_error_rate, 5.0 / 125.0, 1e-9);
  EXPECT_EQ(h.by_code[static_cast<size_t>(StatusCode::kServerError)], 20u);
  EXPECT_NEAR(h.ttft_ms.p50, 100, 100 * 0.0625);
  EXPECT_NEAR(h.ttft_ms.p95, 900, 900 * 0.0625);
  EXPECT_NEAR(h.total_ms.p50, 1000, 1000 * 0.0625);
  EXPECT_NEAR(h.total_ms.p99, 3000, 3000 * 0.0625);
  // 100 tokens over 0.9 s after the first token ≈ 111 tok/s.
  EXPECT_NEAR(h.tokens_per_s.p50, 111.1, 111.1 * 0.0625);
  const double smoothed = (100 + 9.0) / (120 + 10.0);
  EXPECT_NEAR(h.smoothed_success_rate, smoothed, 1e-9);
  EXPECT_NEAR(h.score, smoothed * 2000.0 / (2000.0 + h.total_ms.p95), 1e-9);
  EXPECT_DOUBLE_EQ(st.score(clock.now()), h.score);
}

TEST(EndpointStatsTest, NoDataScoresLikeThePrior) {
  SimulatedClock clock;
  EndpointStats st;
  auto h = st.snapshot(clock.now());
  EXPECT_EQ(h.calls, 0u);
  EXPECT_DOUBLE_EQ(h.success_rate, 1.0);
  EXPECT_DOUBLE_EQ(h.smoothed_success_rate, 0.9);
  EXPECT_DOUBLE_EQ(h.score, 0.9);
}

TEST(EndpointStatsTest, FailuresRecoverAsTheWindowSlides) {
  SimulatedClock clock;
  EndpointStats st;
  for (int i = 0; i < 50; ++i) st.record_failure(clock.now(), StatusCode::kOverloaded, 10ms);
  const double bad = st.score(clock.now());
  clock.advance(61s);
  st.record_success(clock.now(), std::nullopt, 100ms, 10);
  EXPECT_GT(st.score(clock.now()), bad + 0.5);
}

}  // namespace
}  // namespace ploke::resilience
