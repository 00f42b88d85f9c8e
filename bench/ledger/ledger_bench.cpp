// Ledger insert rate: attempts (with the cost computed from the price history) written in
// batches of N rows per transaction, WAL + synchronous=NORMAL (the default) and FULL.
// items_per_second is rows/s of wall time (UseRealTime: fsync waits count). Target: >= 50,000 rows/s batched.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "ploke/core/clock.h"
#include "ploke/ledger/ledger.h"

namespace {

void BM_LedgerBatchInsert(benchmark::State& state) {
  char tmpl[] = "/tmp/ploke-ledger-bench-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  ploke::SimulatedClock clock;
  ploke::ledger::LedgerOptions opts;
  opts.synchronous_full = state.range(1) != 0;
  auto l = ploke::ledger::Ledger::open(dir + "/ledger.db", clock, opts);
  if (!l.ok()) {
    state.SkipWithError(l.status().to_string().c_str());
    return;
  }
  for (int m = 0; m < 50; ++m) {
    (void)(*l)->add_price({"openrouter", "model/" + std::to_string(m), clock.system_now() - std::chrono::hours(24),
                           0.000001 * (m + 1), 0.000002 * (m + 1)});
  }
  const int batch = static_cast<int>(state.range(0));
  std::vector<ploke::ledger::AttemptRecord> rows(static_cast<size_t>(batch));
  long next = 0;
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i) {
      auto& a = rows[static_cast<size_t>(i)];
      a.request_id = "req-" + std::to_string(next++);
      a.number = 1 + static_cast<uint32_t>(i % 3);
      a.provider = "openrouter";
      a.model = "model/" + std::to_string(i % 50);
      a.profile = (i & 1) ? "work" : "personal";
      a.session = "s1";
      a.outcome = (i % 17 == 0) ? "server_error" : "ok";
      a.usage = {static_cast<uint64_t>(500 + i % 1000), static_cast<uint64_t>(100 + i % 300), 0, 0};
    }
    auto s = (*l)->record_batch({}, rows);
    if (!s.ok()) state.SkipWithError(s.to_string().c_str());
  }
  state.SetItemsProcessed(state.iterations() * batch);
  l->reset();
  std::system(("rm -rf '" + dir + "'").c_str());
}
BENCHMARK(BM_LedgerBatchInsert)
    ->ArgNames({"batch", "sync_full"})
    ->Args({1, 0})
    ->Args({100, 0})
    ->Args({1000, 0})
    ->Args({10000, 0})
    ->Args({1000, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
