// SharedState: the failure policy over a SharedStore (see shared_state.h).
#include "ploke/resilience/shared_state.h"

#include <algorithm>
#include <atomic>

#include "shared_leases.h"

namespace ploke::resilience {

struct SharedState::Core : std::enable_shared_from_this<Core> {
  Core(SharedStore& s, Clock& c, const SharedStateOptions& o)
      : store(s), clock(c), instance(o.instance_id), refuse(o.refuse_rate_limits_when_degraded),
        degraded_retry(o.degraded_retry) {}
  SharedStore& store;
  Clock& clock;
  const std::string instance;
  const bool refuse;  // rate limits refuse (rather than use the local share) while degraded
  const Duration degraded_retry;
  std::atomic<int64_t> skip_until_ns{0};  // while degraded: requests do not try the store before this

  /// Degraded and the last failure is recent: the failure policy answers without a call.
  bool skip_store() const {
    return degraded.load() && clock.now().time_since_epoch().count() < skip_until_ns.load();
  }
  std::atomic<uint32_t> live{1};
  std::atomic<bool> degraded{false};
  mutable Mutex mu;
  SharedCounters counters PLOKE_GUARDED_BY(mu);
  std::map<std::string, double, std::less<>> unsent_spend PLOKE_GUARDED_BY(mu);
  std::vector<std::string> watched PLOKE_GUARDED_BY(mu);
  Log log PLOKE_GUARDED_BY(mu);
  BreakerListener listener PLOKE_GUARDED_BY(mu);
  std::optional<TimerId> heartbeat_timer PLOKE_GUARDED_BY(mu);
  bool heartbeat_stopped PLOKE_GUARDED_BY(mu) = false;
  std::unique_ptr<detail::LeaseBook> leases;  // null: leases off (set once, at construction)

  void send_reconcile(const Reservation& r, uint64_t actual_tokens) {
    std::weak_ptr<Core> weak = weak_from_this();
    store.reconcile(r, actual_tokens, [weak](Result<bool> res) {
      if (auto self = weak.lock()) self->observe(res.status());
    });
  }
  /// Gives the unused credit of leases back to the store (a reconcile each, batched by it).
  void give_back(std::vector<Reservation>& back) {
    for (auto& r : back) send_reconcile(r, 0);
    back.clear();
  }
  /// Takes the set's next lease ahead of time (take() asked for it): no request waits.
  void renew_lease(const AdmitRequest& req) {
    std::vector<Reservation> back;
    if (skip_store()) return leases->renewed(req.limits, nullptr, clock.now(), back);
    std::weak_ptr<Core> weak = weak_from_this();
    store.lease(leases->ask(req, live.load()), [weak, limits = req.limits](Result<Lease> r) {
      auto self = weak.lock();
      if (!self) return;
      self->observe(r.status());
      std::vector<Reservation> returned;
      self->leases->renewed(limits, r.ok() && r->granted ? &*r : nullptr, self->clock.now(), returned);
      self->give_back(returned);
    });
  }
  void expire_leases(bool all = false) {
    if (!leases) return;
    std::vector<Reservation> back;
    leases->expire(clock.now(), back, all);
    give_back(back);
  }

  void beat(Duration ttl) {
    std::weak_ptr<Core> weak = weak_from_this();
    store.heartbeat(instance, ttl, [weak](Result<uint32_t> r) {
      auto self = weak.lock();
      if (!self) return;
      self->observe(r.status());
      if (r.ok()) self->live.store(std::max<uint32_t>(1, *r));
    });
  }

  void schedule_heartbeat(Clock& clock, Duration every, Duration ttl) {
    MutexLock lock(mu);
    if (heartbeat_stopped) return;
    std::weak_ptr<Core> weak = weak_from_this();
    heartbeat_timer = clock.schedule_after(every, [weak, &clock, every, ttl] {
      auto self = weak.lock();
      if (!self) return;
      self->expire_leases();
      self->beat(ttl);
      self->schedule_heartbeat(clock, every, ttl);
    });
  }

  void count(uint64_t SharedCounters::*field) {
    MutexLock lock(mu);
    ++(counters.*field);
  }

  /// Counts a failed operation and logs a health transition (once per transition).
  void observe(const Status& s) {
    const bool failed = !s.ok();
    if (failed) skip_until_ns.store((clock.now() + degraded_retry).time_since_epoch().count());
    Log l;
    {
      MutexLock lock(mu);
      if (failed) ++counters.store_errors;
      if (degraded.load() == failed) return;
      degraded.store(failed);
      ++counters.transitions;
      l = log;
    }
    if (l) {
      const std::string limits = refuse ? "rate-limited requests are refused"
                                        : "rate limits use a local share (limit / " + std::to_string(live.load()) +
                                              " live instances)";
      l(failed, failed ? "shared store unavailable (" + std::string(status_code_name(s.code())) + ": " + s.message() +
                             "): " + limits + ", hard budgets refuse, breakers stay local"
                       : "shared store available again: rate limits, budgets and breakers are shared");
    }
    if (!failed) refresh();
  }

  /// Under the lock, so that set_breaker_listener(nullptr) returns only once no call to
  /// the old listener is running (the listener must not call back into SharedState).
  void deliver(const BreakerShare& b) {
    MutexLock lock(mu);
    if (b.origin == instance || std::find(watched.begin(), watched.end(), b.endpoint) == watched.end()) return;
    if (listener) listener(b);
  }

  /// Re-reads the watched endpoints' states (pub/sub lost what was sent while away).
  void refresh() {
    std::vector<std::string> eps;
    {
      MutexLock lock(mu);
      eps = watched;
    }
    if (eps.empty()) return;
    std::weak_ptr<Core> weak = weak_from_this();
    store.read_breakers(eps, [weak](Result<std::vector<std::optional<BreakerShare>>> r) {
      auto self = weak.lock();
      if (!self || !r.ok()) return;
      for (const auto& b : *r) {
        if (b) self->deliver(*b);
      }
    });
  }
};

SharedState::SharedState(Clock& clock, SharedStore& store, SharedStateOptions options)
    : clock_(clock), store_(store), opts_(std::move(options)), local_(clock),
      core_(std::make_shared<Core>(store, clock, opts_)) {
  if (opts_.lease > Duration{0}) core_->leases = std::make_unique<detail::LeaseBook>(opts_.lease);
  std::weak_ptr<Core> weak = core_;
  store_.subscribe_breakers([weak](const BreakerShare& b) {
    if (auto self = weak.lock()) self->deliver(b);
  });
}

SharedState::~SharedState() { stop_heartbeat(); }

void SharedState::start_heartbeat(Duration every) {
  {
    MutexLock lock(core_->mu);
    core_->heartbeat_stopped = false;
  }
  core_->schedule_heartbeat(clock_, every, opts_.heartbeat_ttl);
}

void SharedState::stop_heartbeat() {
  std::optional<TimerId> t;
  {
    MutexLock lock(core_->mu);
    core_->heartbeat_stopped = true;
    t = core_->heartbeat_timer;
    core_->heartbeat_timer.reset();
  }
  if (t) clock_.cancel(*t);
}

Admission SharedState::admit(const AdmitRequest& req) {
  if (!core_->leases || !detail::LeaseBook::leasable(req)) return admit_each(req);
  const TimePoint now = clock_.now();
  std::vector<Reservation> back;
  core_->leases->expire(now, back);
  detail::LeaseBook::Taken held = core_->leases->take(req, now);
  Admission a;
  if (held.reservation) {
    core_->give_back(back);
    if (held.renew) core_->renew_lease(req);
    a.allowed = true;
    a.reservation = std::move(*held.reservation);
    return a;
  }
  core_->leases->drop(req.limits, back);
  core_->give_back(back);
  const LeaseRequest ask = core_->leases->ask(req, core_->live.load());
  Result<Lease> r = ConnectionResetError("shared store degraded: not retried yet");
  if (!core_->skip_store()) {
    r = wait_store<Lease>(clock_, [&](SharedStore::Callback<Lease> cb) { store_.lease(ask, std::move(cb)); });
    core_->observe(r.status());
  }
  if (!r.ok()) return admit_degraded(req);
  if (!r->granted) {
    a.retry_after = r->retry_after;
    a.reason = std::move(r->reason);
    return a;
  }
  back.clear();
  a.allowed = true;
  a.reservation = core_->leases->hold(req, *r, clock_.now(), back);
  core_->give_back(back);
  return a;
}

Admission SharedState::admit_each(const AdmitRequest& req) {
  Result<Admission> r = ConnectionResetError("shared store degraded: not retried yet");
  if (!core_->skip_store()) {
    r = wait_store<Admission>(clock_, [&](SharedStore::Callback<Admission> cb) { store_.admit(req, std::move(cb)); });
    core_->observe(r.status());
  }
  if (r.ok()) return std::move(*r);
  return admit_degraded(req);
}

Admission SharedState::admit_degraded(const AdmitRequest& req) {
  if (opts_.refuse_rate_limits_when_degraded) {
    core_->count(&SharedCounters::rate_limit_refused);
    Admission refused;
    refused.retry_after = std::chrono::seconds(1);
    refused.reason = "shared store unavailable (policy: refuse)";
    return refused;
  }
  core_->count(&SharedCounters::rate_limit_local);
  AdmitRequest share = req;
  const uint64_t live = std::max<uint32_t>(1, core_->live.load());
  for (auto& l : share.limits) {
    if (l.limit > 0) l.limit = std::max<uint64_t>(1, l.limit / live);
  }
  Admission a = local_.admit_now(share);
  a.reservation.local = true;
  if (!a.allowed) a.reason += " (local share: shared store unavailable)";
  return a;
}

void SharedState::return_leases() { core_->expire_leases(true); }

std::pair<uint64_t, uint64_t> SharedState::lease_credit(const std::vector<SharedLimit>& limits) const {
  return core_->leases ? core_->leases->held(limits) : std::pair<uint64_t, uint64_t>{0, 0};
}

void SharedState::reconcile(const Reservation& r, uint64_t actual_tokens) {
  if (r.local) {
    local_.reconcile_now(r, actual_tokens);
    return;
  }
  const bool concurrent = std::any_of(r.limits.begin(), r.limits.end(),
                                      [](const SharedLimit& l) { return l.kind == LimitKind::kConcurrent; });
  if (!concurrent && r.unused_requests == 0 && actual_tokens == r.reserved_tokens) return;  // nothing to correct
  if (!concurrent && core_->leases && core_->leases->absorb(r, actual_tokens, clock_.now())) return;
  core_->send_reconcile(r, actual_tokens);
}

Result<std::vector<double>> SharedState::spend(const std::vector<std::string>& scopes) {
  Result<std::vector<double>> r = ConnectionResetError("shared store degraded: not retried yet");
  if (!core_->skip_store()) {
    r = wait_store<std::vector<double>>(
        clock_, [&](SharedStore::Callback<std::vector<double>> cb) { store_.get_spend(scopes, std::move(cb)); });
    core_->observe(r.status());
  }
  if (!r.ok()) {
    core_->count(&SharedCounters::budget_refused);
    return r;
  }
  MutexLock lock(core_->mu);  // spend not yet sent counts too
  for (size_t i = 0; i < scopes.size(); ++i) {
    if (auto it = core_->unsent_spend.find(scopes[i]); it != core_->unsent_spend.end()) (*r)[i] += it->second;
  }
  return r;
}

void SharedState::add_spend(const std::string& scope, double usd) {
  double total = usd;
  {
    MutexLock lock(core_->mu);
    if (auto it = core_->unsent_spend.find(scope); it != core_->unsent_spend.end()) {
      total += it->second;
      core_->unsent_spend.erase(it);
    }
  }
  std::weak_ptr<Core> weak = core_;
  store_.add_spend(scope, total, [weak, scope, total](Result<double> r) {
    auto self = weak.lock();
    if (!self) return;
    self->observe(r.status());
    if (r.ok()) return;
    MutexLock lock(self->mu);
    self->unsent_spend[scope] += total;  // sent again with the next add
  });
}

void SharedState::publish_breaker(const std::string& endpoint, bool open, Duration open_for, Duration ttl) {
  if (core_->degraded.load()) {
    core_->count(&SharedCounters::breaker_local);
    return;
  }
  std::weak_ptr<Core> weak = core_;
  store_.publish_breaker(BreakerShare{endpoint, open, open_for, opts_.instance_id}, ttl, [weak](Result<bool> r) {
    auto self = weak.lock();
    if (!self) return;
    self->observe(r.status());
    if (!r.ok()) self->count(&SharedCounters::breaker_local);
  });
}

void SharedState::set_breaker_listener(BreakerListener l) {
  MutexLock lock(core_->mu);
  core_->listener = std::move(l);
}

void SharedState::watch_breakers(std::vector<std::string> endpoints) {
  MutexLock lock(core_->mu);
  core_->watched = std::move(endpoints);
}

void SharedState::refresh_breakers() { core_->refresh(); }

bool SharedState::claim_trial(const std::string& endpoint) {
  Result<bool> r = ConnectionResetError("shared store degraded: not retried yet");
  if (!core_->skip_store()) {
    r = wait_store<bool>(clock_, [&](SharedStore::Callback<bool> cb) {
      store_.claim_trial(endpoint, opts_.instance_id, opts_.trial_ttl, std::move(cb));
    });
    core_->observe(r.status());
  }
  if (r.ok()) return *r;
  core_->count(&SharedCounters::breaker_local);
  return true;
}

uint32_t SharedState::heartbeat() {
  core_->expire_leases();
  Result<uint32_t> r = wait_store<uint32_t>(clock_, [&](SharedStore::Callback<uint32_t> cb) {
    store_.heartbeat(opts_.instance_id, opts_.heartbeat_ttl, std::move(cb));
  });
  core_->observe(r.status());
  if (r.ok()) core_->live.store(std::max<uint32_t>(1, *r));
  return core_->live.load();
}

void SharedState::heartbeat_async() {
  core_->expire_leases();
  core_->beat(opts_.heartbeat_ttl);
}

uint32_t SharedState::live_instances() const { return core_->live.load(); }
bool SharedState::degraded() const { return core_->degraded.load(); }

SharedCounters SharedState::counters() const {
  MutexLock lock(core_->mu);
  return core_->counters;
}

void SharedState::set_log(Log log) {
  MutexLock lock(core_->mu);
  core_->log = std::move(log);
}

std::string render_shared_metrics(const SharedState& s) {
  const SharedCounters c = s.counters();
  std::string o;
  const auto metric = [&o](const char* name, const char* type, const char* help) {
    o += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  metric("ploke_shared_fallback_total", "counter",
         "Decisions taken by the failure policy while the shared store failed, by kind.");
  o += "ploke_shared_fallback_total{kind=\"rate_limit_local\"} " + std::to_string(c.rate_limit_local) + "\n";
  o += "ploke_shared_fallback_total{kind=\"rate_limit_refused\"} " + std::to_string(c.rate_limit_refused) + "\n";
  o += "ploke_shared_fallback_total{kind=\"budget_refused\"} " + std::to_string(c.budget_refused) + "\n";
  o += "ploke_shared_fallback_total{kind=\"breaker_local\"} " + std::to_string(c.breaker_local) + "\n";
  metric("ploke_shared_store_errors_total", "counter", "Shared store operations that failed (unreachable or timed out).");
  o += "ploke_shared_store_errors_total " + std::to_string(c.store_errors) + "\n";
  metric("ploke_shared_store_transitions_total", "counter", "Shared store health changes (healthy <-> degraded).");
  o += "ploke_shared_store_transitions_total " + std::to_string(c.transitions) + "\n";
  metric("ploke_shared_store_up", "gauge", "1 while the shared store answers, 0 while the failure policy applies.");
  o += std::string("ploke_shared_store_up ") + (s.degraded() ? "0" : "1") + "\n";
  metric("ploke_shared_live_instances", "gauge", "Live instances sharing the store (last heartbeat).");
  o += "ploke_shared_live_instances " + std::to_string(s.live_instances()) + "\n";
  return o;
}

}  // namespace ploke::resilience
