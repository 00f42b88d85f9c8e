// ledger_writer PATH BATCH [PROVIDER] [MAX_ROWS] [now]: appends BATCH attempts per transaction forever and
// prints "committed N" (rows committed so far) after each commit returns OK. Used by
// crash_test.cpp (kill -9) and tests/cli/config_cli_test.sh (with a row limit: 4th arg).
// Rows are stamped 2025-01-01 (SimulatedClock) unless the 5th argument is "now" (RealClock:
// rows count against today's budgets).
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "ploke/core/clock.h"
#include "ploke/ledger/ledger.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: ledger_writer PATH BATCH [PROVIDER] [MAX_ROWS] [now]\n");
    return 2;
  }
  ploke::SimulatedClock sim;
  std::unique_ptr<ploke::RealClock> real;
  if (argc > 5 && std::string(argv[5]) == "now") real = std::make_unique<ploke::RealClock>();
  ploke::Clock& clock = real ? static_cast<ploke::Clock&>(*real) : sim;
  auto l = ploke::ledger::Ledger::open(argv[1], clock);
  if (!l.ok()) {
    std::fprintf(stderr, "%s\n", l.status().to_string().c_str());
    return 1;
  }
  const int batch = std::atoi(argv[2]);
  const std::string provider = argc > 3 ? argv[3] : "openrouter";
  const long max_rows = argc > 4 ? std::atol(argv[4]) : -1;
  ploke::ledger::PriceRecord price{provider, "openai/gpt-4o", ploke::SystemTime{}, 0.0000025, 0.00001};
  if (!(*l)->add_price(price).ok()) return 1;
  long total = 0;
  for (long txn = 0; max_rows < 0 || total < max_rows; ++txn) {
    std::vector<ploke::ledger::RequestRecord> reqs;
    std::vector<ploke::ledger::AttemptRecord> atts;
    for (int i = 0; i < batch; ++i) {
      ploke::ledger::AttemptRecord a;
      a.request_id = "r" + std::to_string(total + i);
      a.provider = provider;
      a.model = "openai/gpt-4o";
      a.profile = (i % 2) ? "work" : "personal";
      a.session = "s" + std::to_string(txn % 3);
      a.outcome = (i % 10 == 9) ? "rate_limited" : "ok";
      a.usage = {1000, 200, 0, 0};
      atts.push_back(a);
      reqs.push_back({a.request_id, std::nullopt, a.session, a.profile, a.outcome, provider});
    }
    auto s = (*l)->record_batch(reqs, atts);
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.to_string().c_str());
      return 1;
    }
    total += batch;
    std::printf("committed %ld\n", total);
    std::fflush(stdout);
  }
  return 0;
}
