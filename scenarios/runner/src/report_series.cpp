// The HTML report's chart data (report_series.h).
#include "report_series.h"

#include <algorithm>
#include <cmath>

#include "summary.h"

namespace ploke::scenarios::detail {

namespace {

// The last time anything in the result happened (at least the configured duration).
double span_of(const ScenarioResult& r, double sample_ms) {
  double span = std::max(to_ms(r.simulated), to_ms(r.duration));
  for (const auto& q : r.request_log) span = std::max(span, to_ms(q.finished ? q.end : q.start));
  for (const auto& a : r.attempt_log) span = std::max(span, to_ms(a.at));
  for (const auto& q : r.queue_samples) span = std::max(span, to_ms(q.at));
  if (!r.buckets.empty()) span = std::max(span, to_ms(r.buckets.back().start) + sample_ms);
  if (!(span > 0)) span = sample_ms;
  return span;
}

void note_provider(Series& s, const std::string& name) {
  if (!name.empty() && std::find(s.providers.begin(), s.providers.end(), name) == s.providers.end()) {
    s.providers.push_back(name);
  }
}

size_t column_of(const Series& s, double ms) {
  const auto i = static_cast<size_t>(std::max(0.0, std::floor(ms / s.col_ms)));
  return std::min(i, s.cols.size() - 1);
}

// Requests by start (arrivals) and end (ok/failed, cost, exact latency percentiles);
// attempts by time (first or retry, per-provider outcome at the wire).
void add_logs(const ScenarioResult& r, Series& s) {
  std::vector<std::vector<double>> lat(s.cols.size());
  for (const auto& q : r.request_log) {
    s.cols[column_of(s, to_ms(q.start))].arrivals++;
    if (!q.finished) continue;
    const size_t i = column_of(s, to_ms(q.end));
    Column& c = s.cols[i];
    c.cost += q.cost_usd;
    if (q.outcome == "ok") {
      c.ok++;
      lat[i].push_back(to_ms(q.latency()));
    } else {
      c.failed++;
    }
  }
  for (size_t i = 0; i < s.cols.size(); ++i) {
    if (lat[i].empty()) continue;
    s.cols[i].has_latency = true;
    s.cols[i].p50 = percentile(lat[i], 50);
    s.cols[i].p95 = percentile(lat[i], 95);
    s.cols[i].p99 = percentile(lat[i], 99);
  }
  for (const auto& a : r.attempt_log) {
    note_provider(s, a.provider);
    Column& c = s.cols[column_of(s, to_ms(a.at))];
    c.attempts++;
    if (a.number > 1) c.retries++;
    ProviderColumn& pc = c.providers[a.provider];
    if (a.http_status == 200 && a.fault_id.empty()) pc.ok++;
    else pc.errors++;
  }
}

// No logs (a result read back without them): merge the run's buckets; a merged column's
// percentiles are the worst of its buckets.
void add_buckets(const ScenarioResult& r, Series& s) {
  for (const auto& b : r.buckets) {
    Column& c = s.cols[column_of(s, to_ms(b.start))];
    c.arrivals += b.arrivals;
    c.ok += b.ok;
    c.failed += b.failed;
    c.attempts += b.attempts;
    c.retries += b.retries;
    c.cost += b.cost_usd;
    if (b.ok > 0) {
      c.has_latency = true;
      c.p50 = std::max(c.p50, b.p50_ms);
      c.p95 = std::max(c.p95, b.p95_ms);
      c.p99 = std::max(c.p99, b.p99_ms);
    }
    for (const auto& [name, pb] : b.providers) {
      note_provider(s, name);
      c.providers[name].ok += pb.ok;
      c.providers[name].errors += pb.errors;
    }
  }
}

}  // namespace

ColumnGrid column_grid(const ScenarioResult& r, size_t max_columns) {
  const double sample_ms = r.sample_interval.count() > 0 ? to_ms(r.sample_interval) : 1000.0;
  const double span = span_of(r, sample_ms);
  double step = sample_ms;
  size_t n = static_cast<size_t>(std::ceil(span / step));
  if (n > max_columns) {
    step *= std::ceil(static_cast<double>(n) / static_cast<double>(max_columns));
    n = static_cast<size_t>(std::ceil(span / step));
  }
  return {step, std::max<size_t>(n, 1)};
}

Series build_series(const ScenarioResult& r) {
  Series s;
  const ColumnGrid grid = column_grid(r);
  s.col_ms = grid.col_ms;
  s.span_ms = grid.col_ms * static_cast<double>(grid.count);
  s.cols.resize(grid.count);
  for (const auto& p : r.providers) s.providers.push_back(p.name);
  if (!r.request_log.empty() || !r.attempt_log.empty()) {
    add_logs(r, s);
  } else {
    add_buckets(r, s);
  }
  for (const auto& b : r.breaker_log) note_provider(s, b.provider);
  return s;
}

}  // namespace ploke::scenarios::detail
