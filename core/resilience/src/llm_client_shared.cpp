// LlmClient and shared state (LlmClientOptions::shared, shared_state.h): the shared rate
// limits of each attempt, breaker decisions published and applied, the one half-open
// trial across instances.
#include "llm_client_internal.h"

namespace ploke::resilience {

namespace {
void add_limits(std::vector<SharedLimit>& out, const std::string& scope, const RateLimits& l) {
  if (l.requests_per_minute > 0)
    out.push_back({scope + ":rpm", LimitKind::kRequests, l.requests_per_minute, std::chrono::seconds(60)});
  if (l.tokens_per_minute > 0)
    out.push_back({scope + ":tpm", LimitKind::kTokens, l.tokens_per_minute, std::chrono::seconds(60)});
}
}  // namespace

bool LlmClient::CallRun::acquire_shared(EndpointState& ep, TimePoint now) {
  const EndpointCandidate& c = ep.cfg.candidate;
  AdmitRequest req;
  add_limits(req.limits, "provider:" + c.provider, ep.provider_limiter->limits());
  add_limits(req.limits, "key:" + c.provider + "/" + c.key_id, ep.key_limiter->limits());
  if (req.limits.empty()) return true;  // nothing limited: no store call
  req.tokens = est_tokens_;
  req.slot_id = request_id_ + "/" + std::to_string(total_attempts_ + 1);
  unlock_client();
  Admission a = c_.opts_.shared->admit(req);
  lock_client();
  if (a.allowed) {
    shared_res_ = std::move(a.reservation);
    return true;
  }
  ep.provider_limiter->cancel(now, est_tokens_);  // give the local reservations back
  ep.key_limiter->cancel(now, est_tokens_);
  return refuse_limited(ep, "shared", a.reason, a.retry_after);
}

void LlmClient::CallRun::reconcile_shared(const Outcome& o) {
  Reservation r = std::move(*shared_res_);
  shared_res_.reset();
  const bool tokens = std::any_of(r.limits.begin(), r.limits.end(),
                                  [](const SharedLimit& l) { return l.kind != LimitKind::kRequests; });
  if (!tokens) return;  // a request count needs no correction
  const uint64_t actual = o.r.ok() ? (o.r->usage ? o.r->usage->total_tokens : est_tokens_) : 0;
  c_.opts_.shared->reconcile(r, actual);
}

bool LlmClient::CallRun::claim_shared_trial(EndpointState& ep) {
  const std::string id = ep.cfg.candidate.id;
  unlock_client();
  const bool mine = c_.opts_.shared->claim_trial(id);
  lock_client();
  if (!mine) note("skipped " + id + ": another instance runs its half-open trial");
  return mine;
}

void LlmClient::publish_breaker(const std::string& endpoint, const BreakerEvent& e) {
  if (e.reason.starts_with("shared:")) return;  // applied from another instance: not ours to tell
  if (e.to == BreakerState::kOpen) {
    opts_.shared->publish_breaker(endpoint, true, e.open_for, e.open_for + std::chrono::seconds(10));
  } else if (e.to == BreakerState::kClosed) {
    opts_.shared->publish_breaker(endpoint, false, Duration{0}, std::chrono::seconds(10));
  }
}

void LlmClient::apply_shared_breakers() {
  std::vector<BreakerShare> inbox;
  {
    MutexLock lock(inbox_mu_);
    inbox.swap(inbox_);
  }
  for (const BreakerShare& b : inbox) {
    for (auto& ep : endpoints_) {
      if (ep->cfg.candidate.id != b.endpoint) continue;
      const BreakerState s = ep->breaker.state();
      if (b.open && s == BreakerState::kClosed) {
        ep->breaker.force(BreakerState::kOpen, "shared: opened by instance " + b.origin);
      } else if (!b.open && s != BreakerState::kClosed) {
        ep->breaker.force(BreakerState::kClosed, "shared: closed by instance " + b.origin);
      }
    }
  }
}

void LlmClient::watch_shared(const std::string& endpoint_id) {
  shared_watch_.push_back(endpoint_id);
  opts_.shared->watch_breakers(shared_watch_);
}

}  // namespace ploke::resilience
