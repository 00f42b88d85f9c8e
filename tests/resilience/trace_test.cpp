// Trace rendering: the JSON form (checked by parsing with nlohmann in the test only, for any
// bytes in its strings) and the text form.
#include "ploke/resilience/trace.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace ploke::resilience {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

RequestTrace sample() {
  RequestTrace t;
  t.request_id = "req-\"1\"";
  t.policy = "cost";
  t.lane = "interactive";
  t.queue_wait = 1500us;
  t.candidates.push_back({"openai/gpt-4o", "openai", "gpt-4o", "", 0.75, 0.0012, 0});
  t.candidates.push_back({"anthropic/claude", "anthropic", "claude", "", 0.5, 0.002, 1});
  t.candidates.push_back({"local/llama", "local", "llama", "capability", 0, 0, -1});
  TraceAttempt a1;
  a1.number = 1;
  a1.endpoint_id = "openai/gpt-4o";
  a1.duration = 20ms;
  a1.outcome = StatusCode::kRateLimited;
  a1.error = "rate_limited: slow \"down\"\n(provider=openai)";
  a1.decision = "fall over: retry-after 60s exceeds the 30s limit";
  TraceAttempt a2;
  a2.number = 2;
  a2.endpoint_id = "anthropic/claude";
  a2.start = 20ms;
  a2.duration = 400ms;
  a2.ttft = 120ms;
  a2.decision = "done";
  a2.prompt_tokens = 100;
  a2.completion_tokens = 20;
  a2.cost_usd = 0.0006;
  t.attempts = {a1, a2};
  t.notes.push_back("skipped x: breaker open");
  t.served_by = "anthropic/claude";
  t.total = 420ms;
  t.total_cost_usd = 0.0006;
  return t;
}

TEST(TraceTest, JsonHasEveryFieldAndParses) {
  const std::string js = render_trace_json(sample());
  Json j = Json::parse(js);
  EXPECT_EQ(j["request_id"], "req-\"1\"");
  EXPECT_EQ(j["policy"], "cost");
  EXPECT_DOUBLE_EQ(j["queue_wait_ms"].get<double>(), 1.5);
  ASSERT_EQ(j["candidates"].size(), 3u);
  EXPECT_EQ(j["candidates"][0]["chain_position"], 0);
  EXPECT_TRUE(j["candidates"][0]["removed_by"].is_null());
  EXPECT_EQ(j["candidates"][2]["removed_by"], "capability");
  EXPECT_TRUE(j["candidates"][2]["score"].is_null());
  ASSERT_EQ(j["attempts"].size(), 2u);
  EXPECT_EQ(j["attempts"][0]["outcome"], "rate_limited");
  EXPECT_EQ(j["attempts"][0]["error"], "rate_limited: slow \"down\"\n(provider=openai)");
  EXPECT_TRUE(j["attempts"][0]["ttft_ms"].is_null());
  EXPECT_DOUBLE_EQ(j["attempts"][1]["ttft_ms"].get<double>(), 120);
  EXPECT_DOUBLE_EQ(j["attempts"][1]["cost_usd"].get<double>(), 0.0006);
  EXPECT_EQ(j["outcome"], "ok");
  EXPECT_TRUE(j["error"].is_null());
  EXPECT_EQ(j["served_by"], "anthropic/claude");
  EXPECT_EQ(j["notes"][0], "skipped x: breaker open");
}

// Strings go through ploke::json's escaper (tests/json covers the rule): whatever bytes a
// provider error, note or id carries, the trace is valid JSON and valid text round-trips.
TEST(TraceTest, JsonIsValidForAnyBytes) {
  RequestTrace t = sample();
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  t.request_id = all;
  t.attempts[0].error = "bad\xff trunc\xe2\x82 overlong\xc0\xaf surrogate\xed\xa0\x80 \x01\x7f";
  const std::string valid = "quote\" back\\ nl\n tab\t \x01 caf\xc3\xa9 \xf0\x9f\x98\x80";
  t.notes = {valid};
  const std::string js = render_trace_json(t);
  ASSERT_TRUE(Json::accept(js)) << js;
  const Json j = Json::parse(js);
  EXPECT_EQ(j["notes"][0], valid);
  EXPECT_EQ(j["attempts"][0]["error"], "bad\xef\xbf\xbd trunc\xef\xbf\xbd overlong\xef\xbf\xbd\xef\xbf\xbd "
                                       "surrogate\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \x01\x7f");
  EXPECT_EQ(j["request_id"].get<std::string>().substr(0, 128), all.substr(0, 128));
}

TEST(TraceTest, TextShowsPickFallbacksFiltersAndAttempts) {
  const std::string text = render_trace_text(sample());
  EXPECT_NE(text.find("policy=cost"), std::string::npos) << text;
  EXPECT_NE(text.find("openai/gpt-4o"), std::string::npos);
  EXPECT_NE(text.find("<- pick"), std::string::npos);
  EXPECT_NE(text.find("(fallback)"), std::string::npos);
  EXPECT_NE(text.find("local/llama                  removed by capability"), std::string::npos) << text;
  EXPECT_NE(text.find("#1 openai/gpt-4o"), std::string::npos);
  EXPECT_NE(text.find("rate_limited in 20.0ms -> fall over"), std::string::npos) << text;
  EXPECT_NE(text.find("(ttft 120.0ms) tokens 100+20"), std::string::npos) << text;
  EXPECT_NE(text.find("result: ok in 420.0ms"), std::string::npos);
  EXPECT_NE(text.find("served by anthropic/claude"), std::string::npos);
}

}  // namespace
}  // namespace ploke::resilience
