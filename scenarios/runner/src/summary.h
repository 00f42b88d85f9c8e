// File: summary.h (private to ploke::scenarios)
//
// summarize()'s steps (declared in runner_internal.h): logs → the result's totals,
// per-provider summaries and time buckets. Each step reads the logs it names and fills
// its part of the result; they run in the order listed.
#pragma once

#include <string>
#include <vector>

#include "ploke/scenarios/result.h"
#include "ploke/scenarios/scenario.h"
#include "ploke/simulator/engine.h"

namespace ploke::scenarios::detail {

/// Nearest-rank percentile `p` (0..100) of `v` (sorted in place); 0 for an empty `v`.
double percentile(std::vector<double>& v, double p);

/// request_log → requests, ok/failed/lost, outcomes, cost, attempts, retries, simulated
/// (the last finish), and latency percentiles and max of the successful requests.
void summarize_requests(ScenarioResult& res);

/// One ProviderSummary per scenario provider (engines in provider order: handled
/// requests, drift switches, fault counters), then attempt_log → attempts, ok (200 and
/// no fault) and outcomes; breaker_log → openings; request_log → cost served.
void summarize_providers(const Scenario& s, const std::vector<const simulator::SimEngine*>& engines, ScenarioResult& res);

/// Empty buckets of s.sample_interval covering [0, res.simulated] (at most 100000, the last
/// one catching everything later), each with an entry per provider.
void make_buckets(const Scenario& s, ScenarioResult& res);
/// request_log → arrivals (by start), finished/ok/failed/cost and latency percentiles (by
/// end); attempt_log → attempts, retries and per-provider attempts/ok/errors.
void fill_buckets(const Scenario& s, ScenarioResult& res);
/// Each provider's breaker state at each bucket's end: that of its first endpoint
/// ("NAME/first model"), replayed from breaker_log (time order).
void bucket_breaker_states(const Scenario& s, ScenarioResult& res);

}  // namespace ploke::scenarios::detail
