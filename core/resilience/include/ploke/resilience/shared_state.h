// File: ploke/resilience/shared_state.h
//
// SharedState: one instance's view of the SharedStore, with the failure policy. Every
// call is bounded by the store's own timeout (a RedisStore answers kTimeout /
// kConnectionReset rather than wait), and when the store fails:
//
//   kind         | while the store is unreachable or slow
//   -------------+-----------------------------------------------------------------
//   rate limits  | admitted by a local MemoryStore at each limit ÷ live instances
//                | (the last heartbeat's count; at least 1 of each limit), or refused
//                | (refuse_rate_limits_when_degraded)
//   hard budgets | refused: spend() returns the error, the caller refuses the request;
//                | spend added meanwhile is kept and sent with the next add
//   breakers     | stay local: publishing is skipped, claim_trial() says yes
//
// After a failure, requests skip the store for `degraded_retry` (the policy answers at
// once); heartbeats and the first request after it try again.
// Every such decision is counted (counters(), for /metrics) and the store's health is
// logged once per transition (healthy → degraded → healthy). After a recovery the shared
// breaker states are re-read (pub/sub loses what was sent while away) and handed to the
// breaker listener like published ones.
//
// Leases (SharedStateOptions::lease > 0): requests whose limits are all windows
// (kRequests, kTokens) are admitted from a local quota block instead of one store call
// each. An instance takes a lease for the request's set of limits (SharedStore::lease():
// atomic across them, counted in the current slot like admissions) and admits from its
// credit without calling the store until the credit runs out or the lease expires (one
// lease lifetime after it was granted). Once a third of the credit or a quarter of the
// lifetime is left, one request takes the next lease without waiting for the answer (a
// grant in the same slot joins the held credit, another replaces it), so under steady
// load no request waits for the store; a request that finds no credit takes one and
// waits. Size: 1.5 × the set's requests (admitted or not) in the last lease lifetime, at
// least the request's need; the store caps it at what is left in the window ÷ (2 × live
// instances), so near exhaustion leases shrink to one request and the limit stays exact.
// Unused credit is given back (a reconcile, batched by the store; a slot that left the
// window is left alone) at the first admission or heartbeat after expiry, or when a new
// lease replaces it; token corrections of requests admitted from a live lease go into its
// credit. Requests with a kConcurrent limit keep one store admission each (in-flight
// slots stay per request). A failed lease call degrades exactly as an admission does (the
// failure policy above).
//
// Margin: credit counted in slot s may be used up to one lease lifetime later (plus the
// lease call's round trip, and the 100 ms slot for credit joined in the same slot), so a
// window-long interval can see, on top of the limit, the credit the group held unused at
// its start: at most each instance's lease, about 1.5 × its rate × the lease lifetime
// (never above what was left ÷ (2 × instances)), i.e. ≈ 1.5 × lease lifetime of the
// group's traffic (0.3 s at 200 ms: 3 requests at 10 req/s). The slot window itself is
// conservative by one slot. The other way round, credit an instance holds unused is not
// available to the others until it is given back: near the limit, another instance may
// be refused for up to one lease lifetime (plus a heartbeat).
//
// Thread-safety: thread-safe.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/core/thread_annotations.h"
#include "ploke/resilience/shared_store.h"

namespace ploke::resilience {

struct SharedStateOptions {
  std::string instance_id = "instance";
  Duration heartbeat_ttl = std::chrono::seconds(3);  ///< an instance not heard of for this is gone
  Duration trial_ttl = std::chrono::seconds(10);     ///< how long a half-open trial claim holds
  /// While the store fails, rate-limited requests are refused instead of admitted by the
  /// local share ([shared] rate_limits_on_failure = "refuse").
  bool refuse_rate_limits_when_degraded = false;
  /// After a failed call, requests (admissions, budget reads, trial claims) do not try the
  /// store for this long: the failure policy answers at once, so a slow store costs each
  /// request nothing, not a timeout each. Heartbeats and reconciles still try, and the
  /// first request after the interval does; a success ends the degraded state.
  Duration degraded_retry = std::chrono::seconds(1);
  /// Lease lifetime (see "Leases" above; [shared] lease_ms); 0 = one store admission per
  /// request.
  Duration lease{0};
};

struct SharedCounters {
  uint64_t rate_limit_local = 0;   ///< admissions decided by the local share
  uint64_t rate_limit_refused = 0; ///< admissions refused by the "refuse" policy
  uint64_t budget_refused = 0;     ///< budget reads that failed (the caller refuses)
  uint64_t breaker_local = 0;      ///< breaker publishes / trial claims kept local
  uint64_t store_errors = 0;       ///< every failed store operation
  uint64_t transitions = 0;        ///< healthy ⇄ degraded changes
};

class SharedState {
 public:
  using Log = std::function<void(bool degraded, const std::string& message)>;
  using BreakerListener = std::function<void(const BreakerShare&)>;

  SharedState(Clock& clock, SharedStore& store, SharedStateOptions options);
  ~SharedState();
  SharedState(const SharedState&) = delete;
  SharedState& operator=(const SharedState&) = delete;

  /// Atomic admission on every limit; the local share when the store fails.
  Admission admit(const AdmitRequest& req);
  /// Corrects and releases an admission (does not wait for the store; nothing to send
  /// when nothing changes or a live lease takes the correction).
  void reconcile(const Reservation& r, uint64_t actual_tokens);
  /// Gives back the unused credit of every held lease now (e.g. before stopping).
  void return_leases();
  /// The credit (requests, tokens) held for a set of limits; (0, 0) without a live lease.
  std::pair<uint64_t, uint64_t> lease_credit(const std::vector<SharedLimit>& limits) const;

  /// Spend counters for budgets; an error while the store fails (refuse hard budgets).
  Result<std::vector<double>> spend(const std::vector<std::string>& scopes);
  /// Adds spend (does not wait; kept and re-sent while the store fails).
  void add_spend(const std::string& scope, double usd);

  /// Publishes this instance's breaker decision (does not wait; skipped while degraded).
  void publish_breaker(const std::string& endpoint, bool open, Duration open_for, Duration ttl);
  /// Other instances' breaker decisions (own publishes filtered out), and the re-read
  /// states after a recovery, for the endpoints named by watch_breakers(). The listener
  /// runs under SharedState's lock (it must not call back into it); once
  /// set_breaker_listener() returns, the previous listener is not running.
  void set_breaker_listener(BreakerListener l);
  void watch_breakers(std::vector<std::string> endpoints);
  /// Marks this instance live without waiting (a periodic timer's call).
  void heartbeat_async();
  /// heartbeat_async() every `every` on the Clock's timers (the first after `every`: a
  /// store that is still connecting is not reported as down), until
  /// stop_heartbeat() or destruction. For a RealClock (a repeating timer keeps a
  /// SimulatedClock from ever being idle).
  void start_heartbeat(Duration every);
  void stop_heartbeat();
  /// Reads the stored states now and hands each to the listener.
  void refresh_breakers();
  /// True when this instance may send the endpoint's half-open trial (true when degraded).
  bool claim_trial(const std::string& endpoint);

  /// Marks this instance live; returns the live count (the last known while degraded).
  uint32_t heartbeat();
  uint32_t live_instances() const;
  bool degraded() const;
  SharedCounters counters() const;
  void set_log(Log log);
  const std::string& instance_id() const { return opts_.instance_id; }

 private:
  struct Core;  // what fire-and-forget callbacks hold on to (they may outlive this object)
  Admission admit_each(const AdmitRequest& req);      // one store admission
  Admission admit_degraded(const AdmitRequest& req);  // the failure policy

  Clock& clock_;
  SharedStore& store_;
  SharedStateOptions opts_;
  MemoryStore local_;
  std::shared_ptr<Core> core_;
};

/// Prometheus text of the shared state: ploke_shared_fallback_total{kind=rate_limit_local|
/// rate_limit_refused|budget_refused|breaker_local}, ploke_shared_store_errors_total,
/// ploke_shared_store_transitions_total, ploke_shared_store_up (0 while degraded),
/// ploke_shared_live_instances.
std::string render_shared_metrics(const SharedState& s);

}  // namespace ploke::resilience
