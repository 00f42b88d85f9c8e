// MemoryStore: SharedStore in memory on the injected Clock (see shared_store.h). The same
// windows and rules as the Redis script (adapters/redis/src/script.lua).
#include <algorithm>
#include <charconv>
#include <map>

#include "ploke/resilience/shared_store.h"

namespace ploke::resilience {

std::string_view limit_kind_name(LimitKind k) {
  switch (k) {
    case LimitKind::kRequests: return "requests/min";
    case LimitKind::kTokens: return "tokens/min";
    case LimitKind::kConcurrent: return "concurrent";
  }
  return "?";
}

std::string encode_breaker_share(const BreakerShare& b) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(b.open_for).count();
  return std::string(b.open ? "1|" : "0|") + std::to_string(ms) + "|" + b.origin;
}

std::optional<BreakerShare> decode_breaker_share(std::string endpoint, std::string_view text) {
  if (text.size() < 4 || (text[0] != '0' && text[0] != '1') || text[1] != '|') return std::nullopt;
  const size_t bar = text.find('|', 2);
  if (bar == std::string_view::npos) return std::nullopt;
  int64_t ms = 0;
  auto [p, ec] = std::from_chars(text.data() + 2, text.data() + bar, ms);
  if (ec != std::errc() || p != text.data() + bar) return std::nullopt;
  BreakerShare b;
  b.endpoint = std::move(endpoint);
  b.open = text[0] == '1';
  b.open_for = std::chrono::milliseconds(ms);
  b.origin = std::string(text.substr(bar + 1));
  return b;
}

namespace {
int64_t slot_of(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() / kSlotMs;
}
int64_t window_slots(const SharedLimit& l) {
  return std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::seconds>(l.window).count()) * 1000 / kSlotMs;
}
}  // namespace

struct MemoryStore::State {
  mutable Mutex mu;
  std::map<std::string, std::map<int64_t, int64_t>, std::less<>> windows PLOKE_GUARDED_BY(mu);
  std::map<std::string, std::map<std::string, TimePoint>, std::less<>> slots PLOKE_GUARDED_BY(mu);
  std::map<std::string, double, std::less<>> spend PLOKE_GUARDED_BY(mu);
  std::map<std::string, std::pair<BreakerShare, TimePoint>, std::less<>> breakers PLOKE_GUARDED_BY(mu);
  std::map<std::string, std::pair<std::string, TimePoint>, std::less<>> trials PLOKE_GUARDED_BY(mu);
  std::map<std::string, TimePoint, std::less<>> instances PLOKE_GUARDED_BY(mu);
  std::vector<std::function<void(const BreakerShare&)>> subscribers PLOKE_GUARDED_BY(mu);

  /// What window limit `l` counts now (slots that left the window are dropped).
  int64_t window_used(const SharedLimit& l, TimePoint now) PLOKE_REQUIRES(mu) {
    auto& w = windows[l.key];
    w.erase(w.begin(), w.lower_bound(slot_of(now) - window_slots(l)));
    int64_t used = 0;
    for (const auto& kv : w) used += kv.second;
    return used;
  }

  /// The refusal of limit `l` for a request that needs `need`, or nullopt when it fits.
  std::optional<Admission> check(const SharedLimit& l, uint64_t need, TimePoint now, const AdmitRequest& req)
      PLOKE_REQUIRES(mu) {
    if (l.limit == 0) return std::nullopt;  // unlimited
    Admission a;
    const auto over = [&](int64_t used) {
      a.reason = std::string(limit_kind_name(l.kind)) + " " + l.key + ": " + std::to_string(used) + " + " +
                 std::to_string(need) + " > " + std::to_string(l.limit);
    };
    if (l.kind == LimitKind::kConcurrent) {
      auto& s = slots[l.key];
      std::erase_if(s, [&](const auto& kv) { return kv.second <= now; });
      if (s.size() + 1 <= l.limit || s.count(req.slot_id)) return std::nullopt;
      TimePoint first = s.begin()->second;
      for (const auto& kv : s) first = std::min(first, kv.second);
      over(static_cast<int64_t>(s.size()));
      a.retry_after = first - now;
      return a;
    }
    auto& w = windows[l.key];
    const int64_t used = window_used(l, now);
    if (used + static_cast<int64_t>(need) <= static_cast<int64_t>(l.limit)) return std::nullopt;
    over(used);
    a.retry_after = l.window;
    int64_t freed = used;
    for (const auto& [slot, v] : w) {  // oldest first: when does enough leave the window?
      freed -= v;
      if (freed + static_cast<int64_t>(need) <= static_cast<int64_t>(l.limit)) {
        a.retry_after = std::chrono::milliseconds((slot + window_slots(l) + 1) * kSlotMs) - now.time_since_epoch();
        break;
      }
    }
    return a;
  }
};

MemoryStore::MemoryStore(Clock& clock) : clock_(clock), st_(std::make_unique<State>()) {}
MemoryStore::~MemoryStore() = default;

Admission MemoryStore::admit_now(const AdmitRequest& req) {
  const TimePoint now = clock_.now();
  MutexLock lock(st_->mu);
  for (const auto& l : req.limits) {
    const uint64_t need = l.kind == LimitKind::kTokens ? req.tokens : 1;
    if (auto refused = st_->check(l, need, now, req)) return std::move(*refused);
  }
  Admission a;
  a.allowed = true;
  a.reservation = {req.limits, req.tokens, slot_of(now), req.slot_id, false};
  for (const auto& l : req.limits) {
    if (l.kind == LimitKind::kConcurrent) {
      st_->slots[l.key][req.slot_id] = now + req.slot_ttl;
    } else {
      st_->windows[l.key][a.reservation.slot] += l.kind == LimitKind::kTokens ? static_cast<int64_t>(req.tokens) : 1;
    }
  }
  return a;
}

Lease MemoryStore::lease_now(const LeaseRequest& req) {
  const TimePoint now = clock_.now();
  const uint64_t share = 2 * std::max<uint64_t>(1, req.instances);
  Lease out;
  uint64_t requests = std::max<uint64_t>(1, req.requests), tokens = std::max(req.tokens, req.need_tokens);
  MutexLock lock(st_->mu);
  AdmitRequest probe{{}, req.need_tokens, "", {}};
  for (const auto& l : req.limits) {
    if (l.kind == LimitKind::kConcurrent) continue;  // not leased
    const bool is_tokens = l.kind == LimitKind::kTokens;
    const uint64_t need = is_tokens ? req.need_tokens : 1;
    if (auto refused = st_->check(l, need, now, probe)) {
      out.retry_after = refused->retry_after;
      out.reason = std::move(refused->reason);
      return out;
    }
    if (l.limit == 0) continue;
    const uint64_t left = l.limit - static_cast<uint64_t>(st_->window_used(l, now));
    uint64_t& grant = is_tokens ? tokens : requests;
    grant = std::min(grant, std::max(need, left / share));
  }
  out.granted = true;
  out.requests = requests;
  out.tokens = tokens;
  out.slot = slot_of(now);
  for (const auto& l : req.limits) {
    if (l.kind == LimitKind::kConcurrent) continue;
    st_->windows[l.key][out.slot] += static_cast<int64_t>(l.kind == LimitKind::kTokens ? out.tokens : out.requests);
  }
  return out;
}

void MemoryStore::reconcile_now(const Reservation& r, uint64_t actual_tokens) {
  MutexLock lock(st_->mu);
  for (const auto& l : r.limits) {
    if (l.kind == LimitKind::kConcurrent) {
      st_->slots[l.key].erase(r.slot_id);
      continue;
    }
    const int64_t delta = l.kind == LimitKind::kTokens
                              ? static_cast<int64_t>(actual_tokens) - static_cast<int64_t>(r.reserved_tokens)
                              : -static_cast<int64_t>(r.unused_requests);
    if (delta == 0) continue;
    auto& w = st_->windows[l.key];
    if (auto it = w.find(r.slot); it != w.end()) it->second += delta;
  }
}

void MemoryStore::admit(AdmitRequest req, Callback<Admission> done) { done(admit_now(req)); }

void MemoryStore::lease(LeaseRequest req, Callback<Lease> done) { done(lease_now(req)); }

void MemoryStore::reconcile(Reservation r, uint64_t actual_tokens, Callback<bool> done) {
  reconcile_now(r, actual_tokens);
  done(true);
}

void MemoryStore::add_spend(std::string scope, double usd, Callback<double> done) {
  double total = 0;
  {
    MutexLock lock(st_->mu);
    total = st_->spend[scope] += usd;
  }
  done(total);
}

void MemoryStore::get_spend(std::vector<std::string> scopes, Callback<std::vector<double>> done) {
  std::vector<double> out;
  {
    MutexLock lock(st_->mu);
    for (const auto& s : scopes) {
      auto it = st_->spend.find(s);
      out.push_back(it == st_->spend.end() ? 0.0 : it->second);
    }
  }
  done(std::move(out));
}

void MemoryStore::publish_breaker(BreakerShare b, Duration ttl, Callback<bool> done) {
  std::vector<std::function<void(const BreakerShare&)>> subs;
  {
    MutexLock lock(st_->mu);
    st_->breakers[b.endpoint] = {b, clock_.now() + ttl};
    subs = st_->subscribers;
  }
  for (const auto& s : subs) s(b);
  done(true);
}

void MemoryStore::read_breakers(std::vector<std::string> endpoints,
                                Callback<std::vector<std::optional<BreakerShare>>> done) {
  std::vector<std::optional<BreakerShare>> out;
  const TimePoint now = clock_.now();
  {
    MutexLock lock(st_->mu);
    for (const auto& e : endpoints) {
      auto it = st_->breakers.find(e);
      if (it == st_->breakers.end() || it->second.second <= now) {
        out.emplace_back();
      } else {
        out.emplace_back(it->second.first);
      }
    }
  }
  done(std::move(out));
}

void MemoryStore::subscribe_breakers(std::function<void(const BreakerShare&)> on_change) {
  MutexLock lock(st_->mu);
  st_->subscribers.push_back(std::move(on_change));
}

void MemoryStore::claim_trial(std::string endpoint, std::string instance, Duration ttl, Callback<bool> done) {
  const TimePoint now = clock_.now();
  bool won = false;
  {
    MutexLock lock(st_->mu);
    auto it = st_->trials.find(endpoint);
    if (it == st_->trials.end() || it->second.second <= now) {
      st_->trials[endpoint] = {instance, now + ttl};
      won = true;
    } else {
      won = it->second.first == instance;  // the holder keeps its claim until it expires
    }
  }
  done(won);
}

void MemoryStore::heartbeat(std::string instance, Duration ttl, Callback<uint32_t> done) {
  const TimePoint now = clock_.now();
  uint32_t live = 0;
  {
    MutexLock lock(st_->mu);
    st_->instances[instance] = now + ttl;
    std::erase_if(st_->instances, [&](const auto& kv) { return kv.second <= now; });
    live = static_cast<uint32_t>(st_->instances.size());
  }
  done(live);
}

}  // namespace ploke::resilience
