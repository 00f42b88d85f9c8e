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
  struct Taken {
    std::optional<Reservation> reservation;  ///< admitted from the held lease
    bool renew = false;  ///< this caller should take the next lease now, without waiting (renewed())
  };
  /// Counts the request for the rate and admits it from the held lease of its limit set
  /// when that is live and has the credit (no store call). Once a third of the credit is
  /// left or a quarter of the lifetime, one caller is asked to renew it ahead of time, so
  /// that under steady load no request waits for the store.
  Taken take(const AdmitRequest& req, TimePoint now);
  /// The lease to ask for: about 1.5 × the set's admissions in one lifetime, at least the
  /// request's need.
  LeaseRequest ask(const AdmitRequest& req, uint32_t instances) const;
  /// Gives up the set's held lease (its leftover goes to `give_back`).
  void drop(const std::vector<SharedLimit>& limits, std::vector<Reservation>& give_back);
  /// Holds a granted lease minus the request's need (merged with a lease taken in the
  /// same slot meanwhile; any other held one is given back). The request's reservation,
  /// counted in the lease's slot.
  Reservation hold(const AdmitRequest& req, const Lease& l, TimePoint now, std::vector<Reservation>& give_back);
  /// The answer to a renewal take() asked for: the lease (null when refused or failed)
  /// joins or replaces the held one.
  void renewed(const std::vector<SharedLimit>& limits, const Lease* l, TimePoint now,
               std::vector<Reservation>& give_back);
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
    bool renewing = false;                            // a renewal is on its way
    uint64_t grant_requests = 0, grant_tokens = 0;    // the last grant's size
    // The admission rate: counts in the current and the previous lifetime-long period.
    TimePoint period_start{};
    uint64_t cur_requests = 0, cur_tokens = 0, prev_requests = 0, prev_tokens = 0;
  };
  static std::string set_key(const std::vector<SharedLimit>& limits);
  void note(Held& h, uint64_t tokens, TimePoint now) const;
  static void give_up(Held& h, std::vector<Reservation>& give_back);
  /// Adds a granted lease's credit to the set (see hold()).
  void install(Held& h, const std::vector<SharedLimit>& limits, const Lease& l, uint64_t requests, uint64_t tokens,
               TimePoint now, std::vector<Reservation>& give_back) const;

  const Duration lifetime_;
  mutable Mutex mu_;
  std::map<std::string, Held, std::less<>> sets_ PLOKE_GUARDED_BY(mu_);
};

}  // namespace ploke::resilience::detail
