#include "ploke/resilience/llm_client.h"
#include "ploke/core/thread_annotations.h"

#include "llm_client_internal.h"
#include "ploke/core/cooperative.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ploke::resilience {

void CancelToken::cancel() {
  // Under the lock: detach() takes it too, so the call cannot be destroyed meanwhile.
  // Call::cancel() never runs the handler inline (Transport contract), so no re-entry.
  MutexLock g(mu_);
  if (cancelled_) return;
  cancelled_ = true;
  if (call_) call_->cancel();
  if (waiting_) waiting_->notify();
}

bool CancelToken::cancelled() const {
  MutexLock g(mu_);
  return cancelled_;
}

void CancelToken::attach(Call* call) {
  MutexLock g(mu_);
  call_ = call;
  if (cancelled_) call->cancel();
}

void CancelToken::detach(Call* call) {
  MutexLock g(mu_);
  if (call_ == call) call_ = nullptr;
}

void CancelToken::attach_wait(Completion* c) {
  MutexLock g(mu_);
  waiting_ = c;
  if (cancelled_) c->notify();
}

void CancelToken::detach_wait() {
  MutexLock g(mu_);
  waiting_ = nullptr;
}

namespace detail {

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
  c.logprobs = c.logprobs || r.logprobs;
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

}  // namespace detail

// ~4 characters per token plus per-message overhead: a deliberately simple estimate,
// reconciled with the provider's usage after the call.
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

namespace detail {
namespace {

std::string outcome_label(StatusCode code) { return code == StatusCode::kOk ? "ok" : std::string(status_code_name(code)); }

}  // namespace

EndpointCandidate embedding_candidate(const EndpointConfig& cfg, const std::string& model) {
  EndpointCandidate c = cfg.candidate;
  if (c.model == model) return c;  // an endpoint configured for the embedding model: its own prices
  c.model = model;
  auto it = cfg.embedding_usd_per_mtok.find(model);
  c.input_usd_per_mtok = it == cfg.embedding_usd_per_mtok.end() ? 0 : it->second;
  c.output_usd_per_mtok = 0;
  c.request_usd = 0;
  return c;
}


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
                 r->usage->cache_write_tokens, r->usage->cache_write_1h_tokens};
    rec.reported_cost_usd = r->usage->reported_cost_usd;
  }
  rec.duration_ms = to_ms(took);
  rec.estimated_cost_usd = estimate_cost_usd(cand, rec.usage.prompt, rec.usage.completion);
}

}  // namespace detail

LlmClient::LlmClient(Clock& clock, LlmClientOptions options)
    : clock_(clock), opts_(std::move(options)), random_(opts_.seed), router_(opts_.router, opts_.seed ^ 0x5eed),
      budget_(opts_.budget), admission_(opts_.admission) {
  if (opts_.shared) {
    opts_.shared->set_breaker_listener([this](const BreakerShare& b) {
      MutexLock lock(inbox_mu_);
      inbox_.push_back(b);
    });
  }
}

LlmClient::~LlmClient() {
  if (opts_.shared) opts_.shared->set_breaker_listener(nullptr);
}

Status LlmClient::add_endpoint(EndpointConfig config) {
  if (config.adapter == nullptr || config.transport == nullptr) {
    return InvalidRequestError("endpoint '" + config.candidate.id + "' needs an adapter and a transport");
  }
  if (config.candidate.id.empty()) return InvalidRequestError("endpoint without an id");
  if (config.endpoint.provider.empty()) config.endpoint.provider = config.candidate.provider;
  config.candidate.caps.embeddings = config.adapter->has_embeddings();  // the protocol decides
  MutexLock lock(mu_);
  for (const auto& e : endpoints_) {
    if (e->cfg.candidate.id == config.candidate.id) {
      return InvalidRequestError("duplicate endpoint id '" + config.candidate.id + "'");
    }
  }
  const TimePoint now = clock_.now();
  auto limiter = [&](const std::string& key, RateLimits limits) {
    mu_.assert_held();  // runs right here, under the lock
    auto it = limiters_.find(key);
    if (it == limiters_.end()) it = limiters_.emplace(key, std::make_unique<RateLimiter>(limits, now)).first;
    return it->second.get();
  };
  auto state = std::make_unique<EndpointState>(clock_, std::move(config), opts_.breaker, opts_.stats);
  const EndpointCandidate& c = state->cfg.candidate;
  // Breaker calls happen under mu_, so the listener may touch metrics_.
  state->breaker.set_listener([this](const std::string& name, const BreakerEvent& e) {
    mu_.assert_held();
    metrics_.add(MetricId::kBreakerTransitions, {name, breaker_state_name(e.to)});
    if (opts_.on_breaker_event) opts_.on_breaker_event(name, e);
    if (opts_.shared) publish_breaker(name, e);
  });
  auto pl = opts_.provider_limits.find(c.provider);
  state->provider_limiter = limiter("provider:" + c.provider, pl == opts_.provider_limits.end() ? RateLimits{} : pl->second);
  state->key_limiter = limiter("key:" + c.provider + "/" + c.key_id, state->cfg.key_limits);
  if (opts_.shared) watch_shared(c.id);
  candidates_.push_back(c);
  signals_.emplace_back();
  endpoints_.push_back(std::move(state));
  return Status();
}

Status LlmClient::set_policy(std::string_view name) {
  MutexLock lock(mu_);
  return router_.set_default_policy(name);
}

std::string LlmClient::policy() const {
  MutexLock lock(mu_);
  return std::string(router_.default_policy());
}

std::vector<std::string> LlmClient::policies() const {
  MutexLock lock(mu_);
  return router_.policy_names();
}

Result<ChatResponse> LlmClient::complete(const ChatRequest& request, const CallControl& control, RequestTrace* trace) {
  return CallRun(*this, request, nullptr, control, trace).run();
}

Result<ChatResponse> LlmClient::stream(const ChatRequest& request, const EventCallback& on_event,
                                       const CallControl& control, RequestTrace* trace) {
  return CallRun(*this, request, &on_event, control, trace).run();
}

Result<EmbeddingResponse> LlmClient::embed(const EmbeddingRequest& request, const CallControl& control,
                                           RequestTrace* trace) {
  ChatRequest shape;  // what routing, admission and the trace read: the model, meta, no output
  shape.model = request.model;
  shape.max_output_tokens = 0;
  shape.meta = request.meta;
  shape.meta.required.embeddings = true;
  CallRun run(*this, shape, nullptr, control, trace, &request);
  Result<ChatResponse> r = run.run();
  if (!r.ok()) return r.status();
  return run.take_embedding();
}

std::vector<LlmClient::BudgetView> LlmClient::budget_views(const RouteRequest& rr, const std::string& profile) {
  std::vector<BudgetView> out;
  if (!opts_.budget_oracle) return out;
  std::vector<EndpointCandidate> cands;
  {
    MutexLock g(mu_);
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
      ep.cached.tokens_per_s = h.tokens_per_s.count ? h.tokens_per_s.p50 : 0.0;
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
    MutexLock g(mu_);
    metrics_.add(MetricId::kUsageSinkErrors, {});
  }
  if (trace) trace->notes.push_back("usage of attempt " + std::to_string(rec.number) + " not recorded: " + st.to_string());
}

RequestTrace LlmClient::plan(const ChatRequest& request, const CallControl& control, bool streaming) {
  RouteRequest rr;
  rr.required = detail::required_capabilities(request, streaming);
  rr.est_prompt_tokens = estimate_prompt_tokens(request);
  rr.est_output_tokens = request.max_output_tokens ? *request.max_output_tokens : opts_.default_output_tokens;
  rr.max_cost_usd = control.max_cost_usd;
  rr.pin = control.pin;
  rr.sticky_key = control.sticky_key;
  rr.policy = control.policy;
  rr.prefs = control.prefs;
  const std::string& profile = control.profile.empty() ? opts_.profile : control.profile;
  const std::vector<BudgetView> budgets = budget_views(rr, profile);
  RequestTrace trace;
  trace.request_id = request.meta.request_id;
  trace.pin = control.pin;
  trace.sticky_key = control.sticky_key;
  trace.lane = std::string(lane_name(classify(request, opts_.lanes)));
  MutexLock lock(mu_);
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

QueueStatus LlmClient::queue_status() const {
  MutexLock lock(mu_);
  return admission_.status();
}

double LlmClient::metric(MetricId id, std::initializer_list<std::string_view> labels) const {
  MutexLock lock(mu_);
  return metrics_.value(id, labels);
}

Status LlmClient::force_breaker(std::string_view endpoint_id, BreakerState state, std::string reason) {
  MutexLock lock(mu_);
  for (auto& e : endpoints_) {
    if (e->cfg.candidate.id == endpoint_id) {
      e->breaker.force(state, std::move(reason));
      return Status();
    }
  }
  return NotFoundError("no endpoint '" + std::string(endpoint_id) + "'");
}

}  // namespace ploke::resilience
