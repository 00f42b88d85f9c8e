// File: ploke/resilience/llm_client.h
//
// LlmClient: the resilience façade. One call, synchronous or streaming, does
//
//   route ─▶ admit ─▶ send (ChatClient over the endpoint's adapter + Transport)
//         ─▶ retry / fall over ─▶ account (breaker, stats, limiters, metrics, trace)
//
// identically against live providers (HttpTransport, RealClock) and the simulator
// (InProcessTransport, SimulatedClock: whole scenarios in virtual time).
//
//  - Route: the Router filters the registered endpoints (capabilities the request needs —
//    tools, json mode/schema, vision, streaming, context — breaker, client-side rate
//    limits, max cost, pin) and orders the survivors with the chosen policy; the pick and
//    its fallbacks form the chain. When every candidate is only rate-limited, the call
//    waits for the earliest limiter (≤ max_rate_limit_wait, never past the deadline).
//  - Admit: AdmissionQueue lanes (tool turns / short prompts first); a full lane is an
//    immediate kOverloaded "admission queue full"; the deadline also bounds the wait.
//  - Send: per attempt the total timeout is cut to the time left before the deadline.
//  - Retry / fall over: decide_retry() (retry class, Retry-After, budget, deadline).
//  - Mid-stream contract: nothing reaches the caller before the first content event (the
//    start event is held back), so a failure before content can fall over silently. Once
//    content reached the caller, a failure ends the call with kStreamInterrupted carrying
//    what was delivered — never a silent fallback or truncation — unless the caller opted
//    in to continuation (LlmClientOptions::stream_continuation): then the next candidate
//    gets the request plus the partial answer as an assistant message and a user message
//    asking to continue, the caller keeps receiving deltas, and the trace says so.
//  - Every call ends in a success or a classified error (no request is lost).
//
// Thread-safety: complete()/stream() may be called from many threads; the client's state
// is guarded by one mutex that is never held while an attempt is in flight or while
// waiting. Under a SimulatedClock, calls are meant to come from one thread (waits drive
// virtual time).
//
// Example:
//   SimulatedClock clock;
//   LlmClient client(clock, LlmClientOptions{});
//   client.add_endpoint({candidate, adapter.get(), endpoint, &transport, call_options});
//   RequestTrace trace;
//   auto r = client.complete(request, {}, &trace);
//   std::cout << render_trace_text(trace);
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ploke/core/adapter.h"
#include "ploke/core/thread_annotations.h"
#include "ploke/core/chat.h"
#include "ploke/core/chat_client.h"
#include "ploke/core/clock.h"
#include "ploke/core/embedding.h"
#include "ploke/core/random.h"
#include "ploke/core/transport.h"
#include "ploke/core/usage.h"
#include "ploke/resilience/admission.h"
#include "ploke/resilience/circuit_breaker.h"
#include "ploke/resilience/endpoint_stats.h"
#include "ploke/resilience/metrics.h"
#include "ploke/resilience/rate_limiter.h"
#include "ploke/resilience/retry.h"
#include "ploke/resilience/router.h"
#include "ploke/resilience/shared_state.h"
#include "ploke/resilience/trace.h"

namespace ploke::resilience {

/// One endpoint the façade can send to.
struct EndpointConfig {
  EndpointCandidate candidate;                  ///< routing facts (id must be unique)
  const ProviderAdapter* adapter = nullptr;     ///< must outlive the client
  Endpoint endpoint;                            ///< base URL, key, extra headers
  Transport* transport = nullptr;               ///< must outlive the client
  CallOptions call_options;                     ///< per-phase timeouts of each attempt
  std::optional<BreakerConfig> breaker;         ///< default: LlmClientOptions::breaker
  RateLimits key_limits;                        ///< for (provider, key_id); 0 = learn from headers
  /// embed(): input price (USD per million tokens) of each embedding model this endpoint
  /// is asked for, by model id; an unlisted model other than candidate.model is unpriced.
  std::map<std::string, double, std::less<>> embedding_usd_per_mtok;
};

struct LlmClientOptions {
  RouterConfig router;
  BreakerConfig breaker;
  RetryConfig retry;
  BackoffConfig backoff;
  RetryBudgetConfig budget;
  AdmissionConfig admission;
  LaneRules lanes;
  StatsConfig stats;
  std::map<std::string, RateLimits> provider_limits;  ///< by provider name
  bool learn_rate_limits = true;                       ///< from response headers
  Duration max_rate_limit_wait = std::chrono::seconds(10);
  bool stream_continuation = false;                    ///< opt-in, see the file comment
  uint64_t default_output_tokens = 512;                ///< estimate when max_output_tokens is unset
  Duration signals_refresh = std::chrono::seconds(1);  ///< how often routing re-reads stats
  uint64_t seed = 1;                                   ///< jitter and weighted routing
  /// Optional (not owned; must outlive the client): told every attempt and probe —
  /// successes, failures, probes, labelled — with tokens, the provider-reported cost and
  /// the estimate from the endpoint's prices. Called without the client's lock. A failing
  /// sink never fails the call (metric ploke_llm_usage_sink_errors_total + a trace note).
  UsageSink* usage_sink = nullptr;
  /// Optional (not owned): consulted at routing (a "stop" budget the estimated cost would
  /// exceed filters the endpoint out: `budget_stop`; the cost policy reads the remaining
  /// budget) and before every later attempt (retries, fall-overs): refused → the attempt
  /// is not sent, kInsufficientCredits "budget exceeded: …" when nothing else is left.
  /// Warnings → trace budget_warnings + ploke_llm_budget_warnings_total{provider}.
  BudgetOracle* budget_oracle = nullptr;
  std::string session;  ///< usage label ("" = none); CallControl::session overrides
  std::string profile;  ///< usage and budget label; CallControl::profile overrides
  /// Optional (not owned; must outlive the client): state shared with other instances
  /// (shared_state.h). Set, every attempt is also admitted by the shared rate limits of its
  /// provider and key (the limiters' current limits, configured or learned from headers;
  /// reconciled with the usage after the attempt; refused = skipped like a client-side
  /// limit), breakers that open or close are published and other instances' decisions are
  /// applied at the next routing, and a half-open endpoint is tried by one instance only
  /// (SharedState::claim_trial). Its failure policy applies when the store fails.
  SharedState* shared = nullptr;
  /// Optional: told every breaker transition (endpoint id, event), under the client's lock —
  /// it must not call back into the client. Scenario runs log them.
  std::function<void(const std::string&, const BreakerEvent&)> on_breaker_event;
};

/// Lets a caller cancel a façade call from any thread (or from its own stream callback):
/// the in-flight transfer is aborted (Call::cancel()), a backoff or rate-limit wait ends
/// at once, no further attempt is made, and the call returns kCancelled (with the
/// delivered counts when content had reached the caller). One token per call.
class CancelToken {
 public:
  void cancel();
  bool cancelled() const;

 private:
  friend class LlmClient;
  friend class CancellableCall;
  void attach(Call* call);
  void detach(Call* call);
  void attach_wait(Completion* c);
  void detach_wait();

  mutable Mutex mu_;
  bool cancelled_ = false;
  Call* call_ PLOKE_GUARDED_BY(mu_) = nullptr;
  Completion* waiting_ PLOKE_GUARDED_BY(mu_) = nullptr;
};

/// Per-call routing knobs (on top of request.meta).
struct CallControl {
  std::string policy;      ///< "" = the client's default
  std::string pin;         ///< endpoint id, provider or provider/model: never rerouted
  std::string sticky_key;  ///< e.g. a conversation id
  /// Model tiers and provider order / only / ignore as Router filters and order, in this
  /// one call (router.h); the gateway fills them from a model name and a client's
  /// provider preferences.
  RoutePreferences prefs;
  std::optional<double> max_cost_usd;
  CancelToken* cancel = nullptr;  ///< optional; must outlive the call
  std::string session;     ///< usage label ("" = LlmClientOptions::session)
  std::string profile;     ///< usage/budget label ("" = LlmClientOptions::profile)
  /// With a valid RequestMeta::traceparent: each attempt gets a span id of its own (seeded
  /// random), sent upstream as the traceparent's parent-id and kept in
  /// TraceAttempt::span_id, for a caller that exports a span per attempt (the gateway with
  /// OpenTelemetry on). Off: the request's traceparent goes upstream unchanged.
  bool attempt_spans = false;
};

/// ~4 characters per token plus per-message overhead: the façade's prompt-token estimate
/// (rate-limit reservations, cost forecasts), reconciled with the provider's usage.
uint64_t estimate_prompt_tokens(const ChatRequest& request);

/// What `provider health` shows for one endpoint.
struct EndpointHealth {
  std::string endpoint_id, provider, model;
  BreakerState breaker = BreakerState::kClosed;
  Duration open_remaining{0};
  uint32_t openings = 0;
  double breaker_failure_rate = 0, breaker_slow_rate = 0;
  std::vector<BreakerEvent> recent_events;  ///< last 5 transitions
  HealthSnapshot stats;
  double requests_available = 0, tokens_available = 0;  ///< +inf when unlimited
};

std::string render_health_text(const std::vector<EndpointHealth>& endpoints);

/// Active health probes (opt-in): one minimal request per endpoint, bounded by a probe
/// budget so probes cannot multiply, counted as probe traffic (ploke_llm_probes_total),
/// never in the request/attempt metrics. Results feed the breaker (an open breaker whose
/// wait elapsed gets its half-open trial from the probe; one still waiting is not probed)
/// and the endpoint's health statistics. The caller runs probe() at start-up and then
/// periodically from its own thread (the CLI), so no hidden timer threads exist.
struct ProbeOptions {
  uint32_t max_probes_per_minute = 12;  ///< across all endpoints
  uint32_t max_output_tokens = 1;
  std::string prompt = "ping";
};

struct ProbeResult {
  std::string endpoint_id;
  std::string outcome;  ///< "ok", a StatusCode name, "skipped_budget" or "skipped_breaker"
  Duration duration{0};
};

class LlmClient {
 public:
  using EventCallback = ChatClient::EventCallback;

  LlmClient(Clock& clock, LlmClientOptions options = {});
  ~LlmClient();
  LlmClient(const LlmClient&) = delete;
  LlmClient& operator=(const LlmClient&) = delete;

  /// Registers an endpoint. kInvalidRequest on a duplicate id or a missing adapter/transport.
  Status add_endpoint(EndpointConfig config);

  Result<ChatResponse> complete(const ChatRequest& request, const CallControl& control = {},
                                RequestTrace* trace = nullptr);
  Result<ChatResponse> stream(const ChatRequest& request, const EventCallback& on_event,
                              const CallControl& control = {}, RequestTrace* trace = nullptr);
  /// One embeddings call through the same machinery as complete(): routed among the
  /// endpoints whose adapter has embeddings (Capabilities::embeddings; a pin or sticky key
  /// as usual), admitted, retried and failed over, accounted (breaker, stats, limiters,
  /// metrics, usage sink, trace). The request's model is sent as is to every endpoint (an
  /// endpoint's configured model names its chat model); attempts are accounted under that
  /// model at EndpointConfig::embedding_usd_per_mtok (input tokens only).
  Result<EmbeddingResponse> embed(const EmbeddingRequest& request, const CallControl& control = {},
                                  RequestTrace* trace = nullptr);

  /// Dry run: what complete()/stream() would do now — candidates, filters (budgets
  /// included), scores, the chain, the cost forecast and budget warnings — without
  /// admitting or sending anything. final_code is the routing error when nothing is left.
  RequestTrace plan(const ChatRequest& request, const CallControl& control = {}, bool streaming = false);

  Status set_policy(std::string_view name);
  std::string policy() const;
  std::vector<std::string> policies() const;

  std::vector<EndpointHealth> health() const;
  QueueStatus queue_status() const;
  /// Prometheus text of every declared metric (gauges refreshed now).
  std::string metrics_text() const;
  /// Reads a metric sample (tests, CLI summaries).
  double metric(MetricId id, std::initializer_list<std::string_view> labels) const;
  /// Probes every endpoint once (see ProbeOptions). The options of the first call fix the
  /// budget.
  std::vector<ProbeResult> probe(const ProbeOptions& options = {});
  /// Forces a breaker state (operator override). kNotFound for an unknown endpoint.
  Status force_breaker(std::string_view endpoint_id, BreakerState state, std::string reason);

 private:
  struct EndpointState;
  class SyncWaiter;
  class CallRun;  // one complete()/stream() call, step by step (llm_client_internal.h)

  /// Waits `d` on the clock; returns early (false) if `token` is cancelled.
  bool wait_for(Duration d, CancelToken* token);
  struct BudgetView {
    double remaining = 1e300;
    bool stop = false;
    std::vector<std::string> warnings;
  };
  /// Asks the BudgetOracle about every endpoint (without the lock); one entry per endpoint.
  std::vector<BudgetView> budget_views(const RouteRequest& rr, const std::string& profile);
  /// Refreshes signals_ and routes into decision_scratch_. Called with mu_ held.
  void route_locked(const RouteRequest& rr, uint64_t est_tokens, const std::vector<BudgetView>& budgets)
      PLOKE_REQUIRES(mu_);
  /// Copies the decision into the trace (candidates, forecast, budget warnings of the pick).
  void trace_decision(RequestTrace* trace, const RouteRequest& rr, const std::vector<BudgetView>& budgets)
      PLOKE_REQUIRES(mu_);
  /// Reports one attempt to the usage sink (without the lock).
  void record_usage(const AttemptRecord& rec, RequestTrace* trace);
  /// Shared breakers (llm_client_shared.cpp): publishes this instance's transition; applies
  /// the decisions other instances published (queued by the SharedState listener).
  void publish_breaker(const std::string& endpoint, const BreakerEvent& e) PLOKE_REQUIRES(mu_);
  void apply_shared_breakers() PLOKE_REQUIRES(mu_);
  void watch_shared(const std::string& endpoint_id) PLOKE_REQUIRES(mu_);

  Clock& clock_;
  LlmClientOptions opts_;
  mutable Mutex mu_;
  Random random_ PLOKE_GUARDED_BY(mu_);
  Router router_ PLOKE_GUARDED_BY(mu_);
  RetryBudget budget_ PLOKE_GUARDED_BY(mu_);
  AdmissionQueue admission_ PLOKE_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<EndpointState>> endpoints_ PLOKE_GUARDED_BY(mu_);
  std::vector<EndpointCandidate> candidates_ PLOKE_GUARDED_BY(mu_);
  std::vector<CandidateSignals> signals_ PLOKE_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<RateLimiter>, std::less<>> limiters_ PLOKE_GUARDED_BY(mu_);
  mutable MetricsRegistry metrics_ PLOKE_GUARDED_BY(mu_);
  RouteDecision decision_scratch_ PLOKE_GUARDED_BY(mu_);
  std::unique_ptr<RateLimiter> probe_budget_ PLOKE_GUARDED_BY(mu_);
  std::vector<std::string> shared_watch_ PLOKE_GUARDED_BY(mu_);
  Mutex inbox_mu_;  // the shared breaker decisions not yet applied (filled off the lock)
  std::vector<BreakerShare> inbox_ PLOKE_GUARDED_BY(inbox_mu_);
};

}  // namespace ploke::resilience
