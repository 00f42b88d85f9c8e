// File: ploke/simulator/contract.h
//
// The adapter contract kit: a conformance suite for one ProviderAdapter, run against the
// simulator engine in process (InProcessTransport on a SimulatedClock: deterministic, no
// sockets, timeouts in virtual time) and against golden cassettes replayed through the
// engine's cassette mode. Suites are data (JSON, format in adapters/README.md "Contract
// kit"): a new adapter gets its suite by adding a file, not C++.
//
// Each case: a normalized ChatRequest (JSON), simulator settings (seed, tool-call knobs,
// a fault plan in the simulator's fault plan format, or a cassette to replay), and the
// expectation (status code name, retry_after, finish reason, tool-call count, content,
// usage, stream events, …). Every case runs on a fresh engine and a fresh clock, so a
// case's outcome does not depend on the others.
//
// Errors: parse/load failures are kInvalidRequest whose message names the suite file and
// every bad field path ("suite 'x.json': 2 errors:\n  cases[3].expect.status: …").
//
// Thread-safety: a ContractSuite is an immutable value; run_contract_suite() may run
// concurrently on distinct suites/adapters.
//
// Example:
//   auto suite = ploke::simulator::load_contract_suite("adapters/contracts/openai.json");
//   auto adapter = registry.create("openai");
//   ploke::simulator::ContractReport rep = ploke::simulator::run_contract_suite(*suite, **adapter);
//   std::fputs(ploke::simulator::contract_report_table(rep).c_str(), stdout);
//   return rep.ok() ? 0 : 1;
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/codec/cassette.h"
#include "ploke/core/adapter.h"
#include "ploke/core/chat.h"
#include "ploke/core/junit.h"
#include "ploke/core/sim_protocol.h"
#include "ploke/core/status.h"
#include "ploke/core/transport.h"
#include "ploke/simulator/fault_plan.h"

namespace ploke::simulator {

/// What a case must observe. Unset fields are not checked.
struct ContractExpect {
  StatusCode status = StatusCode::kOk;
  std::optional<int> http_status;
  std::optional<int64_t> retry_after_ms;
  std::optional<TimeoutPhase> timeout_phase;
  std::optional<bool> should_retry;
  std::string message_contains;
  std::optional<uint64_t> delivered_events_min;   ///< kStreamInterrupted: Status::delivered().events ≥
  std::optional<bool> delivered_content;          ///< delivered().content_chars > 0
  // Successful responses:
  std::optional<FinishReason> finish_reason;
  std::string native_finish_reason;
  std::optional<size_t> tool_calls;               ///< exact number of tool calls
  std::vector<std::string> tool_names;            ///< each must be among the calls' names
  std::optional<bool> tool_args_valid_json;       ///< every call's arguments parse as a JSON object
  std::optional<bool> content_non_empty;
  std::string content_equals;
  std::optional<bool> usage;                      ///< usage present with total_tokens > 0
  std::optional<bool> cost_reported;              ///< usage.reported_cost_usd present
  std::string id_prefix;
  std::optional<bool> request_id;                 ///< request_id non-empty
  std::string provider;                           ///< ChatResponse::provider
  std::optional<bool> reasoning_non_empty;        ///< ChatResponse::reasoning has text
  std::optional<bool> reasoning_signed;           ///< reasoning blocks, each thinking block signed
  std::optional<uint64_t> reasoning_tokens_min;   ///< usage.reasoning_tokens ≥
  // Embeddings cases:
  std::optional<size_t> vectors;                  ///< exact number of vectors
  std::optional<size_t> dimensions;               ///< every vector's length
  // Streams (names as stream_event_kind_name(): start, text_delta, tool_call_delta, usage, finish, error):
  std::string first_event;
  std::string last_event;
  std::vector<std::string> events_include;
  /// Every fault of the case's plan fired at least once (default true: a fault that never
  /// fires proves nothing).
  bool faults_fired = true;
};

/// One case, parsed. `replay_cassettes` non-empty = cassette case.
struct ContractCase {
  std::string name;
  std::string description;
  ChatRequest request;
  /// An embeddings case (ChatClient::embed) instead of a chat request.
  std::optional<EmbeddingRequest> embed;
  Headers endpoint_headers;                 ///< added to the suite endpoint's extra_headers
  // Simulator settings (SimOptions subset).
  uint64_t seed = 1;
  std::optional<double> tool_call_probability;
  std::optional<uint32_t> n_tool_calls;
  std::optional<uint32_t> tool_argument_fragments;
  std::optional<uint32_t> min_tokens, max_tokens;
  std::optional<int64_t> ttft_ms;
  std::optional<double> tokens_per_second;
  FaultPlan faults;
  std::vector<codec::Cassette> replay_cassettes;
  std::vector<std::string> replay_files;    ///< as resolved (for the report)
  std::vector<std::string> match_ignore;    ///< extra ignore paths for replay matching
  CallOptions call;                         ///< per-phase timeouts (virtual time)
  ContractExpect expect;
};

struct ContractSuite {
  std::string source;        ///< file name (or source name given to parse)
  std::string name;
  std::string adapter;       ///< the adapter the suite was written for
  std::string description;
  std::string provider;      ///< Endpoint::provider (default: the adapter name)
  std::string base_url;      ///< e.g. "http://sim.invalid/v1"
  std::string api_key;       ///< test key (must contain FAKE); "" = none
  Headers headers;
  std::vector<ContractCase> cases;
};

/// Parses a suite. Relative cassette paths resolve against `base_dir` (the suite file's
/// directory for load_contract_suite). Collects every error with its field path.
Result<ContractSuite> parse_contract_suite(std::string_view text, std::string_view source_name,
                                           const std::string& base_dir);
Result<ContractSuite> load_contract_suite(const std::string& path);

struct ContractCaseResult {
  std::string name;
  std::string kind;       ///< "sim" or "cassette"
  bool stream = false;
  bool passed = false;
  std::string outcome;    ///< "ok finish=stop tools=0 chars=42 usage" or the Status
  std::vector<std::string> failures;  ///< one line per unmet expectation
  int64_t virtual_ms = 0; ///< simulated time the case took
};

struct ContractReport {
  std::string suite;      ///< ContractSuite::source
  std::string adapter;    ///< the adapter's name()
  std::vector<ContractCaseResult> cases;
  size_t passed() const;
  size_t failed() const { return cases.size() - passed(); }
  bool ok() const { return failed() == 0; }
};

/// Runs every case (or only those whose name contains `filter`). Never fails: setup
/// problems (an engine that rejects the case's settings) are reported as failed rows.
/// `protocols`: simulator protocols spoken next to the built-ins (SimOptions::protocols,
/// e.g. a plugin's): the suite's endpoint base_url picks one by path, as for any request.
ContractReport run_contract_suite(const ContractSuite& suite, const ProviderAdapter& adapter,
                                  std::string_view filter = {}, const std::vector<SimProtocolPtr>& protocols = {});

/// Human table: one row per case (CASE, KIND, MODE, RESULT, OUTCOME), the failures under
/// a failed row, and a "N passed, N failed" line.
std::string contract_report_table(const ContractReport& report);
/// {"suite","adapter","passed","failed","cases":[{"name","kind","stream","passed",
/// "outcome","failures":[…],"virtual_ms"}]}
std::string contract_report_json(const ContractReport& report);
/// JUnit XML for CI, valid against the Ant JUnit schema (the envelope: ploke/core/junit.h):
/// one <testsuite> ("contract ADAPTER", package "ploke-sim.contract", id 0, the run's
/// timestamp and host from `run`, property suite, time = the cases' virtual seconds) and one
/// <testcase> per case (classname "contract.ADAPTER", name "CASE (sim|cassette[, stream])"),
/// a failed case with <failure type="contract" message=OUTCOME> and its failure lines as
/// text. Text redacted and XML-escaped (ploke/core/markup.h).
std::string contract_report_junit(const ContractReport& report, const JunitRun& run = {});

}  // namespace ploke::simulator
