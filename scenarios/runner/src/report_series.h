// File: report_series.h (private to ploke::scenarios)
//
// The HTML report's chart data: one time axis of equal columns (the run's sample_interval,
// widened so there are never more than kMaxReportColumns), with per-column counts,
// latency percentiles and per-provider attempt outcomes. Recomputed from the request and
// attempt logs when the result has them (merged columns keep exact percentiles), else
// merged from the run's buckets.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ploke/scenarios/result.h"

namespace ploke::scenarios::detail {

constexpr size_t kMaxReportColumns = 300;

struct ProviderColumn {
  uint64_t ok = 0, errors = 0;
};

struct Column {
  uint64_t arrivals = 0, ok = 0, failed = 0, attempts = 0, retries = 0;
  double p50 = 0, p95 = 0, p99 = 0, cost = 0;
  bool has_latency = false;
  std::map<std::string, ProviderColumn> providers;
};

struct Series {
  double span_ms = 1;    ///< the time axis: [0, span_ms]
  double col_ms = 1;     ///< one column's width in time
  std::vector<Column> cols;
  std::vector<std::string> providers;  ///< in result order (then any others seen)
};

/// The columns of the time axis: width and count.
struct ColumnGrid {
  double col_ms = 1;
  size_t count = 1;
};

/// The axis covers the configured duration, the simulated time and every logged time or
/// bucket; columns are sample_interval wide (1 s when unset), widened by a whole factor
/// while there would be more than `max_columns`; at least one column.
ColumnGrid column_grid(const ScenarioResult& r, size_t max_columns = kMaxReportColumns);

/// The series of `r` on column_grid(r).
Series build_series(const ScenarioResult& r);

}  // namespace ploke::scenarios::detail
