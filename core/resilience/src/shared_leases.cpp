// LeaseBook: SharedState's held leases and their sizing (see shared_leases.h).
#include "shared_leases.h"

#include <algorithm>

namespace ploke::resilience::detail {

bool LeaseBook::leasable(const AdmitRequest& req) {
  return !req.limits.empty() && std::none_of(req.limits.begin(), req.limits.end(), [](const SharedLimit& l) {
    return l.kind == LimitKind::kConcurrent;
  });
}

std::string LeaseBook::set_key(const std::vector<SharedLimit>& limits) {
  std::string k;
  for (const auto& l : limits) {
    k += l.key;
    k += '|';
    k += std::to_string(static_cast<int>(l.kind)) + "|" + std::to_string(l.limit) + "|" +
         std::to_string(std::chrono::duration_cast<std::chrono::seconds>(l.window).count()) + "\n";
  }
  return k;
}

void LeaseBook::note(Held& h, uint64_t tokens, TimePoint now) const {
  if (now >= h.period_start + lifetime_) {
    const bool next = now < h.period_start + 2 * lifetime_;
    h.prev_requests = next ? h.cur_requests : 0;
    h.prev_tokens = next ? h.cur_tokens : 0;
    h.cur_requests = h.cur_tokens = 0;
    h.period_start = next ? h.period_start + lifetime_ : now;
  }
  ++h.cur_requests;
  h.cur_tokens += tokens;
}

void LeaseBook::give_up(Held& h, std::vector<Reservation>& give_back) {
  if (!h.live) return;
  h.live = false;
  const uint64_t requests = h.has_requests ? h.requests : 0, tokens = h.has_tokens ? h.tokens : 0;
  if (requests == 0 && tokens == 0) return;
  Reservation r;
  r.limits = h.limits;
  r.reserved_tokens = tokens;  // reconciled against 0 actual tokens
  r.slot = h.slot;
  r.unused_requests = requests;
  give_back.push_back(std::move(r));
}

LeaseBook::Taken LeaseBook::take(const AdmitRequest& req, TimePoint now) {
  MutexLock lock(mu_);
  Held& h = sets_[set_key(req.limits)];
  note(h, req.tokens, now);
  Taken out;
  if (!h.live || now >= h.expires) return out;
  if ((h.has_requests && h.requests < 1) || (h.has_tokens && h.tokens < req.tokens)) return out;
  if (h.has_requests) --h.requests;
  if (h.has_tokens) h.tokens -= req.tokens;
  out.reservation = Reservation{req.limits, req.tokens, h.slot, req.slot_id, false, 0};
  const bool low = (h.has_requests && h.requests * 3 < h.grant_requests) || (h.has_tokens && h.tokens * 3 < h.grant_tokens);
  const bool late = now + lifetime_ / 4 >= h.expires;
  if (!h.renewing && h.grant_requests > 1 && (low || late)) out.renew = h.renewing = true;
  return out;
}

LeaseRequest LeaseBook::ask(const AdmitRequest& req, uint32_t instances) const {
  MutexLock lock(mu_);
  uint64_t rate_requests = 0, rate_tokens = 0;
  if (auto it = sets_.find(set_key(req.limits)); it != sets_.end()) {
    rate_requests = std::max(it->second.prev_requests, it->second.cur_requests);
    rate_tokens = std::max(it->second.prev_tokens, it->second.cur_tokens);
  }
  LeaseRequest out;
  out.limits = req.limits;
  out.need_tokens = req.tokens;
  out.instances = std::max<uint32_t>(1, instances);
  out.requests = std::max<uint64_t>(1, (rate_requests * 3 + 1) / 2);
  out.tokens = std::max(req.tokens, (rate_tokens * 3 + 1) / 2);
  return out;
}

void LeaseBook::drop(const std::vector<SharedLimit>& limits, std::vector<Reservation>& give_back) {
  MutexLock lock(mu_);
  if (auto it = sets_.find(set_key(limits)); it != sets_.end()) give_up(it->second, give_back);
}

void LeaseBook::install(Held& h, const std::vector<SharedLimit>& limits, const Lease& l, uint64_t requests,
                        uint64_t tokens, TimePoint now, std::vector<Reservation>& give_back) const {
  if (h.live && (h.slot != l.slot || now >= h.expires)) give_up(h, give_back);
  if (h.live) {  // a lease taken in the same slot meanwhile: one block
    h.requests += requests;
    h.tokens += tokens;
  } else {
    const auto has = [&](LimitKind k) {
      return std::any_of(limits.begin(), limits.end(), [k](const SharedLimit& s) { return s.kind == k; });
    };
    h.limits = limits;
    h.has_requests = has(LimitKind::kRequests);
    h.has_tokens = has(LimitKind::kTokens);
    h.requests = requests;
    h.tokens = tokens;
    h.slot = l.slot;
    h.live = true;
  }
  h.grant_requests = l.requests;
  h.grant_tokens = l.tokens;
  h.expires = now + lifetime_;
}

Reservation LeaseBook::hold(const AdmitRequest& req, const Lease& l, TimePoint now,
                            std::vector<Reservation>& give_back) {
  const uint64_t requests = l.requests > 0 ? l.requests - 1 : 0;
  const uint64_t tokens = l.tokens > req.tokens ? l.tokens - req.tokens : 0;
  MutexLock lock(mu_);
  install(sets_[set_key(req.limits)], req.limits, l, requests, tokens, now, give_back);
  return Reservation{req.limits, req.tokens, l.slot, req.slot_id, false, 0};
}

void LeaseBook::renewed(const std::vector<SharedLimit>& limits, const Lease* l, TimePoint now,
                        std::vector<Reservation>& give_back) {
  MutexLock lock(mu_);
  Held& h = sets_[set_key(limits)];
  h.renewing = false;
  if (l) install(h, limits, *l, l->requests, l->tokens, now, give_back);
}

void LeaseBook::expire(TimePoint now, std::vector<Reservation>& give_back, bool all) {
  MutexLock lock(mu_);
  for (auto& [key, h] : sets_) {
    if (h.live && (all || now >= h.expires)) give_up(h, give_back);
  }
}

bool LeaseBook::absorb(const Reservation& r, uint64_t actual_tokens, TimePoint now) {
  if (r.unused_requests != 0 || r.local) return false;
  MutexLock lock(mu_);
  auto it = sets_.find(set_key(r.limits));
  if (it == sets_.end()) return false;
  Held& h = it->second;
  if (!h.live || !h.has_tokens || h.slot != r.slot || now >= h.expires) return false;
  if (actual_tokens <= r.reserved_tokens) {
    h.tokens += r.reserved_tokens - actual_tokens;  // unused tokens go back into the credit
    return true;
  }
  const uint64_t over = actual_tokens - r.reserved_tokens;
  if (h.tokens < over) return false;
  h.tokens -= over;  // the overrun comes out of the credit already counted
  return true;
}

std::pair<uint64_t, uint64_t> LeaseBook::held(const std::vector<SharedLimit>& limits) const {
  MutexLock lock(mu_);
  auto it = sets_.find(set_key(limits));
  if (it == sets_.end() || !it->second.live) return {0, 0};
  return {it->second.requests, it->second.tokens};
}

}  // namespace ploke::resilience::detail
