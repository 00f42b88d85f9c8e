// LlmClient::CallRun — one complete()/stream() call in small steps (route, admit, and per
// try: gate, attempt, account, decide) — and the StreamRelay it streams through.
#include <algorithm>
#include "ploke/core/thread_annotations.h"
#include <cstdio>

#include "llm_client_internal.h"
#include "ploke/core/trace_context.h"

namespace ploke::resilience {

// A Call registered with a CancelToken for its lifetime.
class CancellableCall final : public Call {
 public:
  CancellableCall(CallPtr inner, CancelToken* token) : inner_(std::move(inner)), token_(token) {
    token_->attach(inner_.get());
  }
  ~CancellableCall() override { token_->detach(inner_.get()); }
  void cancel() override { inner_->cancel(); }
  bool done() const override { return inner_->done(); }

 private:
  CallPtr inner_;
  CancelToken* token_;
};

namespace {

// Forwards a call to the inner transport and notes the response head (status and the
// rate-limit headers, normalized at once by the endpoint's adapter so no header copy is
// kept); registers the call with
// the caller's CancelToken. One call per instance.
class ObservingTransport final : public Transport {
 public:
  ObservingTransport(Transport& inner, const ProviderAdapter& adapter, Clock& clock, bool parse, CancelToken* token)
      : inner_(inner), token_(token) {
    tap_.adapter = &adapter;
    tap_.clock = &clock;
    tap_.parse = parse;
    tap_.token = token;
  }
  CallPtr start(const HttpRequest& request, const CallOptions& options, ResponseHandler& handler) override {
    tap_.target = &handler;
    CallPtr call = inner_.start(request, options, tap_);
    if (token_ && call) return std::make_unique<CancellableCall>(std::move(call), token_);
    return call;
  }
  int status() const { return tap_.status; }
  const RateLimitObservation& observation() const { return tap_.obs; }

 private:
  struct Tap final : ResponseHandler {
    void on_head(int s, const Headers& headers) override {
      status = s;
      if (parse) obs = adapter->observe_rate_limits(headers, clock->system_now());
      target->on_head(s, headers);
    }
    // A blocking transport delivers the whole body inside start(), before the call is
    // registered with the token: a cancel during that transfer is seen here.
    bool on_body(std::string_view bytes) override {
      if (token && token->cancelled()) return false;
      return target->on_body(bytes);
    }
    void on_complete(Status st) override { target->on_complete(std::move(st)); }
    ResponseHandler* target = nullptr;
    CancelToken* token = nullptr;
    const ProviderAdapter* adapter = nullptr;
    Clock* clock = nullptr;
    bool parse = false;
    int status = 0;
    RateLimitObservation obs;
  };
  Transport& inner_;
  CancelToken* token_;
  Tap tap_;
};

void add_unique(std::vector<std::string>& out, const std::vector<std::string>& items) {
  for (const auto& w : items) {
    if (std::find(out.begin(), out.end(), w) == out.end()) out.push_back(w);
  }
}

}  // namespace

// ---- StreamRelay ----

void detail::StreamRelay::on_event(const StreamEvent& e) {
  if (e.kind == StreamEvent::Kind::kStart) {
    if (!start_sent_) held_start_ = e;  // held until content: a failure before it can fall over
    return;
  }
  if (!ttft_ && (e.kind == StreamEvent::Kind::kTextDelta || e.kind == StreamEvent::Kind::kToolCallDelta)) {
    ttft_ = clock_.now() - a0_;
  }
  if (held_start_) {
    (*on_event_)(*held_start_);
    ++delivered_.events;
    held_start_.reset();
    start_sent_ = true;
  }
  (*on_event_)(e);
  ++delivered_.events;
  if (e.kind == StreamEvent::Kind::kTextDelta) {
    delivered_.content_chars += e.text.size();
    delivered_text_ += e.text;
  } else if (e.kind == StreamEvent::Kind::kToolCallDelta) {
    ++delivered_.tool_call_fragments;
    tool_fragments_delivered_ = true;
  }
}

void detail::StreamRelay::flush_held_start() {
  (*on_event_)(*held_start_);
  ++delivered_.events;
  held_start_.reset();
}

void detail::StreamRelay::continue_partial() {
  ChatRequest next = original_;
  next.messages.push_back(Message::Assistant(prefix_text_ + delivered_text_));
  next.messages.push_back(Message::User("Continue exactly where your previous message stopped. Do not repeat any of it."));
  continued_ = std::move(next);
  prefix_text_ += delivered_text_;
  delivered_text_.clear();
}

// ---- CallRun: set-up, finish ----

LlmClient::CallRun::CallRun(LlmClient& client, const ChatRequest& request, const EventCallback* on_event,
                            const CallControl& control, RequestTrace* trace, const EmbeddingRequest* embedding)
    : c_(client), request_(request), on_event_(on_event), control_(control), trace_(trace), t0_(client.clock_.now()),
      deadline_(request.meta.deadline ? std::optional<TimePoint>(t0_ + *request.meta.deadline) : std::nullopt),
      streaming_(on_event != nullptr), lane_(classify(request, client.opts_.lanes)),
      profile_(control.profile.empty() ? client.opts_.profile : control.profile),
      session_(control.session.empty() ? client.opts_.session : control.session),
      lock_(client.mu_, std::defer_lock), relay_(request, on_event, client.clock_), embedding_(embedding) {
  rr_.required = detail::required_capabilities(request, streaming_);
  rr_.est_prompt_tokens = embedding ? estimate_embedding_tokens(*embedding) : estimate_prompt_tokens(request);
  rr_.est_output_tokens = request.max_output_tokens ? *request.max_output_tokens : c_.opts_.default_output_tokens;
  rr_.max_cost_usd = control.max_cost_usd;
  rr_.pin = control.pin;
  rr_.sticky_key = control.sticky_key;
  rr_.policy = control.policy;
  rr_.prefs = control.prefs;
  est_tokens_ = rr_.est_prompt_tokens + rr_.est_output_tokens;
}

Result<ChatResponse> LlmClient::CallRun::run() {
  budgets_ = c_.budget_views(rr_, profile_);
  request_id_ = request_.meta.request_id;
  if (request_id_.empty() && c_.opts_.usage_sink) {  // usage rows need a key
    MutexLock g(c_.mu_);
    char buf[32];
    std::snprintf(buf, sizeof buf, "llm-%016llx", static_cast<unsigned long long>(c_.random_.next_u64()));
    request_id_ = buf;
  }
  begin_trace();
  lock_client();
  Done d = route();
  if (!d) d = admit();
  Result<ChatResponse> r = d ? std::move(*d) : attempts();
  // The admission slot is given back after finish(), with the lock held.
  if (slot_held_) c_.admission_.release(c_.clock_.now());
  unlock_client();
  return r;
}

void LlmClient::CallRun::begin_trace() {
  if (!trace_) return;
  *trace_ = RequestTrace();
  trace_->request_id = request_id_;
  trace_->pin = control_.pin;
  trace_->sticky_key = control_.sticky_key;
  trace_->lane = std::string(lane_name(lane_));
}

void LlmClient::CallRun::note(std::string s) {
  if (trace_) trace_->notes.push_back(std::move(s));
}

// Finishes the call: metrics, trace, and the result. Called with the lock held.
Result<ChatResponse> LlmClient::CallRun::finish(Result<ChatResponse> r) {
  const StatusCode code = r.ok() ? StatusCode::kOk : r.status().code();
  c_.metrics_.add(MetricId::kRequests, {status_code_name(code)});
  c_.metrics_.observe(MetricId::kRequestDuration, {}, c_.clock_.now() - t0_);
  if (trace_) {
    trace_->final_code = code;
    trace_->final_error = r.ok() ? std::string() : r.status().to_string();
    trace_->total = c_.clock_.now() - t0_;
  }
  return r;
}

// ---- route (waiting for a rate limiter when that is the only obstacle) ----

LlmClient::CallRun::Done LlmClient::CallRun::route() {
  c_.budget_.on_request(t0_);
  if (c_.opts_.shared) c_.apply_shared_breakers();
  for (int round = 0;; ++round) {
    const TimePoint now = c_.clock_.now();
    c_.route_locked(rr_, est_tokens_, budgets_);
    const RouteDecision& d = decision();
    if (!d.chain.empty() || d.error.code() != StatusCode::kRateLimited || round >= 3) break;
    // Every surviving candidate is only rate-limited: wait for the earliest limiter.
    const Duration wait = limiter_wait(d, now);
    if (wait > c_.opts_.max_rate_limit_wait || (deadline_ && now + wait >= *deadline_)) break;
    note("every candidate rate-limited: waited " + detail::fmt_dur(wait) + " for the client-side limiter");
    c_.metrics_.add(MetricId::kRateLimitWaitSeconds, {}, std::chrono::duration<double>(wait).count());
    unlock_client();
    const bool waited = c_.wait_for(wait, control_.cancel);
    lock_client();
    if (!waited) return finish(CancelledError("cancelled by the caller while waiting for a rate limiter"));
  }
  return take_chain();
}

Duration LlmClient::CallRun::limiter_wait(const RouteDecision& d, TimePoint now) const {
  Duration wait = Duration::max();
  for (const auto& v : d.verdicts) {
    if (v.removed_by != Filter::kRateLimited) continue;
    EndpointState& ep = *c_.endpoints_[v.index];
    const Duration w = std::max(ep.provider_limiter->check(now, est_tokens_).wait,
                                ep.key_limiter->check(now, est_tokens_).wait);
    wait = std::min(wait, w);
  }
  return wait;
}

LlmClient::CallRun::Done LlmClient::CallRun::take_chain() {
  const RouteDecision& d = decision();
  c_.trace_decision(trace_, rr_, budgets_);
  if (embedding_) trace_embedding_candidates();
  if (!d.chain.empty() && d.chain[0] < budgets_.size() && !budgets_[d.chain[0]].warnings.empty()) {
    c_.metrics_.add(MetricId::kBudgetWarnings, {c_.candidates_[d.chain[0]].provider});
  }
  if (d.chain.empty()) {
    Status err = d.error.ok() ? InternalError("router returned no candidate and no reason") : d.error;
    if (err.code() == StatusCode::kRateLimited) {
      for (const auto& v : d.verdicts) {
        if (v.removed_by == Filter::kRateLimited) c_.metrics_.add(MetricId::kThrottled, {c_.candidates_[v.index].id});
      }
    }
    return finish(std::move(err));
  }
  chain_ = d.chain;
  return std::nullopt;
}

// embed(): each traced candidate as it would be asked and accounted — the embedding model,
// its price (the forecast too).
void LlmClient::CallRun::trace_embedding_candidates() {
  if (!trace_) return;
  const RouteDecision& d = decision();
  for (size_t i = 0; i < d.verdicts.size() && i < trace_->candidates.size(); ++i) {
    TraceCandidate& tc = trace_->candidates[i];
    const EndpointConfig& cfg = c_.endpoints_[d.verdicts[i].index]->cfg;
    tc.model = embedding_->model;
    tc.est_cost_usd = estimate_cost_usd(detail::embedding_candidate(cfg, embedding_->model), rr_.est_prompt_tokens, 0);
    if (tc.chain_position == 0) trace_->forecast_usd = tc.est_cost_usd;
  }
}

// ---- admit ----

LlmClient::CallRun::Done LlmClient::CallRun::admit() {
  // Shared: a deadline timer that fires late (RealClock) must not see a dead or reused waiter.
  auto waiter_ptr = std::make_shared<SyncWaiter>();
  SyncWaiter& waiter = *waiter_ptr;
  const Admit admitted = c_.admission_.admit(lane_, c_.clock_.now(), &waiter);
  if (admitted == Admit::kRejected) {
    c_.metrics_.add(MetricId::kAdmissionRejected, {lane_name(lane_)});
    return finish(OverloadedError("admission queue full: lane " + std::string(lane_name(lane_)) + " holds " +
                                  std::to_string(c_.admission_.depth(lane_)) + " waiting requests"));
  }
  if (admitted == Admit::kQueued) {
    if (Done d = wait_admission(waiter, waiter_ptr)) return d;
  }
  c_.metrics_.observe(MetricId::kQueueWait, {lane_name(lane_)}, waiter.waited);
  if (trace_) trace_->queue_wait = waiter.waited;
  slot_held_ = true;  // from here on the slot is ours: run() gives it back whatever happens
  return std::nullopt;
}

LlmClient::CallRun::Done LlmClient::CallRun::wait_admission(SyncWaiter& waiter,
                                                            const std::shared_ptr<SyncWaiter>& waiter_ptr) {
  TimerId timer = 0;
  if (deadline_) {
    LlmClient* self = &c_;
    timer = c_.clock_.schedule_at(*deadline_, [self, waiter_ptr] {
      MutexLock g(self->mu_);
      if (self->admission_.cancel(waiter_ptr.get())) {
        waiter_ptr->timed_out = true;
        waiter_ptr->done.notify();
      }
    });
  }
  unlock_client();
  const bool woke = waiter.done.wait(c_.clock_);
  if (timer) c_.clock_.cancel(timer);
  lock_client();
  if (!woke && c_.admission_.cancel(&waiter)) {
    return finish(OverloadedError("admission wait ended with nothing left to run (simulated clock idle)"));
  }
  if (waiter.timed_out) {
    return finish(TimeoutError(TimeoutPhase::kTotal, "deadline passed while waiting for admission (lane " +
                                                         std::string(lane_name(lane_)) + ")"));
  }
  return std::nullopt;
}

// ---- attempts: down the chain, retrying on each candidate ----

Result<ChatResponse> LlmClient::CallRun::attempts() {
  backoff_.emplace(c_.opts_.backoff, c_.random_);
  for (ci_ = 0; ci_ < chain_.size(); ++ci_) {
    EndpointState& ep = *c_.endpoints_[chain_[ci_]];
    retries_here_ = 0;
    for (;;) {
      const Next n = try_once(ep);
      if (n == Next::kDone) return std::move(*done_);
      if (n == Next::kNextCandidate) break;
    }
  }
  if (last_error_.ok()) last_error_ = OverloadedError("every candidate was skipped (breaker open or rate limited)");
  note("no candidate left in the chain");
  return finish(std::move(last_error_));
}

// Gate (cancel, deadline, budget, breaker, limits), attempt, account, decide.
LlmClient::CallRun::Next LlmClient::CallRun::try_once(EndpointState& ep) {
  const TimePoint now = c_.clock_.now();
  if ((done_ = check_stop(now))) return Next::kDone;
  if (c_.opts_.budget_oracle && total_attempts_ > 0 && !recheck_budget(ep)) return Next::kNextCandidate;
  if (c_.opts_.shared && ep.breaker.state() == BreakerState::kHalfOpen && !claim_shared_trial(ep)) {
    return Next::kNextCandidate;
  }
  if (!ep.breaker.try_acquire()) {
    note("skipped " + ep.cfg.candidate.id + ": circuit breaker " + std::string(breaker_state_name(ep.breaker.state())));
    return Next::kNextCandidate;
  }
  if (!acquire_limits(ep, now)) return Next::kNextCandidate;
  if (c_.opts_.shared && !acquire_shared(ep, now)) return Next::kNextCandidate;
  Outcome o = attempt(ep, now);
  if (shared_res_) reconcile_shared(o);
  TraceAttempt* ta = account(ep, o);
  return decide(ep, o, ta);
}

LlmClient::CallRun::Done LlmClient::CallRun::check_stop(TimePoint now) {
  if (control_.cancel && control_.cancel->cancelled()) {
    return finish(CancelledError("cancelled by the caller after " + std::to_string(total_attempts_) + " attempt(s)")
                      .with_delivered(relay_.delivered()));
  }
  if (deadline_ && now >= *deadline_) {
    last_error_ =
        TimeoutError(TimeoutPhase::kTotal, "deadline exceeded after " + std::to_string(total_attempts_) + " attempt(s)");
    last_error_.with_delivered(relay_.delivered());
    return finish(std::move(last_error_));
  }
  return std::nullopt;
}

// Spend may have grown since routing (earlier attempts of this request, other calls): ask
// again before every later attempt. False: the attempt is not sent.
bool LlmClient::CallRun::recheck_budget(EndpointState& ep) {
  const std::string provider = ep.cfg.candidate.provider;
  const double est = estimate_cost_usd(accounted_as(ep), rr_.est_prompt_tokens, rr_.est_output_tokens);
  unlock_client();
  const BudgetCheck bc = c_.opts_.budget_oracle->check_budget(provider, profile_, est);
  lock_client();
  if (!bc.allowed) {
    const std::string& ep_id = ep.cfg.candidate.id;
    c_.metrics_.add(MetricId::kBudgetBlocked, {provider});
    note("skipped " + ep_id + ": " + bc.blocked_by + " (stop)");
    last_error_ = InsufficientCreditsError("budget exceeded: " + bc.blocked_by + "; attempt on " + ep_id + " not sent");
    return false;
  }
  if (!bc.warnings.empty()) {
    c_.metrics_.add(MetricId::kBudgetWarnings, {provider});
    if (trace_) add_unique(trace_->budget_warnings, bc.warnings);
  }
  return true;
}

// Reserves the estimate on the provider's and the key's limiter. False: skipped.
bool LlmClient::CallRun::acquire_limits(EndpointState& ep, TimePoint now) {
  RateDecision rd = ep.provider_limiter->acquire(now, est_tokens_);
  if (rd.allowed) {
    rd = ep.key_limiter->acquire(now, est_tokens_);
    if (!rd.allowed) ep.provider_limiter->cancel(now, est_tokens_);  // give the reservation back
  }
  if (rd.allowed) return true;
  return refuse_limited(ep, "client-side", rd.reason, rd.wait);
}

bool LlmClient::CallRun::refuse_limited(EndpointState& ep, const std::string& what, const std::string& reason,
                                        Duration wait) {
  const std::string& ep_id = ep.cfg.candidate.id;
  ep.breaker.on_ignored();
  c_.metrics_.add(MetricId::kThrottled, {ep_id});
  note("skipped " + ep_id + ": " + what + " rate limit (" + reason + ", wait " + detail::fmt_dur(wait) + ")");
  if (last_error_.ok()) {
    last_error_ = RateLimitedError(what + " rate limit on " + ep_id + ": " + reason)
                      .with_retry_after(std::chrono::duration_cast<std::chrono::milliseconds>(wait));
  }
  return false;
}

// ---- one attempt: the send runs without the lock ----

LlmClient::CallRun::Outcome LlmClient::CallRun::attempt(EndpointState& ep, TimePoint now) {
  ++total_attempts_;
  CallOptions call_opts = ep.cfg.call_options;
  if (deadline_) {
    const Duration left = *deadline_ - now;
    if (!call_opts.total_timeout || *call_opts.total_timeout > left) call_opts.total_timeout = left;
  }
  const bool learn = c_.opts_.learn_rate_limits;
  Outcome o;
  const std::string& traceparent = embedding_ ? embedding_->meta.traceparent : request_.meta.traceparent;
  if (control_.attempt_spans && valid_traceparent(traceparent)) o.span_id = span_id_hex(c_.random_.next_u64() | 1);  // a span per attempt
  unlock_client();
  send(ep, call_opts, learn, o);
  if (c_.opts_.usage_sink) {
    AttemptRecord rec;
    rec.request_id = request_id_;
    rec.number = total_attempts_;
    // ep.cfg is immutable after add_endpoint
    detail::fill_attempt_record(rec, accounted_as(ep), o.r, "attempt", o.a1 - o.a0, session_, profile_);
    c_.record_usage(rec, trace_);
  }
  lock_client();
  o.cancelled = control_.cancel && control_.cancel->cancelled();
  return o;
}

void LlmClient::CallRun::send(EndpointState& ep, const CallOptions& call_opts, bool learn, Outcome& o) {
  o.a0 = c_.clock_.now();
  ObservingTransport observed(*ep.cfg.transport, *ep.cfg.adapter, c_.clock_, learn, control_.cancel);
  ChatClient client(*ep.cfg.adapter, ep.cfg.endpoint, observed, c_.clock_, call_opts);
  if (!o.span_id.empty()) {
    client.set_traceparent(child_traceparent(embedding_ ? embedding_->meta.traceparent : request_.meta.traceparent, o.span_id));
  }
  if (embedding_) {  // the request's model as is: an endpoint's model names its chat model
    Result<EmbeddingResponse> r = client.embed(*embedding_);
    o.r = embedding_as_chat(r);
    if (r.ok()) embedded_ = std::move(r).value();
  } else {
    // Each endpoint serves its own model: a fall-over to another provider must not send the
    // primary's model id there (the request's model is a routing hint).
    const ChatRequest& current = relay_.current();
    const std::string& ep_model = ep.cfg.candidate.model;
    std::optional<ChatRequest> remodeled;
    if (!ep_model.empty() && ep_model != current.model) {
      remodeled = current;
      remodeled->model = ep_model;
    }
    const ChatRequest& to_send = remodeled ? *remodeled : current;
    if (streaming_) {
      relay_.begin_attempt(o.a0);
      o.r = client.stream(to_send, [this](const StreamEvent& e) { relay_.on_event(e); });
      o.ttft = relay_.ttft();
    } else {
      o.r = client.complete(to_send);
    }
  }
  o.a1 = c_.clock_.now();
  o.observation = observed.observation();
}

// ---- account: limiters, breaker, statistics, metrics, trace (lock held) ----

TraceAttempt* LlmClient::CallRun::account(EndpointState& ep, const Outcome& o) {
  const TimePoint now = o.a1;
  const Result<ChatResponse>& r = o.r;
  learn_limits(ep, o);
  const StatusCode code = r.ok() ? StatusCode::kOk : r.status().code();
  uint64_t prompt_tokens = 0, completion_tokens = 0;
  if (r.ok() && r->usage) {
    prompt_tokens = r->usage->prompt_tokens;
    completion_tokens = r->usage->completion_tokens;
  }
  if (o.cancelled && !r.ok()) ep.breaker.on_ignored();  // the caller's doing, not the endpoint's
  else ep.breaker.on_result(code, o.ttft);
  if (r.ok()) ep.stats.record_success(now, o.ttft, o.a1 - o.a0, completion_tokens);
  else ep.stats.record_failure(now, code, o.a1 - o.a0);
  const std::string& ep_id = ep.cfg.candidate.id;
  c_.metrics_.add(MetricId::kAttempts, {ep_id, status_code_name(code)});
  const double cost = estimate_cost_usd(accounted_as(ep), prompt_tokens, completion_tokens);
  if (r.ok()) {
    c_.metrics_.observe(MetricId::kAttemptDuration, {ep_id}, o.a1 - o.a0);
    if (o.ttft) c_.metrics_.observe(MetricId::kTtft, {ep_id}, *o.ttft);
    c_.metrics_.add(MetricId::kTokens, {ep_id, "prompt"}, static_cast<double>(prompt_tokens));
    c_.metrics_.add(MetricId::kTokens, {ep_id, "completion"}, static_cast<double>(completion_tokens));
    c_.metrics_.add(MetricId::kCostUsd, {ep_id}, cost);
  }
  return trace_attempt(ep, o, prompt_tokens, completion_tokens, cost);
}

// Observed headers teach the limiters; the reservation is reconciled with the usage; a 429
// with only a Retry-After still teaches the wait.
void LlmClient::CallRun::learn_limits(EndpointState& ep, const Outcome& o) {
  const TimePoint now = o.a1;
  const Result<ChatResponse>& r = o.r;
  if (c_.opts_.learn_rate_limits && !o.observation.empty()) {
    ep.provider_limiter->observe(now, o.observation);
    ep.key_limiter->observe(now, o.observation);
  }
  const uint64_t actual = r.ok() ? (r->usage ? r->usage->total_tokens : est_tokens_) : 0;
  ep.provider_limiter->reconcile(now, est_tokens_, actual);
  ep.key_limiter->reconcile(now, est_tokens_, actual);
  if (!r.ok() && r.status().retry_after() && r.status().code() == StatusCode::kRateLimited && o.observation.empty()) {
    RateLimitObservation ra;
    ra.retry_after = Duration(*r.status().retry_after());
    ep.provider_limiter->observe(now, ra);
    ep.key_limiter->observe(now, ra);
  }
}

TraceAttempt* LlmClient::CallRun::trace_attempt(EndpointState& ep, const Outcome& o, uint64_t prompt,
                                                uint64_t completion, double cost) {
  if (!trace_) return nullptr;
  TraceAttempt a;
  a.number = total_attempts_;
  a.endpoint_id = ep.cfg.candidate.id;
  a.start = o.a0 - t0_;
  a.duration = o.a1 - o.a0;
  a.ttft = o.ttft;
  a.span_id = o.span_id;
  a.outcome = o.r.ok() ? StatusCode::kOk : o.r.status().code();
  if (!o.r.ok()) a.error = o.r.status().to_string();
  a.prompt_tokens = prompt;
  a.completion_tokens = completion;
  a.cost_usd = cost;
  trace_->attempts.push_back(std::move(a));
  trace_->total_cost_usd += cost;
  return &trace_->attempts.back();
}

// ---- decide: done, retry here, fall over, or give up ----

LlmClient::CallRun::Next LlmClient::CallRun::decide(EndpointState& ep, Outcome& o, TraceAttempt* ta) {
  if (o.r.ok()) return on_success(ep, o, ta);
  if (o.cancelled) {
    if (ta) ta->decision = "give up: cancelled by the caller";
    done_ = finish(CancelledError("cancelled by the caller")
                       .with_delivered(relay_.delivered())
                       .with_provider(ep.cfg.endpoint.provider));
    return Next::kDone;
  }
  Status err = o.r.status();
  if (streaming_ && relay_.caller_saw_content()) return on_content_lost(ep, err, o.a1, ta);
  if (streaming_ && err.code() == StatusCode::kStreamInterrupted) {
    // Only the held-back start event was seen: nothing reached the caller, so the failure
    // is an ordinary transient one.
    const std::string msg = "stream failed before any content: " + err.message();
    Status st = err.timeout_phase() != TimeoutPhase::kNone ? TimeoutError(err.timeout_phase(), msg)
                                                            : ConnectionResetError(msg);
    st.with_provider(err.provider()).with_http_status(err.http_status());
    err = std::move(st);
    relay_.drop_held_start();
  }
  return retry_or_fail(ep.cfg.candidate.id, std::move(err), o.a1, ta);
}

LlmClient::CallRun::Next LlmClient::CallRun::on_success(EndpointState& ep, Outcome& o, TraceAttempt* ta) {
  const std::string& ep_id = ep.cfg.candidate.id;
  if (ta) ta->decision = "done";
  if (trace_) trace_->served_by = ep_id;
  c_.router_.remember_sticky(control_.sticky_key, ep_id);
  if (streaming_ && relay_.has_held_start()) {  // a stream with no other event: still one start
    unlock_client();
    relay_.flush_held_start();
    lock_client();
  }
  ChatResponse out = std::move(o.r).value();
  out.content = relay_.final_content(std::move(out.content));
  done_ = finish(std::move(out));
  return Next::kDone;
}

// The mid-stream contract: no silent fallback, no silent truncation — unless the caller
// opted in to continuation and another candidate is left.
LlmClient::CallRun::Next LlmClient::CallRun::on_content_lost(EndpointState& ep, const Status& err, TimePoint now,
                                                             TraceAttempt* ta) {
  const Delivered& delivered = relay_.delivered();
  const bool can_continue = c_.opts_.stream_continuation && !relay_.tool_fragments_delivered() &&
                            ci_ + 1 < chain_.size() && (!deadline_ || now < *deadline_);
  Status interrupted = StreamInterruptedError(
      err.code() == StatusCode::kStreamInterrupted ? err.message()
                                                   : "stream interrupted after delivering content: " + err.to_string(),
      delivered);
  interrupted.with_provider(err.provider()).with_http_status(err.http_status());
  if (!can_continue) {
    if (ta) ta->decision = "give up: content already reached the caller (stream_interrupted)";
    done_ = finish(std::move(interrupted));
    return Next::kDone;
  }
  const std::string& ep_id = ep.cfg.candidate.id;
  if (ta) ta->decision = "continue on the next candidate (opt-in continuation)";
  note("continuation: " + std::to_string(delivered.content_chars) + " chars delivered by " + ep_id +
       " before it failed; asking " + c_.endpoints_[chain_[ci_ + 1]]->cfg.candidate.id + " to continue");
  relay_.continue_partial();
  last_error_ = std::move(interrupted);
  c_.metrics_.add(MetricId::kFallovers, {ep_id});
  return Next::kNextCandidate;
}

LlmClient::CallRun::Next LlmClient::CallRun::retry_or_fail(const std::string& ep_id, Status err, TimePoint now,
                                                           TraceAttempt* ta) {
  AttemptContext ctx;
  ctx.retries_on_endpoint = retries_here_;
  ctx.total_attempts = total_attempts_;
  ctx.deadline = deadline_;
  ctx.more_candidates = ci_ + 1 < chain_.size();
  const uint64_t denied_before = c_.budget_.denied_total();
  RetryDecision d = decide_retry(err, ctx, c_.opts_.retry, *backoff_, c_.budget_, now);
  if (c_.budget_.denied_total() != denied_before) c_.metrics_.add(MetricId::kRetryBudgetDenied, {});
  if (ta) {
    ta->decision = d.reason;
    ta->backoff = d.delay;
  }
  last_error_ = err;
  switch (d.action) {
    case RetryAction::kRetrySame:
      ++retries_here_;
      c_.metrics_.add(MetricId::kRetries, {ep_id});
      unlock_client();
      if (d.delay.count() > 0) (void)c_.wait_for(d.delay, control_.cancel);
      lock_client();
      return Next::kRetry;  // the next try returns kCancelled if the wait was cut short
    case RetryAction::kFallOver:
      c_.metrics_.add(MetricId::kFallovers, {ep_id});
      return Next::kNextCandidate;
    case RetryAction::kFail:
      if (deadline_ && err.code() != StatusCode::kTimeout && d.reason.find("deadline") != std::string::npos) {
        Status t = TimeoutError(TimeoutPhase::kTotal, "deadline: " + d.reason + " (last error: " + err.to_string() + ")");
        t.with_provider(err.provider());
        done_ = finish(std::move(t));
        return Next::kDone;
      }
      done_ = finish(std::move(err));
      return Next::kDone;
  }
  return Next::kRetry;
}

}  // namespace ploke::resilience
