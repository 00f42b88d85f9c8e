// LlmClient's operator side: active health probes, the health table, metrics text.
#include <algorithm>
#include "ploke/core/thread_annotations.h"
#include <cstdio>

#include "llm_client_internal.h"

namespace ploke::resilience {

std::vector<ProbeResult> LlmClient::probe(const ProbeOptions& options) {
  std::vector<ProbeResult> out;
  MutexLock lock(mu_);
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
      detail::fill_attempt_record(rec, ep.cfg.candidate, r, "probe", a1 - a0, opts_.session, opts_.profile);
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

std::vector<EndpointHealth> LlmClient::health() const {
  MutexLock lock(mu_);
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

std::string LlmClient::metrics_text() const {
  MutexLock lock(mu_);
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
