// File: ploke/resilience/shared_store.h
//
// SharedStore: the state several gateway instances share — windowed rate limits
// (requests, tokens, concurrent requests) admitted atomically across several limits,
// spend counters for budgets, breaker state published to the other instances, a
// half-open trial claimed once across the group, and an instance heartbeat (live count).
//
// Two implementations: MemoryStore (below; on the injected Clock, for scenarios, single
// instances, tests and the local fallback of SharedState) and ploke::redis::RedisStore
// (adapters/redis: asynchronous on a ploke::net event loop). The interface is
// asynchronous: every operation reports through its callback exactly once, possibly
// before it returns (MemoryStore always does), possibly on another thread (RedisStore: on
// its loop). An operation that cannot reach the store ends with kConnectionReset
// (unreachable) or kTimeout (slower than the store's timeout), never by hanging.
// wait_store() turns one operation into a synchronous call that is correct on a fiber, on
// a thread, and on a SimulatedClock.
//
// Windows (kRequests, kTokens): 100 ms slots (kSlotMs); admission counts the slots of the
// last `window` plus the current one, so no `window`-long interval ever holds more than
// `limit` (conservative by at most one slot: 0.17 % of a minute). Tokens are reserved in the current
// slot up front and corrected by reconcile() (the slot number rides on the Reservation; a
// slot already outside the window is left alone). kConcurrent: one in-flight slot per
// request (slot_id), released by reconcile() or expired after slot_ttl, so a crashed
// instance never holds one. The check of every limit and the reservation on all of them
// happen atomically (all or nothing).
//
// Leases (lease()): a block of credit on every window limit of a request (requests and
// tokens), counted in the current slot exactly like admissions, atomically across the
// limits. SharedState admits requests from it without calling the store and gives the
// unused part back with reconcile() (Reservation::unused_requests and reserved_tokens
// against 0 actual tokens; a slot already outside the window is left alone). The store
// grants min(wanted, max(need, remaining ÷ (2 × instances))) of each kind over the limits
// of that kind, so blocks shrink to the request's need near exhaustion; a limit without
// room for the need refuses as admit() does.
//
// Thread-safety: implementations are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/core/status.h"
#include "ploke/core/thread_annotations.h"
#include "ploke/core/transport.h"

namespace ploke::resilience {

enum class LimitKind : uint8_t { kRequests, kTokens, kConcurrent };
/// The width of a window slot (the Redis script uses the same).
inline constexpr int64_t kSlotMs = 100;
std::string_view limit_kind_name(LimitKind k);  ///< "requests/min", "tokens/min", "concurrent"

struct SharedLimit {
  std::string key;  ///< scope, e.g. "provider:openai:rpm"; the store adds its own prefix
  LimitKind kind = LimitKind::kRequests;
  uint64_t limit = 0;                          ///< per window, or in-flight slots
  Duration window = std::chrono::seconds(60);  ///< whole seconds; kConcurrent ignores it
};

struct AdmitRequest {
  std::vector<SharedLimit> limits;  ///< all admitted or none
  uint64_t tokens = 0;              ///< reserved on every kTokens limit
  std::string slot_id;              ///< unique per request: its kConcurrent slot
  Duration slot_ttl = std::chrono::minutes(5);
};

/// What reconcile() needs to correct and release an admission.
struct Reservation {
  std::vector<SharedLimit> limits;
  uint64_t reserved_tokens = 0;
  int64_t slot = 0;     ///< the slot (time / kSlotMs) the tokens were reserved in
  std::string slot_id;
  bool local = false;   ///< admitted by SharedState's local fallback, not by the store
  /// Requests counted but not used (a lease's leftover): reconcile() takes them off the
  /// kRequests limits (in `slot`, if it is still in the window).
  uint64_t unused_requests = 0;
};

/// A lease: credit on window limits (kRequests, kTokens; never kConcurrent).
struct LeaseRequest {
  std::vector<SharedLimit> limits;  ///< all granted or none
  uint64_t requests = 1;            ///< credit wanted (at least 1: the asking request)
  uint64_t tokens = 0;              ///< at least need_tokens
  uint64_t need_tokens = 0;         ///< the asking request's tokens
  uint32_t instances = 1;           ///< live instances: the fair share of what is left
};

struct Lease {
  bool granted = false;
  Duration retry_after{0};  ///< when refused: as Admission::retry_after
  std::string reason;       ///< when refused: as Admission::reason
  uint64_t requests = 0;    ///< granted: ≥ 1 (the wanted count when no kRequests limit)
  uint64_t tokens = 0;      ///< granted: ≥ need_tokens (the wanted count when no kTokens limit)
  int64_t slot = 0;         ///< the slot the credit is counted in
};

struct Admission {
  bool allowed = false;
  Duration retry_after{0};  ///< when refused: until the refusing limit has room
  std::string reason;       ///< when refused: "requests/min provider:openai: 60 + 1 > 60"
  Reservation reservation;  ///< when allowed
};

/// An instance's breaker decision, as the others see it. Only kOpen and kClosed travel
/// (half-open is the trial, claimed with claim_trial()).
struct BreakerShare {
  std::string endpoint;
  bool open = false;
  Duration open_for{0};  ///< remaining open wait (kOpen)
  std::string origin;    ///< the publishing instance
};
std::string encode_breaker_share(const BreakerShare& b);             ///< "1|2500|inst-a" (no endpoint)
std::optional<BreakerShare> decode_breaker_share(std::string endpoint, std::string_view text);

class SharedStore {
 public:
  template <class T>
  using Callback = std::function<void(Result<T>)>;
  virtual ~SharedStore() = default;

  virtual void admit(AdmitRequest req, Callback<Admission> done) = 0;
  /// Counts a block of credit on every limit (all or none); see "Leases" above.
  virtual void lease(LeaseRequest req, Callback<Lease> done) = 0;
  /// Corrects the reserved tokens to `actual_tokens`, gives back `unused_requests` and
  /// releases the concurrent slot.
  virtual void reconcile(Reservation r, uint64_t actual_tokens, Callback<bool> done) = 0;
  /// Adds to a spend counter; reports the new total.
  virtual void add_spend(std::string scope, double usd, Callback<double> done) = 0;
  /// Reads spend counters (0 for an unknown one), in order.
  virtual void get_spend(std::vector<std::string> scopes, Callback<std::vector<double>> done) = 0;
  /// Stores the state (expires after `ttl`) and tells the subscribers.
  virtual void publish_breaker(BreakerShare b, Duration ttl, Callback<bool> done) = 0;
  /// The stored state of each endpoint (nullopt: none or expired), in order.
  virtual void read_breakers(std::vector<std::string> endpoints,
                             Callback<std::vector<std::optional<BreakerShare>>> done) = 0;
  /// `on_change` gets every published state (its own too: filter by origin). Messages sent
  /// while a store is disconnected are lost: read_breakers() after a reconnect.
  virtual void subscribe_breakers(std::function<void(const BreakerShare&)> on_change) = 0;
  /// True for the one instance that holds the endpoint's half-open trial: the first to ask
  /// once no claim is held, then the holder again until its claim expires after `ttl`.
  virtual void claim_trial(std::string endpoint, std::string instance, Duration ttl, Callback<bool> done) = 0;
  /// Marks `instance` live for `ttl`; reports how many instances are live.
  virtual void heartbeat(std::string instance, Duration ttl, Callback<uint32_t> done) = 0;
};

/// Runs one store operation and waits for its callback (a fiber suspends; a thread
/// blocks; a SimulatedClock runs its timers). Must not be called on the thread that must
/// deliver the callback (a RedisStore's loop thread outside a fiber of that loop).
template <class T>
Result<T> wait_store(Clock& clock, const std::function<void(SharedStore::Callback<T>)>& start) {
  struct State {
    Completion done;
    Mutex mu;
    std::optional<Result<T>> result PLOKE_GUARDED_BY(mu);
  };
  auto st = std::make_shared<State>();
  start([st](Result<T> r) {
    {
      MutexLock lock(st->mu);
      st->result.emplace(std::move(r));
    }
    st->done.notify();
  });
  if (!st->done.wait(clock)) return TimeoutError(TimeoutPhase::kTotal, "shared store: no answer");
  MutexLock lock(st->mu);
  return std::move(*st->result);
}

/// The in-memory store on the injected Clock (steady time: slots are now()'s seconds).
class MemoryStore final : public SharedStore {
 public:
  explicit MemoryStore(Clock& clock);
  ~MemoryStore() override;

  void admit(AdmitRequest req, Callback<Admission> done) override;
  void lease(LeaseRequest req, Callback<Lease> done) override;
  void reconcile(Reservation r, uint64_t actual_tokens, Callback<bool> done) override;
  void add_spend(std::string scope, double usd, Callback<double> done) override;
  void get_spend(std::vector<std::string> scopes, Callback<std::vector<double>> done) override;
  void publish_breaker(BreakerShare b, Duration ttl, Callback<bool> done) override;
  void read_breakers(std::vector<std::string> endpoints,
                     Callback<std::vector<std::optional<BreakerShare>>> done) override;
  void subscribe_breakers(std::function<void(const BreakerShare&)> on_change) override;
  void claim_trial(std::string endpoint, std::string instance, Duration ttl, Callback<bool> done) override;
  void heartbeat(std::string instance, Duration ttl, Callback<uint32_t> done) override;

  /// Synchronous admission (the store answers at once): SharedState's local fallback.
  Admission admit_now(const AdmitRequest& req);
  Lease lease_now(const LeaseRequest& req);
  void reconcile_now(const Reservation& r, uint64_t actual_tokens);

 private:
  struct State;
  Clock& clock_;
  std::unique_ptr<State> st_;
};

}  // namespace ploke::resilience
