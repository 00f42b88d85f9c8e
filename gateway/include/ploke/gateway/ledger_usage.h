// File: ploke/gateway/ledger_usage.h
//
// LedgerUsage: the gateway's cost ledger hook. The façade reports every attempt and probe
// to it (LlmClientOptions::usage_sink, as `ploke-sim chat --ledger` does) and asks it
// about budgets (LlmClientOptions::budget_oracle); the gateway adds one request row per
// chat request (record_request(), from Gateway::set_on_completed).
//
// Rows are written in batches (one SQLite transaction per `batch_requests` requests, the
// ledger's fast path) instead of one transaction per attempt; flush() writes the rest (the
// gateway calls it on graceful shutdown). Budgets stay exact: when the ledger has budgets,
// a budget question first writes what is pending, so a "stop" budget sees every attempt
// already made. Without budgets the answer is "allowed" without touching the ledger.
//
// Attempt numbers: the gateway may run several façade calls for one request (routing
// groups), each numbering its attempts from 1; rows are renumbered 1, 2, 3… per request id,
// in the order they arrive (the merged trace's numbering).
//
// A failed batch write is counted (write_errors()), its Status kept (last_error()) and
// returned by flush(); the rows are dropped (a retry could duplicate them).
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/core/thread_annotations.h"
#include "ploke/core/status.h"
#include "ploke/core/usage.h"
#include "ploke/gateway/gateway.h"
#include "ploke/ledger/ledger.h"

namespace ploke::gateway {

class LedgerUsage final : public UsageSink, public BudgetOracle {
 public:
  /// `book` must outlive this object. `session` labels the request rows ("gateway").
  /// Rows are stamped with `clock.system_now()` when recorded (not when written).
  LedgerUsage(ledger::Ledger& book, Clock& clock, std::string session = "gateway", std::string profile = {},
              size_t batch_requests = 64);
  ~LedgerUsage() override;  ///< flush()

  // UsageSink (the façade): buffered.
  Status record_attempt(const AttemptRecord& attempt) override;
  // BudgetOracle (the façade): pending rows are written first when budgets exist.
  double remaining_budget(std::string_view provider, std::string_view profile) override;
  BudgetCheck check_budget(std::string_view provider, std::string_view profile, double est_cost_usd) override;

  /// The request row of one finished gateway request (outcome, served_by); buffered.
  void record_request(const Completed& c);
  /// Writes everything pending (one transaction).
  Status flush();
  /// Re-reads whether the ledger has budgets (after Ledger::set_budgets()).
  void refresh_budgets();

  uint64_t write_errors() const;
  Status last_error() const;

 private:
  ledger::Ledger& book_;
  Clock& clock_;
  const std::string session_, profile_;
  const size_t batch_;
  Mutex write_mu_;  // one batch write at a time; taken before mu_
  mutable Mutex mu_;
  bool has_budgets_ PLOKE_GUARDED_BY(mu_) = false;
  std::vector<ledger::RequestRecord> requests_ PLOKE_GUARDED_BY(mu_);
  std::vector<ledger::AttemptRecord> attempts_ PLOKE_GUARDED_BY(mu_);
  std::map<std::string, uint32_t> numbers_ PLOKE_GUARDED_BY(mu_);        // request id → attempts seen
  uint64_t write_errors_ PLOKE_GUARDED_BY(mu_) = 0;
  Status last_error_ PLOKE_GUARDED_BY(mu_);
};

}  // namespace ploke::gateway
