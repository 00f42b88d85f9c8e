// TestStore: a SharedStore over a MemoryStore that counts every call and fails them all
// (kConnectionReset, like an unreachable Redis) while `down`; request and limit helpers.
// For the shared-state tests.
#pragma once

#include <map>
#include <string>

#include "ploke/resilience/shared_store.h"

namespace ploke::resilience::testing {

inline AdmitRequest req(std::vector<SharedLimit> limits, uint64_t tokens = 0, std::string slot = "r") {
  return AdmitRequest{std::move(limits), tokens, std::move(slot), std::chrono::minutes(5)};
}
inline SharedLimit rpm(uint64_t n) { return {"p:rpm", LimitKind::kRequests, n, std::chrono::seconds(60)}; }
inline SharedLimit tpm(uint64_t n) { return {"p:tpm", LimitKind::kTokens, n, std::chrono::seconds(60)}; }
inline SharedLimit conc(uint64_t n) { return {"p:conc", LimitKind::kConcurrent, n, std::chrono::seconds(60)}; }

class TestStore final : public SharedStore {
 public:
  explicit TestStore(Clock& clock) : mem(clock) {}
  MemoryStore mem;
  bool down = false;
  std::map<std::string, int> calls;  ///< by operation: "admit", "lease", "reconcile", …
  std::vector<Lease> granted;        ///< every lease granted, in order

  void admit(AdmitRequest r, Callback<Admission> cb) override {
    if (!fail("admit", cb)) mem.admit(std::move(r), cb);
  }
  void lease(LeaseRequest r, Callback<Lease> cb) override {
    if (fail("lease", cb)) return;
    Lease l = mem.lease_now(r);
    if (l.granted) granted.push_back(l);
    cb(std::move(l));
  }
  void reconcile(Reservation r, uint64_t t, Callback<bool> cb) override {
    if (!fail("reconcile", cb)) mem.reconcile(std::move(r), t, cb);
  }
  void add_spend(std::string s, double u, Callback<double> cb) override {
    if (!fail("add_spend", cb)) mem.add_spend(std::move(s), u, cb);
  }
  void get_spend(std::vector<std::string> s, Callback<std::vector<double>> cb) override {
    if (!fail("get_spend", cb)) mem.get_spend(std::move(s), cb);
  }
  void publish_breaker(BreakerShare b, Duration ttl, Callback<bool> cb) override {
    if (!fail("publish_breaker", cb)) mem.publish_breaker(std::move(b), ttl, cb);
  }
  void read_breakers(std::vector<std::string> e, Callback<std::vector<std::optional<BreakerShare>>> cb) override {
    if (!fail("read_breakers", cb)) mem.read_breakers(std::move(e), cb);
  }
  void subscribe_breakers(std::function<void(const BreakerShare&)> f) override { mem.subscribe_breakers(f); }
  void claim_trial(std::string e, std::string i, Duration ttl, Callback<bool> cb) override {
    if (!fail("claim_trial", cb)) mem.claim_trial(std::move(e), std::move(i), ttl, cb);
  }
  void heartbeat(std::string i, Duration ttl, Callback<uint32_t> cb) override {
    if (!fail("heartbeat", cb)) mem.heartbeat(std::move(i), ttl, cb);
  }

 private:
  template <class T>
  bool fail(const char* op, Callback<T>& cb) {
    ++calls[op];
    if (down) cb(ConnectionResetError("store down"));
    return down;
  }
};

}  // namespace ploke::resilience::testing
