// File: ploke/scenarios/client_check.h
//
// Client checks: judge an application's own LLM client (any language) by what the
// simulator saw of it. `ploke-sim check` serves the simulator with a check file's fault
// schedule, runs the user's command pointed at it, then hands the journal to
// judge_client(), which applies a library of checks named after what they prove
// (waits_for_retry_after, retries_transient_errors, …; scenarios/README.md "Client
// checks").
//
// Logical requests: retries of one call resend the same bytes, so the POST requests with
// the same path and body (JournalEntry::body_hash) form one chain, in arrival order; the
// second and later members of a chain are retries of the first. A client that resumes a
// broken stream sends a different body (the partial answer as context) and so starts a
// new chain.
//
// Built-in profiles record what the official SDKs do (retry counts, backoff, Retry-After,
// timeouts) as check parameters, so a hand-written client can be compared with them.
//
// Thread-safety: pure functions over plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/core/junit.h"
#include "ploke/core/status.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan.h"

namespace ploke::scenarios {

enum class ClientCheckKind : uint8_t {
  kReachesTheSimulator,       ///< at least one request arrived (always judged, first)
  kWaitsForRetryAfter,        ///< a retry after an advertised wait comes no sooner, and not absurdly later
  kRetriesTransientErrors,    ///< 408/409/429/5xx/529, resets and timeouts get at least min_retries retries
  kRetriesAtMost,             ///< no call is retried more than max_retries times
  kBacksOffWithJitter,        ///< gaps not immediate, growing, and (with jitter) not identical
  kNoRetryOfClientErrors,     ///< 400/401/403/404/422 (and x-should-retry: false) are not retried
  kNoRetryAfterPartialStream, ///< a stream that delivered events and broke is not sent again
  kNoRepeatOfAnsweredRequest, ///< a request answered in full is not sent again
  kTimesOutHungRequests,      ///< a hung provider is abandoned within `within`
  kNoSecretsInUrlOrBody,      ///< the API key travels only in its header
  kExitsZero,                 ///< the command exits 0 within the run's time limit
};
std::string_view client_check_name(ClientCheckKind k);
std::optional<ClientCheckKind> client_check_from_name(std::string_view name);
/// Every kind, in declaration order.
const std::vector<ClientCheckKind>& all_client_checks();

/// One check and its parameters (each kind reads the ones named in its comment).
struct ClientCheck {
  ClientCheckKind kind = ClientCheckKind::kExitsZero;
  // waits_for_retry_after
  Duration early_tolerance = std::chrono::milliseconds(25);  ///< allowed earliness
  double max_factor = 2.0;                          ///< at most advertised × factor + max_slack
  Duration max_slack = std::chrono::seconds(1);
  std::optional<Duration> honored_up_to;            ///< longer advertised waits are not judged
  // retries_transient_errors / retries_at_most
  uint32_t min_retries = 1;
  uint32_t max_retries = 5;
  // backs_off_with_jitter
  Duration min_gap = std::chrono::milliseconds(100);  ///< no retry sooner than this
  double min_growth = 1.2;                            ///< each gap ≥ the previous × this
  bool require_jitter = true;
  // no_retry_of_client_errors
  std::vector<int> statuses = {400, 401, 403, 404, 422};
  // times_out_hung_requests
  Duration within = std::chrono::seconds(30);
};

/// What an official SDK does, as check parameters.
struct ClientProfile {
  std::string name;         ///< "openai-node", …
  std::string describes;    ///< package and versions, and how the facts were established
  std::string summary;      ///< one line: retries, backoff, Retry-After, timeout
  std::vector<ClientCheck> checks;
};
const std::vector<ClientProfile>& builtin_client_profiles();
const ClientProfile* find_client_profile(std::string_view name);

/// A check file (scenarios/README.md "Client checks").
struct ClientCheckSpec {
  std::string name;
  std::string description;
  std::string file;           ///< where it was loaded from ("" when parsed from text)
  uint64_t seed = 1;
  Duration ttft = std::chrono::milliseconds(20);
  double tokens_per_second = 500;
  simulator::FaultPlan faults;
  std::string profile;        ///< "" = none
  std::vector<ClientCheck> checks;
  Duration timeout = std::chrono::minutes(5);  ///< the command's time limit
  /// How long the simulator holds a hung request: the longest `within` plus 1 s (so a
  /// client without a timeout is released and the run goes on).
  Duration hang_limit() const;
};

/// Parses a check file; every bad field with its JSON path (kInvalidRequest).
Result<ClientCheckSpec> parse_client_check(std::string_view text, std::string_view source_name);
/// Reads and parses a file; kNotFound when it cannot be read.
Result<ClientCheckSpec> load_client_check_file(const std::string& path);

/// One request as the simulator saw it end.
struct ObservedExchange {
  simulator::JournalEntry entry;
  Duration latency{0};  ///< arrival to the exchange's end (last byte, reset, client gone)
};

/// How the user's command ended.
struct CommandOutcome {
  int exit_code = 0;       ///< the exit status, or 128 + signal
  bool timed_out = false;  ///< killed at the spec's time limit
  Duration run_time{0};
};

struct ClientVerdict {
  ClientCheckKind kind = ClientCheckKind::kExitsZero;
  bool judged = false;  ///< false: the run gave no evidence (e.g. no answer advertised a wait)
  bool passed = true;
  std::string summary;                 ///< one sentence a user understands
  std::vector<std::string> evidence;   ///< the offending requests (at most 5), or why not judged
};

struct ClientCheckReport {
  std::string name;
  std::string file;
  std::string profile;
  std::vector<std::string> command;
  CommandOutcome outcome;
  size_t requests = 0;
  std::vector<simulator::FaultStats> faults;
  std::vector<ClientVerdict> verdicts;
  bool passed() const;
};

/// Applies the spec's checks to what the simulator saw, after reaches_the_simulator (a
/// command whose client never used the simulator fails instead of passing vacuously).
ClientCheckReport judge_client(const ClientCheckSpec& spec, const std::vector<ObservedExchange>& exchanges,
                               const CommandOutcome& outcome, std::vector<simulator::FaultStats> faults);

/// The human table (one row per check, then the evidence of failures).
std::string client_report_text(const ClientCheckReport& report);
/// {"name","file","profile","command":[…],"exit_code","timed_out","run_time_ms","requests",
///  "faults":[…],"passed","checks":[{"check","judged","passed","summary","evidence":[…]}]}
std::string client_report_json(const ClientCheckReport& report);
/// JUnit XML (ploke/core/junit.h): a <testsuite> for the run, a <testcase> per check
/// (<failure> with the evidence, or <skipped> when not exercised).
std::string client_report_junit(const ClientCheckReport& report, const JunitRun& run);
/// The profiles as a table (`check --list-profiles`).
std::string client_profiles_text();

}  // namespace ploke::scenarios
