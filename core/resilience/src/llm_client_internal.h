// File: llm_client_internal.h (private to ploke::resilience)
//
// The pieces LlmClient's source files share: the per-endpoint state, the admission
// waiter, the stream relay and the call object that runs one complete()/stream().
//
//   LlmClient::CallRun::run():  route ─▶ admit ─▶ per candidate, per try:
//                               gate (cancel, deadline, budget, breaker, limits)
//                               ─▶ attempt (unlocked send) ─▶ account ─▶ decide
//
// StreamRelay owns what reached the caller across attempts (delivered counts, the
// held-back start event, text for continuation) and the request the next attempt sends.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ploke/resilience/llm_client.h"

namespace ploke::resilience {

struct LlmClient::EndpointState {
  EndpointState(Clock& clock, EndpointConfig c, const BreakerConfig& b, const StatsConfig& s)
      : cfg(std::move(c)), breaker(clock, cfg.breaker.value_or(b), cfg.candidate.id), stats(s) {}
  EndpointConfig cfg;
  CircuitBreaker breaker;
  EndpointStats stats;
  RateLimiter* provider_limiter = nullptr;
  RateLimiter* key_limiter = nullptr;
  CandidateSignals cached;
  std::optional<TimePoint> cached_at;
};

class LlmClient::SyncWaiter final : public Waiter {
 public:
  void granted(Duration w) override {
    waited = w;
    done.notify();
  }
  Completion done;
  Duration waited{0};
  bool timed_out = false;
};

namespace detail {

/// "250ms" / "1.5s".
std::string fmt_dur(Duration d);
/// What the request needs from an endpoint (tools, json, vision, streaming).
Capabilities required_capabilities(const ChatRequest& r, bool streaming);
/// One usage record for an attempt or a probe: who served it, how it ended, tokens, the
/// provider-reported cost and our estimate.
/// The candidate an embed() attempt is accounted as: the embedding model (the request's)
/// at its price from EndpointConfig::embedding_usd_per_mtok (the candidate's own prices when
/// the endpoint is configured for that model; unlisted: unpriced), no output price.
EndpointCandidate embedding_candidate(const EndpointConfig& cfg, const std::string& model);
/// An embeddings attempt as the call steps see it: provider, model, request id and usage
/// (prompt and total tokens), or the error.
void fill_attempt_record(AttemptRecord& rec, const EndpointCandidate& cand, const Result<ChatResponse>& r,
                         const char* kind, Duration took, const std::string& session, const std::string& profile);

/// Relays one call's stream events to the caller across attempts. Nothing reaches the
/// caller before the first content event (the start event is held back), so a failure
/// before content can fall over silently; once content was delivered the relay knows
/// what, and can build the continuation request for the next candidate.
class StreamRelay {
 public:
  using EventCallback = ChatClient::EventCallback;
  StreamRelay(const ChatRequest& original, const EventCallback* on_event, Clock& clock)
      : original_(original), on_event_(on_event), clock_(clock) {}

  /// The request the next attempt sends (the original, or the continuation).
  const ChatRequest& current() const { return continued_ ? *continued_ : original_; }
  /// Starts timing a new attempt (time to first content).
  void begin_attempt(TimePoint a0) {
    a0_ = a0;
    ttft_.reset();
  }
  /// One event of the current attempt's stream.
  void on_event(const StreamEvent& e);
  std::optional<Duration> ttft() const { return ttft_; }
  const Delivered& delivered() const { return delivered_; }
  bool caller_saw_content() const { return delivered_.events > 0; }
  bool tool_fragments_delivered() const { return tool_fragments_delivered_; }
  bool has_held_start() const { return held_start_.has_value(); }
  /// Sends a held-back start (a stream that ended with no other event).
  void flush_held_start();
  /// Forgets a held-back start (the attempt failed before content).
  void drop_held_start() { held_start_.reset(); }
  /// Next attempt continues the partial answer: the original request plus what was
  /// delivered as an assistant message and a user message asking to continue.
  void continue_partial();
  /// The final content: text delivered by earlier attempts, then this attempt's.
  std::string final_content(std::string content) const {
    return prefix_text_.empty() ? content : prefix_text_ + content;
  }

 private:
  const ChatRequest& original_;
  const EventCallback* on_event_;
  Clock& clock_;
  TimePoint a0_{};
  std::optional<Duration> ttft_;
  Delivered delivered_;
  bool start_sent_ = false;
  std::optional<StreamEvent> held_start_;
  std::string delivered_text_;  // text the caller received from the current attempt
  std::string prefix_text_;     // text delivered by earlier attempts (continuation)
  bool tool_fragments_delivered_ = false;
  std::optional<ChatRequest> continued_;
};

}  // namespace detail

/// One complete()/stream() call: the steps of LlmClient's request path.
class LlmClient::CallRun {
 public:
  /// `embedding` set: an embed() call; `request` is then its routing shape (model, meta).
  CallRun(LlmClient& client, const ChatRequest& request, const EventCallback* on_event, const CallControl& control,
          RequestTrace* trace, const EmbeddingRequest* embedding = nullptr);
  Result<ChatResponse> run();
  /// embed(): the vectors of the attempt that succeeded (after run() returned OK).
  EmbeddingResponse take_embedding() { return std::move(*embedded_); }

 private:
  using Done = std::optional<Result<ChatResponse>>;
  enum class Next { kRetry, kNextCandidate, kDone };
  struct Outcome {  // one attempt, as seen after the send
    Result<ChatResponse> r = InternalError("attempt not made");
    TimePoint a0{}, a1{};
    std::optional<Duration> ttft;
    RateLimitObservation observation;
    bool cancelled = false;
    std::string span_id;  // the attempt's span (its traceparent's parent-id), when traced
  };

  void begin_trace();
  void note(std::string s);
  Result<ChatResponse> finish(Result<ChatResponse> r) PLOKE_REQUIRES(c_.mu_);
  Done route() PLOKE_REQUIRES(c_.mu_);
  Duration limiter_wait(const RouteDecision& d, TimePoint now) const PLOKE_REQUIRES(c_.mu_);
  Done take_chain() PLOKE_REQUIRES(c_.mu_);
  void trace_embedding_candidates() PLOKE_REQUIRES(c_.mu_);
  /// What an attempt on `ep` is accounted as: its candidate, or for embed() the embedding
  /// model at its price (detail::embedding_candidate; valid until the next call). ep.cfg is
  /// immutable: no lock needed.
  const EndpointCandidate& accounted_as(const EndpointState& ep) {
    if (!embedding_) return ep.cfg.candidate;
    accounted_ = detail::embedding_candidate(ep.cfg, embedding_->model);
    return accounted_;
  }
  Done admit() PLOKE_REQUIRES(c_.mu_);
  Done wait_admission(SyncWaiter& waiter, const std::shared_ptr<SyncWaiter>& waiter_ptr) PLOKE_REQUIRES(c_.mu_);
  Result<ChatResponse> attempts() PLOKE_REQUIRES(c_.mu_);
  Next try_once(EndpointState& ep) PLOKE_REQUIRES(c_.mu_);
  Done check_stop(TimePoint now) PLOKE_REQUIRES(c_.mu_);
  bool recheck_budget(EndpointState& ep) PLOKE_REQUIRES(c_.mu_);
  bool acquire_limits(EndpointState& ep, TimePoint now) PLOKE_REQUIRES(c_.mu_);
  /// A refused admission (client-side or shared limit): the endpoint is skipped.
  bool refuse_limited(EndpointState& ep, const std::string& what, const std::string& reason, Duration wait)
      PLOKE_REQUIRES(c_.mu_);
  // Shared state (llm_client_shared.cpp): the shared limits (the lock released while the
  // store answers), their reconciliation, the one half-open trial across instances.
  bool acquire_shared(EndpointState& ep, TimePoint now) PLOKE_REQUIRES(c_.mu_);
  void reconcile_shared(const Outcome& o) PLOKE_REQUIRES(c_.mu_);
  bool claim_shared_trial(EndpointState& ep) PLOKE_REQUIRES(c_.mu_);
  Outcome attempt(EndpointState& ep, TimePoint now) PLOKE_REQUIRES(c_.mu_);
  void send(EndpointState& ep, const CallOptions& call_opts, bool learn, Outcome& o) PLOKE_EXCLUDES(c_.mu_);
  TraceAttempt* account(EndpointState& ep, const Outcome& o) PLOKE_REQUIRES(c_.mu_);
  void learn_limits(EndpointState& ep, const Outcome& o) PLOKE_REQUIRES(c_.mu_);
  TraceAttempt* trace_attempt(EndpointState& ep, const Outcome& o, uint64_t prompt, uint64_t completion,
                              double cost) PLOKE_REQUIRES(c_.mu_);
  Next decide(EndpointState& ep, Outcome& o, TraceAttempt* ta) PLOKE_REQUIRES(c_.mu_);
  Next on_success(EndpointState& ep, Outcome& o, TraceAttempt* ta) PLOKE_REQUIRES(c_.mu_);
  Next on_content_lost(EndpointState& ep, const Status& err, TimePoint now, TraceAttempt* ta) PLOKE_REQUIRES(c_.mu_);
  Next retry_or_fail(const std::string& ep_id, Status err, TimePoint now, TraceAttempt* ta) PLOKE_REQUIRES(c_.mu_);

  // The client's lock: taken in run() and held through the steps, released around waits
  // and sends (each release and re-take goes through these two).
  void lock_client() PLOKE_ACQUIRE(c_.mu_) PLOKE_NO_THREAD_SAFETY_ANALYSIS { lock_.lock(); }
  void unlock_client() PLOKE_RELEASE(c_.mu_) PLOKE_NO_THREAD_SAFETY_ANALYSIS { lock_.unlock(); }
  /// The router's last decision (the client's scratch; valid while the lock is held).
  const RouteDecision& decision() const PLOKE_REQUIRES(c_.mu_) { return c_.decision_scratch_; }

  LlmClient& c_;
  const ChatRequest& request_;
  const EventCallback* on_event_;
  const CallControl& control_;
  RequestTrace* trace_;
  const TimePoint t0_;
  const std::optional<TimePoint> deadline_;
  const bool streaming_;
  RouteRequest rr_;
  uint64_t est_tokens_ = 0;
  Lane lane_;
  const std::string& profile_;
  const std::string& session_;
  std::vector<BudgetView> budgets_;
  std::string request_id_;
  std::unique_lock<Mutex> lock_;
  std::vector<uint32_t> chain_;
  bool slot_held_ = false;
  std::optional<Backoff> backoff_;
  Status last_error_;
  uint32_t total_attempts_ = 0;
  size_t ci_ = 0;               // position in chain_
  uint32_t retries_here_ = 0;   // retries on chain_[ci_]
  std::optional<Reservation> shared_res_;  // the current attempt's shared admission
  detail::StreamRelay relay_;
  Done done_;
  const EmbeddingRequest* embedding_ = nullptr;  // embed(): the request sent
  std::optional<EmbeddingResponse> embedded_;    // embed(): the last successful attempt's answer
  EndpointCandidate accounted_;                  // embed(): accounted_as()'s answer
};

}  // namespace ploke::resilience
