// File: ploke/ledger/ledger.h
//
// ploke::ledger: the cost and usage ledger, one SQLite file in WAL mode.
//
//  - requests: one row per façade call (request id, session, profile, outcome).
//  - attempts: one row per attempt, failed attempts and health probes included and
//    labelled (kind = attempt | probe, outcome = "ok" or a StatusCode name), with tokens,
//    the computed cost (from the price effective at the attempt's time), the provider-
//    reported cost when known (OpenRouter usage.cost, the final streamed usage chunk) and
//    the difference (reconciliation).
//  - prices: price history per (provider, model) with effective_from: past spend can be
//    recomputed after a price correction (recompute_costs()).
//  - client_keys: the gateway's client keys (hashed; ClientKeyRecord), and the key id on
//    each request row.
//  - budgets: limits per day/month (UTC) for everything, a provider or a profile; action
//    warn or stop. check_budget() and remaining_budget() are what the cost routing policy
//    reads; BudgetOracle is the small interface the façade can hold.
//
// Spend = COALESCE(reported cost, computed cost): the provider's figure wins when it sent one.
// Times come from the injected Clock (system_now()) unless the record carries one.
//
// Crash safety: every write is one transaction; a row whose write returned OK survives a
// kill -9 of the process (WAL, synchronous=NORMAL; FULL also survives power loss).
//
// Thread-safety: a Ledger serializes its calls with a mutex; several processes may use the
// same file (SQLite locking, busy timeout 5 s).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/catalog/catalog.h"
#include "ploke/core/thread_annotations.h"
#include "ploke/core/clock.h"
#include "ploke/core/status.h"
#include "ploke/core/budget.h"
#include "ploke/core/usage.h"

namespace ploke::ledger {

/// USD per token (and per request) from `effective_from` until the next record.
struct PriceRecord {
  std::string provider, model;
  SystemTime effective_from{};
  double prompt = 0, completion = 0, request = 0, cache_read = 0, cache_write = 0;
  std::string source = "catalog";  ///< catalog | manual | provider
  /// 1-hour cache writes; 0 = unknown: then 2 × prompt when cache_write is known (Anthropic's
  /// ratio: 5-minute writes 1.25 ×, 1-hour writes 2 × input), else the prompt price.
  double cache_write_1h = 0;
};

// The record and interface types live in ploke/core/usage.h so ploke::resilience can use
// them without depending on SQLite; these aliases keep the ledger's names.
using TokenUsage = ploke::TokenUsage;
using AttemptRecord = ploke::AttemptRecord;
using BudgetCheck = ploke::BudgetCheck;
using BudgetOracle = ploke::BudgetOracle;
using UsageSink = ploke::UsageSink;

struct RequestRecord {
  std::string request_id;
  std::optional<SystemTime> at;     ///< default: clock.system_now()
  std::string session, profile;
  std::string outcome = "ok";       ///< "ok" or a StatusCode name
  std::string served_by;            ///< provider/model that answered ("" = none)
  std::string key_id;               ///< the client key's id (ClientKeyRecord::id; "" = none / master)
};

/// A client key the gateway issued (`ploke-sim gateway keys create`). Only the key's
/// SHA-256 is stored; the key itself is shown once, by the command that made it.
struct ClientKeyRecord {
  std::string id;                         ///< "vk-<n>", assigned by add_client_key (never reused)
  std::string name;
  std::string hash;                       ///< SHA-256 of the key, 64 lowercase hex digits
  std::string prefix;                     ///< what lists show ("sk-ploke-ab12…"); never the key
  std::optional<double> max_budget_usd;   ///< spend limit over the key's life (none = unlimited)
  std::optional<uint32_t> rpm;            ///< requests per minute (none = unlimited)
  std::vector<std::string> models;        ///< models it may ask for (empty = every model)
  SystemTime created_at{};
  std::optional<SystemTime> revoked_at;
  double spend_usd = 0;                   ///< client_keys(): spend of the requests tagged with the id
};

/// Cost of a usage under a price (USD).
double cost_of(const PriceRecord& price, const TokenUsage& usage);

struct AggregateQuery {
  std::optional<SystemTime> since, until;
  std::string by = "provider";      ///< provider | model | profile | session | kind | outcome
  bool include_probes = true;
};

struct AggregateRow {
  std::string key;
  uint64_t attempts = 0, failed = 0, probes = 0, requests = 0;
  uint64_t prompt_tokens = 0, completion_tokens = 0;
  double cost_usd = 0;              ///< computed from prices
  double reported_usd = 0;          ///< provider-reported, where known
  double spend_usd = 0;             ///< COALESCE(reported, computed)
  uint64_t unpriced = 0;            ///< attempts without a known price
};

/// A spending limit: the one budget policy's rule (ploke/core/budget.h).
using Budget = ploke::BudgetRule;

struct Forecast {
  double min_usd = 0, expected_usd = 0, max_usd = 0;
  bool priced = false;              ///< false: no price known for the model
  std::string note;                 ///< how it was computed
};

struct LedgerOptions {
  bool synchronous_full = false;    ///< PRAGMA synchronous=FULL (power-loss safe) vs NORMAL
  bool read_only = false;
};

class Ledger : public BudgetOracle, public UsageSink {
 public:
  /// Opens (creating when needed) the ledger file and its schema. kInvalidRequest naming
  /// the file when it is not a ledger.
  static Result<std::unique_ptr<Ledger>> open(const std::string& path, Clock& clock, LedgerOptions options = {});
  ~Ledger() override;
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // Prices.
  Status add_price(const PriceRecord& price);
  /// Adds the catalog's known prices (OpenRouter-style USD per token) for `provider`,
  /// effective from `effective_from`; skips models whose price equals the current one.
  Result<size_t> import_catalog_prices(const catalog::Catalog& cat, std::string_view provider, SystemTime effective_from);
  /// The price in effect for (provider, model) at `at` (falls back to provider "*").
  std::optional<PriceRecord> price_at(std::string_view provider, std::string_view model, SystemTime at);
  /// Recomputes the stored cost of every attempt at/after `since` from the price history.
  /// Returns how many rows changed.
  Result<size_t> recompute_costs(std::optional<SystemTime> since = std::nullopt);

  // Writes. Each call is one transaction.
  Status record_request(const RequestRecord& request);
  Status record_attempt(const AttemptRecord& attempt) override;
  /// Many rows in one transaction (the fast path: ≥ 50k rows/s, see bench/ledger).
  Status record_batch(const std::vector<RequestRecord>& requests, const std::vector<AttemptRecord>& attempts);
  /// Sets the provider-reported cost of an attempt after the fact (a streamed usage chunk).
  Status reconcile(std::string_view request_id, uint32_t number, double reported_cost_usd);

  // Reads.
  Result<std::vector<AggregateRow>> aggregate(const AggregateQuery& q);
  Result<std::vector<AttemptRecord>> attempts(std::string_view request_id);
  Result<uint64_t> count_attempts();
  /// Attempts whose |reported - computed| > tolerance (absolute USD).
  Result<std::vector<AttemptRecord>> discrepancies(double tolerance_usd);
  /// Stored computed cost of one attempt (tests, reports).
  Result<double> attempt_cost(std::string_view request_id, uint32_t number);

  // Budgets.
  Status set_budgets(const std::vector<Budget>& budgets);
  std::vector<Budget> budgets() const;
  /// Spend (USD) in the current period of `b` matching its scope.
  Result<double> spent(const Budget& b);
  /// Spend counted against `b` since `from` (the budget store for evaluate_budgets()).
  Result<double> spent_since(const Budget& b, SystemTime from);
  double remaining_budget(std::string_view provider, std::string_view profile) override;
  BudgetCheck check_budget(std::string_view provider, std::string_view profile, double est_cost_usd) override;

  /// Cost forecast before sending: prompt tokens known (or estimated by the caller),
  /// output between 0 and max_output_tokens; expected uses `expected_output_tokens`
  /// (default: half of max).
  Forecast forecast(std::string_view provider, std::string_view model, uint64_t prompt_tokens,
                    uint64_t max_output_tokens, std::optional<uint64_t> expected_output_tokens = std::nullopt);

  // Client keys (table client_keys; requests.key_id tags a request row with its key).
  // Every create / revoke bumps a generation counter (one transaction), which a running
  // gateway polls to reload its keys.
  /// Stores `key` (name and hash required; id and created_at assigned). kInternal when
  /// the hash is already stored.
  Result<ClientKeyRecord> add_client_key(ClientKeyRecord key);
  /// Every key (revoked ones too) in id order, with its spend: COALESCE(reported, computed)
  /// over the attempts of the request rows carrying its id.
  Result<std::vector<ClientKeyRecord>> client_keys();
  /// Marks the key revoked (idempotent: the first revocation time stays); kNotFound when
  /// no key has that id.
  Status revoke_client_key(std::string_view id);
  Result<int64_t> client_keys_generation();

  const std::string& path() const { return path_; }

 private:
  struct Impl;
  Ledger(std::string path, Clock& clock);
  std::string path_;
  Clock& clock_;
  mutable Mutex mu_;
  std::unique_ptr<Impl> impl_ PLOKE_GUARDED_BY(mu_);
  std::vector<Budget> budgets_ PLOKE_GUARDED_BY(mu_);
};

/// Start of the UTC day / month containing `t` (ploke::budget_period_start).
inline SystemTime period_start(SystemTime t, std::string_view period) { return budget_period_start(t, period); }
/// "2026-11-24T05:30:00Z" <-> SystemTime (seconds precision). Parses also "2026-11-24".
std::string format_time(SystemTime t);
std::optional<SystemTime> parse_time(std::string_view text);

}  // namespace ploke::ledger
