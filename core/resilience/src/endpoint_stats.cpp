#include "ploke/resilience/endpoint_stats.h"

#include <algorithm>

namespace ploke::resilience {

WindowedCounts::WindowedCounts(WindowConfig config)
    : slots_(config), ring_(std::max<size_t>(config.slots, 1)), epochs_(std::max<size_t>(config.slots, 1), INT64_MIN) {}

void WindowedCounts::add(TimePoint now, StatusCode code) {
  const int64_t e = slots_.epoch_of(now);
  const size_t i = slots_.index_of(e);
  if (epochs_[i] != e) {
    ring_[i].fill(0);
    epochs_[i] = e;
  }
  const auto c = static_cast<size_t>(code);
  ++ring_[i][c];
  ++lifetime_[c];
}

WindowedCounts::Counts WindowedCounts::snapshot(TimePoint now) const {
  Counts out{};
  const int64_t e = slots_.epoch_of(now);
  for (size_t i = 0; i < ring_.size(); ++i) {
    if (epochs_[i] == INT64_MIN || !slots_.live(epochs_[i], e)) continue;
    for (size_t c = 0; c < kNumStatusCodes; ++c) out[c] += ring_[i][c];
  }
  return out;
}

EndpointStats::EndpointStats(StatsConfig config)
    : cfg_(config), ttft_us_(config.window), total_us_(config.window), milli_tokens_per_s_(config.window),
      outcomes_(config.window) {}

void EndpointStats::record_success(TimePoint now, std::optional<Duration> ttft, Duration total,
                                   uint64_t output_tokens) {
  outcomes_.add(now, StatusCode::kOk);
  ttft_us_.record(now, to_us(ttft.value_or(total)));
  total_us_.record(now, to_us(total));
  tokens_total_ += output_tokens;
  // Generation speed: tokens over the time after the first token (whole time when unknown).
  const Duration gen = ttft && total > *ttft ? total - *ttft : total;
  if (output_tokens > 0 && gen.count() > 0) {
    const double tps = static_cast<double>(output_tokens) / std::chrono::duration<double>(gen).count();
    milli_tokens_per_s_.record(now, static_cast<uint64_t>(tps * 1000.0));
  }
}

void EndpointStats::record_failure(TimePoint now, StatusCode code, Duration total) {
  outcomes_.add(now, code);
  (void)total;  // failed attempts do not pollute the latency histograms
}

namespace {

Percentiles percentiles(const LogLinearHistogram& h, double scale) {
  Percentiles p;
  p.count = h.count();
  if (p.count == 0) return p;
  p.p50 = static_cast<double>(h.quantile(0.50)) * scale;
  p.p95 = static_cast<double>(h.quantile(0.95)) * scale;
  p.p99 = static_cast<double>(h.quantile(0.99)) * scale;
  p.mean = h.mean() * scale;
  p.max = static_cast<double>(h.max()) * scale;
  return p;
}

}  // namespace

HealthSnapshot EndpointStats::snapshot(TimePoint now) const {
  HealthSnapshot s;
  s.by_code = outcomes_.snapshot(now);
  uint64_t retry = 0, fallover = 0, fatal = 0;
  for (size_t c = 0; c < kNumStatusCodes; ++c) {
    s.calls += s.by_code[c];
    switch (retry_class(static_cast<StatusCode>(c))) {
      case RetryClass::kNone: s.successes += s.by_code[c]; break;
      case RetryClass::kRetry: retry += s.by_code[c]; break;
      case RetryClass::kFallOver: fallover += s.by_code[c]; break;
      case RetryClass::kFatal: fatal += s.by_code[c]; break;
    }
  }
  // Caller-side failures (invalid request, cancelled) say nothing about the endpoint.
  const uint64_t judged = s.successes + retry + fallover;
  if (judged > 0) {
    s.success_rate = static_cast<double>(s.successes) / static_cast<double>(judged);
    s.error_rate = 1.0 - s.success_rate;
  }
  if (s.calls > 0) {
    const double n = static_cast<double>(s.calls);
    s.retryable_error_rate = static_cast<double>(retry) / n;
    s.fallover_error_rate = static_cast<double>(fallover) / n;
    s.fatal_error_rate = static_cast<double>(fatal) / n;
  }
  s.smoothed_success_rate = (static_cast<double>(s.successes) + cfg_.prior_calls * cfg_.prior_success_rate) /
                            (static_cast<double>(judged) + cfg_.prior_calls);
  s.ttft_ms = percentiles(ttft_us_.snapshot(now), 1e-3);
  s.total_ms = percentiles(total_us_.snapshot(now), 1e-3);
  s.tokens_per_s = percentiles(milli_tokens_per_s_.snapshot(now), 1e-3);
  const double ref_ms = to_ms(cfg_.latency_ref);
  s.score = s.smoothed_success_rate * ref_ms / (ref_ms + s.total_ms.p95);
  return s;
}

double EndpointStats::score(TimePoint now) const { return snapshot(now).score; }

}  // namespace ploke::resilience
