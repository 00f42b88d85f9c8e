// File: ploke/simulator/dashboard_json.h
//
// The simulator's side of the dashboard JSON contract (docs/dashboard.md, kind
// "simulator"): totals, requests per route with their status codes, the fault plan with
// each fault's matched/fired counters and whether it can still fire, and the newest
// journal entries. Served at GET /__admin/dashboard.json next to the page
// (ploke::dashboard::page_html(), GET /__admin/dashboard); see SimObservability
// (ploke/simulator/metrics_text.h), which keeps the counters between polls.
//
// Example:
//   SimObservability obs(engine, clock);
//   std::string json = obs.dashboard_json();
#pragma once

#include <optional>
#include <string>

#include "ploke/simulator/engine.h"
#include "ploke/simulator/metrics_text.h"

namespace ploke::simulator {

struct SimDashboardInfo {
  std::string name = "ploke-sim simulator";  ///< page title
  std::optional<Duration> since_start;       ///< engine age: fault windows, uptime_s
  size_t max_recent = 50;                    ///< newest journal entries in "recent"
};

/// The dashboard JSON from an engine and counters from SimRequestCounter::update().
std::string sim_dashboard_json(const SimEngine& engine, const SimRequestCounts& counts,
                               const SimDashboardInfo& info = {});
/// One-shot: counters over the engine's current journal only.
std::string sim_dashboard_json(const SimEngine& engine, const SimDashboardInfo& info = {});

/// One line describing a fault ("http_error 503, retry-after-ms 10", "stream_cut after 4
/// events"), its filters ("POST /v1/chat/completions model=gpt-4o stream") and its trigger
/// ("nth 1 every 5, times 3", "always").
std::string fault_summary(const Fault& f);
std::string fault_match_summary(const Fault& f);
std::string fault_trigger_summary(const Fault& f);

}  // namespace ploke::simulator
