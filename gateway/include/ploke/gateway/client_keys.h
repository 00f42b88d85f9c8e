// File: ploke/gateway/client_keys.h
//
// Client authentication with keys the gateway issues (LiteLLM-style virtual keys): one
// master key (from the environment, never stored) plus client keys `sk-ploke-…` created
// and revoked with `ploke-sim gateway keys`, kept in the cost ledger's SQLite file as
// their SHA-256 only (ledger::ClientKeyRecord). Each client key may carry a spend limit
// (USD over its life), a rate limit (requests per minute) and a list of models.
//
// ClientAuth answers, per request, from memory: the presented key (`Authorization: Bearer
// K`, what the OpenAI / OpenRouter SDKs send, or `x-api-key: K`, the Anthropic SDK's) is
// hashed once and looked up in a map loaded from the ledger. The ledger's key generation
// (bumped by every create / revoke) is polled at most once per `reload_interval` of the
// injected clock, on the request path of whichever request comes first after the
// interval; when it changed the keys are re-read, so a revocation reaches a running
// gateway within about a second.
//
// Refusals (Status codes the gateway renders in the client's protocol):
//   no key / unknown key / revoked key     → kAuth (401)
//   over the key's rpm                     → kRateLimited (429) with retry_after: when
//                                            the oldest request of the last minute leaves
//                                            the window (a sliding 60 s window)
//   spend ≥ the key's max budget           → kInvalidRequest (400, "Budget has been
//                                            exceeded!", as LiteLLM; not retried by SDKs)
//   a model the key may not use            → kPermission (403; check_model())
//   operator routes without the master key → kAuth (401)
// Messages never contain the presented key nor any part of it.
//
// With ClientAuthOptions::shared, the rpm window is shared by every gateway on the store
// (one key, one limit across instances); budgets stay per instance.
//
// Spend: a key's spend is its ledger spend when first loaded, plus the façade's cost of
// every request it made since (add_spend(), from the gateway's request completion). The
// budget check runs before a request, so requests in flight when the limit is reached
// may end above it. Several gateways sharing one ledger see each other's spend only after
// a restart.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/core/secret.h"
#include "ploke/core/status.h"
#include "ploke/core/thread_annotations.h"
#include "ploke/core/transport.h"
#include "ploke/ledger/ledger.h"
#include "ploke/resilience/shared_state.h"

namespace ploke::gateway {

/// SHA-256 of `key`, 64 lowercase hex digits.
std::string hash_client_key(std::string_view key);
/// "sk-ploke-" + one character of [A-Za-z0-9_-] per byte of `random` (the CLI passes 32
/// bytes from OpenSSL's RAND_bytes: 192 bits).
std::string format_client_key(std::span<const uint8_t> random);
/// What lists show of a key: "sk-ploke-" and the next 4 characters, then "…".
std::string client_key_prefix(std::string_view key);
/// The key a request presents: `Authorization: Bearer K`, else `x-api-key: K`; "" if none.
std::string_view presented_key(const Headers& headers);

/// What an admitted request's key allows (immutable; shared with the request).
struct KeyGrant {
  std::string id;                   ///< the client key's id; "" for the master key
  bool master = false;
  std::vector<std::string> models;  ///< empty = every model
};

struct ClientAuthOptions {
  Secret master_key;  ///< empty = no master key
  Duration reload_interval = std::chrono::seconds(1);
  /// Optional (not owned; must outlive this object): several gateways share each key's rpm
  /// window (resilience::SharedState admission of "client:ID:rpm"; its failure policy
  /// applies). Null: each gateway counts its own. Budgets stay per instance.
  resilience::SharedState* shared = nullptr;
};

class ClientAuth {
 public:
  /// `store` (null: the master key only) must outlive this object.
  ClientAuth(ledger::Ledger* store, Clock& clock, ClientAuthOptions options);

  /// Reads the keys and their spend from the store (done again when its generation moves).
  Status load();
  /// Keys a client could use now: the master key (if set) + client keys not revoked.
  size_t usable_keys() const;

  /// A client route (chat, messages, responses, embeddings, models): see the file comment.
  Result<std::shared_ptr<const KeyGrant>> admit(const Headers& headers);
  /// An operator route (/__admin/*, /metrics): the master key only.
  Status admit_admin(const Headers& headers);
  /// kPermission naming `model` and the allowed list when `grant` may not use it.
  static Status check_model(const KeyGrant& grant, std::string_view model);
  /// Whether `st` is one of this class's refusals (its message, which names what is
  /// wrong, replaces the protocol's canned wording in the reply).
  static bool is_refusal(const Status& st);
  /// Adds a finished request's cost to the key's spend.
  void add_spend(std::string_view key_id, double usd);
  /// The spend the budget check sees now (tests, reports); 0 for an unknown id.
  double spend(std::string_view key_id) const;

 private:
  struct Entry {
    std::shared_ptr<const KeyGrant> grant;
    std::optional<double> max_budget_usd;
    std::optional<uint32_t> rpm;
    bool revoked = false;
  };
  struct Usage {
    double spend_usd = 0;
    std::vector<TimePoint> window;  // admitted requests of the last minute (ring of rpm slots)
    size_t head = 0;                // oldest slot once the ring is full
  };
  void maybe_reload();
  Status read_store() PLOKE_REQUIRES(reload_mu_);
  Status limits(const Entry& e, Usage& u, TimePoint now) PLOKE_REQUIRES(mu_);
  Status budget(const Entry& e, const Usage& u) const PLOKE_REQUIRES(mu_);
  /// The key's rpm through the shared state (called without mu_: the store may wait).
  Status shared_rpm(const KeyGrant& grant, uint32_t rpm);

  ledger::Ledger* store_;
  Clock& clock_;
  const ClientAuthOptions opts_;
  const std::string master_hash_;
  const std::shared_ptr<const KeyGrant> master_grant_;
  std::atomic<int64_t> next_poll_ns_{0};
  Mutex reload_mu_;  // one reload at a time; taken before mu_
  int64_t generation_ PLOKE_GUARDED_BY(reload_mu_) = -1;
  mutable Mutex mu_;
  std::unordered_map<std::string, Entry> by_hash_ PLOKE_GUARDED_BY(mu_);
  std::unordered_map<std::string, Usage> usage_ PLOKE_GUARDED_BY(mu_);  // by key id
};

}  // namespace ploke::gateway
