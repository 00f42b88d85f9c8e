// File: ploke/scenarios/html_report.h
//
// render_html_report(): a self-contained HTML page (no external assets) for one scenario
// result: summary, expectations, per-provider timeline of breaker state and outcomes,
// latency percentiles over time, queue depth, retries, cost (inline SVG charts; inline
// CSS; no script, no URL). All text is secret-redacted, then HTML-escaped. Long runs are
// merged to at most 300 columns per chart.
#pragma once

#include <string>
#include <vector>

#include "ploke/scenarios/result.h"

namespace ploke::scenarios {

std::string render_html_report(const ScenarioResult& result);
/// Several scenarios (a directory run) in one page.
std::string render_html_report(const std::vector<ScenarioResult>& results);

}  // namespace ploke::scenarios
