// behaviour_bench: the storm and outage scenarios of the library under three client
// policies, in virtual time, as one table (bench/README.md "Behaviour benches").
//
//   naive      immediate retry: no backoff, no breaker, no retry budget, rate limits not
//              learned from headers, 3 retries per endpoint (Retry-After is still read by
//              the façade's retry decision: there is no knob to ignore it)
//   litellm    LiteLLM router defaults: a deployment cools down for 5 s after 3 failures
//              (allowed_fails 3), then takes full traffic again (BreakerConfig::half_open =
//              false: no trials, no growing wait); our backoff and retries otherwise.
//              Differences left: LiteLLM counts 3 failures within a minute (here: in a
//              row) and also cools down on 429 (our breaker leaves 429 to the rate limiter)
//   ploke      ploke-sim's defaults (LlmClientOptions{}: breaker, backoff, retry budget,
//              learned rate limits) with the scenario's routing policy and timeouts
//
// Columns (the mean over 10 runs: the scenario's seed and the next nine, with the primary's
// last fault window lengthened by 0, 1, … 9 s so the outage's end falls at different
// points of the breakers' waits; the same runs for every policy):
//   success    requests that succeeded / requests
//   wasted     attempts at the wire that did not produce an answer (errors, faults)
//   p95        p95 latency of every finished request (ok or not), ms
//   recover    time from the end of the primary's last fault window (or the expiry of the
//              last Retry-After it sent during the window, if later: a client that honours
//              Retry-After may not come back before) until the primary served its first
//              successful attempt again (traffic back on the cheaper primary), s
//   cost       total USD of the run
//
// Exploring: BB_OPEN_BASE_MS, BB_OPEN_MAX_MS, BB_OPEN_MULT, BB_TRIALS override the breaker of
// the "ploke-sim defaults" row (then it is no longer the defaults).
//
// Usage: behaviour_bench [SCENARIO.json ...]   (default: scenarios/429-storm.json and
// scenarios/outage-recovery.json). Exit 1 when ploke's defaults lose a column.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "ploke/scenarios/runner.h"
#include "ploke/scenarios/scenario.h"

namespace {

using namespace ploke;
using namespace ploke::scenarios;
using std::chrono::seconds;

constexpr uint64_t kSeeds = 10;  // each column is the mean over this many runs

struct Row {
  std::string scenario, policy;
  double success = 0, p95_ms = 0, recover_s = 0, cost = 0;
  uint64_t wasted = 0, attempts = 0, requests = 0;
  bool recovered = true;
};

resilience::LlmClientOptions ploke_defaults(const Scenario& s) {
  resilience::LlmClientOptions o;  // the library's defaults
  o.admission = s.client.admission;
  o.provider_limits = s.client.provider_limits;
  if (const char* v = std::getenv("BB_OPEN_BASE_MS")) o.breaker.open_base = std::chrono::milliseconds(std::atoi(v));
  if (const char* v = std::getenv("BB_OPEN_MAX_MS")) o.breaker.open_max = std::chrono::milliseconds(std::atoi(v));
  if (const char* v = std::getenv("BB_OPEN_MULT")) o.breaker.open_multiplier = std::atof(v);
  if (const char* v = std::getenv("BB_TRIALS")) o.breaker.half_open_trials = static_cast<uint32_t>(std::atoi(v));
  return o;
}

resilience::LlmClientOptions naive(const Scenario& s) {
  resilience::LlmClientOptions o = ploke_defaults(s);
  o.breaker.consecutive_failures = 0;
  o.breaker.minimum_calls = 1000000000;  // the failure-rate trip never arms
  o.breaker.slow_call_rate_threshold = 2;  // off
  o.backoff.base = Duration(0);
  o.backoff.cap = Duration(0);
  o.backoff.jitter = resilience::JitterMode::kNone;
  o.budget.ratio = 100;
  o.budget.min_retries = 1000000;
  o.retry.max_retries_per_endpoint = 3;
  o.retry.per_code = {};
  o.retry.max_total_attempts = 10;
  o.learn_rate_limits = false;
  o.max_rate_limit_wait = Duration(0);
  return o;
}

resilience::LlmClientOptions litellm(const Scenario& s) {
  resilience::LlmClientOptions o = ploke_defaults(s);
  o.breaker.consecutive_failures = 3;       // allowed_fails = 3
  o.breaker.minimum_calls = 1000000000;     // no failure-rate trip
  o.breaker.slow_call_rate_threshold = 2;   // off
  o.breaker.open_base = seconds(5);         // cooldown_time = 5 s
  o.breaker.open_multiplier = 1;            // never grows
  o.breaker.open_max = seconds(5);
  o.breaker.half_open = false;              // no half-open: full traffic after the cooldown
  return o;
}

double p95_all(const ScenarioResult& r) {
  std::vector<double> v;
  for (const auto& q : r.request_log) {
    if (q.finished) v.push_back(to_ms(q.latency()));
  }
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t rank = static_cast<size_t>(std::ceil(0.95 * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

Row measure(const Scenario& s, const std::string& policy, const ScenarioResult& r) {
  Row row;
  row.scenario = s.name;
  row.policy = policy;
  row.requests = r.requests;
  row.attempts = r.attempts;
  row.success = r.requests ? static_cast<double>(r.ok) / static_cast<double>(r.requests) : 1;
  for (const auto& p : r.providers) row.wasted += p.attempts - std::min(p.attempts, p.ok);
  row.p95_ms = p95_all(r);
  row.cost = r.cost_usd;
  // The primary = the first provider; its faults' last window end.
  const ProviderSpec& primary = s.providers.front();
  Duration end{0};
  for (const auto& f : primary.faults.faults) {
    if (f.trigger.until) end = std::max(end, *f.trigger.until);
  }
  // A client that honours Retry-After may not come back before the last one expires.
  for (const auto& a : r.attempt_log) {
    if (a.provider == primary.name && !a.fault_id.empty() && a.retry_after && a.at < end) {
      end = std::max(end, a.head_at + *a.retry_after);
    }
  }
  row.recovered = false;
  for (const auto& a : r.attempt_log) {
    if (a.provider == primary.name && a.at >= end && a.http_status == 200 && a.fault_id.empty()) {
      row.recover_s = std::chrono::duration<double>(a.at - end).count();
      row.recovered = true;
      break;
    }
  }
  return row;
}

using PolicyMaker = resilience::LlmClientOptions (*)(const Scenario&);

// The scenario with `make`'s client and the primary's last fault window lengthened by
// (seed - 1) s: where the outage's end falls in a breaker's wait is luck; the mean over ten
// phases is not.
Scenario phase_variant(const Scenario& s, PolicyMaker make, uint64_t seed) {
  Scenario variant = s;
  variant.client = make(s);
  const auto extra = std::chrono::milliseconds(1000) * static_cast<int64_t>(seed - 1);
  simulator::Fault* last = nullptr;
  for (auto& f : variant.providers.front().faults.faults) {
    if (f.trigger.until && (last == nullptr || *f.trigger.until > *last->trigger.until)) last = &f;
  }
  if (last != nullptr) *last->trigger.until += extra;
  return variant;
}

// One policy's row averaged over kSeeds seeds (recovery depends on where the outage's end
// falls in the breaker's wait, so one seed would measure luck); nullopt when a run fails.
std::optional<Row> average_row(const std::string& file, const Scenario& s, const char* name, PolicyMaker make) {
  Row avg;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    const Scenario variant = phase_variant(s, make, seed);
    RunOptions ro;
    ro.seed = s.seed + seed - 1;
    auto r = run_scenario(variant, ro);
    if (!r.ok()) {
      std::fprintf(stderr, "%s: %s\n", file.c_str(), r.status().message().c_str());
      return std::nullopt;
    }
    const Row one = measure(variant, name, *r);
    avg.scenario = one.scenario;
    avg.policy = one.policy;
    avg.success += one.success / kSeeds;
    avg.p95_ms += one.p95_ms / kSeeds;
    avg.cost += one.cost / kSeeds;
    avg.recover_s += one.recover_s / kSeeds;
    avg.recovered = avg.recovered && one.recovered;
    avg.wasted += one.wasted;
    avg.attempts += one.attempts;
  }
  avg.wasted = (avg.wasted + kSeeds / 2) / kSeeds;
  avg.attempts = (avg.attempts + kSeeds / 2) / kSeeds;
  return avg;
}

void print_rows(const std::vector<Row>& rows) {
  for (const auto& row : rows) {
    char recover[32];
    if (row.recovered) std::snprintf(recover, sizeof recover, "%.1f s", row.recover_s);
    else std::snprintf(recover, sizeof recover, "never");
    std::printf("| %s | %s | %.2f%% | %llu of %llu | %.0f ms | %s | $%.4f |\n", row.scenario.c_str(),
                row.policy.c_str(), row.success * 100, static_cast<unsigned long long>(row.wasted),
                static_cast<unsigned long long>(row.attempts), row.p95_ms, recover, row.cost);
  }
}

// ploke's defaults (the last row) must win or tie every column against each other row
// (small tolerances: 0.05 pp success, 2% latency, 0.5 s recovery, 1% cost). Each loss is
// printed; returns how many.
int count_losses(const std::vector<Row>& rows) {
  int losses = 0;
  const Row& ours = rows.back();
  for (size_t i = 0; i + 1 < rows.size(); ++i) {
    const Row& o = rows[i];
    auto lose = [&](const char* col, bool lost) {
      if (!lost) return;
      ++losses;
      std::fprintf(stderr, "%s: ploke-sim defaults lose '%s' to %s\n", ours.scenario.c_str(), col, o.policy.c_str());
    };
    lose("success", ours.success + 0.0005 < o.success);
    lose("wasted attempts", ours.wasted > o.wasted);
    lose("p95 latency", ours.p95_ms > o.p95_ms * 1.02);
    // A client without a breaker meets the recovered primary on its next request by
    // construction (and pays for it in wasted attempts): recovery is compared with the
    // policies that have one.
    const bool has_breaker = o.policy != std::string("naive immediate retry");
    lose("time to recover", !ours.recovered || (has_breaker && o.recovered && ours.recover_s > o.recover_s + 0.5));
    lose("cost", ours.cost > o.cost * 1.01);
  }
  return losses;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) files.emplace_back(argv[i]);
  if (files.empty()) {
    files = {std::string(PLOKE_SOURCE_DIR) + "/scenarios/429-storm.json",
             std::string(PLOKE_SOURCE_DIR) + "/scenarios/outage-recovery.json"};
  }
  std::printf("| scenario | policy | success | wasted attempts | p95 latency | time to recover | cost |\n");
  std::printf("|---|---|---:|---:|---:|---:|---:|\n");
  const std::pair<const char*, PolicyMaker> policies[] = {
      {"naive immediate retry", naive}, {"LiteLLM-like cooldown", litellm}, {"ploke-sim defaults", ploke_defaults}};
  int losses = 0;
  for (const auto& file : files) {
    auto s = load_scenario_file(file);
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.status().message().c_str());
      return 2;
    }
    std::vector<Row> rows;
    for (const auto& [name, make] : policies) {
      auto row = average_row(file, *s, name, make);
      if (!row) return 2;
      rows.push_back(*row);
    }
    print_rows(rows);
    losses += count_losses(rows);
  }
  return losses > 0 ? 1 : 0;
}
