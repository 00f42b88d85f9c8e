// File: ploke/simulator/metrics_text.h
//
// The simulator's observability data: request counters by route / model /
// status, fault counters, and their Prometheus text rendering for GET /metrics.
//
//  - SimRequestCounter turns the engine's request journal (a ring of the last
//    journal_capacity requests) into monotonic counters: each update() reads only the
//    entries appended since the last one (by arrival number), so counts stay exact however
//    often it is called, as long as it is called before `journal_capacity` further requests
//    push unread entries out of the ring. Entries that left the journal unread (ring
//    overflow, DELETE /__admin/requests) are counted as "dropped". Fault counters are made
//    cumulative across plan replacements (the engine resets them when a plan is replaced).
//  - sim_metrics_text() renders the Prometheus text exposition format 0.0.4 (HELP/TYPE
//    lines; metric list in docs/dashboard.md and simulator/README.md "Metrics").
//  - SimObservability bundles a counter with the engine (and a Clock, to tell whether a
//    fault's time window is open) for the HTTP front: metrics_text() and dashboard_json()
//    (ploke/simulator/dashboard_json.h). One per server; thread-safe.
//
// No I/O; the only time read is `clock.now()` (SimObservability) to place fault windows.
//
// Example (the front's routes):
//   SimObservability obs(engine, clock);
//   GET /metrics                → 200 "text/plain; version=0.0.4; charset=utf-8", obs.metrics_text()
//   GET /__admin/dashboard.json → 200 "application/json", obs.dashboard_json()
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/core/thread_annotations.h"
#include "ploke/simulator/fault_plan.h"
#include "ploke/simulator/engine.h"

namespace ploke::simulator {

/// Route label of a journal path: known routes verbatim ("/v1/chat/completions"), ids
/// replaced by placeholders ("/v1/models/{id}", "/api/v1/models/{id}/endpoints"),
/// anything else "other" (bounded label cardinality).
std::string route_label(std::string_view path);

/// The status label of a journal entry: the HTTP status ("200", "503"), or the ending when
/// no status line was sent ("reset", "close_no_reply", "hang").
std::string status_label(const JournalEntry& e);

/// True for an entry that is an error to a client: status >= 400 or no status line.
bool is_error_entry(const JournalEntry& e);

/// A snapshot of the counters.
struct SimRequestCounts {
  /// (method, route, model, status) → requests. Models beyond `max_series` distinct
  /// label sets are folded into model "other".
  std::map<std::tuple<std::string, std::string, std::string, std::string>, uint64_t> requests;
  uint64_t received = 0;  ///< SimEngine::request_count()
  uint64_t counted = 0;   ///< requests in `requests`
  uint64_t dropped = 0;   ///< left the journal before being counted
  uint64_t errors = 0;    ///< counted requests with is_error_entry()
  /// Cumulative fired counts by fault kind name (across plan replacements).
  std::map<std::string, uint64_t> fired_by_kind;
  /// The newest journal entries seen by the last update (newest last, at most `recent_keep`).
  std::vector<JournalEntry> recent;
};

class SimRequestCounter {
 public:
  explicit SimRequestCounter(const SimEngine& engine, size_t max_series = 1000, size_t recent_keep = 50);
  /// Reads the journal entries appended since the last call and returns the counters.
  /// Thread-safe.
  SimRequestCounts update();

 private:
  const SimEngine& engine_;
  const size_t max_series_;
  const size_t recent_keep_;
  Mutex mu_;
  SimRequestCounts counts_ PLOKE_GUARDED_BY(mu_);
  uint64_t done_ PLOKE_GUARDED_BY(mu_) = 0;               // every seq <= done_ is settled
  std::set<uint64_t> above_ PLOKE_GUARDED_BY(mu_);        // counted seqs > done_
  std::map<std::string, std::pair<std::string, uint64_t>> fault_seen_ PLOKE_GUARDED_BY(mu_);  // id → (kind, fired)
};

/// Whether a fault can still fire (times not used up, a lone `nth` not yet passed, and —
/// when `since_start` is known — inside its from/until window).
bool fault_active(const FaultStats& stats, const Fault& fault, std::optional<Duration> since_start);
/// Why a fault cannot fire any more (times or a lone nth used up).
bool fault_exhausted(const FaultStats& stats, const Fault& fault);

/// The Prometheus text (format 0.0.4) for an engine, with counters from `counts`.
std::string sim_metrics_text(const SimEngine& engine, const SimRequestCounts& counts,
                             std::optional<Duration> since_start = std::nullopt);
/// One-shot: counts over the engine's current journal only (a fresh SimRequestCounter).
std::string sim_metrics_text(const SimEngine& engine, std::optional<Duration> since_start = std::nullopt);

class SimObservability {
 public:
  /// `engine` and `clock` (the engine's clock) must outlive this object.
  SimObservability(const SimEngine& engine, Clock& clock);
  std::string metrics_text();
  std::string dashboard_json();  ///< defined in dashboard_json.cpp

 private:
  std::optional<Duration> since_start() const;
  const SimEngine& engine_;
  Clock& clock_;
  SimRequestCounter counter_;
};

}  // namespace ploke::simulator
