// LedgerUsage: batched usage rows and budget answers for the gateway. See
// ploke/gateway/ledger_usage.h.
#include "ploke/gateway/ledger_usage.h"
#include "ploke/core/thread_annotations.h"

#include <utility>

namespace ploke::gateway {

LedgerUsage::LedgerUsage(ledger::Ledger& book, Clock& clock, std::string session, std::string profile, size_t batch_requests)
    : book_(book), clock_(clock), session_(std::move(session)), profile_(std::move(profile)), batch_(batch_requests == 0 ? 1 : batch_requests) {
  refresh_budgets();
}

LedgerUsage::~LedgerUsage() { (void)flush(); }

void LedgerUsage::refresh_budgets() {
  const bool has = !book_.budgets().empty();
  MutexLock lk(mu_);
  has_budgets_ = has;
}

Status LedgerUsage::record_attempt(const AttemptRecord& attempt) {
  MutexLock lk(mu_);
  attempts_.push_back(attempt);
  AttemptRecord& a = attempts_.back();
  if (!a.at) a.at = clock_.system_now();
  if (!a.request_id.empty()) a.number = ++numbers_[a.request_id];
  return Status::Ok();
}

void LedgerUsage::record_request(const Completed& c) {
  ledger::RequestRecord r;
  r.request_id = c.trace.request_id;
  r.at = clock_.system_now();
  r.session = session_;
  r.profile = profile_;
  r.key_id = c.key_id;
  r.outcome = c.outcome == StatusCode::kOk ? "ok" : std::string(status_code_name(c.outcome));
  if (!c.trace.served_by.empty()) {
    for (const auto& cand : c.trace.candidates) {
      if (cand.endpoint_id == c.trace.served_by) r.served_by = cand.provider + "/" + cand.model;
    }
  }
  bool full = false;
  {
    MutexLock lk(mu_);
    requests_.push_back(std::move(r));
    numbers_.erase(c.trace.request_id);
    if (numbers_.size() > 100000) numbers_.clear();  // requests that never completed: bounded
    full = requests_.size() >= batch_;
  }
  if (full) (void)flush();
}

Status LedgerUsage::flush() {
  MutexLock w(write_mu_);
  std::vector<ledger::RequestRecord> requests;
  std::vector<ledger::AttemptRecord> attempts;
  {
    MutexLock lk(mu_);
    requests.swap(requests_);
    attempts.swap(attempts_);
  }
  if (requests.empty() && attempts.empty()) return Status::Ok();
  Status st = book_.record_batch(requests, attempts);
  if (!st.ok()) {
    MutexLock lk(mu_);
    ++write_errors_;
    last_error_ = st;
  }
  return st;
}

BudgetCheck LedgerUsage::check_budget(std::string_view provider, std::string_view profile, double est_cost_usd) {
  {
    MutexLock lk(mu_);
    if (!has_budgets_) return BudgetCheck{};
  }
  (void)flush();  // the budget must see every attempt made so far
  return book_.check_budget(provider, profile, est_cost_usd);
}

double LedgerUsage::remaining_budget(std::string_view provider, std::string_view profile) {
  return check_budget(provider, profile, 0).remaining_usd;
}

uint64_t LedgerUsage::write_errors() const {
  MutexLock lk(mu_);
  return write_errors_;
}

Status LedgerUsage::last_error() const {
  MutexLock lk(mu_);
  return last_error_;
}

}  // namespace ploke::gateway
