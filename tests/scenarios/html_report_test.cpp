// render_html_report(): structure, escaping, expectation rows, one <svg> per chart, no
// external references, planted secrets redacted, bounded size on long runs, and a real
// run (an outage that opens a breaker) rendered end to end.
#include "ploke/scenarios/html_report.h"

#include <gtest/gtest.h>

#include <string>

#include "ploke/scenarios/runner.h"
#include "ploke/scenarios/scenario.h"

namespace ploke::scenarios {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr size_t kChartsPerScenario = 6;  // timeline, latency, queue, retries, finished, cost
constexpr const char* kPlanted = "sk-FAKE-test-0123456789abcdef";  // fake key

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + needle.size())) ++n;
  return n;
}

// Three requests a second apart (the third rate limited), 100 ms longer each.
void add_requests(ScenarioResult& r) {
  for (uint64_t i = 1; i <= 3; ++i) {
    RequestRecord q;
    q.id = i;
    q.start = seconds(i);
    q.end = seconds(i) + milliseconds(100 * i);
    q.finished = true;
    q.outcome = i == 3 ? "rate_limited" : "ok";
    q.attempts = i == 1 ? 1 : 2;
    q.cost_usd = 0.004;
    r.request_log.push_back(q);
  }
}

void add_attempt(ScenarioResult& r, uint64_t req, uint32_t n, const char* prov, int64_t at_ms, int status,
                 const char* fault) {
  AttemptRecord a;
  a.request = req;
  a.number = n;
  a.provider = prov;
  a.endpoint_id = std::string(prov) + "/m";
  a.at = milliseconds(at_ms);
  a.head_at = milliseconds(at_ms + 10);
  a.http_status = status;
  a.ending = "complete";
  a.fault_id = fault;
  r.attempt_log.push_back(a);
}

// The primary's storm: 429s, its breaker opening at 2.5 s and half-open at 7.5 s.
void add_storm(ScenarioResult& r) {
  add_attempt(r, 1, 1, "primary", 1000, 200, "");
  add_attempt(r, 2, 1, "primary", 2000, 429, "storm");
  add_attempt(r, 2, 2, "backup", 2050, 200, "");
  add_attempt(r, 3, 1, "primary", 3000, 429, "storm");
  add_attempt(r, 3, 2, "primary", 3500, 429, "storm");
  BreakerTransition b;
  b.at = milliseconds(2500);
  b.endpoint_id = "primary/m";
  b.provider = "primary";
  b.from = "closed";
  b.to = "open";
  b.reason = "failure rate 60% >= 50%";
  r.breaker_log.push_back(b);
  b.at = milliseconds(7500);
  b.from = "open";
  b.to = "half_open";
  b.reason = "wait elapsed";
  r.breaker_log.push_back(b);
}

void add_providers(ScenarioResult& r) {
  ProviderSummary p;
  p.name = "primary";
  p.protocol = "openai";
  p.attempts = 4;
  p.ok = 1;
  p.outcomes = {{"200", 1}, {"429", 3}};
  p.breaker_openings = 1;
  p.faults.push_back({"storm", "http_error", 3, 3});
  r.providers.push_back(p);
  p = {};
  p.name = "backup";
  p.protocol = "anthropic";
  p.attempts = 1;
  p.ok = 1;
  r.providers.push_back(p);
}

// expect[0] passes (success rate), expect[1] fails (p95 latency over by 450 ms).
void add_expectations(ScenarioResult& r) {
  ExpectationResult e;
  e.kind = "success_rate";
  e.path = "expect[0]";
  e.description = "success rate >= 60.00%";
  e.observed = 2.0 / 3;
  e.threshold = 0.6;
  e.unit = "ratio";
  e.passed = true;
  r.expectations.push_back(e);
  e.kind = "latency";
  e.path = "expect[1]";
  e.description = "p95 latency (ok) <= 500.0ms";
  e.observed = 950;
  e.threshold = 500;
  e.unit = "ms";
  e.passed = false;
  e.detail = "observed 950.0ms, over by 450.0ms";
  r.expectations.push_back(e);
}

ScenarioResult synthetic() {
  ScenarioResult r;
  r.file = "scenarios/storm.json";
  r.name = "storm";
  r.description = "a 429 storm";
  r.tags = {"rate-limit"};
  r.seed = 7;
  r.duration = seconds(10);
  r.simulated = seconds(12);
  r.sample_interval = seconds(1);
  r.requests = 3;
  r.ok = 2;
  r.failed = 1;
  r.attempts = 5;
  r.retries = 2;
  r.p50_ms = 120;
  r.p95_ms = 950;
  r.p99_ms = 990;
  r.cost_usd = 0.0123;
  r.digest = "00ff00ff";
  add_requests(r);
  add_storm(r);
  for (int i = 0; i < 12; ++i) r.queue_samples.push_back(QueueSample{seconds(i), static_cast<uint64_t>(i % 3), 0, 1});
  add_providers(r);
  add_expectations(r);
  return r;
}

TEST(HtmlReport, HasDocumentStructureAndOneSvgPerChart) {
  const std::string h = render_html_report(synthetic());
  EXPECT_EQ(h.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(h.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(h.find("<meta charset=\"utf-8\">"), std::string::npos);
  EXPECT_NE(h.find("<style>"), std::string::npos);
  EXPECT_NE(h.find("</body>\n</html>\n"), std::string::npos);
  EXPECT_EQ(count(h, "<svg"), kChartsPerScenario);
  EXPECT_EQ(count(h, "</svg>"), kChartsPerScenario);
  EXPECT_EQ(count(h, "<figure class=\"chart\">"), kChartsPerScenario);
  EXPECT_EQ(count(h, "<section"), count(h, "</section>"));
  EXPECT_EQ(count(h, "<table"), count(h, "</table>"));
  for (const char* title : {"Per-provider timeline", "Latency percentiles", "Queue depth", "Attempts and retries",
                            "Requests finished", "Cumulative cost"}) {
    EXPECT_NE(h.find(title), std::string::npos) << title;
  }
  // Summary facts.
  EXPECT_NE(h.find("00ff00ff"), std::string::npos);
  EXPECT_NE(h.find("<th>seed</th><td>7</td>"), std::string::npos);
  EXPECT_NE(h.find("$0.0123"), std::string::npos);
  EXPECT_NE(h.find("FAILED"), std::string::npos);  // one expectation fails
}

TEST(HtmlReport, ExpectationRowsShowObservedAndThreshold) {
  const std::string h = render_html_report(synthetic());
  EXPECT_EQ(count(h, "<tr class=\"pass\">"), 1u);
  EXPECT_EQ(count(h, "<tr class=\"fail\">"), 1u);
  const size_t pass_row = h.find("<tr class=\"pass\">");
  const std::string pass = h.substr(pass_row, h.find("</tr>", pass_row) - pass_row);
  EXPECT_NE(pass.find("PASS"), std::string::npos);
  EXPECT_NE(pass.find("expect[0]"), std::string::npos);
  EXPECT_NE(pass.find("66.67%"), std::string::npos);  // observed
  EXPECT_NE(pass.find("60.00%"), std::string::npos);  // threshold
  const size_t fail_row = h.find("<tr class=\"fail\">");
  const std::string fail = h.substr(fail_row, h.find("</tr>", fail_row) - fail_row);
  EXPECT_NE(fail.find("FAIL"), std::string::npos);
  EXPECT_NE(fail.find("950.0 ms"), std::string::npos);
  EXPECT_NE(fail.find("500.0 ms"), std::string::npos);
  EXPECT_NE(fail.find("over by 450.0ms"), std::string::npos);
}

TEST(HtmlReport, BreakerStatesAndFaultsAreDrawn) {
  const std::string h = render_html_report(synthetic());
  // Bands: closed, then open from 2.5 s, then half-open from 7.5 s (titles carry the times).
  EXPECT_NE(h.find("primary/m: closed from 0.0 ms to 2500.0 ms"), std::string::npos);
  EXPECT_NE(h.find("primary/m: open from 2500.0 ms to 7500.0 ms"), std::string::npos);
  EXPECT_NE(h.find("primary/m: half_open from 7500.0 ms to the end"), std::string::npos);
  EXPECT_NE(h.find("backup: breaker closed throughout"), std::string::npos);
  EXPECT_NE(h.find("closed -&gt; open (failure rate 60% &gt;= 50%)"), std::string::npos);
  EXPECT_NE(h.find("storm (http_error) 3 / 3"), std::string::npos);
  // The failed attempts of primary at 3 s: two 429s in one column.
  EXPECT_NE(h.find("primary at 3000.0 ms: 0 ok, 2 failed attempts"), std::string::npos);
}

TEST(HtmlReport, NoScriptsNoExternalReferences) {
  ScenarioResult r = synthetic();
  const std::string h = render_html_report(r);
  // No URL of any scheme (fault kinds like "http_error" are text, not references).
  EXPECT_EQ(h.find("://"), std::string::npos);
  EXPECT_EQ(h.find("http:"), std::string::npos);
  EXPECT_EQ(h.find("https:"), std::string::npos);
  EXPECT_EQ(h.find("<script"), std::string::npos);
  EXPECT_EQ(h.find("src="), std::string::npos);
  EXPECT_EQ(h.find("url("), std::string::npos);
  EXPECT_EQ(h.find("@import"), std::string::npos);
  EXPECT_EQ(h.find("<link"), std::string::npos);
  EXPECT_EQ(h.find("xmlns"), std::string::npos);
}

TEST(HtmlReport, EscapesEveryTextField) {
  ScenarioResult r = synthetic();
  const std::string evil = "<script>alert('x')</script>&\"";
  r.name = evil;
  r.description = evil;
  r.file = evil;
  r.tags = {evil};
  r.providers[0].name = evil;
  r.providers[0].faults[0].id = evil;
  for (auto& a : r.attempt_log) {
    if (a.provider == "primary") a.provider = evil;
  }
  r.breaker_log[0].reason = evil;
  r.breaker_log[0].provider = evil;
  r.breaker_log[0].endpoint_id = evil;
  r.expectations[0].description = evil;
  r.expectations[1].detail = evil;
  r.outcomes[evil] = 1;
  const std::string h = render_html_report(r);
  EXPECT_EQ(h.find("<script"), std::string::npos);
  EXPECT_EQ(h.find("alert('x')"), std::string::npos);
  EXPECT_NE(h.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"), std::string::npos);
  // The <title> element also escapes.
  EXPECT_NE(h.find("<title>ploke-sim scenario report: &lt;script&gt;"), std::string::npos);
  EXPECT_EQ(count(h, "<svg"), kChartsPerScenario);
}

TEST(HtmlReport, PlantedSecretNeverAppears) {
  ScenarioResult r = synthetic();
  const std::string with_key = std::string("key ") + kPlanted + " leaked";
  r.description = with_key;
  r.name = with_key;
  r.expectations[1].detail = "Authorization: Bearer " + std::string(kPlanted);
  r.breaker_log[0].reason = with_key;
  r.providers[0].faults[0].id = kPlanted;
  const std::string h = render_html_report(r);
  EXPECT_EQ(h.find(kPlanted), std::string::npos);
  EXPECT_EQ(h.find("0123456789abcdef"), std::string::npos);
  EXPECT_NE(h.find("[REDACTED]"), std::string::npos);
}

TEST(HtmlReport, SeveralScenariosGetAnIndex) {
  ScenarioResult a = synthetic();
  ScenarioResult b = synthetic();
  b.name = "second";
  b.expectations.pop_back();  // b passes
  const std::string h = render_html_report(std::vector<ScenarioResult>{a, b});
  EXPECT_EQ(count(h, "<svg"), 2 * kChartsPerScenario);
  EXPECT_NE(h.find("1 of 2 scenario(s) passed."), std::string::npos);
  EXPECT_NE(h.find("<a href=\"#s0\">storm</a>"), std::string::npos);
  EXPECT_NE(h.find("<a href=\"#s1\">second</a>"), std::string::npos);
  EXPECT_NE(h.find("<section id=\"s1\" class=\"scenario pass\">"), std::string::npos);
  EXPECT_NE(h.find("<section id=\"s0\" class=\"scenario fail\">"), std::string::npos);
}

// A real-time run has no digest and says so; client budgets get a row each.
TEST(HtmlReport, RealClockRunsAndBudgets) {
  ScenarioResult r = synthetic();
  r.clock = "real";
  r.digest.clear();
  BudgetSummary b;
  b.path = "client.budgets[0]";
  b.scope = "provider";
  b.name = "primary";
  b.period = "day";
  b.action = "stop";
  b.limit_usd = 0.02;
  b.spent_usd = 0.0199;
  b.refusals = 7;
  b.first_refusal = seconds(3);
  r.budgets.push_back(b);
  const std::string h = render_html_report(r);
  EXPECT_NE(h.find("no digest"), std::string::npos);
  EXPECT_EQ(h.find("<th>digest</th>"), std::string::npos);
  EXPECT_NE(h.find("budget day provider=primary"), std::string::npos);
  EXPECT_NE(h.find("7 refusal(s)"), std::string::npos);
  // In an index of several runs, the real one shows "(real clock)" instead of a digest.
  const std::string idx = render_html_report(std::vector<ScenarioResult>{synthetic(), r});
  EXPECT_NE(idx.find("(real clock)"), std::string::npos);
  EXPECT_NE(idx.find("00ff00ff"), std::string::npos);
  // Virtual runs keep the digest row.
  EXPECT_NE(render_html_report(synthetic()).find("<th>digest</th>"), std::string::npos);
}

TEST(HtmlReport, LongRunsStayBounded) {
  // One simulated hour at 1 s samples with 100 000 attempts: columns are merged so the
  // page stays small, and the latency of merged columns is computed exactly from the log.
  ScenarioResult r = synthetic();
  r.duration = std::chrono::hours(1);
  r.simulated = std::chrono::hours(1);
  r.request_log.clear();
  r.attempt_log.clear();
  r.queue_samples.clear();
  for (uint64_t i = 0; i < 100000; ++i) {
    RequestRecord q;
    q.id = i + 1;
    q.start = milliseconds(static_cast<int64_t>(i * 35));
    q.end = q.start + milliseconds(100 + static_cast<int64_t>(i % 100));
    q.finished = true;
    q.outcome = "ok";
    q.attempts = 1;
    r.request_log.push_back(q);
    AttemptRecord a;
    a.request = q.id;
    a.number = 1;
    a.provider = "primary";
    a.at = q.start;
    a.http_status = 200;
    r.attempt_log.push_back(a);
  }
  for (int s = 0; s < 3600; ++s) r.queue_samples.push_back(QueueSample{seconds(s), 3, 0, 3});
  const std::string h = render_html_report(r);
  EXPECT_EQ(count(h, "<svg"), kChartsPerScenario);
  EXPECT_LT(h.size(), 1'500'000u);
  EXPECT_LE(count(h, "<rect"), 4u * 300u + 64u);
  EXPECT_NE(h.find("(bars: attempts per 12.0 s"), std::string::npos);  // 3600 s / 300 columns
}

TEST(HtmlReport, RendersARealRunWithAnOpenBreaker) {
  const char* text = R"({
    "name": "outage <b>",
    "seed": 3,
    "duration": "20s",
    "providers": [
      {"name": "primary", "models": ["gpt-4o-mini"], "latency": {"ttft": "50ms", "tokens_per_second": 500}},
      {"name": "backup", "models": ["gpt-4o-mini"], "latency": {"ttft": "80ms", "tokens_per_second": 500}}
    ],
    "faults": [
      {"provider": "primary", "id": "down", "kind": "http_error", "status": 503,
       "trigger": {"from": "2s", "until": "8s"}}
    ],
    "workload": {"arrival": {"process": "constant", "rate_per_s": 10}},
    "client": {"policy": "reliability"},
    "expect": [{"kind": "success_rate", "min": 0.95}, {"kind": "all_faults_fired"}]
  })";
  auto s = parse_scenario(text, "inline");
  ASSERT_TRUE(s.ok()) << s.status().message();
  auto r = run_scenario(*s);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_FALSE(r->breaker_log.empty());
  const std::string h = render_html_report(*r);
  EXPECT_EQ(count(h, "<svg"), kChartsPerScenario);
  EXPECT_NE(h.find("outage &lt;b&gt;"), std::string::npos);
  EXPECT_NE(h.find(r->digest), std::string::npos);
  EXPECT_NE(h.find("primary/gpt-4o-mini: open from"), std::string::npos);
  EXPECT_NE(h.find("down (http_error)"), std::string::npos);
  EXPECT_EQ(h.find("://"), std::string::npos);
  EXPECT_EQ(h.find("sk-FAKE"), std::string::npos);  // the runner's endpoint key never leaks
  EXPECT_EQ(h, render_html_report(*r));              // rendering is deterministic
}

}  // namespace
}  // namespace ploke::scenarios
