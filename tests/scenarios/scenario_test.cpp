// ploke::scenarios: the format parser (every error path, all errors in one pass), the
// fiber scheduler hook in Completion, expectation verdicts (each kind passing and
// failing), and determinism (same seed → same digest).
#include <gtest/gtest.h>

#include <string>

#include "ploke/adapters/openai/adapter.h"
#include "ploke/core/in_process_transport.h"
#include "ploke/core/transport.h"
#include "ploke/fibers/virtual_time.h"
#include "ploke/scenarios/html_report.h"
#include "ploke/scenarios/runner.h"
#include "ploke/scenarios/scenario.h"
#include "ploke/resilience/llm_client.h"
#include "ploke/simulator/engine.h"
#include "ploke/simulator/fault_plan_json.h"

namespace ploke::scenarios {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// ---------------------------------------------------------------- parser

std::string minimal(const std::string& extra = "") {
  return R"({
    // comments are allowed
    "name": "t", "seed": 3, "duration": "10s",
    "providers": [{"name": "p", "models": ["gpt-4o-mini"]}],
    "workload": {"arrival": {"process": "constant", "rate_per_s": 2}})" +
         extra + "}";
}

TEST(ScenarioParse, MinimalWithComments) {
  auto s = parse_scenario(minimal(), "min.json");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->name, "t");
  EXPECT_EQ(s->seed, 3u);
  EXPECT_EQ(s->duration, seconds(10));
  ASSERT_EQ(s->providers.size(), 1u);
  EXPECT_EQ(s->providers[0].protocol, "openai");
  EXPECT_EQ(s->workload.rate_per_s, 2);
}

// Every field of the format once.
constexpr const char* kFullFormat = R"({
    "name": "full", "description": "d", "tags": ["a", "b"], "seed": 9, "duration": "2m", "drain": "30s",
    "sample_interval": "500ms",
    "providers": [
      {"name": "a", "protocol": "anthropic", "models": ["claude-haiku-4-5"],
       "latency": {"ttft": "120ms", "tokens_per_second": 50}, "completion_tokens": {"min": 4, "max": 9},
       "tool_call_probability": 0.2, "rate_limits": {"limit_requests": 100, "limit_tokens": 1000},
       "client_rate_limits": {"requests_per_minute": 60}, "price": {"input_usd_per_mtok": 1, "output_usd_per_mtok": 2},
       "weight": 2, "timeouts": {"first_byte": "2s", "total": "9s"}},
      {"name": "b", "protocol": "openrouter", "models": ["openai/gpt-4o-mini"]}],
    "faults": [
      {"provider": "a", "kind": "http_error", "status": 429, "retry_after": "1s", "trigger": {"from": "10s", "until": "20s"}},
      {"id": "x", "provider": "b", "kind": "stream_cut", "after_events": 3, "trigger": {"nth": 2, "every": 3}},
      {"provider": "b", "kind": "slow_stream", "factor": 4, "trigger": {"probability": 0.5}}],
    "workload": {"arrival": {"process": "bursts", "rate_per_s": 1, "bursts": [{"at": "5s", "count": 50, "over": "1s"}]},
      "requests": 500, "model": "gpt-4o-mini", "prompt_chars": {"min": 10, "max": 20}, "max_output_tokens": 16,
      "stream_share": 0.5, "tool_share": 0.25, "priorities": {"low": 1, "high": 3}, "deadline": "15s", "policy": "latency"},
    "client": {"policy": "cost", "max_chain": 2,
      "breaker": {"window_size": 10, "minimum_calls": 5, "failure_rate_threshold": 0.4, "consecutive_failures": 3,
                  "slow_call_threshold": "3s", "slow_call_rate_threshold": 0.9, "open_base": "2s",
                  "open_multiplier": 3, "open_max": "1m", "half_open_trials": 2},
      "retry": {"max_retries_per_endpoint": 1, "max_total_attempts": 4, "max_retry_after": "10s", "min_attempt_time": "20ms"},
      "backoff": {"base": "100ms", "cap": "5s", "jitter": "full"}, "retry_budget": {"ratio": 0.3},
      "admission": {"max_in_flight": 8, "lane_capacity": 100}, "provider_limits": {"a": {"tokens_per_minute": 5000}},
      "learn_rate_limits": false, "max_rate_limit_wait": "3s", "stream_continuation": true,
      "timeouts": {"connect": "1s", "first_byte": "3s", "idle": "2s", "total": "20s"}},
    "expect": [
      {"kind": "success_rate", "min": 0.9}, {"kind": "latency", "percentile": 99, "max": "2s", "of": "all"},
      {"kind": "attempts", "provider": "a", "from": "10s", "until": "20s", "max": 5},
      {"kind": "no_traffic_to_open_breaker", "provider": "b"}, {"kind": "honours_retry_after"},
      {"kind": "no_retry_after_partial_output"}, {"kind": "cost", "max_usd": 1.5}, {"kind": "no_lost_requests"},
      {"kind": "all_faults_fired"}]
  })";

TEST(ScenarioParse, FullFormat) {
  auto s = parse_scenario(kFullFormat, "full.json");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->tags.size(), 2u);
  EXPECT_EQ(s->drain, seconds(30));
  EXPECT_EQ(s->sample_interval, milliseconds(500));
  EXPECT_EQ(s->providers[0].protocol, "anthropic");
  EXPECT_EQ(s->providers[0].ttft, milliseconds(120));
  EXPECT_EQ(s->providers[0].client_limits.requests_per_minute, 60u);
  EXPECT_EQ(*s->providers[0].timeouts.first_byte_timeout, seconds(2));
  ASSERT_EQ(s->providers[0].faults.faults.size(), 1u);
  const simulator::Fault& f = s->providers[0].faults.faults[0];
  EXPECT_EQ(f.id, "f1");
  EXPECT_EQ(f.status, 429);
  EXPECT_EQ(*f.trigger.from, seconds(10));
  EXPECT_EQ(*f.trigger.until, seconds(20));
  ASSERT_EQ(s->providers[1].faults.faults.size(), 2u);
  EXPECT_EQ(s->providers[1].faults.faults[0].id, "x");
  EXPECT_EQ(s->providers[1].faults.faults[1].kind, simulator::FaultKind::kSlowStream);
  EXPECT_EQ(s->workload.arrival, ArrivalProcess::kBursts);
  EXPECT_EQ(s->workload.bursts[0].count, 50u);
  EXPECT_EQ(*s->workload.max_requests, 500u);
  EXPECT_EQ(s->workload.priorities.size(), 2u);
  EXPECT_EQ(s->policy, "cost");
  EXPECT_EQ(s->client.router.max_chain, 2u);
  EXPECT_EQ(s->client.breaker.half_open_trials, 2u);
  EXPECT_EQ(s->client.retry.max_total_attempts, 4u);
  EXPECT_EQ(s->client.backoff.jitter, resilience::JitterMode::kFull);
  EXPECT_EQ(s->client.admission.max_in_flight, 8u);
  EXPECT_EQ(s->client.provider_limits["a"].tokens_per_minute, 5000u);
  EXPECT_FALSE(s->client.learn_rate_limits);
  EXPECT_TRUE(s->client.stream_continuation);
  EXPECT_EQ(*s->timeouts.total_timeout, seconds(20));
  ASSERT_EQ(s->expectations.size(), 9u);
  EXPECT_EQ(s->expectations[1].max, 2000);
  EXPECT_FALSE(s->expectations[1].ok_only);
  EXPECT_EQ(s->expectations[2].path, "expect[2]");
}

TEST(ScenarioParse, InvalidJsonNamesFileAndByte) {
  auto s = parse_scenario("{\"name\": }", "bad.json");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("bad.json"), std::string::npos);
  EXPECT_NE(s.status().message().find("byte"), std::string::npos);
  EXPECT_FALSE(parse_scenario("[1]", "arr.json").ok());
}

TEST(ScenarioParse, EveryBadFieldInOnePass) {
  auto s = parse_scenario(R"({
    "name": 5, "seed": -1, "duration": "ten seconds", "bogus": 1, "tags": [1],
    "providers": [{"name": "p", "protocol": "grpc", "models": [], "latency": {"ttft": "x", "tokens_per_second": 0},
                   "weird": true, "completion_tokens": {"min": 9, "max": 2}},
                  {"name": "p", "models": ["m"]}, 7],
    "faults": [{"provider": "nope", "kind": "explode"}, {"provider": "p", "kind": "http_error", "status": 99},
               {"provider": "p", "kind": "hang", "trigger": {"from": "soon"}}, "x"],
    "workload": {"arrival": {"process": "fractal", "rate_per_s": -3}, "stream_share": 2, "prompt_chars": {"min": 5, "max": 1},
                 "priorities": {"urgent": 1}, "deadline": false},
    "client": {"breaker": {"failure_rate_threshold": 3}, "backoff": {"jitter": "wild"}, "retry": {"max_total_attempts": 0},
               "nope": 1, "provider_limits": {"p": 4}},
    "expect": [{"kind": "vibes"}, {"kind": "success_rate"}, {"kind": "latency", "percentile": 200, "max": "1s"},
               {"kind": "attempts", "provider": "ghost", "max": 1}, {"min": 1}, {"kind": "cost", "max_usd": 1, "extra": 2},
               {"kind": "attempts"}]
  })",
                          "many.json");
  ASSERT_FALSE(s.ok());
  const std::string m = s.status().message();
  for (const char* needle :
       {"many.json", "name: must be a string", "seed: must be a non-negative integer", "duration: must be a duration",
        "bogus: unknown key", "tags[0]: must be a string", "providers[0].protocol: unknown protocol 'grpc'",
        "providers[0].models: must list at least one model", "providers[0].latency.ttft: must be a duration",
        "providers[0].latency.tokens_per_second: must be in", "providers[0].weird: unknown key",
        "providers[0].completion_tokens: min must be <= max", "providers[1].name: duplicate provider 'p'",
        "providers[2]: must be an object", "faults[0].provider: unknown provider 'nope'", "faults[0].kind",
        "faults[1].status", "faults[2].trigger.from: must be a duration", "faults[3]: must be an object",
        "workload.arrival.process: unknown arrival process 'fractal'", "workload.arrival.rate_per_s: must be in",
        "workload.stream_share: must be in", "workload.prompt_chars: min must be <= max",
        "workload.priorities.urgent: unknown key", "workload.deadline: must be a duration",
        "client.breaker.failure_rate_threshold: must be in", "client.backoff.jitter: unknown jitter 'wild'",
        "client.retry.max_total_attempts: must be in", "client.nope: unknown key",
        "client.provider_limits.p: must be an object", "expect[0].kind: unknown expectation 'vibes'",
        "expect[1].min: required", "expect[2].percentile: must be in", "expect[3].provider: unknown provider 'ghost'",
        "expect[4].kind: required", "expect[5].extra: unknown key", "expect[6].max: required for kind 'attempts'"}) {
    EXPECT_NE(m.find(needle), std::string::npos) << "missing: " << needle << "\nin:\n" << m;
  }
}

TEST(ScenarioParse, RequiredTopLevelFields) {
  auto s = parse_scenario("{}", "empty.json");
  ASSERT_FALSE(s.ok());
  const std::string m = s.status().message();
  for (const char* needle : {"name: required", "duration: required", "providers: required", "workload: required"}) {
    EXPECT_NE(m.find(needle), std::string::npos) << needle << "\n" << m;
  }
  auto two = parse_scenario(R"({"name":"x","duration":"1s","workload":{},
      "providers":[{"name":"a","models":["m"]},{"name":"b","models":["m"]}],
      "faults":[{"kind":"reset"},{"provider":"a","kind":"reset","id":"d"},{"provider":"b","kind":"reset","id":"d"}]})",
                            "two.json");
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.status().message().find("faults[0].provider: required when there is more than one provider"),
            std::string::npos);
  EXPECT_NE(two.status().message().find("faults[2].id: duplicate fault id 'd'"), std::string::npos);
}

TEST(ScenarioParse, Durations) {
  EXPECT_EQ(*parse_duration_text("250ms"), milliseconds(250));
  EXPECT_EQ(*parse_duration_text("1.5s"), milliseconds(1500));
  EXPECT_EQ(*parse_duration_text("2m"), seconds(120));
  EXPECT_EQ(*parse_duration_text("1h"), seconds(3600));
  EXPECT_EQ(*parse_duration_text("3"), seconds(3));
  EXPECT_EQ(*parse_duration_text("500us"), std::chrono::microseconds(500));
  EXPECT_FALSE(parse_duration_text("").has_value());
  EXPECT_FALSE(parse_duration_text("5 parsecs").has_value());
  EXPECT_FALSE(parse_duration_text("ms").has_value());
}

TEST(ScenarioParse, FilesAndDirectories) {
  auto files = scenario_files(std::string(PLOKE_SOURCE_DIR) + "/scenarios");
  ASSERT_TRUE(files.ok());
  EXPECT_GE(files->size(), 2u);
  EXPECT_FALSE(scenario_files("/nonexistent/dir").ok());
  EXPECT_FALSE(load_scenario_file("/nonexistent/file.json").ok());
  for (const char* name : {"429-storm.json", "outage-recovery.json"}) {
    auto s = load_scenario_file(std::string(PLOKE_SOURCE_DIR) + "/scenarios/" + name);
    EXPECT_TRUE(s.ok()) << name << ": " << s.status().message();
  }
}

// ---------------------------------------------------------------- runs

Scenario must_parse(const std::string& text) {
  auto s = parse_scenario(text, "inline.json");
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? *s : Scenario{};
}

const ExpectationResult& find(const ScenarioResult& r, const std::string& path) {
  for (const auto& e : r.expectations) {
    if (e.path == path) return e;
  }
  static ExpectationResult none;
  ADD_FAILURE() << "no expectation " << path;
  return none;
}

// A small storm: primary 429s with Retry-After in [5s, 15s); secondary takes over.
const char* kStorm = R"({
  "name": "storm", "seed": 11, "duration": "30s",
  "providers": [
    {"name": "primary", "models": ["gpt-4o-mini"], "latency": {"ttft": "100ms", "tokens_per_second": 200},
     "price": {"input_usd_per_mtok": 1, "output_usd_per_mtok": 2}},
    {"name": "secondary", "protocol": "anthropic", "models": ["claude-haiku-4-5"],
     "latency": {"ttft": "200ms", "tokens_per_second": 100}, "price": {"input_usd_per_mtok": 5, "output_usd_per_mtok": 10}}],
  "faults": [{"id": "storm", "provider": "primary", "kind": "http_error", "status": 429, "retry_after": "1s",
              "trigger": {"from": "5s", "until": "15s"}},
             {"id": "cut", "provider": "primary", "kind": "stream_cut", "after_events": 4,
              "match": {"stream": true}, "trigger": {"from": "20s", "probability": 0.3}},
             {"id": "never", "provider": "secondary", "kind": "reset", "trigger": {"nth": 100000}}],
  "workload": {"arrival": {"process": "poisson", "rate_per_s": 10}, "stream_share": 0.5, "tool_share": 0.2,
               "max_output_tokens": 16, "deadline": "20s"},
  "client": {"policy": "cost", "timeouts": {"first_byte": "5s", "idle": "2s", "total": "10s"}},
  "expect": [
    {"kind": "success_rate", "min": 0.9}, {"kind": "success_rate", "min": 1.0},
    {"kind": "latency", "percentile": 95, "max": "10s"}, {"kind": "latency", "percentile": 50, "max": "1ms"},
    {"kind": "attempts", "provider": "secondary", "max": 100000}, {"kind": "attempts", "provider": "primary", "from": "5s", "until": "15s", "max": 1},
    {"kind": "no_traffic_to_open_breaker"}, {"kind": "honours_retry_after"},
    {"kind": "no_retry_after_partial_output"},
    {"kind": "cost", "max_usd": 100}, {"kind": "cost", "max_usd": 0},
    {"kind": "no_lost_requests"}, {"kind": "all_faults_fired"},
    {"kind": "attempts", "provider": "secondary", "min": 1}, {"kind": "attempts", "provider": "secondary", "min": 100000000}]
})";

TEST(ScenarioRun, ExpectationsPassAndFailWithObservedValues) {
  Scenario s = must_parse(kStorm);
  auto r = run_scenario(s);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_GT(r->requests, 200u);
  EXPECT_EQ(r->requests, r->request_log.size());
  EXPECT_FALSE(r->attempt_log.empty());
  EXPECT_TRUE(find(*r, "expect[0]").passed) << find(*r, "expect[0]").detail;
  // 100% fails only if something failed; the cut streams (no continuation) do fail.
  EXPECT_FALSE(find(*r, "expect[1]").passed);
  EXPECT_NE(find(*r, "expect[1]").detail.find("short by"), std::string::npos);
  EXPECT_TRUE(find(*r, "expect[2]").passed);
  EXPECT_FALSE(find(*r, "expect[3]").passed);
  EXPECT_NE(find(*r, "expect[3]").detail.find("over by"), std::string::npos);
  EXPECT_TRUE(find(*r, "expect[4]").passed);
  EXPECT_FALSE(find(*r, "expect[5]").passed);  // the storm's 429s did reach the primary
  EXPECT_GT(find(*r, "expect[5]").observed, 1);
  EXPECT_TRUE(find(*r, "expect[6]").passed) << find(*r, "expect[6]").detail;
  EXPECT_TRUE(find(*r, "expect[7]").passed) << find(*r, "expect[7]").detail;
  EXPECT_TRUE(find(*r, "expect[8]").passed) << find(*r, "expect[8]").detail;
  EXPECT_TRUE(find(*r, "expect[9]").passed);
  EXPECT_FALSE(find(*r, "expect[10]").passed);
  EXPECT_TRUE(find(*r, "expect[11]").passed) << find(*r, "expect[11]").detail;
  EXPECT_FALSE(find(*r, "expect[12]").passed);  // "never" never fired
  EXPECT_NE(find(*r, "expect[12]").detail.find("secondary:never"), std::string::npos);
  EXPECT_TRUE(find(*r, "expect[13]").passed);
  EXPECT_FALSE(find(*r, "expect[14]").passed);
  EXPECT_NE(find(*r, "expect[14]").detail.find("short by"), std::string::npos);
  EXPECT_FALSE(r->passed());
  // Outputs render.
  EXPECT_NE(result_to_text(*r).find("FAIL expect[1]"), std::string::npos);
  EXPECT_NE(result_to_json(*r).find("\"digest\""), std::string::npos);
  const std::string html = render_html_report(*r);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("</html>"), std::string::npos);
}

TEST(ScenarioRun, SameSeedSameDigestOtherSeedOtherDigest) {
  Scenario s = must_parse(kStorm);
  auto a = run_scenario(s);
  auto b = run_scenario(s);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->digest.size(), 64u);
  EXPECT_EQ(a->digest, b->digest);
  EXPECT_EQ(canonical_text(*a), canonical_text(*b));
  RunOptions o;
  o.seed = 12;
  auto c = run_scenario(s, o);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->digest, c->digest);
}

// Admission queueing across fibers: a burst of 60 requests against max_in_flight 2 waits
// in the lanes (suspended fibers, granted by other fibers' completions), none is lost.
TEST(ScenarioRun, AdmissionQueueAcrossFibers) {
  Scenario s = must_parse(R"({
    "name": "queue", "duration": "5s", "sample_interval": "100ms",
    "providers": [{"name": "p", "models": ["gpt-4o-mini"], "latency": {"ttft": "200ms", "tokens_per_second": 100}}],
    "workload": {"arrival": {"process": "bursts", "rate_per_s": 0, "bursts": [{"at": "1s", "count": 60}]},
                 "max_output_tokens": 8},
    "client": {"admission": {"max_in_flight": 2, "lane_capacity": 1000}},
    "expect": [{"kind": "no_lost_requests"}, {"kind": "success_rate", "min": 1}]})");
  auto r = run_scenario(s);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->requests, 60u);
  EXPECT_TRUE(r->passed()) << result_to_text(*r);
  uint64_t max_queued = 0, max_in_flight = 0;
  for (const auto& q : r->queue_samples) {
    max_queued = std::max(max_queued, q.queued);
    max_in_flight = std::max(max_in_flight, q.in_flight);
  }
  EXPECT_GT(max_queued, 40u);
  EXPECT_LE(max_in_flight, 2u);
  // 30 waves of two ~0.3 s calls: the last finishes ~9 s after the burst, in virtual time.
  EXPECT_GT(r->simulated, seconds(8));
  Duration max_wait{0};
  for (const auto& q : r->request_log) max_wait = std::max(max_wait, q.queue_wait);
  EXPECT_GT(max_wait, seconds(5));
}

// Violations detected from the logs (a client that does not hold back).
TEST(ScenarioRun, ViolationsAreDetected) {
  Scenario s = must_parse(kStorm);
  auto r = run_scenario(s);
  ASSERT_TRUE(r.ok());
  ScenarioResult bad = *r;
  // An early retry: a 429 with Retry-After 1 s, retried 10 ms later at the same provider.
  AttemptRecord a1;
  a1.request = 999999;
  a1.number = 1;
  a1.provider = "primary";
  a1.at = seconds(6);
  a1.head_at = seconds(6);
  a1.http_status = 429;
  a1.retry_after = seconds(1);
  AttemptRecord a2 = a1;
  a2.number = 2;
  a2.at = seconds(6) + milliseconds(10);
  a2.retry_after.reset();
  a2.after_partial_output = true;
  bad.attempt_log.push_back(a1);
  bad.attempt_log.push_back(a2);
  // An attempt while the breaker is open.
  bad.breaker_log.push_back({seconds(25), "secondary/claude-haiku-4-5", "secondary", "closed", "open", "test"});
  AttemptRecord a3 = a1;
  a3.provider = "secondary";
  a3.at = seconds(26);
  a3.retry_after.reset();
  std::stable_sort(bad.attempt_log.begin(), bad.attempt_log.end(), [](const auto& x, const auto& y) { return x.at < y.at; });
  bad.attempt_log.push_back(a3);
  std::stable_sort(bad.attempt_log.begin(), bad.attempt_log.end(), [](const auto& x, const auto& y) { return x.at < y.at; });
  bad.request_log.back().finished = false;
  bad.lost = 1;
  evaluate_expectations(s, bad);
  EXPECT_FALSE(find(bad, "expect[6]").passed);
  EXPECT_NE(find(bad, "expect[6]").detail.find("open"), std::string::npos);
  EXPECT_FALSE(find(bad, "expect[7]").passed);
  EXPECT_NE(find(bad, "expect[7]").detail.find("Retry-After was 1000.0ms"), std::string::npos);
  EXPECT_FALSE(find(bad, "expect[8]").passed);
  EXPECT_FALSE(find(bad, "expect[11]").passed);
}

// The two scenarios this module ships for its own tests (the whole library is covered by
// scenario_library_test).
TEST(ScenarioRun, OwnScenariosHold) {
  for (const char* name : {"429-storm.json", "outage-recovery.json"}) {
    const std::string f = std::string(PLOKE_SOURCE_DIR) + "/scenarios/" + name;
    auto s = load_scenario_file(f);
    ASSERT_TRUE(s.ok()) << s.status().message();
    auto r = run_scenario(*s);
    ASSERT_TRUE(r.ok()) << f << ": " << r.status().message();
    EXPECT_TRUE(r->passed()) << result_to_text(*r);
  }
}


// A façade call backing off after a 429 (no CancelToken) must suspend its fiber, not move
// the simulated clock for everyone: a call started at the same time ends at its own time.
TEST(Fibers, FacadeBackoffWithoutCancelTokenDoesNotStallOtherFibers) {
  SimulatedClock clock;
  simulator::SimOptions so;
  so.latency = simulator::LatencyModel::Fast();
  auto engine = simulator::SimEngine::Create(so, clock);
  ASSERT_TRUE(engine.ok());
  auto plan = simulator::parse_fault_plan(
      R"({"faults":[{"kind":"http_error","status":429,"retry_after_ms":2000,"trigger":{"nth":1}}]})", "test");
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  ASSERT_TRUE((*engine)->set_faults(*plan).ok());
  InProcessTransport transport(clock, simulator::engine_handler(**engine));
  auto adapter = adapters::openai::make_openai_adapter();
  resilience::LlmClient client(clock, resilience::LlmClientOptions{});
  resilience::EndpointConfig c;
  c.candidate.id = "sim/gpt-4o-mini";
  c.candidate.provider = "sim";
  c.candidate.model = "gpt-4o-mini";
  c.candidate.caps = Capabilities{true, true, true, true, true, 0};
  c.adapter = adapter.get();
  c.endpoint = Endpoint{"sim", "http://sim.invalid/v1", Secret("sk-FAKE-fiber-test"), {}};
  c.transport = &transport;
  ASSERT_TRUE(client.add_endpoint(std::move(c)).ok());
  ChatRequest req;
  req.model = "gpt-4o-mini";
  req.messages.push_back(Message::User("hi"));
  const TimePoint t0 = clock.now();
  fibers::VirtualTimeFibers fibers(clock);
  Duration a_end{0}, b_end{0};
  bool a_ok = false, b_ok = false;
  fibers.spawn([&] {  // gets the 429, waits out Retry-After (2 s), retries
    a_ok = client.complete(req).ok();
    a_end = clock.now() - t0;
  });
  fibers.spawn([&] {
    b_ok = client.complete(req).ok();
    b_end = clock.now() - t0;
  });
  fibers.run();
  EXPECT_TRUE(a_ok);
  EXPECT_TRUE(b_ok);
  EXPECT_GE(a_end, seconds(2));
  EXPECT_LT(b_end, seconds(1)) << "b was held up by a's backoff";
}


// ---------------------------------------------------------------- drift and client budgets

TEST(ScenarioParse, DriftBudgetsProfileAndProviderCost) {
  auto s = parse_scenario(R"({
    "name": "db", "duration": "10s",
    "providers": [{"name": "or", "protocol": "openrouter", "models": ["openai/gpt-4o-mini"], "drift": "all"},
                  {"name": "or2", "protocol": "openrouter", "models": ["openai/gpt-4o"], "drift": ["extra_fields", "numeric_prices"]},
                  {"name": "oa", "models": ["gpt-4o-mini"]}],
    "workload": {},
    "client": {"profile": "ci", "budgets": [
      {"provider": "or", "usd": 0.5, "period": "month", "action": "stop"},
      {"profile": "ci", "usd": 2},
      {"usd": 10, "action": "stop"}]},
    "expect": [{"kind": "cost", "provider": "oa", "max_usd": 1}]})",
                          "db.json");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(s->providers[0].drift.unknown_enums && s->providers[0].drift.numeric_prices &&
              s->providers[0].drift.extra_fields);
  EXPECT_FALSE(s->providers[1].drift.unknown_enums);
  EXPECT_TRUE(s->providers[1].drift.numeric_prices && s->providers[1].drift.extra_fields);
  EXPECT_FALSE(s->providers[2].drift.any());
  EXPECT_EQ(s->client.profile, "ci");
  ASSERT_EQ(s->budgets.size(), 3u);
  EXPECT_EQ(s->budgets[0].scope, "provider");
  EXPECT_EQ(s->budgets[0].name, "or");
  EXPECT_EQ(s->budgets[0].period, "month");
  EXPECT_EQ(s->budgets[0].action, "stop");
  EXPECT_DOUBLE_EQ(s->budgets[0].limit_usd, 0.5);
  EXPECT_EQ(s->budgets[0].path, "client.budgets[0]");
  EXPECT_EQ(s->budgets[1].scope, "profile");
  EXPECT_EQ(s->budgets[1].name, "ci");
  EXPECT_EQ(s->budgets[1].period, "day");   // defaults as in the ledger
  EXPECT_EQ(s->budgets[1].action, "warn");
  EXPECT_EQ(s->budgets[2].scope, "global");
  EXPECT_EQ(s->expectations[0].provider, "oa");
}

TEST(ScenarioParse, EveryBadDriftAndBudgetFieldInOnePass) {
  auto s = parse_scenario(R"({
    "name": "bad", "duration": "10s",
    "providers": [{"name": "oa", "models": ["m"], "drift": "all"},
                  {"name": "or", "protocol": "openrouter", "models": ["m"], "drift": ["extra_fields", "vibes", 3]},
                  {"name": "or2", "protocol": "openrouter", "models": ["m"], "drift": {"unknown_enums": true}}],
    "workload": {},
    "client": {"profile": 7, "budgets": [
      {"provider": "ghost", "usd": 1},
      {"provider": "oa", "profile": "x", "usd": 1},
      {"usd": 0},
      {"provider": "oa"},
      {"usd": "lots", "period": "week", "action": "panic", "limit": 3},
      {"profile": "", "usd": 1},
      "nope"]},
    "expect": [{"kind": "cost", "provider": "ghost", "max_usd": 1}]})",
                          "bad-db.json");
  ASSERT_FALSE(s.ok());
  const std::string m = s.status().message();
  for (const char* needle : {
           "bad-db.json",
           "providers[0].drift: applies to protocol openrouter only",
           "providers[1].drift[1]: unknown drift 'vibes'",
           "providers[1].drift[2]: must be a string",
           "providers[2].drift: must be a string or an array of strings",
           "client.profile: must be a string",
           "client.budgets[0].provider: unknown provider 'ghost'",
           "client.budgets[1]: give provider or profile, not both",
           "client.budgets[2].usd: must be > 0",
           "client.budgets[3].usd: required",
           "client.budgets[4].usd: must be a number",
           "client.budgets[4].period: unknown period 'week'",
           "client.budgets[4].action: unknown action 'panic'",
           "client.budgets[4].limit: unknown key",
           "client.budgets[5].profile: must not be empty",
           "client.budgets[6]: must be an object",
           "expect[0].provider: unknown provider 'ghost'",
       }) {
    EXPECT_NE(m.find(needle), std::string::npos) << "missing: " << needle << "\nin:\n" << m;
  }
  auto not_array = parse_scenario(R"({"name": "x", "duration": "1s", "providers": [{"name": "p", "models": ["m"]}],
    "workload": {}, "client": {"budgets": {"usd": 1}}})",
                                  "na.json");
  ASSERT_FALSE(not_array.ok());
  EXPECT_NE(not_array.status().message().find("client.budgets: must be an array"), std::string::npos);
}

// Two providers, the cheap one with a client-side budget: {{BUDGET}} is replaced.
const char* kBudget = R"({
  "name": "budget", "seed": 4, "duration": "60s",
  "providers": [
    {"name": "cheap", "models": ["gpt-4o-mini"], "latency": {"ttft": "100ms", "tokens_per_second": 200},
     "price": {"input_usd_per_mtok": 0.15, "output_usd_per_mtok": 0.6}},
    {"name": "dear", "models": ["gpt-4.1-mini"], "latency": {"ttft": "100ms", "tokens_per_second": 200},
     "price": {"input_usd_per_mtok": 0.4, "output_usd_per_mtok": 1.6}}],
  "workload": {"arrival": {"process": "constant", "rate_per_s": 5}, "max_output_tokens": 16},
  "client": {"policy": "cost" {{BUDGET}} },
  "expect": [{"kind": "success_rate", "min": 1}, {"kind": "cost", "provider": "cheap", "max_usd": 0.005},
             {"kind": "attempts", "provider": "dear", "min": 1}]
})";

Scenario budget_scenario(const std::string& budgets) {
  std::string text = kBudget;
  text.replace(text.find("{{BUDGET}}"), 10, budgets);
  return must_parse(text);
}

TEST(ScenarioRun, ClientStopBudgetMovesTrafficToTheNextProvider) {
  auto r = run_scenario(
      budget_scenario(R"(, "budgets": [{"provider": "cheap", "usd": 0.005, "action": "stop"}])"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->passed()) << result_to_text(*r);
  ASSERT_EQ(r->budgets.size(), 1u);
  const BudgetSummary& b = r->budgets[0];
  EXPECT_EQ(b.path, "client.budgets[0]");
  EXPECT_LE(b.spent_usd, 0.005 + 1e-12);
  EXPECT_GT(b.spent_usd, 0.004);  // it did run out
  EXPECT_GT(b.refusals, 0u);
  ASSERT_TRUE(b.first_refusal.has_value());
  EXPECT_GT(*b.first_refusal, seconds(5));
  EXPECT_LT(*b.first_refusal, seconds(60));
  // Before the budget first refused only the cheap provider had traffic; after it, the
  // other one has nearly all of it (a small request may still fit in what is left).
  uint64_t cheap_after = 0, dear_after = 0;
  for (const auto& a : r->attempt_log) {
    if (a.at < *b.first_refusal) {
      EXPECT_EQ(a.provider, "cheap") << "attempt at " << to_ms(a.at) << "ms";
    }
    if (a.at > *b.first_refusal) ++(a.provider == "cheap" ? cheap_after : dear_after);
  }
  EXPECT_GT(dear_after, 50u);
  EXPECT_LT(cheap_after * 10, dear_after);
  // The budget is in the outputs and in the digest.
  EXPECT_NE(result_to_text(*r).find("budget day provider=cheap stop"), std::string::npos);
  EXPECT_NE(result_to_json(*r).find("\"budgets\""), std::string::npos);
  EXPECT_NE(canonical_text(*r).find("G client.budgets[0]"), std::string::npos);
  auto again = run_scenario(
      budget_scenario(R"(, "budgets": [{"provider": "cheap", "usd": 0.005, "action": "stop"}])"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(r->digest, again->digest);
}

// client.instances: three façades over one in-memory SharedStore, in virtual time, against
// one provider the client limits to 60 requests a minute, offered 240 a minute: together
// they send at most 60 a minute over two windows (unshared, each façade's own limiter
// would let about 60 + its refill through: up to ~180 in the first minute).
TEST(ScenarioRun, InstancesShareOneProviderLimit) {
  const auto scenario = [](int instances) {
    return parse_scenario(R"({
      "name": "instances", "seed": 5, "duration": "2m", "drain": "5s",
      "providers": [{"name": "p", "models": ["gpt-4o-mini"], "latency": {"ttft": "50ms", "tokens_per_second": 200}}],
      "workload": {"arrival": {"process": "constant", "rate_per_s": 4}, "max_output_tokens": 16},
      "client": {"instances": )" + std::to_string(instances) + R"(, "learn_rate_limits": false,
                 "max_rate_limit_wait": "0s", "provider_limits": {"p": {"requests_per_minute": 60}}},
      "expect": [{"kind": "attempts", "provider": "p", "until": "60s", "max": 60},
                 {"kind": "attempts", "provider": "p", "from": "60s", "until": "120s", "max": 61},
                 {"kind": "attempts", "provider": "p", "min": 100}]
    })", "instances.json");
  };
  auto s3 = scenario(3);
  ASSERT_TRUE(s3.ok()) << s3.status().message();
  EXPECT_EQ(s3->instances, 3u);
  auto r = run_scenario(*s3);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->passed()) << result_to_text(*r);
  auto again = run_scenario(*s3);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(r->digest, again->digest);
  EXPECT_FALSE(run_scenario(*s3, RunOptions{.real_time = true}).ok());  // virtual time only
  EXPECT_FALSE(scenario(0).ok());
}

TEST(ScenarioRun, WithoutAStopBudgetTheCheapProviderKeepsTheTraffic) {
  // No budget: the cheap provider serves everything and spends more than the budget would allow.
  auto r = run_scenario(budget_scenario(""));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->budgets.empty());
  EXPECT_FALSE(find(*r, "expect[1]").passed);  // cheap's spend > 0.005
  EXPECT_NE(find(*r, "expect[1]").detail.find("over by"), std::string::npos);
  EXPECT_FALSE(find(*r, "expect[2]").passed);  // no traffic to "dear"
  // A warn budget never refuses: nothing is filtered out, the cheap provider overspends
  // (the cost policy still makes it look dearer once the budget is gone).
  auto w = run_scenario(budget_scenario(R"(, "budgets": [{"provider": "cheap", "usd": 0.005, "action": "warn"}])"));
  ASSERT_TRUE(w.ok()) << w.status().message();
  ASSERT_EQ(w->budgets.size(), 1u);
  EXPECT_EQ(w->budgets[0].refusals, 0u);
  EXPECT_FALSE(w->budgets[0].first_refusal.has_value());
  EXPECT_GT(w->budgets[0].spent_usd, 0.005);
  EXPECT_FALSE(find(*w, "expect[1]").passed);
}

TEST(ScenarioRun, GlobalAndProfileBudgetsApplyToEveryProvider) {
  // A global stop budget: once spent, nothing can be sent anywhere — requests fail with a
  // classified insufficient_credits error (not lost, not internal).
  for (const char* budgets : {R"(, "budgets": [{"usd": 0.003, "action": "stop"}])",
                              R"(, "profile": "ci", "budgets": [{"profile": "ci", "usd": 0.003, "action": "stop"}])"}) {
    auto r = run_scenario(budget_scenario(budgets));
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_GT(r->failed, 0u) << budgets;
    EXPECT_GT(r->outcomes["insufficient_credits"], 0u) << result_to_text(*r);
    EXPECT_EQ(r->lost, 0u);
    EXPECT_LE(r->cost_usd, 0.003 + 1e-12);
    EXPECT_GT(r->budgets.at(0).refusals, 0u);
  }
}

TEST(ScenarioRun, DriftReachesTheOpenRouterEngineAndDriftedAnswersSucceed) {
  Scenario s = must_parse(R"({
    "name": "drift", "seed": 2, "duration": "20s",
    "providers": [{"name": "or", "protocol": "openrouter", "models": ["openai/gpt-4o-mini"], "drift": "all"},
                  {"name": "or-plain", "protocol": "openrouter", "models": ["openai/gpt-4o"]}],
    "workload": {"arrival": {"process": "constant", "rate_per_s": 5}, "model": "openai/gpt-4o-mini",
                 "stream_share": 0.5, "tool_share": 0.3, "max_output_tokens": 16},
    "client": {"policy": "pinned"},
    "expect": [{"kind": "success_rate", "min": 1}, {"kind": "attempts", "provider": "or-plain", "max": 0}]})");
  auto r = run_scenario(s);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->passed()) << result_to_text(*r);
  ASSERT_EQ(r->providers.size(), 2u);
  EXPECT_EQ(r->providers[0].drift, "unknown_enums,numeric_prices,extra_fields");
  EXPECT_EQ(r->providers[1].drift, "");
  EXPECT_EQ(r->providers[0].engine_requests, r->providers[0].attempts);
  EXPECT_NE(result_to_json(*r).find("\"drift\": \"unknown_enums,numeric_prices,extra_fields\""), std::string::npos);
}

// workload.embed_share: that share of the calls are LlmClient::embed calls (never streamed,
// no tools), answered by the engine's embedding model; the rest are chat; bad values are
// named; runs without it keep their digest (the embed flag is in the canonical text only
// when set).
TEST(ScenarioRun, EmbedShareMixesEmbeddingsCallsIn) {
  auto with_workload = [](const std::string& workload) {
    return R"({"name": "t", "seed": 3, "duration": "10s", "providers": [{"name": "p", "models": ["gpt-4o-mini"]}],
              "workload": )" + workload + "}";
  };
  auto s = parse_scenario(
      with_workload(R"({"arrival": {"process": "constant", "rate_per_s": 10}, "embed_share": 0.5, "stream_share": 0.5})"),
      "embed.json");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->workload.embed_share, 0.5);
  EXPECT_EQ(s->workload.embed_model, "text-embedding-3-small");
  auto r = run_scenario(*s);
  ASSERT_TRUE(r.ok()) << r.status().message();
  uint64_t embeds = 0, chats = 0;
  for (const auto& q : r->request_log) {
    EXPECT_EQ(q.outcome, "ok") << q.id;
    if (q.embed) {
      ++embeds;
      EXPECT_FALSE(q.stream);
      EXPECT_EQ(q.content_events, 0u);
    } else {
      ++chats;
    }
  }
  EXPECT_GT(embeds, 20u);
  EXPECT_GT(chats, 20u);
  EXPECT_NE(canonical_text(*r).find(" embed\n"), std::string::npos);
  auto plain = run_scenario(*parse_scenario(minimal(), "plain.json"));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(canonical_text(*plain).find(" embed\n"), std::string::npos);

  auto bad = parse_scenario(with_workload(R"({"embed_share": 2, "embed_model": 5})"), "bad.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("workload.embed_share: must be in"), std::string::npos) << bad.status().message();
  EXPECT_NE(bad.status().message().find("workload.embed_model: must be a string"), std::string::npos) << bad.status().message();
}

// workload.reasoning and cached_system_chars reach the provider: every Anthropic answer
// carries thinking, calls after the first read the cached system prompt, and both show in the
// request log (and the canonical text only when set); the expectations over them fail when
// the answers have neither; bad values are named.
TEST(ScenarioRun, ReasoningAndCachedPromptReachTheProvider) {
  auto s = parse_scenario(R"({"name": "t", "seed": 3, "duration": "10s",
    "providers": [{"name": "a", "protocol": "anthropic", "models": ["claude-sonnet-4-5"],
                   "latency": {"ttft": "100ms", "tokens_per_second": 2000}}],
    "workload": {"arrival": {"process": "constant", "rate_per_s": 2}, "model": "claude-sonnet-4-5",
                 "max_output_tokens": 2048, "reasoning": {"mode": "enabled", "budget_tokens": 1024},
                 "cached_system_chars": 8000, "cache_ttl": "1h"},
    "expect": [{"kind": "reasoning_share", "min": 1}, {"kind": "cache_read_share", "min": 0.9}]})", "think.json");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->workload.cache_ttl, CacheControl::kEphemeral1h);
  auto r = run_scenario(*s);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->passed()) << canonical_text(*r);
  ASSERT_GE(r->request_log.size(), 10u);
  EXPECT_TRUE(r->request_log[0].reasoning);
  EXPECT_EQ(r->request_log[0].cache_read_tokens, 0u);  // the first call writes the cache
  EXPECT_GT(r->request_log[1].cache_read_tokens, 1024u);
  EXPECT_NE(canonical_text(*r).find(" reasoning"), std::string::npos);
  // An OpenAI provider without either: both expectations fail, saying what was observed.
  auto plain = parse_scenario(minimal(R"(, "expect": [{"kind": "reasoning_share", "min": 0.5},
                                                     {"kind": "cache_read_share", "min": 0.5}])"), "plain.json");
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  auto pr = run_scenario(*plain);
  ASSERT_TRUE(pr.ok());
  ASSERT_EQ(pr->expectations.size(), 2u);
  EXPECT_FALSE(pr->expectations[0].passed);
  EXPECT_FALSE(pr->expectations[1].passed);
  EXPECT_NE(pr->expectations[0].detail.find("observed 0.00%"), std::string::npos) << pr->expectations[0].detail;
  EXPECT_EQ(canonical_text(*pr).find(" reasoning"), std::string::npos);
  auto bad = parse_scenario(minimal().insert(minimal().size() - 2, R"(, "reasoning": {"mode": "deep"}, "cache_ttl": "2h")"),
                            "bad.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("workload.reasoning.mode: unknown mode 'deep' (expected enabled, disabled or adaptive)"), std::string::npos) << bad.status().message();
  EXPECT_NE(bad.status().message().find("workload.cache_ttl: unknown TTL '2h'"), std::string::npos) << bad.status().message();
}

}  // namespace
}  // namespace ploke::scenarios
