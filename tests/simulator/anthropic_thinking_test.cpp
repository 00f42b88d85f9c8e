// SimEngine's Anthropic extended thinking and prompt caching: the thinking block first (with
// a signature; seeded; within the budget), the streamed thinking_delta + signature_delta
// sequence, budget errors, a stream cut inside the thinking deltas, redacted thinking, the
// prompt cache (write, read, expiry on the SimulatedClock, 5m / 1h split, minimum length,
// too many breakpoints) and count_tokens. SimulatedClock only; no sockets.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ploke/adapters/anthropic/adapter.h"
#include "ploke/simulator/engine.h"
#include "sim_test_util.h"
#include "support/test_support.h"

namespace ploke::simulator {
namespace {

using namespace std::chrono_literals;
using testing::Json;

HttpRequest anth(const Json& body, std::string path = "/v1/messages") {
  HttpRequest r;
  r.method = "POST";
  r.path = std::move(path);
  r.headers.add("content-type", "application/json");
  r.headers.add("anthropic-version", "2023-06-01");
  r.body = body.dump();
  r.expect_stream = body.value("stream", false);
  return r;
}

Json thinking_request(bool stream = false, int budget = 2048, int max_tokens = 4096) {
  Json b = {{"model", "claude-sonnet-4-5"},
            {"max_tokens", max_tokens},
            {"thinking", {{"type", "enabled"}, {"budget_tokens", budget}}},
            {"messages", Json::array({{{"role", "user"}, {"content", "Think, then answer."}}})}};
  if (stream) b["stream"] = true;
  return b;
}

// The `data:` objects of an SSE body, each with its event name in "_event".
std::vector<Json> events(const std::string& body) {
  std::vector<Json> out;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find("\n\n", pos);
    if (end == std::string::npos) end = body.size();
    const std::string block = body.substr(pos, end - pos);
    const size_t ev = block.find("event: ");
    const size_t data = block.find("data: ");
    if (ev != std::string::npos && data != std::string::npos) {
      Json d = Json::parse(block.substr(data + 6), nullptr, false);
      d["_event"] = block.substr(ev + 7, block.find('\n', ev) - ev - 7);
      out.push_back(std::move(d));
    }
    pos = end + 2;
  }
  return out;
}

class AnthropicThinkingTest : public testing::EngineFixture {
 protected:
  Result<ChatResponse> adapt(const ScriptedResponse& r) {
    const Endpoint ep{"anthropic", "http://sim", Secret(), {}};
    adapters::anthropic::AnthropicAdapter a;
    HttpResponse h;
    h.status = r.status;
    h.headers = r.headers;
    h.body = r.body();
    if (!r.streaming) return a.parse_response(h, ep);
    auto dec = a.new_stream_decoder(ep);
    std::vector<StreamEvent> evs;
    PLOKE_RETURN_IF_ERROR(dec->feed(h.body, evs));
    PLOKE_RETURN_IF_ERROR(dec->finish(evs));
    StreamAccumulator acc;
    for (const auto& e : evs) PLOKE_RETURN_IF_ERROR(acc.add(e));
    return std::move(acc).take();
  }
  Json error_of(const ScriptedResponse& r) {
    EXPECT_EQ(r.status, 400) << r.body();
    const Json b = Json::parse(r.body());
    EXPECT_EQ(b["error"]["type"], "invalid_request_error");
    return b["error"];
  }
};

TEST_F(AnthropicThinkingTest, ThinkingBlockComesFirstWithASignatureAndCountsAsOutput) {
  auto engine = make();
  ScriptedResponse r = engine->handle(anth(thinking_request()));
  ASSERT_EQ(r.status, 200) << r.body();
  const Json b = Json::parse(r.body());
  ASSERT_GE(b["content"].size(), 2u);
  const Json& t = b["content"][0];
  EXPECT_EQ(t["type"], "thinking");
  const std::string thinking = t["thinking"].get<std::string>();
  EXPECT_FALSE(thinking.empty());
  const std::string sig = t["signature"].get<std::string>();
  EXPECT_EQ(sig.size(), 88u);
  EXPECT_EQ(sig.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"), std::string::npos);
  EXPECT_EQ(b["content"][1]["type"], "text");
  // Thinking tokens are output tokens: twice the configured length (8–32 → 16–64) plus the text's.
  const int64_t out = b["usage"]["output_tokens"].get<int64_t>();
  EXPECT_GE(out, 16 + 8);
  EXPECT_LE(out, 64 + 32);
  auto parsed = adapt(r);
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->reasoning, thinking);
  EXPECT_EQ(parsed->content, b["content"][1]["text"].get<std::string>());
}

TEST_F(AnthropicThinkingTest, SameSeedSameThinkingAndSignatureAcrossStreamAndNot) {
  auto one = make();
  auto two = make();
  SimOptions other;
  other.seed = 99;
  auto three = make(other);
  const Json a = Json::parse(one->handle(anth(thinking_request())).body());
  const Json b = Json::parse(two->handle(anth(thinking_request())).body());
  const Json c = Json::parse(three->handle(anth(thinking_request())).body());
  EXPECT_EQ(a["content"], b["content"]);
  EXPECT_NE(a["content"][0]["signature"], c["content"][0]["signature"]);
  // The stream of the same request (the same arrival number) carries the same thinking.
  auto four = make();
  ScriptedResponse s = four->handle(anth(thinking_request(true)));
  std::string thinking, sig;
  for (const Json& e : events(s.body())) {
    if (e["_event"] == "content_block_delta" && e["delta"]["type"] == "thinking_delta") thinking += e["delta"]["thinking"];
    if (e["_event"] == "content_block_delta" && e["delta"]["type"] == "signature_delta") sig += e["delta"]["signature"];
  }
  EXPECT_EQ(thinking, a["content"][0]["thinking"]);
  EXPECT_EQ(sig, a["content"][0]["signature"]);
}

TEST_F(AnthropicThinkingTest, StreamOrderThinkingDeltasSignatureThenText) {
  auto engine = make();
  ScriptedResponse r = engine->handle(anth(thinking_request(true)));
  ASSERT_EQ(r.status, 200) << r.body();
  const std::vector<Json> ev = events(r.body());
  ASSERT_GE(ev.size(), 10u);
  EXPECT_EQ(ev[0]["_event"], "message_start");
  EXPECT_EQ(ev[1]["_event"], "content_block_start");
  EXPECT_EQ(ev[1]["content_block"], Json::parse(R"({"type":"thinking","thinking":"","signature":""})"));
  EXPECT_EQ(ev[2]["_event"], "ping");
  size_t i = 3;
  size_t thinking_deltas = 0;
  while (i < ev.size() && ev[i]["_event"] == "content_block_delta" && ev[i]["delta"]["type"] == "thinking_delta") {
    EXPECT_EQ(ev[i]["index"], 0);
    ++thinking_deltas;
    ++i;
  }
  EXPECT_GE(thinking_deltas, 16u);
  ASSERT_LT(i + 2, ev.size());
  EXPECT_EQ(ev[i]["delta"]["type"], "signature_delta");
  EXPECT_EQ(ev[i + 1]["_event"], "content_block_stop");
  EXPECT_EQ(ev[i + 1]["index"], 0);
  EXPECT_EQ(ev[i + 2]["_event"], "content_block_start");
  EXPECT_EQ(ev[i + 2]["content_block"]["type"], "text");
  EXPECT_EQ(ev[i + 2]["index"], 1);
  // Thinking deltas are paced like tokens: the first at ttft, then one per 5 ms.
  EXPECT_EQ(r.chunks[3].at, 20ms);
  EXPECT_EQ(r.chunks[4].at, 25ms);
  auto parsed = adapt(r);
  ASSERT_OK(parsed);
  EXPECT_FALSE(parsed->reasoning.empty());
  EXPECT_FALSE(parsed->content.empty());
  ASSERT_TRUE(parsed->usage);
  EXPECT_GE(parsed->usage->completion_tokens, thinking_deltas);
}

TEST_F(AnthropicThinkingTest, BudgetErrorsAreTheApis400) {
  auto engine = make();
  EXPECT_EQ(error_of(engine->handle(anth(thinking_request(false, 1000))))["message"],
            "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024");
  EXPECT_EQ(error_of(engine->handle(anth(thinking_request(false, 2048, 2048))))["message"],
            "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at "
            "https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size");
  Json t = thinking_request();
  t["temperature"] = 0.7;
  EXPECT_EQ(error_of(engine->handle(anth(t)))["message"].get<std::string>().rfind(
                "`temperature` may only be set to 1 when thinking is enabled or in adaptive mode.", 0),
            0u);
  // Adaptive thinking is accepted and thinks too.
  Json a = thinking_request();
  a["thinking"] = {{"type", "adaptive"}};
  ScriptedResponse r = engine->handle(anth(a));
  ASSERT_EQ(r.status, 200) << r.body();
  EXPECT_EQ(Json::parse(r.body())["content"][0]["type"], "thinking");
  // Disabled: no thinking block.
  a["thinking"] = {{"type", "disabled"}};
  r = engine->handle(anth(a));
  ASSERT_EQ(r.status, 200) << r.body();
  EXPECT_EQ(Json::parse(r.body())["content"][0]["type"], "text");
}

TEST_F(AnthropicThinkingTest, ThinkingStaysWithinTheBudgetAndMaxTokens) {
  SimOptions o;
  o.length.min_tokens = 2000;
  o.length.max_tokens = 2000;
  auto engine = make(o);
  const Json b = Json::parse(engine->handle(anth(thinking_request(false, 1024, 1500))).body());
  // 4000 thinking tokens wanted, 1024 allowed; the text gets the 476 left and is cut.
  EXPECT_EQ(b["usage"]["output_tokens"], 1500);
  EXPECT_EQ(b["stop_reason"], "max_tokens");
}

TEST_F(AnthropicThinkingTest, MultiTurnWithThinkingBlocksIsAccepted) {
  auto engine = make();
  Json b = thinking_request();
  b["messages"] = Json::parse(R"([{"role":"user","content":"q"},
      {"role":"assistant","content":[{"type":"thinking","thinking":"hm","signature":"c2ln"},
                                     {"type":"redacted_thinking","data":"ZGF0YQ=="},{"type":"text","text":"a"}]},
      {"role":"user","content":"more"}])");
  EXPECT_EQ(engine->handle(anth(b)).status, 200);
}

TEST_F(AnthropicThinkingTest, StreamCutInsideTheThinkingDeltas) {
  auto engine = make_with_plan(R"({"faults":[{"kind":"stream_cut","after_events":6,"trigger":{"nth":1}}]})");
  ScriptedResponse r = engine->handle(anth(thinking_request(true)));
  const std::vector<Json> ev = events(r.body());
  ASSERT_EQ(ev.size(), 6u);
  EXPECT_EQ(ev.back()["delta"]["type"], "thinking_delta");
  EXPECT_EQ(r.ending, Ending::kReset);
  auto parsed = adapt(r);
  EXPECT_EQ(parsed.status().code(), StatusCode::kConnectionReset) << parsed.status().to_string();
}

TEST_F(AnthropicThinkingTest, RedactedThinkingWithItsProbability) {
  SimOptions o;
  o.redacted_thinking_probability = 1;
  auto engine = make(o);
  const Json b = Json::parse(engine->handle(anth(thinking_request())).body());
  EXPECT_EQ(b["content"][0]["type"], "redacted_thinking");
  EXPECT_EQ(b["content"][0]["data"].get<std::string>().size(), 176u);
  ScriptedResponse s = engine->handle(anth(thinking_request(true)));
  const std::vector<Json> ev = events(s.body());
  EXPECT_EQ(ev[1]["content_block"]["type"], "redacted_thinking");
  EXPECT_EQ(ev[3]["_event"], "content_block_stop");
  EXPECT_OK(adapt(s));
  o.redacted_thinking_probability = 2;
  EXPECT_FALSE(SimEngine::Create(o, clock_).ok());
}

// A system prompt of `chars` characters (chars / 4 tokens) marked for caching.
Json cached_request(size_t chars, const char* ttl = nullptr, std::string model = "claude-sonnet-4-5") {
  Json cc = {{"type", "ephemeral"}};
  if (ttl) cc["ttl"] = ttl;
  Json b = {{"model", model},
            {"max_tokens", 64},
            {"system", Json::array({{{"type", "text"}, {"text", std::string(chars, 'x')}, {"cache_control", cc}}})},
            {"messages", Json::array({{{"role", "user"}, {"content", "Question?"}}})}};
  return b;
}

Json usage_of(const ScriptedResponse& r) { return Json::parse(r.body())["usage"]; }

TEST_F(AnthropicThinkingTest, CacheWritesThenReadsThenExpiresAfterItsTtl) {
  auto engine = make();
  const Json req = cached_request(8000);  // 2000 tokens
  Json u = usage_of(engine->handle(anth(req)));
  EXPECT_EQ(u["cache_creation_input_tokens"], 2000);
  EXPECT_EQ(u["cache_creation"]["ephemeral_5m_input_tokens"], 2000);
  EXPECT_EQ(u["cache_creation"]["ephemeral_1h_input_tokens"], 0);
  EXPECT_EQ(u["cache_read_input_tokens"], 0);
  EXPECT_EQ(u["input_tokens"], 2);  // "Question?" after the breakpoint
  clock_.advance(4min);
  u = usage_of(engine->handle(anth(req)));
  EXPECT_EQ(u["cache_read_input_tokens"], 2000);
  EXPECT_EQ(u["cache_creation_input_tokens"], 0);
  EXPECT_EQ(u["input_tokens"], 2);
  // A read restarts the TTL: 4 more minutes is still within 5 of the last use.
  clock_.advance(4min);
  EXPECT_EQ(usage_of(engine->handle(anth(req)))["cache_read_input_tokens"], 2000);
  clock_.advance(5min);
  u = usage_of(engine->handle(anth(req)));
  EXPECT_EQ(u["cache_read_input_tokens"], 0);
  EXPECT_EQ(u["cache_creation_input_tokens"], 2000);
  // The stream reports the cache in message_start too.
  Json s = req;
  s["stream"] = true;
  ScriptedResponse r = engine->handle(anth(s));
  EXPECT_EQ(events(r.body())[0]["message"]["usage"]["cache_read_input_tokens"], 2000);
  auto parsed = adapt(r);
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->usage->cached_prompt_tokens, 2000u);
  EXPECT_EQ(parsed->usage->prompt_tokens, 2002u);
}

TEST_F(AnthropicThinkingTest, OneHourEntriesOutliveFiveMinutesAndSplitTheWrite) {
  auto engine = make();
  Json req = cached_request(8000, "1h");
  // A second breakpoint (5m) on the user turn.
  req["messages"][0]["content"] = Json::parse(
      R"([{"type":"text","text":")" + std::string(4000, 'y') + R"(","cache_control":{"type":"ephemeral","ttl":"5m"}}])");
  Json u = usage_of(engine->handle(anth(req)));
  EXPECT_EQ(u["cache_creation_input_tokens"], 3000);
  EXPECT_EQ(u["cache_creation"]["ephemeral_1h_input_tokens"], 2000);
  EXPECT_EQ(u["cache_creation"]["ephemeral_5m_input_tokens"], 1000);
  EXPECT_EQ(u["input_tokens"], 0);
  clock_.advance(30min);
  // The 5m entry is gone, the 1h one reads; the user turn is written again.
  u = usage_of(engine->handle(anth(req)));
  EXPECT_EQ(u["cache_read_input_tokens"], 2000);
  EXPECT_EQ(u["cache_creation_input_tokens"], 1000);
  EXPECT_EQ(u["cache_creation"]["ephemeral_5m_input_tokens"], 1000);
}

TEST_F(AnthropicThinkingTest, BelowTheModelsMinimumNothingIsCached) {
  auto engine = make();
  // 1000 tokens < 1024 (Sonnet 4.5).
  Json u = usage_of(engine->handle(anth(cached_request(4000))));
  EXPECT_EQ(u["cache_creation_input_tokens"], 0);
  EXPECT_EQ(u["input_tokens"], 1002);
  u = usage_of(engine->handle(anth(cached_request(4000))));
  EXPECT_EQ(u["cache_read_input_tokens"], 0);
  // 2000 tokens: enough for Sonnet 4.5, not for Haiku 4.5 (4096).
  u = usage_of(engine->handle(anth(cached_request(8000, nullptr, "claude-haiku-4-5"))));
  EXPECT_EQ(u["cache_creation_input_tokens"], 0);
  EXPECT_EQ(u["input_tokens"], 2002);
}

TEST_F(AnthropicThinkingTest, TopLevelCacheControlCachesThroughTheLastBlock) {
  auto engine = make();
  Json req = {{"model", "claude-sonnet-4-5"},
              {"max_tokens", 64},
              {"cache_control", {{"type", "ephemeral"}}},
              {"messages", Json::array({{{"role", "user"}, {"content", std::string(6000, 'z')}}})}};
  EXPECT_EQ(usage_of(engine->handle(anth(req)))["cache_creation_input_tokens"], 1500);
  const Json u = usage_of(engine->handle(anth(req)));
  EXPECT_EQ(u["cache_read_input_tokens"], 1500);
  EXPECT_EQ(u["input_tokens"], 0);
}

TEST_F(AnthropicThinkingTest, MoreThanFourBreakpointsIsThe400) {
  auto engine = make();
  Json req = cached_request(100);
  Json blocks = Json::array();
  for (int i = 0; i < 4; ++i) {
    blocks.push_back({{"type", "text"}, {"text", "part " + std::to_string(i)}, {"cache_control", {{"type", "ephemeral"}}}});
  }
  req["messages"][0]["content"] = blocks;
  EXPECT_EQ(error_of(engine->handle(anth(req)))["message"],
            "A maximum of 4 blocks with cache_control may be provided. Found 5.");
}

TEST_F(AnthropicThinkingTest, CountTokensAcceptsThinkingAndCacheControl) {
  auto engine = make();
  Json req = cached_request(8000);
  req.erase("max_tokens");
  req["thinking"] = {{"type", "enabled"}, {"budget_tokens", 4096}};
  ScriptedResponse r = engine->handle(anth(req, "/v1/messages/count_tokens"));
  ASSERT_EQ(r.status, 200) << r.body();
  EXPECT_EQ(Json::parse(r.body()), Json::parse(R"({"input_tokens":2002})"));
  // count_tokens neither reads nor writes the cache.
  EXPECT_EQ(usage_of(engine->handle(anth(cached_request(8000))))["cache_creation_input_tokens"], 2000);
  req["thinking"]["budget_tokens"] = 100;
  EXPECT_EQ(error_of(engine->handle(anth(req, "/v1/messages/count_tokens")))["message"],
            "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024");
}

}  // namespace
}  // namespace ploke::simulator
