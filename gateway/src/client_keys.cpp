// ClientAuth: the gateway's client keys. See ploke/gateway/client_keys.h.
#include "ploke/gateway/client_keys.h"

#include <openssl/crypto.h>
#include "ploke/adapters/digest.h"

#include <algorithm>
#include <cstdio>

namespace ploke::gateway {
namespace {

constexpr std::string_view kKeyPrefix = "sk-ploke-";
constexpr std::string_view kAuthText = "Authentication Error";
constexpr std::string_view kModelText = "key not allowed to access model";
constexpr std::string_view kRateText = "Rate limit exceeded for this key";
constexpr Duration kMinute = std::chrono::seconds(60);

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    const char a = s[i] >= 'A' && s[i] <= 'Z' ? static_cast<char>(s[i] - 'A' + 'a') : s[i];
    if (a != prefix[i]) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool same_hash(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string usd(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.6f", v);
  return b;
}

std::shared_ptr<const KeyGrant> master_grant() {
  auto g = std::make_shared<KeyGrant>();
  g->master = true;
  return g;
}

}  // namespace

std::string hash_client_key(std::string_view key) { return adapters::sha256_hex(key); }

std::string format_client_key(std::span<const uint8_t> random) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string key(kKeyPrefix);
  for (uint8_t b : random) key += kAlphabet[b & 63];
  return key;
}

std::string client_key_prefix(std::string_view key) {
  const size_t shown = key.rfind(kKeyPrefix, 0) == 0 ? kKeyPrefix.size() + 4 : 4;
  return std::string(key.substr(0, std::min(shown, key.size() / 2))) + "\xE2\x80\xA6";  // "…"
}

std::string_view presented_key(const Headers& headers) {
  if (auto a = headers.get("authorization")) {
    std::string_view v = trim(*a);
    if (iequals_prefix(v, "bearer ")) return trim(v.substr(7));
  }
  if (auto k = headers.get("x-api-key")) return trim(*k);
  return {};
}

ClientAuth::ClientAuth(ledger::Ledger* store, Clock& clock, ClientAuthOptions options)
    : store_(store), clock_(clock), opts_(std::move(options)),
      master_hash_(opts_.master_key.empty() ? std::string() : hash_client_key(opts_.master_key.reveal())),
      master_grant_(master_grant()) {}

Status ClientAuth::load() {
  MutexLock r(reload_mu_);
  return read_store();
}

// Re-reads the keys when the store's generation moved. A key's spend is read from the
// store the first time its id is seen; after that this process adds to it (add_spend()).
Status ClientAuth::read_store() {
  if (store_ == nullptr) return Status::Ok();
  auto gen = store_->client_keys_generation();
  if (!gen.ok()) return gen.status();
  if (*gen == generation_) return Status::Ok();
  auto keys = store_->client_keys();
  if (!keys.ok()) return keys.status();
  std::unordered_map<std::string, Entry> map;
  for (const auto& k : *keys) {
    auto g = std::make_shared<const KeyGrant>(KeyGrant{k.id, false, k.models});
    map.emplace(k.hash, Entry{std::move(g), k.max_budget_usd, k.rpm, k.revoked_at.has_value()});
  }
  MutexLock lk(mu_);
  by_hash_.swap(map);
  for (const auto& k : *keys) {
    if (auto [it, fresh] = usage_.try_emplace(k.id); fresh) it->second.spend_usd = k.spend_usd;
  }
  generation_ = *gen;
  return Status::Ok();
}

// At most once per reload_interval (the first request after it polls; the others go on).
// A store that cannot be read keeps the keys already loaded.
void ClientAuth::maybe_reload() {
  if (store_ == nullptr) return;
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.now().time_since_epoch()).count();
  if (now < next_poll_ns_.load(std::memory_order_relaxed)) return;
  if (!reload_mu_.try_lock()) return;
  next_poll_ns_.store(now + std::chrono::duration_cast<std::chrono::nanoseconds>(opts_.reload_interval).count(),
                      std::memory_order_relaxed);
  (void)read_store();
  reload_mu_.unlock();
}

size_t ClientAuth::usable_keys() const {
  MutexLock lk(mu_);
  const auto active = std::count_if(by_hash_.begin(), by_hash_.end(), [](const auto& kv) { return !kv.second.revoked; });
  return static_cast<size_t>(active) + (master_hash_.empty() ? 0 : 1);
}

Result<std::shared_ptr<const KeyGrant>> ClientAuth::admit(const Headers& headers) {
  maybe_reload();
  const std::string_view key = presented_key(headers);
  if (key.empty()) {
    return AuthError(std::string(kAuthText) + ": no API key passed in (send `Authorization: Bearer <key>` or `x-api-key: <key>`).");
  }
  const std::string h = hash_client_key(key);
  if (!master_hash_.empty() && same_hash(h, master_hash_)) return master_grant_;
  std::shared_ptr<const KeyGrant> grant;
  uint32_t rpm = 0;
  {
    MutexLock lk(mu_);
    auto it = by_hash_.find(h);
    if (it == by_hash_.end()) return AuthError(std::string(kAuthText) + ": invalid API key.");
    if (it->second.revoked) return AuthError(std::string(kAuthText) + ": this API key has been revoked.");
    if (opts_.shared == nullptr) {
      PLOKE_RETURN_IF_ERROR(limits(it->second, usage_[it->second.grant->id], clock_.now()));
      return it->second.grant;
    }
    PLOKE_RETURN_IF_ERROR(budget(it->second, usage_[it->second.grant->id]));
    grant = it->second.grant;
    rpm = it->second.rpm.value_or(0);
  }
  if (rpm > 0) PLOKE_RETURN_IF_ERROR(shared_rpm(*grant, rpm));
  return grant;
}

Status ClientAuth::budget(const Entry& e, const Usage& u) const {
  if (e.max_budget_usd && u.spend_usd >= *e.max_budget_usd) {
    return InvalidRequestError("Budget has been exceeded! Current cost: " + usd(u.spend_usd) +
                               ", Max budget: " + usd(*e.max_budget_usd));
  }
  return Status::Ok();
}

Status ClientAuth::shared_rpm(const KeyGrant& grant, uint32_t rpm) {
  resilience::AdmitRequest req;
  req.limits.push_back({"client:" + grant.id + ":rpm", resilience::LimitKind::kRequests, rpm, kMinute});
  const resilience::Admission a = opts_.shared->admit(req);
  if (a.allowed) return Status::Ok();
  return RateLimitedError(std::string(kRateText) + ": " + std::to_string(rpm) + " requests per minute (rpm_limit).")
      .with_retry_after(std::chrono::ceil<std::chrono::milliseconds>(a.retry_after));
}

// The key's budget, then its rate: a sliding minute holding at most rpm admitted requests
// (a ring of their times; the oldest slot is reused once it is a minute old).
Status ClientAuth::limits(const Entry& e, Usage& u, TimePoint now) {
  PLOKE_RETURN_IF_ERROR(budget(e, u));
  if (!e.rpm || *e.rpm == 0) return Status::Ok();
  if (u.window.size() < *e.rpm) {
    u.window.push_back(now);
    return Status::Ok();
  }
  TimePoint& oldest = u.window[u.head % u.window.size()];
  if (now - oldest < kMinute) {
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(oldest + kMinute - now);
    return RateLimitedError(std::string(kRateText) + ": " + std::to_string(*e.rpm) +
                            " requests per minute (rpm_limit).")
        .with_retry_after(wait);
  }
  oldest = now;
  u.head = (u.head + 1) % u.window.size();
  return Status::Ok();
}

Status ClientAuth::admit_admin(const Headers& headers) {
  const std::string_view key = presented_key(headers);
  if (master_hash_.empty()) return AuthError(std::string(kAuthText) + ": operator routes need the master key, and none is set.");
  if (key.empty() || !same_hash(hash_client_key(key), master_hash_)) {
    return AuthError(std::string(kAuthText) + ": operator routes need the master key.");
  }
  return Status::Ok();
}

Status ClientAuth::check_model(const KeyGrant& grant, std::string_view model) {
  if (grant.master || grant.models.empty()) return Status::Ok();
  if (std::find(grant.models.begin(), grant.models.end(), model) != grant.models.end()) return Status::Ok();
  std::string allowed;
  for (const auto& m : grant.models) allowed += (allowed.empty() ? "" : ", ") + m;
  return PermissionError(std::string(kModelText) + ". This key can only access models=[" + allowed +
                         "]. Tried to access " + std::string(model));
}

bool ClientAuth::is_refusal(const Status& st) {
  if (!st.provider().empty() || st.http_status() != 0) return false;
  const std::string& m = st.message();
  switch (st.code()) {
    case StatusCode::kAuth: return m.rfind(kAuthText, 0) == 0;
    case StatusCode::kPermission: return m.rfind(kModelText, 0) == 0;
    case StatusCode::kRateLimited: return m.rfind(kRateText, 0) == 0;
    default: return false;
  }
}

void ClientAuth::add_spend(std::string_view key_id, double usd_spent) {
  if (key_id.empty() || !(usd_spent > 0)) return;
  MutexLock lk(mu_);
  usage_[std::string(key_id)].spend_usd += usd_spent;
}

double ClientAuth::spend(std::string_view key_id) const {
  MutexLock lk(mu_);
  auto it = usage_.find(std::string(key_id));
  return it == usage_.end() ? 0 : it->second.spend_usd;
}

}  // namespace ploke::gateway
