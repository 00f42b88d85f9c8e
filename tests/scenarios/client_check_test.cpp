// Client checks: the check-file parser, each check on hand-made journals (times chosen by
// the test, no clock), and the three report renderings.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ploke/scenarios/client_check.h"

namespace ploke::scenarios {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// One exchange: arrival at `at_ms`, ended `took_ms` later.
ObservedExchange ex(uint64_t seq, int64_t at_ms, int64_t took_ms, int status, uint64_t body = 1) {
  ObservedExchange x;
  x.entry.seq = seq;
  x.entry.at = milliseconds(at_ms);
  x.entry.method = "POST";
  x.entry.path = "/v1/chat/completions";
  x.entry.model = "gpt-4o-mini";
  x.entry.status = status;
  x.entry.ending = status == 0 ? "reset" : "complete";
  x.entry.body_hash = body;
  x.latency = milliseconds(took_ms);
  return x;
}

ClientCheckSpec spec_of(std::vector<ClientCheck> checks) {
  ClientCheckSpec s;
  s.name = "t";
  s.checks = std::move(checks);
  return s;
}

ClientCheck check(ClientCheckKind k) {
  ClientCheck c;
  c.kind = k;
  return c;
}

ClientVerdict judge_one(const ClientCheck& c, const std::vector<ObservedExchange>& xs, CommandOutcome o = {}) {
  auto r = judge_client(spec_of({c}), xs, o, {});
  EXPECT_EQ(r.verdicts.at(0).kind, ClientCheckKind::kReachesTheSimulator);
  EXPECT_EQ(r.verdicts.at(0).passed, !xs.empty());
  return r.verdicts.at(1);
}

TEST(ClientCheckSpec, ParsesFaultsProfileAndOverrides) {
  auto s = parse_client_check(R"({
    "name": "n", "seed": 3, "latency": {"ttft": "5ms", "tokens_per_second": 100},
    "faults": [{"kind": "http_error", "status": 429, "retry_after": "2s", "trigger": {"nth": 1}}],
    "client": {"profile": "openai-node",
               "expect": ["waits_for_retry_after", {"check": "retries_at_most", "max_retries": 4}]}})",
                              "inline");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->seed, 3u);
  ASSERT_EQ(s->faults.faults.size(), 1u);
  EXPECT_EQ(s->faults.faults[0].retry_after_ms, seconds(2));  // "retry_after" is sent as retry-after-ms
  ASSERT_EQ(s->checks.size(), 2u);
  EXPECT_EQ(s->checks[1].max_retries, 4u);            // the override
  EXPECT_EQ(s->checks[1].min_retries, 2u);            // the profile's
  EXPECT_EQ(s->checks[0].within, std::chrono::minutes(10));
}

TEST(ClientCheckSpec, ProfileAloneGivesItsChecks) {
  auto s = parse_client_check(R"({"client": {"profile": "vercel-ai"}})", "x.json");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->name, "x");
  EXPECT_FALSE(s->checks.empty());
  for (const auto& c : s->checks) EXPECT_FALSE(c.require_jitter);
}

TEST(ClientCheckSpec, EveryBadFieldIsNamed) {
  auto s = parse_client_check(R"({"faults": [{"kind": "http_error", "status": "x", "provider": "p"}],
    "client": {"profile": "nope", "expect": [{"check": "retries_at_most", "min_gap": "1s"}, {"check": "bogus"}, 7]},
    "extra": 1})",
                              "bad.json");
  ASSERT_FALSE(s.ok());
  const std::string m = s.status().message();
  EXPECT_NE(m.find("bad.json"), std::string::npos) << m;
  EXPECT_NE(m.find("faults[0].provider"), std::string::npos) << m;
  EXPECT_NE(m.find("client.profile: unknown profile 'nope'"), std::string::npos) << m;
  EXPECT_NE(m.find("client.expect[0].min_gap: not a parameter of retries_at_most"), std::string::npos) << m;
  EXPECT_NE(m.find("client.expect[1].check: unknown check 'bogus'"), std::string::npos) << m;
  EXPECT_NE(m.find("client.expect[2]"), std::string::npos) << m;
  EXPECT_NE(m.find("extra"), std::string::npos) << m;
}

TEST(ClientCheckSpec, MissingClientSectionAndMalformedJson) {
  EXPECT_NE(parse_client_check("{}", "a").status().message().find("client"), std::string::npos);
  auto bad = parse_client_check("{\"client\": ", "b");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("byte"), std::string::npos) << bad.status().message();
}

TEST(ClientCheck, WaitsForRetryAfter) {
  auto c = check(ClientCheckKind::kWaitsForRetryAfter);
  auto a = ex(1, 0, 10, 429);
  a.entry.retry_after = seconds(1);
  // Retried 200 ms after the answer that asked for 1 s: too early.
  auto v = judge_one(c, {a, ex(2, 210, 10, 200)});
  EXPECT_TRUE(v.judged);
  EXPECT_FALSE(v.passed);
  ASSERT_EQ(v.evidence.size(), 1u);
  EXPECT_NE(v.evidence[0].find("asking to wait 1.00 s; the retry came after 200 ms"), std::string::npos) << v.evidence[0];
  // 1.005 s: fine. 3.5 s: more than 2 × 1 s + 1 s.
  EXPECT_TRUE(judge_one(c, {a, ex(2, 1015, 10, 200)}).passed);
  EXPECT_FALSE(judge_one(c, {a, ex(2, 3510, 10, 200)}).passed);
  // Longer than honored_up_to: not judged.
  c.honored_up_to = milliseconds(500);
  EXPECT_FALSE(judge_one(c, {a, ex(2, 210, 10, 200)}).judged);
}

TEST(ClientCheck, RetriesTransientErrorsAndAtMost) {
  auto min = check(ClientCheckKind::kRetriesTransientErrors);
  min.min_retries = 2;
  // 529 then given up at once: fails; a different body is another call.
  auto v = judge_one(min, {ex(1, 0, 5, 529), ex(2, 600, 5, 200, /*body=*/2)});
  EXPECT_FALSE(v.passed);
  EXPECT_NE(v.evidence.at(0).find("got 529 and the call was given up after 0 retries"), std::string::npos);
  // Reset, 503, 503 and given up after 2 retries: passes.
  EXPECT_TRUE(judge_one(min, {ex(1, 0, 5, 0), ex(2, 600, 5, 503), ex(3, 1700, 5, 503)}).passed);
  // x-should-retry: false is not a transient failure.
  auto told = ex(1, 0, 5, 503);
  told.entry.should_retry = false;
  EXPECT_FALSE(judge_one(min, {told}).judged);
  auto most = check(ClientCheckKind::kRetriesAtMost);
  most.max_retries = 2;
  std::vector<ObservedExchange> storm;
  for (uint64_t i = 0; i < 4; ++i) storm.push_back(ex(i + 1, static_cast<int64_t>(i) * 1000, 5, 429));
  EXPECT_FALSE(judge_one(most, storm).passed);
  storm.pop_back();
  EXPECT_TRUE(judge_one(most, storm).passed);
}

std::vector<ObservedExchange> backoff_chains(const std::vector<std::vector<int64_t>>& gaps_ms) {
  std::vector<ObservedExchange> xs;
  uint64_t seq = 1;
  int64_t t = 0;
  for (size_t call = 0; call < gaps_ms.size(); ++call) {
    for (int64_t g : gaps_ms[call]) {
      xs.push_back(ex(seq++, t, 10, 503, call + 10));
      t += 10 + g;
    }
    xs.push_back(ex(seq++, t, 10, 200, call + 10));
    t += 1000;
  }
  return xs;
}

TEST(ClientCheck, BacksOffWithJitter) {
  auto c = check(ClientCheckKind::kBacksOffWithJitter);
  EXPECT_TRUE(judge_one(c, backoff_chains({{480, 950}, {400, 1010}, {450, 900}})).passed);
  // Immediate retries.
  auto v = judge_one(c, backoff_chains({{5, 990}}));
  EXPECT_FALSE(v.passed);
  EXPECT_NE(v.evidence.at(0).find("retried after 5 ms"), std::string::npos) << v.evidence.at(0);
  // Not growing.
  EXPECT_FALSE(judge_one(c, backoff_chains({{500, 500}})).passed);
  // Identical gaps across three calls: no jitter (unless jitter is not required).
  v = judge_one(c, backoff_chains({{500, 1000}, {500, 1000}, {501, 1000}}));
  EXPECT_FALSE(v.passed);
  EXPECT_NE(v.evidence.back().find("no jitter"), std::string::npos);
  c.require_jitter = false;
  EXPECT_TRUE(judge_one(c, backoff_chains({{500, 1000}, {500, 1000}, {501, 1000}})).passed);
  // With fewer than 3 calls retried, jitter is not judged, and the summary says so.
  EXPECT_NE(judge_one(check(ClientCheckKind::kBacksOffWithJitter), backoff_chains({{500}})).summary.find("jitter not judged"),
            std::string::npos);
}

TEST(ClientCheck, NoRetryOfClientErrorsPartialStreamsOrAnsweredRequests) {
  auto v = judge_one(check(ClientCheckKind::kNoRetryOfClientErrors), {ex(1, 0, 5, 404), ex(2, 100, 5, 404)});
  EXPECT_FALSE(v.passed);
  EXPECT_NE(v.evidence.at(0).find("got 404 and the same request was sent again"), std::string::npos);
  EXPECT_TRUE(judge_one(check(ClientCheckKind::kNoRetryOfClientErrors), {ex(1, 0, 5, 404)}).passed);

  auto cut = ex(1, 0, 50, 200);
  cut.entry.ending = "reset";
  cut.entry.broke_after_output = true;
  v = judge_one(check(ClientCheckKind::kNoRetryAfterPartialStream), {cut, ex(2, 600, 5, 200)});
  EXPECT_FALSE(v.passed);
  EXPECT_NE(v.evidence.at(0).find("the user sees the answer start twice"), std::string::npos);
  // A resumed stream sends another body: a new call, not a retry.
  EXPECT_TRUE(judge_one(check(ClientCheckKind::kNoRetryAfterPartialStream), {cut, ex(2, 600, 5, 200, 2)}).passed);

  EXPECT_FALSE(judge_one(check(ClientCheckKind::kNoRepeatOfAnsweredRequest), {ex(1, 0, 5, 200), ex(2, 50, 5, 200)}).passed);
  EXPECT_TRUE(judge_one(check(ClientCheckKind::kNoRepeatOfAnsweredRequest), {ex(1, 0, 5, 200), ex(2, 50, 5, 200, 2)}).passed);
}

// The same prompt asked twice by the app is two calls when the SDK numbers its attempts
// (X-Stainless-Retry-Count: 0 on each first attempt); its retries still join their call.
TEST(ClientCheck, AFirstAttemptBySdkCountStartsANewCall) {
  auto first = ex(1, 0, 5, 200), again = ex(2, 50, 5, 200);
  first.entry.retry_count = 0;
  again.entry.retry_count = 0;
  EXPECT_TRUE(judge_one(check(ClientCheckKind::kNoRepeatOfAnsweredRequest), {first, again}).passed);
  auto retried = ex(2, 50, 5, 200);
  retried.entry.retry_count = 1;  // the SDK itself resent an answered request
  EXPECT_FALSE(judge_one(check(ClientCheckKind::kNoRepeatOfAnsweredRequest), {first, retried}).passed);
  auto r429 = ex(1, 0, 5, 429), r200 = ex(2, 900, 5, 200), next = ex(3, 1000, 5, 429);
  r429.entry.retry_count = 0;
  r200.entry.retry_count = 1;
  next.entry.retry_count = 0;  // a new call of the same prompt: not a third attempt of the first
  auto c = check(ClientCheckKind::kRetriesAtMost);
  c.max_retries = 1;
  EXPECT_TRUE(judge_one(c, {r429, r200, next}).passed);
}

TEST(ClientCheck, TimesOutHungRequests) {
  auto c = check(ClientCheckKind::kTimesOutHungRequests);
  c.within = seconds(5);
  auto hung = ex(1, 0, 2000, 0);
  hung.entry.ending = "hang";
  hung.entry.client_left = true;
  EXPECT_TRUE(judge_one(c, {hung}).passed);
  hung.entry.client_left = false;  // released by the simulator at its hang limit
  hung.latency = seconds(6);
  auto v = judge_one(c, {hung});
  EXPECT_FALSE(v.passed);
  EXPECT_NE(v.evidence.at(0).find("set a request timeout"), std::string::npos);
  EXPECT_FALSE(judge_one(c, {ex(1, 0, 5, 200)}).judged);
  // Still hanging when the command was stopped at the time limit: not abandoned.
  hung.entry.client_left = true;
  hung.latency = seconds(3);
  EXPECT_FALSE(judge_one(c, {hung}, CommandOutcome{143, true, milliseconds(3100)}).passed);
  EXPECT_TRUE(judge_one(c, {hung}, CommandOutcome{0, false, milliseconds(3100)}).passed);
}

TEST(ClientCheck, SecretsAndExitCode) {
  auto leak = ex(1, 0, 5, 200);
  leak.entry.secret_in = "url";
  auto v = judge_one(check(ClientCheckKind::kNoSecretsInUrlOrBody), {ex(2, 10, 5, 200, 2), leak});
  EXPECT_FALSE(v.passed);
  EXPECT_NE(v.evidence.at(0).find("carried its API key in the url"), std::string::npos);
  EXPECT_FALSE(judge_one(check(ClientCheckKind::kExitsZero), {}, CommandOutcome{3, false, {}}).passed);
  EXPECT_FALSE(judge_one(check(ClientCheckKind::kExitsZero), {}, CommandOutcome{0, true, {}}).passed);
  EXPECT_TRUE(judge_one(check(ClientCheckKind::kExitsZero), {}, CommandOutcome{0, false, {}}).passed);
}

TEST(ClientCheckReport, TextJsonAndJunitAgreeAndRedact) {
  auto spec = spec_of({check(ClientCheckKind::kNoRepeatOfAnsweredRequest), check(ClientCheckKind::kTimesOutHungRequests),
                       check(ClientCheckKind::kExitsZero)});
  auto r = judge_client(spec, {ex(1, 0, 5, 200), ex(2, 50, 5, 200)}, CommandOutcome{0, false, seconds(1)}, {});
  r.command = {"env", "OPENAI_API_KEY=sk-proj-FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE1234", "app<&>"};
  const std::string text = client_report_text(r);
  EXPECT_NE(text.find("FAIL no_repeat_of_answered_request"), std::string::npos) << text;
  EXPECT_NE(text.find("n/a  times_out_hung_requests"), std::string::npos) << text;
  EXPECT_NE(text.find("FAIL: 2 passed, 1 failed, 1 not exercised"), std::string::npos) << text;
  const std::string json = client_report_json(r);
  EXPECT_NE(json.find("\"passed\": false"), std::string::npos);
  const std::string xml = client_report_junit(r, JunitRun{});
  EXPECT_NE(xml.find("tests=\"4\" failures=\"1\" errors=\"0\" skipped=\"1\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<skipped message=\"not exercised: no request hung\"/>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("app&lt;&amp;&gt;"), std::string::npos);
  for (const std::string* out : {&text, &json, &xml}) {
    EXPECT_EQ(out->find("FAKEFAKEFAKEFAKE"), std::string::npos) << *out;
  }
}

}  // namespace
}  // namespace ploke::scenarios
