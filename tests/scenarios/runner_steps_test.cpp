// The scenario runner's steps, each alone on hand-made logs: the expectation checks
// (expectations.h: breaker replay, Retry-After, attempt windows, cost, lost requests,
// faults), the summary steps (summary.h: totals, buckets, breaker states per bucket) and
// the HTML report's column grid (report_series.h).
#include <gtest/gtest.h>

#include "expectations.h"
#include "ploke/scenarios/runner.h"
#include "report_series.h"
#include "summary.h"

namespace ploke::scenarios::detail {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Scenario two_providers() {
  Scenario s;
  ProviderSpec p;
  p.name = "p";
  p.models = {"a", "b"};
  ProviderSpec q;
  q.name = "q";
  q.models = {"m"};
  s.providers = {p, q};
  s.client.breaker.half_open_trials = 1;
  s.sample_interval = seconds(1);
  return s;
}

AttemptRecord attempt(uint64_t request, uint32_t number, const std::string& provider, Duration at) {
  AttemptRecord a;
  a.request = request;
  a.number = number;
  a.provider = provider;
  a.at = at;
  a.head_at = at;
  a.http_status = 200;
  a.ending = "complete";
  return a;
}

RequestRecord request(uint64_t id, Duration start, Duration end, const std::string& outcome) {
  RequestRecord r;
  r.id = id;
  r.start = start;
  r.end = end;
  r.finished = outcome != "lost";
  r.outcome = outcome;
  r.attempts = 1;
  return r;
}

// ---------------------------------------------------------------- breaker replay

TEST(BreakerReplay, ClosedAdmitsOpenRefusesWithWhy) {
  std::vector<BreakerTransition> log = {{seconds(1), "p/a", "p", "closed", "open", "failures"}};
  BreakerReplay replay(log, 1, Duration(0));
  std::string why;
  EXPECT_TRUE(replay.admits("p/a", milliseconds(500), why));
  // A transition to open at the same instant as the attempt does not count.
  EXPECT_TRUE(replay.admits("p/a", seconds(1), why));
  EXPECT_FALSE(replay.admits("p/a", seconds(2), why));
  EXPECT_EQ(why, "p/a open");
  // An endpoint that never moved is closed.
  EXPECT_TRUE(replay.admits("p/b", seconds(2), why));
}

TEST(BreakerReplay, HalfOpenAdmitsItsTrialsThenRefusesAndResetsOnTheNextHalfOpen) {
  std::vector<BreakerTransition> log = {{seconds(1), "p/a", "p", "closed", "open", ""},
                                        {seconds(2), "p/a", "p", "open", "half_open", ""},
                                        {seconds(3), "p/a", "p", "half_open", "open", ""},
                                        {seconds(4), "p/a", "p", "open", "half_open", ""}};
  BreakerReplay replay(log, 2, Duration(0));
  std::string why;
  // A transition to half_open at the attempt's instant counts (it is not to open).
  EXPECT_TRUE(replay.admits("p/a", seconds(2), why));
  EXPECT_TRUE(replay.admits("p/a", milliseconds(2500), why));
  EXPECT_FALSE(replay.admits("p/a", milliseconds(2600), why));
  EXPECT_EQ(why, "p/a half_open");
  EXPECT_FALSE(replay.admits("p/a", milliseconds(3500), why));
  EXPECT_EQ(why, "p/a open");
  EXPECT_TRUE(replay.admits("p/a", milliseconds(4500), why));
}

TEST(BreakerReplay, AnOpeningCountsOnlyAfterTheGrace) {
  std::vector<BreakerTransition> log = {{seconds(1), "p/a", "p", "closed", "open", ""}};
  BreakerReplay replay(log, 1, milliseconds(100));
  std::string why;
  EXPECT_TRUE(replay.admits("p/a", seconds(1) + milliseconds(100), why));
  EXPECT_FALSE(replay.admits("p/a", seconds(1) + milliseconds(101), why));
}

TEST(ExpectationChecks, OpenBreakerViolationOnlyWhenEveryEndpointOfTheProviderRefuses) {
  Scenario s = two_providers();
  ScenarioResult res;
  res.breaker_log = {{seconds(1), "p/a", "p", "closed", "open", ""}, {seconds(3), "p/b", "p", "closed", "open", ""}};
  res.attempt_log = {attempt(1, 1, "p", seconds(2)), attempt(2, 1, "p", seconds(4)), attempt(3, 1, "q", seconds(5))};
  Expectation x;
  x.kind = ExpectationKind::kNoTrafficToOpenBreaker;
  ExpectationResult er = check_no_traffic_to_open_breaker(x, s, res);
  EXPECT_FALSE(er.passed);
  EXPECT_EQ(er.observed, 1);
  EXPECT_EQ(er.detail, "1 attempt(s); first: request 2 attempt 1 at 4000.0ms while p/b open");
  // Only the provider asked about.
  x.provider = "q";
  EXPECT_TRUE(check_no_traffic_to_open_breaker(x, s, res).passed);
  EXPECT_EQ(check_no_traffic_to_open_breaker(x, s, res).description,
            "no traffic to an open breaker beyond 1 half-open trials (q)");
}

TEST(ExpectationChecks, EndpointsByProviderFollowModelOrder) {
  auto eps = endpoints_by_provider(two_providers());
  EXPECT_EQ(eps["p"], (std::vector<std::string>{"p/a", "p/b"}));
  EXPECT_EQ(eps["q"], (std::vector<std::string>{"q/m"}));
}

// ---------------------------------------------------------------- Retry-After

TEST(ExpectationChecks, RetryAfterIsCheckedAgainstTheNextAttemptToTheSameProvider) {
  ScenarioResult res;
  AttemptRecord told = attempt(1, 1, "p", seconds(1));
  told.http_status = 429;
  told.retry_after = seconds(2);
  // Request 1: fails over to q at once (not a retry of p), then comes back to p too early.
  res.attempt_log = {told, attempt(1, 2, "q", seconds(1)), attempt(1, 3, "p", seconds(2))};
  ExpectationResult er = check_honours_retry_after(res);
  EXPECT_FALSE(er.passed);
  EXPECT_EQ(er.observed, 1);
  EXPECT_EQ(er.detail, "1 early retr(ies); first: request 1: retried p after 1000.0ms, Retry-After was 2000.0ms");
  EXPECT_NE(er.description.find("(1 retries checked)"), std::string::npos);
  // Waiting long enough passes; an attempt after a Retry-After with no retry is not checked.
  res.attempt_log[2].at = seconds(3);
  AttemptRecord last = told;
  last.request = 2;
  res.attempt_log.push_back(last);
  er = check_honours_retry_after(res);
  EXPECT_TRUE(er.passed) << er.detail;
  EXPECT_NE(er.description.find("(1 retries checked)"), std::string::npos);
}

TEST(ExpectationChecks, RetryAfterPartialOutputIsNotApplicableWithContinuation) {
  Scenario s;
  ScenarioResult res;
  AttemptRecord a = attempt(4, 2, "p", seconds(1));
  a.after_partial_output = true;
  res.attempt_log = {a};
  EXPECT_FALSE(check_no_retry_after_partial_output(s, res).passed);
  EXPECT_NE(check_no_retry_after_partial_output(s, res).detail.find("first: request 4 attempt 2"), std::string::npos);
  s.client.stream_continuation = true;
  EXPECT_TRUE(check_no_retry_after_partial_output(s, res).passed);
}

// ---------------------------------------------------------------- counts, cost, latency

TEST(ExpectationChecks, AttemptsCountTheProviderInTheWindow) {
  ScenarioResult res;
  res.attempt_log = {attempt(1, 1, "p", seconds(1)), attempt(2, 1, "p", seconds(2)), attempt(3, 1, "q", seconds(2)),
                     attempt(4, 1, "p", seconds(3))};
  Expectation x;
  x.provider = "p";
  x.from = seconds(2);
  x.until = seconds(3);  // exclusive
  x.min = 2;
  x.max = -1;
  ExpectationResult er = check_attempts(x, res);
  EXPECT_EQ(er.observed, 1);
  EXPECT_FALSE(er.passed);
  EXPECT_EQ(er.description, "attempts to p in [2000.0ms, 3000.0ms) >= 2");
  EXPECT_EQ(er.detail, "observed 1, short by 1");
  x.provider.clear();
  x.from.reset();
  x.min = 0;
  x.max = 3;
  er = check_attempts(x, res);
  EXPECT_EQ(er.description, "attempts to any provider in [0.0ms, 3000.0ms) <= 3");
  EXPECT_TRUE(er.passed);
  x.max = 2;
  EXPECT_EQ(check_attempts(x, res).detail, "observed 3, over by 1");
}

TEST(ExpectationChecks, CostOfOneProviderOrTotal) {
  ScenarioResult res;
  res.cost_usd = 0.5;
  res.providers.resize(1);
  res.providers[0].name = "p";
  res.providers[0].cost_usd = 0.2;
  Expectation x;
  x.max = 0.3;
  EXPECT_FALSE(check_cost(x, res).passed);
  EXPECT_EQ(check_cost(x, res).detail, "observed $0.5000, over by $0.2000");
  x.provider = "p";
  EXPECT_TRUE(check_cost(x, res).passed);
  EXPECT_EQ(check_cost(x, res).description, "cost of requests served by p <= $0.3000");
}

TEST(ExpectationChecks, LatencyPercentileOfOkOrAllRequests) {
  ScenarioResult res;
  res.request_log = {request(1, Duration(0), milliseconds(100), "ok"),
                     request(2, Duration(0), milliseconds(900), "timeout")};
  Expectation x;
  x.percentile = 99;
  x.max = 500;
  EXPECT_TRUE(check_latency(x, res).passed);
  EXPECT_EQ(check_latency(x, res).observed, 100);
  x.ok_only = false;
  ExpectationResult er = check_latency(x, res);
  EXPECT_FALSE(er.passed);
  EXPECT_EQ(er.description, "p99 latency (all) <= 500.0ms");
  EXPECT_EQ(er.detail, "observed 900.0ms, over by 400.0ms");
}

TEST(ExpectationChecks, SuccessRateLostRequestsAndFaults) {
  ScenarioResult res;
  Expectation x;
  x.min = 0.99;
  EXPECT_TRUE(check_success_rate(x, res).passed);  // no requests: 100%
  res.requests = 4;
  res.ok = 3;
  EXPECT_EQ(check_success_rate(x, res).detail, "observed 75.00%, short by 24.00%");
  res.lost = 1;
  res.request_log = {request(1, Duration(0), seconds(1), "ok"), request(2, Duration(0), seconds(1), "internal"),
                     request(3, Duration(0), seconds(1), "lost")};
  EXPECT_EQ(check_no_lost_requests(res).observed, 2);  // the lost one and the unclassified one
  EXPECT_EQ(check_no_lost_requests(res).detail, "2 lost or unclassified; first: request 2 (internal)");
  res.providers.resize(2);
  res.providers[0].name = "p";
  res.providers[0].faults = {{"storm", "status", 3, 3}, {"never", "reset", 0, 0}};
  res.providers[1].name = "q";
  res.providers[1].faults = {{"cut", "reset", 1, 0}};
  ExpectationResult er = check_all_faults_fired(res);
  EXPECT_EQ(er.observed, 2);
  EXPECT_EQ(er.description, "every configured fault fired (3 faults)");
  EXPECT_EQ(er.detail, "never fired: p:never, q:cut");
}

TEST(ExpectationChecks, EvaluateSetsKindAndPathInOrder) {
  Scenario s;
  Expectation a;
  a.kind = ExpectationKind::kNoLostRequests;
  a.path = "expect[0]";
  Expectation b;
  b.kind = ExpectationKind::kAllFaultsFired;
  b.path = "expect[1]";
  s.expectations = {a, b};
  ScenarioResult res;
  res.expectations.resize(5);
  ploke::scenarios::evaluate_expectations(s, res);
  ASSERT_EQ(res.expectations.size(), 2u);
  EXPECT_EQ(res.expectations[0].path, "expect[0]");
  EXPECT_EQ(res.expectations[0].kind, std::string(expectation_kind_name(ExpectationKind::kNoLostRequests)));
  EXPECT_EQ(res.expectations[1].kind, std::string(expectation_kind_name(ExpectationKind::kAllFaultsFired)));
  EXPECT_TRUE(res.passed());
}

// ---------------------------------------------------------------- summary steps

TEST(SummarySteps, PercentileIsNearestRank) {
  std::vector<double> v = {5, 1, 4, 2, 3};
  EXPECT_EQ(percentile(v, 50), 3);
  EXPECT_EQ(percentile(v, 0), 1);
  EXPECT_EQ(percentile(v, 100), 5);
  EXPECT_EQ(percentile(v, 81), 5);
  std::vector<double> none;
  EXPECT_EQ(percentile(none, 50), 0);
}

TEST(SummarySteps, RequestTotals) {
  ScenarioResult res;
  res.request_log = {request(1, Duration(0), milliseconds(100), "ok"), request(2, Duration(0), milliseconds(300), "ok"),
                     request(3, seconds(1), seconds(4), "timeout"), request(4, seconds(2), Duration(0), "lost")};
  res.request_log[0].attempts = 3;
  res.request_log[1].cost_usd = 0.25;
  summarize_requests(res);
  EXPECT_EQ(res.requests, 4u);
  EXPECT_EQ(res.ok, 2u);
  EXPECT_EQ(res.failed, 1u);
  EXPECT_EQ(res.lost, 1u);
  EXPECT_EQ(res.attempts, 6u);
  EXPECT_EQ(res.retries, 2u);
  EXPECT_EQ(res.outcomes["timeout"], 1u);
  EXPECT_EQ(res.simulated, seconds(4));  // the last finish; lost requests do not count
  EXPECT_EQ(res.p50_ms, 100);
  EXPECT_EQ(res.max_ms, 300);
  EXPECT_EQ(res.cost_usd, 0.25);
}

TEST(SummarySteps, ProvidersCountAttemptsOpeningsAndServedCost) {
  Scenario s = two_providers();
  ScenarioResult res;
  AttemptRecord reset = attempt(1, 1, "p", seconds(1));
  reset.http_status = 0;
  reset.ending = "reset";
  AttemptRecord fault = attempt(1, 2, "p", seconds(1));
  fault.fault_id = "f";  // a 200 carrying a fault is not ok
  res.attempt_log = {reset, fault, attempt(1, 3, "q", seconds(2))};
  res.breaker_log = {{seconds(1), "p/a", "p", "closed", "open", ""}, {seconds(2), "p/a", "p", "open", "half_open", ""}};
  res.request_log = {request(1, Duration(0), seconds(2), "ok")};
  res.request_log[0].served_by = "q";
  res.request_log[0].cost_usd = 0.1;
  summarize_providers(s, {}, res);  // no engines: no summaries to count into
  EXPECT_TRUE(res.providers.empty());
  res.providers.resize(2);
  res.providers[0].name = "p";
  res.providers[1].name = "q";
  summarize_providers(s, {}, res);
  EXPECT_EQ(res.providers[0].attempts, 2u);
  EXPECT_EQ(res.providers[0].ok, 0u);
  EXPECT_EQ(res.providers[0].outcomes["reset"], 1u);
  EXPECT_EQ(res.providers[0].outcomes["200"], 1u);
  EXPECT_EQ(res.providers[0].breaker_openings, 1u);
  EXPECT_EQ(res.providers[1].ok, 1u);
  EXPECT_EQ(res.providers[1].cost_usd, 0.1);
}

TEST(SummarySteps, BucketsByStartAndEndWithLateTimesInTheLastBucket) {
  Scenario s = two_providers();
  ScenarioResult res;
  res.providers.resize(1);
  res.providers[0].name = "p";
  res.simulated = milliseconds(2500);
  res.request_log = {request(1, milliseconds(100), milliseconds(1200), "ok"),
                     request(2, milliseconds(900), seconds(9), "timeout")};
  res.attempt_log = {attempt(1, 1, "p", milliseconds(100)), attempt(1, 2, "p", milliseconds(1100))};
  res.attempt_log[0].http_status = 503;
  make_buckets(s, res);
  ASSERT_EQ(res.buckets.size(), 4u);  // [0,1) [1,2) [2,3) and the one holding 2.5 s's end
  EXPECT_EQ(res.buckets[3].start, seconds(3));
  EXPECT_EQ(res.buckets[2].providers.count("p"), 1u);
  fill_buckets(s, res);
  EXPECT_EQ(res.buckets[0].arrivals, 2u);
  EXPECT_EQ(res.buckets[1].ok, 1u);
  EXPECT_EQ(res.buckets[1].p99_ms, 1100);
  EXPECT_EQ(res.buckets[3].failed, 1u);  // ended at 9 s: clamped into the last bucket
  EXPECT_EQ(res.buckets[0].providers["p"].errors, 1u);
  EXPECT_EQ(res.buckets[1].retries, 1u);
  EXPECT_EQ(res.buckets[1].providers["p"].ok, 1u);
}

TEST(SummarySteps, BucketBreakerStateFollowsTheFirstEndpointOnly) {
  Scenario s = two_providers();
  ScenarioResult res;
  res.providers.resize(1);
  res.providers[0].name = "p";
  res.simulated = milliseconds(3500);
  res.breaker_log = {{milliseconds(500), "p/b", "p", "closed", "open", ""},
                     {milliseconds(1500), "p/a", "p", "closed", "open", ""},
                     {milliseconds(2999), "p/a", "p", "open", "half_open", ""}};
  make_buckets(s, res);
  bucket_breaker_states(s, res);
  ASSERT_EQ(res.buckets.size(), 5u);
  EXPECT_EQ(res.buckets[0].providers["p"].breaker, "closed");  // p/b is not the first endpoint
  EXPECT_EQ(res.buckets[1].providers["p"].breaker, "open");
  EXPECT_EQ(res.buckets[2].providers["p"].breaker, "half_open");  // state at the bucket's end
  EXPECT_EQ(res.buckets[4].providers["p"].breaker, "half_open");
}

// ---------------------------------------------------------------- report columns

TEST(ReportSeries, ColumnsAreTheSampleIntervalWidenedToTheCap) {
  ScenarioResult r;
  r.duration = seconds(10);
  r.sample_interval = milliseconds(500);
  ColumnGrid g = column_grid(r);
  EXPECT_EQ(g.col_ms, 500);
  EXPECT_EQ(g.count, 20u);
  r.duration = std::chrono::hours(1);
  r.sample_interval = seconds(1);
  g = column_grid(r);
  EXPECT_EQ(g.col_ms, 12000);  // 3600 columns → widened by 12
  EXPECT_EQ(g.count, 300u);
  g = column_grid(r, 7);
  EXPECT_LE(g.count, 7u);
  // No sample interval: 1 s columns; a logged attempt past the duration widens the axis.
  r.duration = seconds(2);
  r.sample_interval = Duration(0);
  r.attempt_log = {attempt(1, 1, "p", milliseconds(4500))};
  g = column_grid(r);
  EXPECT_EQ(g.col_ms, 1000);
  EXPECT_EQ(g.count, 5u);
}

TEST(ReportSeries, WithoutLogsBucketsMergeAndKeepTheWorstPercentiles) {
  ScenarioResult r;
  r.duration = seconds(1);
  r.sample_interval = seconds(1);
  r.buckets.resize(2);
  r.buckets[0].start = Duration(0);
  r.buckets[0].ok = 2;
  r.buckets[0].p99_ms = 40;
  r.buckets[0].providers["late"].errors = 3;
  r.buckets[1].start = seconds(1);
  r.breaker_log = {{seconds(1), "z/m", "z", "closed", "open", ""}};
  r.providers.resize(1);
  r.providers[0].name = "p";
  Series s = build_series(r);
  ASSERT_EQ(s.cols.size(), 2u);  // the last bucket's end widens the axis past the duration
  EXPECT_TRUE(s.cols[0].has_latency);
  EXPECT_EQ(s.cols[0].p99, 40);
  EXPECT_FALSE(s.cols[1].has_latency);
  EXPECT_EQ(s.cols[0].providers["late"].errors, 3u);
  // Result order first, then providers seen in buckets, then in the breaker log.
  EXPECT_EQ(s.providers, (std::vector<std::string>{"p", "late", "z"}));
}

TEST(ReportSeries, FromLogsColumnsHoldExactPercentiles) {
  ScenarioResult r;
  r.duration = seconds(1);
  r.sample_interval = seconds(1);
  r.request_log = {request(1, Duration(0), milliseconds(100), "ok"), request(2, Duration(0), milliseconds(700), "ok"),
                   request(3, Duration(0), milliseconds(800), "timeout")};
  r.attempt_log = {attempt(1, 1, "p", Duration(0))};
  Series s = build_series(r);
  ASSERT_EQ(s.cols.size(), 1u);
  EXPECT_EQ(s.cols[0].arrivals, 3u);
  EXPECT_EQ(s.cols[0].ok, 2u);
  EXPECT_EQ(s.cols[0].failed, 1u);
  EXPECT_EQ(s.cols[0].p50, 100);
  EXPECT_EQ(s.cols[0].p99, 700);
  EXPECT_EQ(s.cols[0].providers["p"].ok, 1u);
}

}  // namespace
}  // namespace ploke::scenarios::detail
