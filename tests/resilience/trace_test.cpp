// Trace rendering: JSON escaping (checked by parsing with nlohmann in the test only) and
// the text form.
#include "ploke/resilience/trace.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace ploke::resilience {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

std::string esc(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

TEST(JsonEscapeTest, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(esc("plain"), "\"plain\"");
  EXPECT_EQ(esc("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(esc("l1\nl2\r\t"), "\"l1\\nl2\\r\\t\"");
  EXPECT_EQ(esc(std::string("\x01\x1f\x7f", 3)), "\"\\u0001\\u001f\\u007f\"");
  EXPECT_EQ(esc(std::string("nul\0x", 5)), "\"nul\\u0000x\"");
  EXPECT_EQ(esc("</script>"), "\"</script>\"");
}

TEST(JsonEscapeTest, Utf8KeptInvalidReplaced) {
  EXPECT_EQ(esc("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  EXPECT_EQ(esc("bad\xff"), "\"bad\\ufffd\"");
  EXPECT_EQ(esc("trunc\xe2\x82"), "\"trunc\\ufffd\\ufffd\"");
  EXPECT_EQ(esc("overlong\xc0\xaf"), "\"overlong\\ufffd\\ufffd\"");
  EXPECT_EQ(esc("surrogate\xed\xa0\x80"), "\"surrogate\\ufffd\\ufffd\\ufffd\"");
  // Whatever the bytes, a JSON parser accepts the result and round-trips valid text.
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  Json parsed;
  EXPECT_NO_THROW(parsed = Json::parse(esc(all)));
  EXPECT_TRUE(parsed.is_string());
  const std::string valid = "quote\" back\\ nl\n tab\t \x01 caf\xc3\xa9";
  EXPECT_EQ(Json::parse(esc(valid)).get<std::string>(), valid);
}

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
