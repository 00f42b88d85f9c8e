// File: ploke/core/usage.h
//
// The usage and budget interfaces between the resilience façade (ploke::resilience, which
// must stay free of SQLite) and the cost ledger (ploke::ledger, which implements them).
// The composition root (the CLI, the gateway) hands the façade a pointer to a Ledger as a
// UsageSink and a BudgetOracle; tests hand it fakes.
//
//  - UsageSink::record_attempt() receives every attempt the façade makes — successes,
//    failed attempts (billed: a provider may charge a per-request price) and health probes
//    — labelled with kind ("attempt" | "probe") and outcome ("ok" or a StatusCode name),
//    with the tokens the provider reported, the provider-reported cost when it sent one
//    (OpenRouter usage.cost, the final streamed usage chunk) and the façade's own estimate
//    from the endpoint's catalog prices. The ledger stores both and reconciles them.
//  - BudgetOracle is consulted before each attempt (check_budget with the attempt's
//    forecast cost) and by the cost routing policy (remaining_budget).
//
// Thread-safety: implementations must accept calls from any thread (the façade calls them
// without holding its own lock, from the caller's thread).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/core/status.h"

namespace ploke {

/// Tokens of one attempt. `prompt` includes the cached ones (cache_read, cache_write);
/// `completion` includes reasoning tokens (billed as output). `cache_write_1h` is the part
/// of cache_write written with the 1-hour TTL (the rest are 5-minute writes).
struct TokenUsage {
  uint64_t prompt = 0, completion = 0, cache_read = 0, cache_write = 0, cache_write_1h = 0;
};

/// One attempt (or probe) as the ledger records it.
struct AttemptRecord {
  std::string request_id;           ///< "" for probes
  uint32_t number = 1;              ///< 1-based within the request
  std::optional<SystemTime> at;     ///< default: the sink's clock
  std::string provider, model, endpoint_id, session, profile;
  std::string kind = "attempt";     ///< attempt | probe
  std::string outcome = "ok";       ///< "ok" or a StatusCode name (failed attempts are billed too)
  TokenUsage usage;
  double duration_ms = 0;
  std::optional<double> reported_cost_usd;   ///< what the provider said it charged
  std::optional<double> estimated_cost_usd;  ///< the façade's figure from the endpoint's prices (not stored by the ledger: it prices from its own history)
};

struct BudgetCheck {
  bool allowed = true;                ///< false: a "stop" budget would be exceeded
  double remaining_usd = 1e300;       ///< smallest remaining across the applicable budgets
  std::vector<std::string> warnings;  ///< "budget day provider=openrouter: 4.10 of 5.00 USD spent (over 80%)"
  std::string blocked_by;             ///< the stop budget that refused ("" when allowed)
};

/// Where the façade reports each finished attempt (implemented by ledger::Ledger).
class UsageSink {
 public:
  virtual ~UsageSink() = default;
  virtual Status record_attempt(const AttemptRecord& attempt) = 0;
};

/// Budgets the façade and the cost routing policy read (implemented by ledger::Ledger).
class BudgetOracle {
 public:
  virtual ~BudgetOracle() = default;
  /// Smallest remaining budget (USD) that applies to (provider, profile); 1e300 when no
  /// budget applies.
  virtual double remaining_budget(std::string_view provider, std::string_view profile) = 0;
  /// Whether spending `est_cost_usd` more is allowed, with warnings.
  virtual BudgetCheck check_budget(std::string_view provider, std::string_view profile, double est_cost_usd) = 0;
};

}  // namespace ploke
