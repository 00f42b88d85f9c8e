// Private to SharedState: the leases (local quota blocks) one instance holds, one per set of
// window limits, and the admission rate that sizes the next lease (see shared_state.h,
// "Leases"). Bookkeeping only: the caller talks to the store.
//
// Thread-safety: thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ploke/core/thread_annotations.h"
#include "ploke/resilience/shared_store.h"

namespace ploke::resilience::detail {

class LeaseBook {
 public:
  explicit LeaseBook(Duration lifetime) : lifetime_(lifetime) {}

  /// True for a request leases apply to: window limits only (no kConcurrent), at least one.
  static bool leasable(const AdmitRequest& req);
  /// Counts the request for the rate and admits it from the held lease of its limit set
  /// when that is live and has the credit: the reservation (no store call), or nullopt.
  std::optional<Reservation> take(const AdmitRequest& req, TimePoint now);
  /// The lease to ask for: about 1.5 × the set's admissions in one lifetime, at least the
  /// request's need. The set's held lease is given up (its leftover goes to `give_back`).
  LeaseRequest next(const AdmitRequest& req, uint32_t instances, std::vector<Reservation>& give_back);
  /// Holds a granted lease minus the request's need (merged with a lease another thread
  /// took in the same slot meanwhile; any other held one is given back). The request's
  /// reservation, counted in the lease's slot.
  Reservation hold(const AdmitRequest& req, const Lease& l, TimePoint now, std::vector<Reservation>& give_back);
  /// Gives up expired leases (every lease when `all`).
  void expire(TimePoint now, std::vector<Reservation>& give_back, bool all = false);
  /// Takes a token correction of a reservation admitted from a live held lease into that
  /// lease's credit (same slot). False when the store must apply it.
  bool absorb(const Reservation& r, uint64_t actual_tokens, TimePoint now);
  /// Credit held for the request's limit set (requests, tokens): for tests.
  std::pair<uint64_t, uint64_t> held(const std::vector<SharedLimit>& limits) const;

 private:
  struct Held {
    std::vector<SharedLimit> limits;
    bool has_requests = false, has_tokens = false;  // credit of a kind without a limit is unbounded
    uint64_t requests = 0, tokens = 0;              // credit left
    int64_t slot = 0;
    TimePoint expires{};
    bool live = false;
    // The admission rate: counts in the current and the previous lifetime-long period.
    TimePoint period_start{};
    uint64_t cur_requests = 0, cur_tokens = 0, prev_requests = 0, prev_tokens = 0;
  };
  static std::string set_key(const std::vector<SharedLimit>& limits);
  void note(Held& h, uint64_t tokens, TimePoint now) const;
  static void give_up(Held& h, std::vector<Reservation>& give_back);

  const Duration lifetime_;
  mutable Mutex mu_;
  std::map<std::string, Held, std::less<>> sets_ PLOKE_GUARDED_BY(mu_);
};

}  // namespace ploke::resilience::detail
