// `--real-time` (RunOptions::real_time): the same scenario over loopback HTTP against
// SimServers on the real clock. Checks that expectations are evaluated, that the HTTP path
// was really used (the servers' engines counted every attempt, URLs are loopback), that
// fault windows are on the servers' clock, that there is no digest, that calls still in
// flight at the horizon are cancelled and counted as lost (the run ends on time), and that
// the calls run concurrently on one event loop (not one after another, not a thread each).
// Integration: sockets and the wall clock (each run takes its scenario's duration).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>

#include "ploke/scenarios/html_report.h"
#include "ploke/scenarios/runner.h"
#include "ploke/scenarios/scenario.h"

namespace ploke::scenarios {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const ExpectationResult* find(const ScenarioResult& r, const std::string& path) {
  for (const auto& e : r.expectations) {
    if (e.path == path) return &e;
  }
  return nullptr;
}

RunOptions real_time() {
  RunOptions o;
  o.real_time = true;
  return o;
}

// The number of threads of this process (Linux: /proc/self/status), 0 when unknown.
size_t process_threads() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoul(line.substr(8));
  }
  return 0;
}

TEST(RealTime, SmokeScenarioOverLoopbackHttp) {
  auto s = load_scenario_file(std::string(PLOKE_SOURCE_DIR) + "/tests/scenarios/data/real-time-smoke.json");
  ASSERT_TRUE(s.ok()) << s.status().message();
  const auto w0 = std::chrono::steady_clock::now();
  auto r = run_scenario(*s, real_time());
  const auto wall = std::chrono::steady_clock::now() - w0;
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->clock, "real");
  EXPECT_TRUE(r->real_time());
  EXPECT_TRUE(r->digest.empty());
  // Every expectation was evaluated, and they hold.
  ASSERT_EQ(r->expectations.size(), s->expectations.size());
  for (const auto& e : r->expectations) EXPECT_TRUE(e.passed) << e.path << " " << e.description << ": " << e.detail;
  // Real arrivals: 30 requests spread over ~3 s of wall time.
  EXPECT_EQ(r->requests, 30u);
  EXPECT_GE(wall, milliseconds(2900));
  EXPECT_GE(r->request_log.back().start, milliseconds(2800));
  // The HTTP path: each provider's engine sat behind a loopback server and handled exactly
  // the attempts the client sent it.
  ASSERT_EQ(r->providers.size(), 2u);
  for (const auto& p : r->providers) {
    EXPECT_EQ(p.url.rfind("http://127.0.0.1:", 0), 0u) << p.url;
    EXPECT_GT(p.engine_requests, 0u) << p.name;
    EXPECT_EQ(p.engine_requests, p.attempts) << p.name;
  }
  // The attempt log was joined with the servers' journals: fault ids and statuses.
  uint64_t outage = 0, throttle = 0;
  for (const auto& a : r->attempt_log) {
    if (a.fault_id == "outage") {
      ++outage;
      EXPECT_EQ(a.http_status, 503);
      // the window is on the servers' clock, measured from the workload start
      EXPECT_GE(a.at, milliseconds(950));
      EXPECT_LT(a.at, milliseconds(2100));
    }
    if (a.fault_id == "throttle") {
      ++throttle;
      EXPECT_EQ(a.http_status, 429);
      ASSERT_TRUE(a.retry_after.has_value());
      EXPECT_EQ(*a.retry_after, milliseconds(300));
    }
  }
  EXPECT_GT(outage, 0u);
  EXPECT_EQ(throttle, 1u);
  // The outputs say it was the real clock and claim no determinism.
  const std::string json = result_to_json(*r);
  EXPECT_NE(json.find("\"clock\": \"real\""), std::string::npos);
  EXPECT_NE(json.find("\"digest\": null"), std::string::npos);
  EXPECT_NE(json.find("\"deterministic\": false"), std::string::npos);
  EXPECT_NE(result_to_text(*r).find("digest n/a (real clock: not deterministic)"), std::string::npos);
  EXPECT_NE(render_html_report(*r).find("no digest"), std::string::npos);
}

// A provider that never answers and no timeouts: at duration + drain the runner cancels
// the calls, closes the servers' connections and counts them as lost — the run ends on time.
TEST(RealTime, CallsStillInFlightAtTheHorizonAreLost) {
  auto s = parse_scenario(R"({
    "name": "hang", "duration": "1s", "drain": "500ms",
    "providers": [{"name": "p", "models": ["gpt-4o-mini"], "latency": {"ttft": "20ms", "tokens_per_second": 500}}],
    "faults": [{"kind": "hang", "trigger": {"nth": 2, "every": 2}}],
    "workload": {"arrival": {"process": "constant", "rate_per_s": 8}, "max_output_tokens": 8},
    "client": {"retry": {"max_total_attempts": 1}},
    "expect": [{"kind": "no_lost_requests"}, {"kind": "all_faults_fired"}]})",
                          "hang.json");
  ASSERT_TRUE(s.ok()) << s.status().message();
  const auto w0 = std::chrono::steady_clock::now();
  auto r = run_scenario(*s, real_time());
  const auto wall = std::chrono::steady_clock::now() - w0;
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->requests, 8u);
  EXPECT_EQ(r->lost, 4u);
  EXPECT_EQ(r->ok, 4u);
  EXPECT_EQ(r->outcomes["lost"], 4u);
  ASSERT_NE(find(*r, "expect[0]"), nullptr);
  EXPECT_FALSE(find(*r, "expect[0]")->passed);
  EXPECT_TRUE(find(*r, "expect[1]")->passed);
  EXPECT_FALSE(r->passed());
  EXPECT_LT(wall, seconds(5)) << "the run did not end at the horizon";
}

// 50 calls arrive at once at a provider that takes 1 s to answer. They are all in flight
// together (every call starts before the first one ends: one after another they would
// take 50 s), and they run as fibers of one event loop: the process never has anywhere
// near a thread per call (the queue sampler reads the thread count while all 50 wait).
TEST(RealTime, ConcurrentCallsShareOneEventLoop) {
  auto s = parse_scenario(R"({
    "name": "herd", "duration": "1s", "drain": "20s", "sample_interval": "100ms",
    "providers": [{"name": "slow", "models": ["gpt-4o-mini"], "latency": {"ttft": "1s", "tokens_per_second": 1000}}],
    "workload": {"arrival": {"process": "bursts", "rate_per_s": 0, "bursts": [{"at": "0s", "count": 50}]}, "max_output_tokens": 4,
                 "stream_share": 0.5},
    "client": {"admission": {"max_in_flight": 64}, "timeouts": {"first_byte": "15s", "total": "18s"}},
    "expect": [{"kind": "success_rate", "min": 1}, {"kind": "no_lost_requests"}]})",
                          "herd.json");
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_GT(process_threads(), 0u);
  size_t peak_threads = 0;
  RunOptions o = real_time();
  o.progress = [&](Duration, Duration) { peak_threads = std::max(peak_threads, process_threads()); };
  auto r = run_scenario(*s, o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  for (const auto& e : r->expectations) EXPECT_TRUE(e.passed) << e.path << " " << e.description << ": " << e.detail;
  ASSERT_EQ(r->request_log.size(), 50u);
  Duration last_start{0}, first_end = Duration::max();
  for (const auto& rec : r->request_log) {
    last_start = std::max(last_start, rec.start);
    first_end = std::min(first_end, rec.end);
  }
  EXPECT_LT(last_start, first_end) << "the calls did not overlap";
  size_t peak_outstanding = 0;
  for (const auto& q : r->queue_samples) peak_outstanding = std::max(peak_outstanding, q.outstanding);
  EXPECT_EQ(peak_outstanding, 50u);
  // main, the clock's timer thread, the provider's and the driver's loops, and a few
  // helpers; a thread per call would be 50 more.
  EXPECT_GT(peak_threads, 0u);
  EXPECT_LT(peak_threads, 20u);
}

// Client budgets and OpenRouter drift work over HTTP too: the cheap OpenRouter route (every
// drift switch on) answers until its stop budget runs out, then the other provider serves.
TEST(RealTime, BudgetAndDriftOverHttp) {
  auto s = parse_scenario(R"({
    "name": "budget-drift", "seed": 3, "duration": "2s", "drain": "5s",
    "providers": [
      {"name": "or", "protocol": "openrouter", "models": ["openai/gpt-4o-mini"], "drift": "all",
       "latency": {"ttft": "30ms", "tokens_per_second": 500},
       "price": {"input_usd_per_mtok": 0.15, "output_usd_per_mtok": 0.6}},
      {"name": "oa", "models": ["gpt-4.1-mini"], "latency": {"ttft": "30ms", "tokens_per_second": 500},
       "price": {"input_usd_per_mtok": 0.4, "output_usd_per_mtok": 1.6}}],
    "workload": {"arrival": {"process": "constant", "rate_per_s": 10}, "model": "openai/gpt-4o-mini",
                 "max_output_tokens": 16, "stream_share": 0.5},
    "client": {"policy": "cost", "budgets": [{"provider": "or", "usd": 0.0003, "action": "stop"}],
               "timeouts": {"first_byte": "3s", "total": "5s"}},
    "expect": [{"kind": "success_rate", "min": 1}, {"kind": "attempts", "provider": "or", "min": 1},
               {"kind": "attempts", "provider": "oa", "min": 1}, {"kind": "no_lost_requests"}]})",
                          "budget-drift.json");
  ASSERT_TRUE(s.ok()) << s.status().message();
  auto r = run_scenario(*s, real_time());
  ASSERT_TRUE(r.ok()) << r.status().message();
  for (const auto& e : r->expectations) EXPECT_TRUE(e.passed) << e.path << " " << e.description << ": " << e.detail;
  ASSERT_EQ(r->budgets.size(), 1u);
  EXPECT_GT(r->budgets[0].refusals, 0u);
  EXPECT_LE(r->budgets[0].spent_usd, 0.0003 * 1.5);  // give or take the calls in flight
  EXPECT_EQ(r->providers[0].drift, "unknown_enums,numeric_prices,extra_fields");
  EXPECT_GT(r->providers[0].engine_requests, 0u);
}

}  // namespace
}  // namespace ploke::scenarios
