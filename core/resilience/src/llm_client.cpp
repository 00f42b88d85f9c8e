#include "ploke/resilience/llm_client.h"

#include "ploke/core/cooperative.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ploke::resilience {

namespace {

}  // namespace

void CancelToken::cancel() {
  // Under the lock: detach() takes it too, so the call cannot be destroyed meanwhile.
  // Call::cancel() never runs the handler inline (Transport contract), so no re-entry.
  std::lock_guard<std::mutex> g(mu_);
  if (cancelled_) return;
  cancelled_ = true;
  if (call_) call_->cancel();
  if (waiting_) waiting_->notify();
}

bool CancelToken::cancelled() const {
  std::lock_guard<std::mutex> g(mu_);
  return cancelled_;
}

void CancelToken::attach(Call* call) {
  std::lock_guard<std::mutex> g(mu_);
  call_ = call;
  if (cancelled_) call->cancel();
}

void CancelToken::detach(Call* call) {
  std::lock_guard<std::mutex> g(mu_);
  if (call_ == call) call_ = nullptr;
}

void CancelToken::attach_wait(Completion* c) {
  std::lock_guard<std::mutex> g(mu_);
  waiting_ = c;
  if (cancelled_) c->notify();
}

void CancelToken::detach_wait() {
  std::lock_guard<std::mutex> g(mu_);
  waiting_ = nullptr;
}

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
// rate-limit headers, parsed at once so no header copy is kept); registers the call with
// the caller's CancelToken. One call per instance.
class ObservingTransport final : public Transport {
 public:
  ObservingTransport(Transport& inner, Clock& clock, bool parse, CancelToken* token) : inner_(inner), token_(token) {
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
      if (parse) obs = parse_rate_limit_headers(headers, clock->system_now());
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
    Clock* clock = nullptr;
    bool parse = false;
    int status = 0;
    RateLimitObservation obs;
  };
  Transport& inner_;
  CancelToken* token_;
  Tap tap_;
};

std::string fmt_dur(Duration d) {
  char buf[32];
  const double ms = to_ms(d);
  if (ms < 1000) std::snprintf(buf, sizeof buf, "%.0fms", ms);
  else std::snprintf(buf, sizeof buf, "%.3gs", ms / 1000.0);
  return buf;
}

Capabilities required_capabilities(const ChatRequest& r, bool streaming) {
  Capabilities c = r.meta.required;
  c.streaming = c.streaming || streaming;
  c.tools = c.tools || !r.tools.empty();
  c.json_mode = c.json_mode || r.response_format.kind == ResponseFormat::Kind::kJsonObject;
  c.json_schema = c.json_schema || r.response_format.kind == ResponseFormat::Kind::kJsonSchema;
  if (!c.vision) {
    for (const auto& m : r.messages) {
      for (const auto& p : m.content) c.vision = c.vision || p.kind == ContentPart::Kind::kImageUrl;
    }
  }
  return c;
}

// ~4 characters per token plus per-message overhead: a deliberately simple estimate,
// reconciled with the provider's usage after the call.
}  // namespace

uint64_t estimate_prompt_tokens(const ChatRequest& r) {
  uint64_t chars = 0;
  for (const auto& m : r.messages) {
    chars += 16;
    for (const auto& p : m.content) chars += p.text.size();
    for (const auto& t : m.tool_calls) chars += t.arguments_json.size() + t.name.size();
  }
  for (const auto& t : r.tools) chars += t.parameters_json.size() + t.description.size() + t.name.size();
  return chars / 4 + 1;
}

namespace {

std::string outcome_label(StatusCode code) { return code == StatusCode::kOk ? "ok" : std::string(status_code_name(code)); }

// One usage record for an attempt or a probe: who served it, how it ended, tokens, the
// provider-reported cost and our estimate.
void fill_attempt_record(AttemptRecord& rec, const EndpointCandidate& cand, const Result<ChatResponse>& r,
                         const char* kind, Duration took, const std::string& session, const std::string& profile) {
  rec.provider = cand.provider;
  rec.model = cand.model;
  rec.endpoint_id = cand.id;
  rec.session = session;
  rec.profile = profile;
  rec.kind = kind;
  rec.outcome = outcome_label(r.ok() ? StatusCode::kOk : r.status().code());
  if (r.ok() && r->usage) {
    rec.usage = {r->usage->prompt_tokens, r->usage->completion_tokens, r->usage->cached_prompt_tokens,
                 r->usage->cache_write_tokens};
    rec.reported_cost_usd = r->usage->reported_cost_usd;
  }
  rec.duration_ms = to_ms(took);
  rec.estimated_cost_usd = estimate_cost_usd(cand, rec.usage.prompt, rec.usage.completion);
}

}  // namespace

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

LlmClient::LlmClient(Clock& clock, LlmClientOptions options)
    : clock_(clock), opts_(std::move(options)), random_(opts_.seed), router_(opts_.router, opts_.seed ^ 0x5eed),
      budget_(opts_.budget), admission_(opts_.admission) {}

LlmClient::~LlmClient() = default;

Status LlmClient::add_endpoint(EndpointConfig config) {
  if (config.adapter == nullptr || config.transport == nullptr) {
    return InvalidRequestError("endpoint '" + config.candidate.id + "' needs an adapter and a transport");
  }
  if (config.candidate.id.empty()) return InvalidRequestError("endpoint without an id");
  if (config.endpoint.provider.empty()) config.endpoint.provider = config.candidate.provider;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& e : endpoints_) {
    if (e->cfg.candidate.id == config.candidate.id) {
      return InvalidRequestError("duplicate endpoint id '" + config.candidate.id + "'");
    }
  }
  const TimePoint now = clock_.now();
  auto limiter = [&](const std::string& key, RateLimits limits) {
    auto it = limiters_.find(key);
    if (it == limiters_.end()) it = limiters_.emplace(key, std::make_unique<RateLimiter>(limits, now)).first;
    return it->second.get();
  };
  auto state = std::make_unique<EndpointState>(clock_, std::move(config), opts_.breaker, opts_.stats);
  const EndpointCandidate& c = state->cfg.candidate;
  // Breaker calls happen under mu_, so the listener may touch metrics_.
  state->breaker.set_listener([this](const std::string& name, const BreakerEvent& e) {
    metrics_.add(MetricId::kBreakerTransitions, {name, breaker_state_name(e.to)});
    if (opts_.on_breaker_event) opts_.on_breaker_event(name, e);
  });
  auto pl = opts_.provider_limits.find(c.provider);
  state->provider_limiter = limiter("provider:" + c.provider, pl == opts_.provider_limits.end() ? RateLimits{} : pl->second);
  state->key_limiter = limiter("key:" + c.provider + "/" + c.key_id, state->cfg.key_limits);
  candidates_.push_back(c);
  signals_.emplace_back();
  endpoints_.push_back(std::move(state));
  return Status();
}

Status LlmClient::set_policy(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  return router_.set_default_policy(name);
}

std::string LlmClient::policy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::string(router_.default_policy());
}

std::vector<std::string> LlmClient::policies() const {
  std::lock_guard<std::mutex> lock(mu_);
  return router_.policy_names();
}

Result<ChatResponse> LlmClient::complete(const ChatRequest& request, const CallControl& control, RequestTrace* trace) {
  return run(request, nullptr, control, trace);
}

Result<ChatResponse> LlmClient::stream(const ChatRequest& request, const EventCallback& on_event,
                                       const CallControl& control, RequestTrace* trace) {
  return run(request, &on_event, control, trace);
}

Result<ChatResponse> LlmClient::run(const ChatRequest& request, const EventCallback* on_event,
                                    const CallControl& control, RequestTrace* trace) {
  const TimePoint t0 = clock_.now();
  const std::optional<TimePoint> deadline =
      request.meta.deadline ? std::optional<TimePoint>(t0 + *request.meta.deadline) : std::nullopt;
  const bool streaming = on_event != nullptr;
  RouteRequest rr;
  rr.required = required_capabilities(request, streaming);
  rr.est_prompt_tokens = estimate_prompt_tokens(request);
  rr.est_output_tokens = request.max_output_tokens ? *request.max_output_tokens : opts_.default_output_tokens;
  rr.max_cost_usd = control.max_cost_usd;
  rr.pin = control.pin;
  rr.sticky_key = control.sticky_key;
  rr.policy = control.policy;
  const uint64_t est_tokens = rr.est_prompt_tokens + rr.est_output_tokens;
  const Lane lane = classify(request, opts_.lanes);
  const std::string& profile = control.profile.empty() ? opts_.profile : control.profile;
  const std::string& session = control.session.empty() ? opts_.session : control.session;
  const std::vector<BudgetView> budgets = budget_views(rr, profile);
  std::string request_id = request.meta.request_id;
  if (request_id.empty() && opts_.usage_sink) {  // usage rows need a key
    std::lock_guard<std::mutex> g(mu_);
    char buf[32];
    std::snprintf(buf, sizeof buf, "llm-%016llx", static_cast<unsigned long long>(random_.next_u64()));
    request_id = buf;
  }

  if (trace) {
    *trace = RequestTrace();
    trace->request_id = request_id;
    trace->pin = control.pin;
    trace->sticky_key = control.sticky_key;
    trace->lane = std::string(lane_name(lane));
  }
  auto note = [&](std::string s) {
    if (trace) trace->notes.push_back(std::move(s));
  };

  std::unique_lock<std::mutex> lock(mu_);
  // Finishes the call: metrics, trace, and the result. Called with the lock held.
  auto finish = [&](Result<ChatResponse> r) -> Result<ChatResponse> {
    const StatusCode code = r.ok() ? StatusCode::kOk : r.status().code();
    metrics_.add(MetricId::kRequests, {status_code_name(code)});
    metrics_.observe(MetricId::kRequestDuration, {}, clock_.now() - t0);
    if (trace) {
      trace->final_code = code;
      trace->final_error = r.ok() ? std::string() : r.status().to_string();
      trace->total = clock_.now() - t0;
    }
    return r;
  };

  // ---- route (waiting for a rate limiter when that is the only obstacle) ----
  budget_.on_request(t0);
  std::vector<uint32_t> chain;
  for (int round = 0;; ++round) {
    const TimePoint now = clock_.now();
    route_locked(rr, est_tokens, budgets);
    const RouteDecision& d = decision_scratch_;
    if (!d.chain.empty() || d.error.code() != StatusCode::kRateLimited || round >= 3) break;
    // Every surviving candidate is only rate-limited: wait for the earliest limiter.
    Duration wait = Duration::max();
    for (const auto& v : d.verdicts) {
      if (v.removed_by != Filter::kRateLimited) continue;
      EndpointState& ep = *endpoints_[v.index];
      const Duration w = std::max(ep.provider_limiter->check(now, est_tokens).wait,
                                  ep.key_limiter->check(now, est_tokens).wait);
      wait = std::min(wait, w);
    }
    if (wait > opts_.max_rate_limit_wait || (deadline && now + wait >= *deadline)) break;
    note("every candidate rate-limited: waited " + fmt_dur(wait) + " for the client-side limiter");
    metrics_.add(MetricId::kRateLimitWaitSeconds, {}, std::chrono::duration<double>(wait).count());
    lock.unlock();
    const bool waited = wait_for(wait, control.cancel);
    lock.lock();
    if (!waited) return finish(CancelledError("cancelled by the caller while waiting for a rate limiter"));
  }
  {
    const RouteDecision& d = decision_scratch_;
    trace_decision(trace, rr, budgets);
    if (!d.chain.empty() && d.chain[0] < budgets.size() && !budgets[d.chain[0]].warnings.empty()) {
      metrics_.add(MetricId::kBudgetWarnings, {candidates_[d.chain[0]].provider});
    }
    if (d.chain.empty()) {
      Status err = d.error.ok() ? InternalError("router returned no candidate and no reason") : d.error;
      if (err.code() == StatusCode::kRateLimited) {
        for (const auto& v : d.verdicts) {
          if (v.removed_by == Filter::kRateLimited) metrics_.add(MetricId::kThrottled, {candidates_[v.index].id});
        }
      }
      return finish(std::move(err));
    }
    chain = d.chain;
  }

  // ---- admit ----
  // Shared: a deadline timer that fires late (RealClock) must not see a dead or reused waiter.
  auto waiter_ptr = std::make_shared<SyncWaiter>();
  SyncWaiter& waiter = *waiter_ptr;
  const Admit admitted = admission_.admit(lane, clock_.now(), &waiter);
  if (admitted == Admit::kRejected) {
    metrics_.add(MetricId::kAdmissionRejected, {lane_name(lane)});
    return finish(OverloadedError("admission queue full: lane " + std::string(lane_name(lane)) + " holds " +
                                  std::to_string(admission_.depth(lane)) + " waiting requests"));
  }
  if (admitted == Admit::kQueued) {
    TimerId timer = 0;
    if (deadline) {
      timer = clock_.schedule_at(*deadline, [this, waiter_ptr] {
        std::lock_guard<std::mutex> g(mu_);
        if (admission_.cancel(waiter_ptr.get())) {
          waiter_ptr->timed_out = true;
          waiter_ptr->done.notify();
        }
      });
    }
    lock.unlock();
    const bool woke = waiter.done.wait(clock_);
    if (timer) clock_.cancel(timer);
    lock.lock();
    if (!woke && admission_.cancel(&waiter)) {
      return finish(OverloadedError("admission wait ended with nothing left to run (simulated clock idle)"));
    }
    if (waiter.timed_out) {
      return finish(TimeoutError(TimeoutPhase::kTotal, "deadline passed while waiting for admission (lane " +
                                                           std::string(lane_name(lane)) + ")"));
    }
  }
  metrics_.observe(MetricId::kQueueWait, {lane_name(lane)}, waiter.waited);
  if (trace) trace->queue_wait = waiter.waited;
  // From here on the slot is ours: give it back whatever happens.
  struct SlotGuard {
    LlmClient* self;
    ~SlotGuard() { self->admission_.release(self->clock_.now()); }
  };
  SlotGuard slot{this};  // destroyed while `lock` is held (declared after it)

  // ---- attempts ----
  Backoff backoff(opts_.backoff, random_);
  Status last_error;
  uint32_t total_attempts = 0;
  // Streaming state across attempts (continuation appends to what was delivered).
  Delivered delivered;
  bool start_sent = false;
  std::optional<StreamEvent> held_start;
  std::string delivered_text;  // text the caller received from the current attempt
  std::string prefix_text;     // text delivered by earlier attempts (continuation)
  bool tool_fragments_delivered = false;
  ChatRequest continued;  // the request with the partial answer, when continuing
  const ChatRequest* current = &request;

  for (size_t ci = 0; ci < chain.size(); ++ci) {
    EndpointState& ep = *endpoints_[chain[ci]];
    const std::string& ep_id = ep.cfg.candidate.id;
    uint32_t retries_here = 0;
    bool next_candidate = false;
    while (!next_candidate) {
      TimePoint now = clock_.now();
      if (control.cancel && control.cancel->cancelled()) {
        return finish(CancelledError("cancelled by the caller after " + std::to_string(total_attempts) +
                                     " attempt(s)").with_delivered(delivered));
      }
      if (deadline && now >= *deadline) {
        last_error = TimeoutError(TimeoutPhase::kTotal, "deadline exceeded after " + std::to_string(total_attempts) +
                                                            " attempt(s)");
        last_error.with_delivered(delivered);
        return finish(std::move(last_error));
      }
      if (opts_.budget_oracle && total_attempts > 0) {
        // Spend may have grown since routing (earlier attempts of this request, other
        // calls): ask again before every later attempt.
        const std::string provider = ep.cfg.candidate.provider;
        const double est = estimate_cost_usd(ep.cfg.candidate, rr.est_prompt_tokens, rr.est_output_tokens);
        lock.unlock();
        const BudgetCheck bc = opts_.budget_oracle->check_budget(provider, profile, est);
        lock.lock();
        if (!bc.allowed) {
          metrics_.add(MetricId::kBudgetBlocked, {provider});
          note("skipped " + ep_id + ": " + bc.blocked_by + " (stop)");
          last_error = InsufficientCreditsError("budget exceeded: " + bc.blocked_by + "; attempt on " + ep_id + " not sent");
          break;
        }
        if (!bc.warnings.empty()) {
          metrics_.add(MetricId::kBudgetWarnings, {provider});
          if (trace) {
            for (const auto& w : bc.warnings) {
              if (std::find(trace->budget_warnings.begin(), trace->budget_warnings.end(), w) == trace->budget_warnings.end()) {
                trace->budget_warnings.push_back(w);
              }
            }
          }
        }
      }
      if (!ep.breaker.try_acquire()) {
        note("skipped " + ep_id + ": circuit breaker " + std::string(breaker_state_name(ep.breaker.state())));
        break;
      }
      RateDecision rd = ep.provider_limiter->acquire(now, est_tokens);
      if (rd.allowed) {
        rd = ep.key_limiter->acquire(now, est_tokens);
        if (!rd.allowed) ep.provider_limiter->cancel(now, est_tokens);  // give the reservation back
      }
      if (!rd.allowed) {
        ep.breaker.on_ignored();
        metrics_.add(MetricId::kThrottled, {ep_id});
        note("skipped " + ep_id + ": client-side rate limit (" + rd.reason + ", wait " + fmt_dur(rd.wait) + ")");
        if (last_error.ok()) {
          last_error = RateLimitedError("client-side rate limit on " + ep_id + ": " + rd.reason)
                           .with_retry_after(std::chrono::duration_cast<std::chrono::milliseconds>(rd.wait));
        }
        break;
      }
      ++total_attempts;
      CallOptions call_opts = ep.cfg.call_options;
      if (deadline) {
        const Duration left = *deadline - now;
        if (!call_opts.total_timeout || *call_opts.total_timeout > left) call_opts.total_timeout = left;
      }
      const ProviderAdapter& adapter = *ep.cfg.adapter;
      Transport& transport = *ep.cfg.transport;
      const bool learn = opts_.learn_rate_limits;
      lock.unlock();

      // ---- one attempt, without the lock ----
      const TimePoint a0 = clock_.now();
      // Each endpoint serves its own model: a fall-over to another provider must not
      // send the primary's model id there (the request's model is a routing hint).
      const std::string& ep_model = ep.cfg.candidate.model;
      std::optional<ChatRequest> remodeled;
      if (!ep_model.empty() && ep_model != current->model) {
        remodeled = *current;
        remodeled->model = ep_model;
      }
      const ChatRequest& to_send = remodeled ? *remodeled : *current;
      ObservingTransport observed(transport, clock_, learn, control.cancel);
      ChatClient client(adapter, ep.cfg.endpoint, observed, clock_, call_opts);
      std::optional<Duration> ttft;
      uint64_t attempt_events_to_caller = 0;
      Result<ChatResponse> r = InternalError("attempt not made");
      if (streaming) {
        auto forward = [&](const StreamEvent& e) {
          if (e.kind == StreamEvent::Kind::kStart) {
            if (!start_sent) held_start = e;  // held until content: a failure before it can fall over
            return;
          }
          if (!ttft && (e.kind == StreamEvent::Kind::kTextDelta || e.kind == StreamEvent::Kind::kToolCallDelta)) {
            ttft = clock_.now() - a0;
          }
          if (held_start) {
            (*on_event)(*held_start);
            ++delivered.events;
            held_start.reset();
            start_sent = true;
          }
          (*on_event)(e);
          ++delivered.events;
          ++attempt_events_to_caller;
          if (e.kind == StreamEvent::Kind::kTextDelta) {
            delivered.content_chars += e.text.size();
            delivered_text += e.text;
          } else if (e.kind == StreamEvent::Kind::kToolCallDelta) {
            ++delivered.tool_call_fragments;
            tool_fragments_delivered = true;
          }
        };
        r = client.stream(to_send, forward);
      } else {
        r = client.complete(to_send);
      }
      const TimePoint a1 = clock_.now();
      if (opts_.usage_sink) {
        AttemptRecord rec;
        rec.request_id = request_id;
        rec.number = total_attempts;
        // ep.cfg.candidate is immutable after add_endpoint
        fill_attempt_record(rec, ep.cfg.candidate, r, "attempt", a1 - a0, session, profile);
        record_usage(rec, trace);
      }

      lock.lock();
      now = a1;
      const bool cancelled_now = control.cancel && control.cancel->cancelled();
      if (learn && !observed.observation().empty()) {
        ep.provider_limiter->observe(now, observed.observation());
        ep.key_limiter->observe(now, observed.observation());
      }
      const StatusCode code = r.ok() ? StatusCode::kOk : r.status().code();
      uint64_t prompt_tokens = 0, completion_tokens = 0;
      if (r.ok() && r->usage) {
        prompt_tokens = r->usage->prompt_tokens;
        completion_tokens = r->usage->completion_tokens;
      }
      const uint64_t actual = r.ok() ? (r->usage ? r->usage->total_tokens : est_tokens) : 0;
      ep.provider_limiter->reconcile(now, est_tokens, actual);
      ep.key_limiter->reconcile(now, est_tokens, actual);
      if (!r.ok() && r.status().retry_after() && code == StatusCode::kRateLimited && observed.observation().empty()) {
        RateLimitObservation o;
        o.retry_after = Duration(*r.status().retry_after());
        ep.provider_limiter->observe(now, o);
        ep.key_limiter->observe(now, o);
      }
      if (cancelled_now && !r.ok()) ep.breaker.on_ignored();  // the caller's doing, not the endpoint's
      else ep.breaker.on_result(code, ttft);
      if (r.ok()) ep.stats.record_success(now, ttft, a1 - a0, completion_tokens);
      else ep.stats.record_failure(now, code, a1 - a0);
      metrics_.add(MetricId::kAttempts, {ep_id, status_code_name(code)});
      const double cost = estimate_cost_usd(ep.cfg.candidate, prompt_tokens, completion_tokens);
      if (r.ok()) {
        metrics_.observe(MetricId::kAttemptDuration, {ep_id}, a1 - a0);
        if (ttft) metrics_.observe(MetricId::kTtft, {ep_id}, *ttft);
        metrics_.add(MetricId::kTokens, {ep_id, "prompt"}, static_cast<double>(prompt_tokens));
        metrics_.add(MetricId::kTokens, {ep_id, "completion"}, static_cast<double>(completion_tokens));
        metrics_.add(MetricId::kCostUsd, {ep_id}, cost);
      }
      TraceAttempt* ta = nullptr;
      if (trace) {
        TraceAttempt a;
        a.number = total_attempts;
        a.endpoint_id = ep_id;
        a.start = a0 - t0;
        a.duration = a1 - a0;
        a.ttft = ttft;
        a.outcome = code;
        if (!r.ok()) a.error = r.status().to_string();
        a.prompt_tokens = prompt_tokens;
        a.completion_tokens = completion_tokens;
        a.cost_usd = cost;
        trace->attempts.push_back(std::move(a));
        ta = &trace->attempts.back();
        trace->total_cost_usd += cost;
      }

      if (r.ok()) {
        if (ta) ta->decision = "done";
        if (trace) trace->served_by = ep_id;
        router_.remember_sticky(control.sticky_key, ep_id);
        if (streaming && held_start) {  // a stream with no other event: still one start
          lock.unlock();
          (*on_event)(*held_start);
          lock.lock();
          ++delivered.events;
          held_start.reset();
        }
        ChatResponse out = std::move(r).value();
        if (!prefix_text.empty()) out.content = prefix_text + out.content;
        return finish(std::move(out));
      }

      // ---- failure: classify, then retry / fall over / give up ----
      if (cancelled_now) {
        if (ta) ta->decision = "give up: cancelled by the caller";
        return finish(CancelledError("cancelled by the caller").with_delivered(delivered).with_provider(ep.cfg.endpoint.provider));
      }
      Status err = r.status();
      const bool caller_saw_content = delivered.events > 0;
      if (streaming && caller_saw_content) {
        // The mid-stream contract: no silent fallback, no silent truncation.
        const bool can_continue = opts_.stream_continuation && !tool_fragments_delivered && ci + 1 < chain.size() &&
                                  (!deadline || now < *deadline);
        Status interrupted = StreamInterruptedError(
            err.code() == StatusCode::kStreamInterrupted ? err.message()
                                                         : "stream interrupted after delivering content: " + err.to_string(),
            delivered);
        interrupted.with_provider(err.provider()).with_http_status(err.http_status());
        if (!can_continue) {
          if (ta) ta->decision = "give up: content already reached the caller (stream_interrupted)";
          return finish(std::move(interrupted));
        }
        if (ta) ta->decision = "continue on the next candidate (opt-in continuation)";
        note("continuation: " + std::to_string(delivered.content_chars) + " chars delivered by " + ep_id +
             " before it failed; asking " + endpoints_[chain[ci + 1]]->cfg.candidate.id + " to continue");
        continued = request;
        continued.messages.push_back(Message::Assistant(prefix_text + delivered_text));
        continued.messages.push_back(
            Message::User("Continue exactly where your previous message stopped. Do not repeat any of it."));
        current = &continued;
        prefix_text += delivered_text;
        delivered_text.clear();
        last_error = std::move(interrupted);
        metrics_.add(MetricId::kFallovers, {ep_id});
        break;
      }
      if (streaming && err.code() == StatusCode::kStreamInterrupted && !caller_saw_content) {
        // Only the held-back start event was seen: nothing reached the caller, so the
        // failure is an ordinary transient one.
        const std::string msg = "stream failed before any content: " + err.message();
        Status st = err.timeout_phase() != TimeoutPhase::kNone ? TimeoutError(err.timeout_phase(), msg)
                                                                : ConnectionResetError(msg);
        st.with_provider(err.provider()).with_http_status(err.http_status());
        err = std::move(st);
        held_start.reset();
      }
      AttemptContext ctx;
      ctx.retries_on_endpoint = retries_here;
      ctx.total_attempts = total_attempts;
      ctx.deadline = deadline;
      ctx.more_candidates = ci + 1 < chain.size();
      const uint64_t denied_before = budget_.denied_total();
      RetryDecision d = decide_retry(err, ctx, opts_.retry, backoff, budget_, now);
      if (budget_.denied_total() != denied_before) metrics_.add(MetricId::kRetryBudgetDenied, {});
      if (ta) {
        ta->decision = d.reason;
        ta->backoff = d.delay;
      }
      last_error = err;
      switch (d.action) {
        case RetryAction::kRetrySame: {
          ++retries_here;
          metrics_.add(MetricId::kRetries, {ep_id});
          lock.unlock();
          if (d.delay.count() > 0) (void)wait_for(d.delay, control.cancel);
          lock.lock();
          break;  // the loop head returns kCancelled if the wait was cut short
        }
        case RetryAction::kFallOver:
          metrics_.add(MetricId::kFallovers, {ep_id});
          next_candidate = true;
          break;
        case RetryAction::kFail:
          if (deadline && err.code() != StatusCode::kTimeout && d.reason.find("deadline") != std::string::npos) {
            Status t = TimeoutError(TimeoutPhase::kTotal, "deadline: " + d.reason + " (last error: " + err.to_string() + ")");
            t.with_provider(err.provider());
            return finish(std::move(t));
          }
          return finish(std::move(err));
      }
    }
  }
  if (last_error.ok()) last_error = OverloadedError("every candidate was skipped (breaker open or rate limited)");
  note("no candidate left in the chain");
  return finish(std::move(last_error));
}

std::vector<LlmClient::BudgetView> LlmClient::budget_views(const RouteRequest& rr, const std::string& profile) {
  std::vector<BudgetView> out;
  if (!opts_.budget_oracle) return out;
  std::vector<EndpointCandidate> cands;
  {
    std::lock_guard<std::mutex> g(mu_);
    cands = candidates_;
  }
  out.resize(cands.size());
  for (size_t i = 0; i < cands.size(); ++i) {
    const double est = estimate_cost_usd(cands[i], rr.est_prompt_tokens, rr.est_output_tokens);
    const BudgetCheck bc = opts_.budget_oracle->check_budget(cands[i].provider, profile, est);
    out[i].remaining = bc.remaining_usd;
    out[i].stop = !bc.allowed;
    out[i].warnings = bc.allowed ? bc.warnings : std::vector<std::string>{bc.blocked_by + " (stop)"};
  }
  return out;
}

void LlmClient::route_locked(const RouteRequest& rr, uint64_t est_tokens, const std::vector<BudgetView>& budgets) {
  const TimePoint now = clock_.now();
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    EndpointState& ep = *endpoints_[i];
    if (!ep.cached_at || now - *ep.cached_at >= opts_.signals_refresh) {
      const HealthSnapshot h = ep.stats.snapshot(now);
      ep.cached.p95_ms = h.total_ms.count ? h.total_ms.p95 : 0.0;
      ep.cached.smoothed_success = h.smoothed_success_rate;
      ep.cached.score = h.score;
      ep.cached_at = now;
    }
    CandidateSignals& s = signals_[i];
    s = ep.cached;
    s.breaker_allows = ep.breaker.would_allow();
    s.rate_limited = !ep.provider_limiter->check(now, est_tokens).allowed ||
                     !ep.key_limiter->check(now, est_tokens).allowed;
    if (i < budgets.size()) {
      s.remaining_budget_usd = budgets[i].remaining;
      s.budget_stop = budgets[i].stop;
    }
  }
  router_.route(candidates_, signals_, rr, decision_scratch_);
  // Half-open trials come from live traffic: a policy that ranks a recovering endpoint
  // below a healthy one (reliability, latency) would otherwise never send it the trial
  // call, and its breaker would stay half-open forever. The first half-open endpoint in
  // the chain goes first; if its trial fails the call falls over down the chain as usual.
  std::vector<uint32_t>& chain = decision_scratch_.chain;
  for (size_t j = 1; j < chain.size(); ++j) {
    const CircuitBreaker& b = endpoints_[chain[j]]->breaker;
    if (b.state() == BreakerState::kHalfOpen && b.would_allow()) {
      std::rotate(chain.begin(), chain.begin() + static_cast<std::ptrdiff_t>(j), chain.begin() + static_cast<std::ptrdiff_t>(j) + 1);
      decision_scratch_.half_open_trial_first = true;
      break;
    }
  }
}

void LlmClient::trace_decision(RequestTrace* trace, const RouteRequest& rr, const std::vector<BudgetView>& budgets) {
  if (!trace) return;
  const RouteDecision& d = decision_scratch_;
  trace->policy = std::string(d.policy);
  trace->sticky_hit = d.sticky_hit;
  if (d.half_open_trial_first && !d.chain.empty()) {
    trace->notes.push_back("half-open trial: " + candidates_[d.chain[0]].id +
                           " moved first so its breaker gets a trial call");
  }
  trace->est_prompt_tokens = rr.est_prompt_tokens;
  trace->est_output_tokens = rr.est_output_tokens;
  for (const auto& v : d.verdicts) {
    const EndpointCandidate& c = candidates_[v.index];
    TraceCandidate tc{c.id, c.provider, c.model, std::string(filter_name(v.removed_by)), v.score, v.est_cost_usd, -1};
    for (size_t j = 0; j < d.chain.size(); ++j) {
      if (d.chain[j] == v.index) tc.chain_position = static_cast<int>(j);
    }
    if (tc.chain_position == 0) trace->forecast_usd = v.est_cost_usd;
    trace->candidates.push_back(std::move(tc));
  }
  // Budget news: the pick's warnings, and why budget_stop removed others.
  for (const auto& v : d.verdicts) {
    if (v.index >= budgets.size()) continue;
    const bool pick = !d.chain.empty() && d.chain[0] == v.index;
    if (!pick && v.removed_by != Filter::kBudgetStop) continue;
    for (const auto& w : budgets[v.index].warnings) {
      if (std::find(trace->budget_warnings.begin(), trace->budget_warnings.end(), w) == trace->budget_warnings.end()) {
        trace->budget_warnings.push_back(w);
      }
    }
  }
}

void LlmClient::record_usage(const AttemptRecord& rec, RequestTrace* trace) {
  const Status st = opts_.usage_sink->record_attempt(rec);
  if (st.ok()) return;
  {
    std::lock_guard<std::mutex> g(mu_);
    metrics_.add(MetricId::kUsageSinkErrors, {});
  }
  if (trace) trace->notes.push_back("usage of attempt " + std::to_string(rec.number) + " not recorded: " + st.to_string());
}

RequestTrace LlmClient::plan(const ChatRequest& request, const CallControl& control, bool streaming) {
  RouteRequest rr;
  rr.required = required_capabilities(request, streaming);
  rr.est_prompt_tokens = estimate_prompt_tokens(request);
  rr.est_output_tokens = request.max_output_tokens ? *request.max_output_tokens : opts_.default_output_tokens;
  rr.max_cost_usd = control.max_cost_usd;
  rr.pin = control.pin;
  rr.sticky_key = control.sticky_key;
  rr.policy = control.policy;
  const std::string& profile = control.profile.empty() ? opts_.profile : control.profile;
  const std::vector<BudgetView> budgets = budget_views(rr, profile);
  RequestTrace trace;
  trace.request_id = request.meta.request_id;
  trace.pin = control.pin;
  trace.sticky_key = control.sticky_key;
  trace.lane = std::string(lane_name(classify(request, opts_.lanes)));
  std::lock_guard<std::mutex> lock(mu_);
  route_locked(rr, rr.est_prompt_tokens + rr.est_output_tokens, budgets);
  trace_decision(&trace, rr, budgets);
  const RouteDecision& d = decision_scratch_;
  if (d.chain.empty()) {
    const Status err = d.error.ok() ? InternalError("router returned no candidate and no reason") : d.error;
    trace.final_code = err.code();
    trace.final_error = err.to_string();
  }
  trace.notes.push_back("dry run: nothing was sent");
  return trace;
}

std::vector<ProbeResult> LlmClient::probe(const ProbeOptions& options) {
  std::vector<ProbeResult> out;
  std::unique_lock<std::mutex> lock(mu_);
  if (!probe_budget_) {
    probe_budget_ = std::make_unique<RateLimiter>(RateLimits{std::max<uint32_t>(options.max_probes_per_minute, 1), 0},
                                                  clock_.now());
  }
  ChatRequest req;
  req.messages.push_back(Message::User(options.prompt));
  req.max_output_tokens = options.max_output_tokens;
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    EndpointState& ep = *endpoints_[i];
    const std::string id = ep.cfg.candidate.id;
    ProbeResult pr;
    pr.endpoint_id = id;
    const TimePoint now = clock_.now();
    if (!ep.breaker.would_allow()) {
      pr.outcome = "skipped_breaker";
    } else if (!probe_budget_->acquire(now, 0).allowed) {
      pr.outcome = "skipped_budget";
    } else if (!ep.breaker.try_acquire()) {
      pr.outcome = "skipped_breaker";
    }
    if (!pr.outcome.empty()) {
      metrics_.add(MetricId::kProbes, {id, pr.outcome});
      out.push_back(std::move(pr));
      continue;
    }
    req.model = ep.cfg.candidate.model;
    const ProviderAdapter& adapter = *ep.cfg.adapter;
    Transport& transport = *ep.cfg.transport;
    CallOptions call_opts = ep.cfg.call_options;
    lock.unlock();
    const TimePoint a0 = clock_.now();
    ChatClient client(adapter, ep.cfg.endpoint, transport, clock_, call_opts);
    Result<ChatResponse> r = client.complete(req);
    const TimePoint a1 = clock_.now();
    if (opts_.usage_sink) {  // probe traffic is billed too, labelled kind=probe
      AttemptRecord rec;
      fill_attempt_record(rec, ep.cfg.candidate, r, "probe", a1 - a0, opts_.session, opts_.profile);
      record_usage(rec, nullptr);
    }
    lock.lock();
    const StatusCode code = r.ok() ? StatusCode::kOk : r.status().code();
    ep.breaker.on_result(code, std::nullopt);
    if (r.ok()) ep.stats.record_success(a1, std::nullopt, a1 - a0, r->usage ? r->usage->completion_tokens : 0);
    else ep.stats.record_failure(a1, code, a1 - a0);
    ep.cached_at.reset();  // routing re-reads the fresh statistics
    pr.outcome = std::string(status_code_name(code));
    pr.duration = a1 - a0;
    metrics_.add(MetricId::kProbes, {id, pr.outcome});
    out.push_back(std::move(pr));
  }
  return out;
}

bool LlmClient::wait_for(Duration d, CancelToken* token) {
  // On a simulated clock the wait always goes through a Completion: inside a scenario
  // fiber (ploke/core/cooperative.h) that suspends the fiber instead of moving the clock
  // for everyone, so other in-flight calls keep running in virtual time.
  // On a real clock, a wait inside a fiber whose scheduler drives this clock (the
  // gateway's event-loop fibers) must suspend the fiber too, never block its thread.
  CooperativeScheduler* coop = current_cooperative_scheduler();
  const bool in_fiber = coop != nullptr && coop->drives(clock_) && coop->current_fiber() != nullptr;
  if (token == nullptr && !clock_.is_simulated() && !in_fiber) {
    clock_.sleep_for(d);
    return true;
  }
  auto done = std::make_shared<Completion>();  // the timer may outlive this frame (RealClock)
  if (token) token->attach_wait(done.get());
  const TimerId t = clock_.schedule_after(d, [done] { done->notify(); });
  (void)done->wait(clock_);
  clock_.cancel(t);
  if (!token) return true;
  token->detach_wait();
  return !token->cancelled();
}

std::vector<EndpointHealth> LlmClient::health() const {
  std::lock_guard<std::mutex> lock(mu_);
  const TimePoint now = clock_.now();
  std::vector<EndpointHealth> out;
  for (const auto& e : endpoints_) {
    EndpointHealth h;
    h.endpoint_id = e->cfg.candidate.id;
    h.provider = e->cfg.candidate.provider;
    h.model = e->cfg.candidate.model;
    h.breaker = e->breaker.state();
    h.open_remaining = e->breaker.remaining_open();
    h.openings = e->breaker.openings();
    h.breaker_failure_rate = e->breaker.failure_rate();
    h.breaker_slow_rate = e->breaker.slow_call_rate();
    const auto& ev = e->breaker.events();
    h.recent_events.assign(ev.size() > 5 ? ev.end() - 5 : ev.begin(), ev.end());
    h.stats = e->stats.snapshot(now);
    h.requests_available = std::min(e->provider_limiter->available_requests(now), e->key_limiter->available_requests(now));
    h.tokens_available = std::min(e->provider_limiter->available_tokens(now), e->key_limiter->available_tokens(now));
    out.push_back(std::move(h));
  }
  return out;
}

QueueStatus LlmClient::queue_status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return admission_.status();
}

double LlmClient::metric(MetricId id, std::initializer_list<std::string_view> labels) const {
  std::lock_guard<std::mutex> lock(mu_);
  return metrics_.value(id, labels);
}

Status LlmClient::force_breaker(std::string_view endpoint_id, BreakerState state, std::string reason) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& e : endpoints_) {
    if (e->cfg.candidate.id == endpoint_id) {
      e->breaker.force(state, std::move(reason));
      return Status();
    }
  }
  return NotFoundError("no endpoint '" + std::string(endpoint_id) + "'");
}

std::string LlmClient::metrics_text() const {
  std::lock_guard<std::mutex> lock(mu_);
  metrics_.clear_gauge(MetricId::kQueueDepth);
  metrics_.clear_gauge(MetricId::kBreakerState);
  metrics_.clear_gauge(MetricId::kBreakerOpenRemaining);
  const QueueStatus q = admission_.status();
  for (const auto& l : q.lanes) metrics_.set(MetricId::kQueueDepth, {lane_name(l.lane)}, static_cast<double>(l.depth));
  metrics_.set(MetricId::kInFlight, {}, q.in_flight);
  for (const auto& e : endpoints_) {
    const BreakerState s = e->breaker.state();
    metrics_.set(MetricId::kBreakerState, {e->cfg.candidate.id},
                 s == BreakerState::kClosed ? 0 : s == BreakerState::kOpen ? 1 : 2);
    metrics_.set(MetricId::kBreakerOpenRemaining, {e->cfg.candidate.id},
                 std::chrono::duration<double>(e->breaker.remaining_open()).count());
  }
  return metrics_.render_prometheus();
}

std::string render_health_text(const std::vector<EndpointHealth>& endpoints) {
  std::string out;
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-28s %-9s %8s %6s %7s %9s %9s %9s %9s %8s %6s\n", "endpoint", "breaker", "open_for",
                "calls", "errors", "ttft_p50", "ttft_p95", "total_p95", "total_p99", "tok/s", "score");
  out += buf;
  for (const auto& h : endpoints) {
    std::snprintf(buf, sizeof buf, "%-28s %-9s %7.1fs %6llu %6.1f%% %7.0fms %7.0fms %7.0fms %7.0fms %8.1f %6.3f\n",
                  h.endpoint_id.c_str(), std::string(breaker_state_name(h.breaker)).c_str(),
                  std::chrono::duration<double>(h.open_remaining).count(),
                  static_cast<unsigned long long>(h.stats.calls), h.stats.error_rate * 100.0, h.stats.ttft_ms.p50,
                  h.stats.ttft_ms.p95, h.stats.total_ms.p95, h.stats.total_ms.p99, h.stats.tokens_per_s.p50,
                  h.stats.score);
    out += buf;
    for (size_t c = 1; c < kNumStatusCodes; ++c) {
      if (h.stats.by_code[c] == 0) continue;
      std::snprintf(buf, sizeof buf, "    %-22s %llu\n", std::string(status_code_name(static_cast<StatusCode>(c))).c_str(),
                    static_cast<unsigned long long>(h.stats.by_code[c]));
      out += buf;
    }
    for (const auto& e : h.recent_events) {
      out += "    breaker " + std::string(breaker_state_name(e.from)) + " -> " + std::string(breaker_state_name(e.to)) +
             ": " + e.reason + "\n";
    }
  }
  return out;
}

}  // namespace ploke::resilience
