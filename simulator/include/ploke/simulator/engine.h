// File: ploke/simulator/engine.h
//
// SimEngine: the provider simulator's logic, free of sockets. A request goes in, a
// ScriptedResponse (status, headers, timed body chunks, ending) comes out. It speaks the
// OpenAI wire protocol (/v1/chat/completions streamed and not, /v1/completions,
// /v1/embeddings, /v1/models, /v1/models/{id}) exactly enough that the official SDKs work
// unchanged, and
// injects the faults of a FaultPlan (ploke/simulator/fault_plan.h) into its answers.
// Anthropic Messages and OpenRouter are spoken too; every protocol, built in or added
// through SimOptions::protocols (a ploke::SimProtocol, e.g. an adapter plugin's), is
// answered through one registry (simulator/README.md "Protocol registry").
//
// Determinism: the engine never reads the machine's clock and never sleeps. Times in
// the returned ScriptedResponse are offsets from the request's arrival; `created` comes
// from clock.system_now(); every random choice (ids, text, tool calls, fault dice) comes
// from a Random seeded by SimOptions::seed and forked per request by its arrival number.
// The same seed and the same request sequence give byte-identical responses.
//
// Players: InProcessTransport (core) plays the responses on a Clock without sockets;
// SimServer (ploke/simulator/http_server.h) plays them on real sockets.
//
// Cassette replay (spec cassettes/README.md §5): with SimOptions::replay holding
// cassettes, requests are answered from the recordings (ploke::codec ReplayStore) instead
// of synthesized, with the recorded bytes, chunk boundaries and (scaled) timing. An
// unmatched request gets a 400 `cassette_no_match` error whose message is the near-miss
// report. The fault plan applies on top of replayed responses through the same code as on
// synthetic ones (a stream_cut with after_events 5 cuts a recorded stream after its 5th
// SSE event, whatever the recorded chunking).
//
// Thread-safety: handle() and the admin methods may be called from any number of
// threads; shared state (counters, fault plan, journal) is guarded by one mutex, and the
// heavy work (JSON parsing and rendering) happens outside it.
//
// Example:
//   SimulatedClock clock;
//   SimOptions opts;
//   opts.seed = 42;
//   auto engine = SimEngine::Create(opts, clock);          // Result<unique_ptr<SimEngine>>
//   InProcessTransport t(clock, engine_handler(**engine));
//   auto resp = send_and_wait(t, clock, req, {});
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/codec/cassette.h"
#include "ploke/codec/matcher.h"
#include "ploke/codec/scripted.h"
#include "ploke/core/clock.h"
#include "ploke/core/in_process_transport.h"
#include "ploke/core/random.h"
#include "ploke/core/scripted_response.h"
#include "ploke/core/sim_protocol.h"
#include "ploke/core/status.h"
#include "ploke/core/transport.h"
#include "ploke/simulator/fault_plan.h"
#include "ploke/simulator/openrouter_options.h"

namespace ploke::simulator {

/// Which OpenAI route a model answers on: chat (`/v1/chat/completions`), legacy completions
/// (`/v1/completions`) or embeddings (`/v1/embeddings`). Asked on another route, a chat
/// model and a completion model get the API's "This is (not) a chat model…" 404; an
/// embedding model, and a chat or completion model asked for embeddings, the
/// model_not_found 404.
enum class ModelKind { kChat, kCompletion, kEmbedding };

/// A model the simulator serves (GET /v1/models and request validation).
struct ModelInfo {
  std::string id;
  int64_t created = 1715367049;  ///< unix seconds, as listed by /v1/models
  std::string owned_by = "system";
  ModelKind kind = ModelKind::kChat;
  /// kEmbedding: the vectors' native size (and the largest `dimensions` accepted).
  uint32_t embedding_dims = 0;
  /// kEmbedding: whether the request may ask for fewer `dimensions` (false: the API's 400).
  bool embedding_shortening = true;
  /// kChat: a reasoning model (the Responses API answers a reasoning item first and counts
  /// reasoning tokens; other models refuse `reasoning.effort`).
  bool reasoning = false;
};

/// The default model list: gpt-4o, gpt-4o-mini, gpt-4.1, gpt-4.1-mini, gpt-3.5-turbo,
/// o4-mini (reasoning) (chat), gpt-3.5-turbo-instruct (completions), text-embedding-3-small (1536 dims),
/// text-embedding-3-large (3072), text-embedding-ada-002 (1536, no `dimensions`).
std::vector<ModelInfo> default_models();

/// Streaming pacing. Response head at ~0, first content at `time_to_first_token`, then
/// one token every 1/tokens_per_second. Non-streamed responses are sent when the whole
/// completion would be done (ttft + tokens / tps).
struct LatencyModel {
  Duration time_to_first_token = std::chrono::milliseconds(20);
  double tokens_per_second = 200.0;
  /// Every offset is 0 (benchmarks, fast tests). Faults' delays still apply.
  bool fast = false;

  static LatencyModel Fast() { LatencyModel m; m.fast = true; return m; }
};

/// Synthetic completion length in tokens, uniform in [min_tokens, max_tokens]. A request's
/// max_completion_tokens / max_tokens caps it (finish_reason "length" when it cuts).
struct CompletionLength {
  uint32_t min_tokens = 8;
  uint32_t max_tokens = 32;
};

/// x-ratelimit-* values sent on every response (remaining-requests is 0 on 429s).
struct RateLimitInfo {
  uint64_t limit_requests = 10000;
  uint64_t limit_tokens = 30000000;
};

/// Cassette replay settings. Replay is on when `cassettes` is non-empty (load them with
/// codec::load_cassettes(file_or_dir)).
///
/// Routing in replay mode: every request is matched against the cassettes, except GET
/// /v1/models and GET /v1/models/{id} when no cassette recorded that method + path (those
/// keep the synthetic answer, so SDK model listing works). Unmatched requests get
/// HTTP 400, OpenAI shape {"error":{"message":<near-miss report>,"type":
/// "invalid_request_error","param":null,"code":"cassette_no_match"}} (for paths ending in
/// /v1/messages: the Anthropic package's 400 error body, with the request id) and the header `x-ploke-replay: miss`. 400 rather than 404: clients map
/// 404 to "fall over to another provider", which would hide the miss; 400 is surfaced.
///
/// Faults: a fault that replaces the response (http_error, reset, empty_reply, hang before
/// any event) does not consume a recorded interaction, so a client's retry gets the
/// recording; every other fault overlays the replayed response (see README "Cassette
/// replay").
///
/// Per-test cassettes (options.scope_by_cassette; cassettes/README.md "Per-test
/// cassettes"): a request names its cassette by the header `x-ploke-cassette: NAME` or the
/// path prefix `/cassettes/NAME/` (removed before routing; the longest loaded name wins)
/// and matches only that cassette's interactions. No name, an invalid name or an unknown
/// cassette: HTTP 400 with code `cassette_not_found` naming it (journal replay "miss").
/// ReplayOptions with the protocol packages' cassette ignore paths
/// (builtin_cassette_ignore_paths(), ploke/adapters/register.h).
codec::ReplayOptions default_replay_options();

struct ReplaySettings {
  std::vector<codec::Cassette> cassettes;
  /// Matching (ignore paths: the packages' volatile fields, builtin_cassette_ignore_paths()),
  /// after-last (repeat_last | fail), redaction.
  codec::ReplayOptions options = default_replay_options();
  codec::Timing timing;           ///< recorded (default) | none | xN
  /// Strict CI mode: the front/CLI fails at shutdown when strict_report() is not OK. The
  /// engine itself behaves the same either way.
  bool strict = false;
  bool enabled() const { return !cassettes.empty(); }
};

struct SimOptions {
  uint64_t seed = 1;
  std::vector<ModelInfo> models = default_models();
  LatencyModel latency;
  CompletionLength length;
  /// With tools offered and tool_choice "auto" (or unset): chance that the answer is tool
  /// calls rather than text. A last message with role "tool" always gets text.
  double tool_call_probability = 0.5;
  /// How many (parallel) tool calls an answer with tool calls has. 0 (default): one per
  /// offered tool, at most 3 (1 when a function is forced). Always 1 when the request sets
  /// parallel_tool_calls:false.
  uint32_t n_tool_calls = 0;
  /// Argument JSON is streamed in this many fragments at most (≥ 1).
  uint32_t tool_argument_fragments = 4;
  /// Anthropic Messages with extended thinking on: chance that the thinking block is a
  /// redacted_thinking block (opaque `data`) instead of readable thinking. In [0,1].
  double redacted_thinking_probability = 0;
  std::string system_fingerprint = "fp_sim";
  RateLimitInfo rate_limits;
  FaultPlan faults;
  /// Request journal capacity (oldest entries dropped first).
  size_t journal_capacity = 10000;
  /// Cassette replay (off when no cassettes). SimEngine::Create moves the cassettes into
  /// its replay store: options().replay.cassettes is empty afterwards; use replay_enabled().
  ReplaySettings replay;
  /// The simulated OpenRouter under /api/v1/ (catalog size, schema drift, credits; README "OpenRouter").
  OpenRouterSimOptions openrouter;
  /// Protocols spoken next to the built-in ones (ploke/core/sim_protocol.h; an adapter
  /// plugin's, README "Protocol registry"): consulted after anthropic and openrouter and
  /// before the OpenAI catch-all, in this order. Create() refuses a null one, an empty name
  /// and a name taken (built in or earlier in the list). They must outlive the engine.
  std::vector<SimProtocolPtr> protocols;
};

/// The names of the built-in simulator protocols: "anthropic", "openrouter", "openai".
std::vector<std::string> builtin_protocol_names();

/// One row of the request journal.
struct JournalEntry {
  uint64_t seq = 0;            ///< arrival number, 1-based
  Duration at{0};              ///< arrival time since engine start
  std::string method;
  std::string path;            ///< effective path (prefix joined), without query
  std::string model;           ///< "" when absent or not applicable
  bool stream = false;
  std::optional<int64_t> retry_count;  ///< X-Stainless-Retry-Count header, if sent
  int status = 0;              ///< 0 when no status line is ever sent (reset, hang, empty reply)
  std::string ending;          ///< ending_name() of the scripted response
  std::string fault_id;        ///< "" when no fault fired
  std::string request_id;      ///< x-request-id sent (or that would have been sent)
  /// Replay mode only: the interaction replayed ("openai-stream#3"), "miss", or "" for a
  /// request answered synthetically (models list) or replaced by a fault.
  std::string replay;
  // What `ploke-sim check` judges a client by (simulator/README.md "Journal"):
  /// A hash of the request body (an identity within one run, not across builds): an SDK's
  /// retries of one call resend the same bytes.
  uint64_t body_hash = 0;
  /// The wait the answer advertised (retry-after-ms, else retry-after in seconds).
  std::optional<Duration> retry_after;
  /// The x-should-retry header the answer carried.
  std::optional<bool> should_retry;
  /// A 200 stream that delivered events, then broke (cut, in-band error, hang, bad JSON).
  bool broke_after_output = false;
  /// "url" or "body" when the request carried its own API key (or a credential-named query
  /// parameter) outside its auth header; "" otherwise. The key itself is never stored.
  std::string secret_in;
  /// Set by SimServer: the client closed the connection before the answer was complete
  /// (a client timeout; on_served then reports when).
  bool client_left = false;
};

/// Per-fault counters (a scenario checks that every configured fault fired).
struct FaultStats {
  std::string id;
  FaultKind kind = FaultKind::kHttpError;
  uint64_t matched = 0;  ///< requests that matched its filters
  uint64_t fired = 0;    ///< times it was applied
};

class SimEngine {
 public:
  /// Validates `options` (models non-empty, sane latency, fault plan ids unique — empty
  /// ids become "f1", "f2", … by position). kInvalidRequest on bad options.
  static Result<std::unique_ptr<SimEngine>> Create(const SimOptions& options, Clock& clock);

  SimEngine(const SimEngine&) = delete;
  SimEngine& operator=(const SimEngine&) = delete;
  ~SimEngine();

  /// Answers one request. Pure with respect to I/O: reads the clock (now, system_now) and
  /// the engine's seeded state only. Never fails: bad requests get OpenAI-shaped errors.
  /// The effective path is base_url's path prefix joined with `path` (unless `path`
  /// already starts with that prefix); a query string is ignored for routing.
  ScriptedResponse handle(const HttpRequest& request);
  /// The same, and a copy of the request's journal entry into `*entry` (when not null).
  ScriptedResponse handle(const HttpRequest& request, JournalEntry* entry);

  // Admin (also exposed by SimServer under /__admin/).
  /// Replaces (append=false) or extends the fault plan. Counters of replaced faults are
  /// dropped. kInvalidRequest on duplicate ids (nothing changes then).
  Status set_faults(FaultPlan plan, bool append = false);
  void clear_faults();
  FaultPlan faults() const;
  std::vector<FaultStats> fault_stats() const;
  /// The last `limit` journal entries, oldest first.
  std::vector<JournalEntry> journal(size_t limit = SIZE_MAX) const;
  void clear_journal();
  /// Requests handled since creation.
  uint64_t request_count() const;

  // Cassette replay (all empty / OK when replay is off).
  bool replay_enabled() const;
  /// Unmatched requests, oldest first (capped by ReplayOptions::max_recorded_misses).
  std::vector<codec::NearMiss> replay_misses() const;
  /// Interactions never replayed, in load order.
  std::vector<codec::InteractionRef> replay_unused() const;
  /// Uses per interaction, in load order.
  std::vector<codec::UsageEntry> replay_usage() const;
  /// The strict CI verdict: misses and unused interactions.
  codec::StrictReport strict_report() const;
  /// Forgets uses, cursors and misses (recorded order starts over).
  void reset_replay();

  const SimOptions& options() const { return options_; }
  /// When the engine was created (the origin of fault windows and journal times).
  TimePoint start_time() const { return start_; }

 private:
  struct Impl;
  SimEngine(const SimOptions& options, Clock& clock);

  SimOptions options_;
  Clock& clock_;
  const TimePoint start_;
  std::unique_ptr<Impl> impl_;
};

/// A handler for InProcessTransport that forwards to `engine.handle()`. `engine` must
/// outlive the transport.
InProcessTransport::Handler engine_handler(SimEngine& engine);

/// The journal as JSON: {"requests":[{"seq":1,"at_ms":…,"method":…,…}]}.
std::string journal_to_json(const std::vector<JournalEntry>& entries);
/// Fault counters as JSON: [{"id":…,"kind":…,"matched":…,"fired":…}].
std::string fault_stats_to_json(const std::vector<FaultStats>& stats);

/// Replay admin JSON (GET /__admin/cassette/misses, /__admin/cassette/unused):
///   {"misses":[{"method","path","exhausted","nearest":{…ref…}|null,
///               "diff":[{"kind","path","recorded","actual"}],"report":"…"}]}
///   {"unused":[{"cassette","index","id","method","path","label"}]}
///   {"ok","requests","unmatched","misses":[…],"unused":[…],"report":"…"}
std::string replay_misses_to_json(const std::vector<codec::NearMiss>& misses);
std::string replay_unused_to_json(const std::vector<codec::InteractionRef>& unused);
std::string strict_report_to_json(const codec::StrictReport& report);

/// Formats a duration the way OpenAI's x-ratelimit-reset-* headers do: "12ms", "1s",
/// "1.5s", "6m0s".
std::string format_reset_duration(Duration d);

}  // namespace ploke::simulator
