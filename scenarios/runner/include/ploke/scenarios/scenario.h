// File: ploke/scenarios/scenario.h
//
// Scenario: a deterministic virtual-time run of the whole core (the LlmClient façade)
// against simulated providers, with a fault schedule, a workload and expectations. The
// JSON format is specified in scenarios/README.md; parse_scenario() reads it and reports
// EVERY bad field with its JSON path (and the file name) in one pass.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/core/status.h"
#include "ploke/resilience/llm_client.h"
#include "ploke/simulator/fault_plan.h"
#include "ploke/simulator/openrouter_options.h"

namespace ploke::scenarios {

/// One simulated provider: a SimEngine of its own behind an InProcessTransport, and one
/// façade endpoint per model.
struct ProviderSpec {
  std::string name;                  ///< unique; endpoint ids are "NAME/MODEL"
  std::string protocol = "openai";   ///< openai | anthropic | openrouter
  std::vector<std::string> models;   ///< ≥ 1
  Duration ttft = std::chrono::milliseconds(300);
  double tokens_per_second = 100;
  uint32_t min_tokens = 8, max_tokens = 32;     ///< synthetic completion length
  double tool_call_probability = 0.5;
  uint64_t limit_requests = 10000, limit_tokens = 30000000;  ///< advertised in x-ratelimit-* headers
  resilience::RateLimits client_limits;         ///< the façade's key limits (0 = learn)
  double input_usd_per_mtok = 0, output_usd_per_mtok = 0;
  double weight = 1.0;
  CallOptions timeouts;                         ///< per attempt
  std::string cassettes;                        ///< file or dir (relative to the scenario file); "" = synthetic
  simulator::FaultPlan faults;                        ///< windows are since the scenario start
  /// Schema drift of the simulated OpenRouter's payloads (protocol openrouter only):
  /// SimOptions::openrouter.drift. On completions, extra_fields adds fields clients must ignore.
  simulator::OpenRouterDrift drift;
};

/// A client-side spend budget (the cost ledger's budget, kept in memory by the runner on
/// the run's clock): the façade's BudgetOracle refuses an attempt a "stop" budget cannot
/// pay for, and the cost policy reads the remaining budget.
struct BudgetSpec {
  std::string scope = "global";   ///< global | provider | profile
  std::string name;               ///< the provider or profile ("" for global)
  std::string period = "day";     ///< day | month (UTC, on the clock's system time)
  double limit_usd = 0;
  std::string action = "warn";    ///< warn | stop
  std::string path;               ///< JSON path, e.g. "client.budgets[0]"
};

enum class ArrivalProcess : uint8_t { kConstant, kPoisson, kBursts };

struct Burst {
  Duration at{0};
  uint64_t count = 0;
  Duration over{0};   ///< spread evenly; 0 = all at once
};

struct WorkloadSpec {
  ArrivalProcess arrival = ArrivalProcess::kConstant;
  double rate_per_s = 1;               ///< constant / poisson; also the base rate under bursts
  std::vector<Burst> bursts;
  std::optional<uint64_t> max_requests;
  std::string model = "gpt-4o-mini";
  uint32_t prompt_chars_min = 200, prompt_chars_max = 2000;
  std::optional<uint32_t> max_output_tokens = 64;
  double stream_share = 0;
  double tool_share = 0;
  /// Share of requests that are embeddings calls (LlmClient::embed of the user text, model
  /// `embed_model`; never streamed, no tools).
  double embed_share = 0;
  std::string embed_model = "text-embedding-3-small";
  /// Reasoning asked of every chat request ({mode, budget_tokens, effort, exclude}).
  ReasoningOptions reasoning;
  /// > 0: every chat request starts with the same system prompt of this many characters,
  /// marked as a prompt-cache breakpoint (`cache_ttl`), so calls after the first read it.
  uint32_t cached_system_chars = 0;
  CacheControl cache_ttl = CacheControl::kEphemeral5m;
  std::map<Priority, double> priorities;  ///< weights; empty = all normal
  std::optional<Duration> deadline;       ///< per request, since submission
  std::string policy;                     ///< per-call policy ("" = client default)
};

enum class ExpectationKind : uint8_t {
  kSuccessRate,          ///< ok / requests ≥ min
  kLatency,              ///< percentile p of request latency ≤ max
  kAttempts,             ///< attempts to a provider (optionally in a window) ≤ max and/or ≥ min
  kNoTrafficToOpenBreaker,
  kHonoursRetryAfter,
  kNoRetryAfterPartialOutput,
  kCost,                 ///< total cost (or one provider's) ≤ max_usd
  kNoLostRequests,
  kAllFaultsFired,
  kReasoningShare,       ///< successful chat answers carrying reasoning / successful chat answers ≥ min
  kCacheReadShare,       ///< successful chat answers that read the prompt cache / successful ≥ min
};
std::string_view expectation_kind_name(ExpectationKind k);

struct Expectation {
  ExpectationKind kind = ExpectationKind::kSuccessRate;
  std::string path;                 ///< JSON path, e.g. "expect[2]"
  double min = 0;                   ///< success_rate; attempts (count, 0 = no minimum)
  double max = 0;                   ///< attempts (count, < 0 = no maximum), cost (usd), latency (ms)
  double percentile = 95;           ///< latency
  bool ok_only = true;              ///< latency: successful requests only
  std::string provider;             ///< attempts, no_traffic_to_open_breaker, cost ("" = all)
  std::optional<Duration> from, until;  ///< attempts window (since start)
};

struct Scenario {
  std::string file;                 ///< where it came from ("" for text)
  std::string name, description;
  std::vector<std::string> tags;
  uint64_t seed = 1;
  Duration duration = std::chrono::minutes(1);  ///< arrivals stop here; in-flight calls finish
  Duration drain = std::chrono::minutes(5);     ///< longest wait for in-flight calls after duration
  Duration sample_interval = std::chrono::seconds(1);  ///< queue depth sampling / report buckets
  std::vector<ProviderSpec> providers;
  WorkloadSpec workload;
  resilience::LlmClientOptions client;
  /// client.instances: gateway instances (each its own façade) sharing rate limits,
  /// breakers and half-open trials through one in-memory SharedStore; requests go to them
  /// in turn. Virtual time only. Budgets and the façade figures in the result (queue
  /// samples, budgets) are instance 0's; attempt expectations count every instance's.
  uint32_t instances = 1;
  std::string policy;               ///< client default routing policy ("" = façade default)
  CallOptions timeouts;             ///< default per-attempt timeouts (providers may override)
  /// Client-side spend budgets ("client.budgets"); non-empty = the façade gets the runner's
  /// in-memory ledger as UsageSink and BudgetOracle.
  std::vector<BudgetSpec> budgets;
  std::vector<Expectation> expectations;
};

/// Parses scenario JSON (comments allowed). On error: kInvalidRequest whose message has
/// one line per bad field, "SOURCE: PATH: problem".
Result<Scenario> parse_scenario(std::string_view json, std::string_view source_name);
/// Reads and parses a file (relative cassette paths resolve against its directory).
Result<Scenario> load_scenario_file(const std::string& path);
/// The scenario files of a directory (*.json, sorted), or {path} for a file.
Result<std::vector<std::string>> scenario_files(const std::string& file_or_dir);

/// "250ms", "1.5s", "2m", "1h", "500us" (or a number of seconds). nullopt when malformed.
std::optional<Duration> parse_duration_text(std::string_view text);

}  // namespace ploke::scenarios
