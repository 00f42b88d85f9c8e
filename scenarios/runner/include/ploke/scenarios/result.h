// File: ploke/scenarios/result.h
//
// ScenarioResult: everything a scenario run produced — per-request and per-attempt logs,
// breaker transitions, queue depth samples, time buckets for charts, per-provider
// summaries, expectation verdicts and the digest. The terminal table, the JSON output and
// the HTML report (ploke/scenarios/html_report.h) all render this one struct.
//
// Times are virtual, as offsets since the scenario start (Duration, ns). The digest is
// SHA-256 over canonical_text(): every deterministic field (not wall_ms), so the same
// scenario and seed give the same digest. A real-time run (clock "real") has wall-clock
// offsets and no digest: it is not deterministic, and its output says so.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/scenarios/scenario.h"

namespace ploke::scenarios {

/// One façade call of the workload.
struct RequestRecord {
  uint64_t id = 0;                 ///< 1-based arrival order
  Duration start{0}, end{0};       ///< since scenario start
  bool finished = false;           ///< false = lost (never returned before the drain ended)
  std::string outcome;             ///< "ok" or a StatusCode name
  bool stream = false, tools = false;
  bool embed = false;              ///< an embeddings call (workload.embed_share)
  Priority priority = Priority::kNormal;
  uint32_t attempts = 0;           ///< attempts that reached a provider (wire)
  std::string served_by;           ///< provider name of the success ("" otherwise)
  double cost_usd = 0;
  Duration queue_wait{0};
  uint64_t content_events = 0;     ///< streamed content events delivered to the caller
  bool reasoning = false;          ///< the answer carried reasoning text
  uint64_t cache_read_tokens = 0;  ///< prompt tokens read from the provider's cache
  Duration latency() const { return end - start; }
};

/// One attempt as the simulated provider saw it (recorded at the wire, so nothing the
/// façade does can hide an attempt).
struct AttemptRecord {
  uint64_t request = 0;            ///< RequestRecord::id
  uint32_t number = 0;             ///< 1-based within the request
  std::string provider, endpoint_id;
  Duration at{0};                  ///< request reached the provider
  Duration head_at{0};             ///< response head (or ending) time
  int http_status = 0;             ///< 0 = no status line (reset, hang, empty reply)
  std::string ending;              ///< complete | reset | close | hang
  std::string fault_id;            ///< "" = no fault
  std::optional<Duration> retry_after;  ///< from retry-after-ms / retry-after
  bool after_partial_output = false;    ///< started after content reached the caller
};

struct BreakerTransition {
  Duration at{0};
  std::string endpoint_id, provider;
  std::string from, to;            ///< closed | open | half_open
  std::string reason;
};

struct QueueSample {
  Duration at{0};
  uint64_t in_flight = 0;          ///< requests holding an admission slot
  uint64_t queued = 0;             ///< waiting in admission lanes
  uint64_t outstanding = 0;        ///< workload calls started and not returned
};

/// Per provider, per time bucket.
struct ProviderBucket {
  uint64_t attempts = 0, ok = 0, errors = 0;
  std::string breaker = "closed";  ///< state at the bucket's end (first endpoint of the provider)
};

/// One `sample_interval` of the run (charts).
struct TimeBucket {
  Duration start{0};
  uint64_t arrivals = 0, finished = 0, ok = 0, failed = 0;
  uint64_t attempts = 0, retries = 0;  ///< retries = attempts beyond each request's first
  double p50_ms = 0, p95_ms = 0, p99_ms = 0;  ///< of requests finished in the bucket
  double cost_usd = 0;
  std::map<std::string, ProviderBucket> providers;
};

struct ProviderSummary {
  std::string name, protocol;
  std::string url;                 ///< real time: the SimServer's base URL ("" in virtual time)
  uint64_t engine_requests = 0;    ///< requests the provider's simulator engine handled (not in the digest)
  std::string drift;               ///< the engine's OpenRouter drift switches, "a,b" ("" = none; not in the digest)
  uint64_t attempts = 0, ok = 0;
  std::map<std::string, uint64_t> outcomes;  ///< by HTTP status / ending: "200", "429", "reset", …
  uint64_t breaker_openings = 0;
  double cost_usd = 0;
  struct Fault {
    std::string id, kind;
    uint64_t matched = 0, fired = 0;
  };
  std::vector<Fault> faults;
};

/// A client-side budget (Scenario::budgets) at the end of the run.
struct BudgetSummary {
  std::string path;                ///< "client.budgets[0]"
  std::string scope, name, period, action;
  double limit_usd = 0;
  double spent_usd = 0;            ///< in the period current at the end of the run
  uint64_t refusals = 0;           ///< "stop" checks that refused (routing filters and pre-attempt checks)
  std::optional<Duration> first_refusal;  ///< since the start: when the budget first refused
};

struct ExpectationResult {
  std::string kind;                ///< expectation_kind_name()
  std::string path;                ///< "expect[3]"
  std::string description;         ///< "success rate >= 99%"
  bool passed = false;
  double observed = 0, threshold = 0;
  std::string unit;                ///< "%", "ms", "attempts", "usd", "violations"
  std::string detail;              ///< first violations, by how much
};

struct ScenarioResult {
  std::string file, name, description;
  std::vector<std::string> tags;
  uint64_t seed = 0;
  Duration duration{0};            ///< configured
  Duration simulated{0};           ///< virtual time actually covered (incl. drain)
  Duration sample_interval{0};
  double wall_ms = 0;              ///< NOT in the digest
  /// "virtual" (SimulatedClock, in process: deterministic, digest set) or "real" (loopback
  /// HTTP against SimServers on the RealClock: times are wall times, no digest).
  std::string clock = "virtual";
  // Totals
  uint64_t requests = 0, ok = 0, failed = 0, lost = 0, attempts = 0, retries = 0;
  std::map<std::string, uint64_t> outcomes;  ///< request outcomes by code name
  double p50_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;  ///< successful requests
  double cost_usd = 0;
  uint64_t timers_fired = 0, abandoned_waits = 0;
  // Logs and series
  std::vector<RequestRecord> request_log;
  std::vector<AttemptRecord> attempt_log;
  std::vector<BreakerTransition> breaker_log;
  std::vector<QueueSample> queue_samples;
  std::vector<TimeBucket> buckets;
  std::vector<ProviderSummary> providers;
  std::vector<BudgetSummary> budgets;
  std::vector<ExpectationResult> expectations;
  std::string digest;              ///< hex SHA-256 of canonical_text(); "" on the real clock

  bool passed() const;
  bool real_time() const { return clock == "real"; }
};

/// The canonical serialization the digest covers (one line per record, fixed formats).
std::string canonical_text(const ScenarioResult& r);
/// JSON: summary, providers, buckets, breaker log, queue samples, expectations, digest
/// (`with_logs` adds the request and attempt logs).
std::string result_to_json(const ScenarioResult& r, bool with_logs = false);
/// The terminal table (summary, providers, expectations with observed vs threshold).
std::string result_to_text(const ScenarioResult& r);

}  // namespace ploke::scenarios
